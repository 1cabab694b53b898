"""`make bench`: run every benchmark in turn (`python -m bench [name ...]`)."""

from __future__ import annotations

import asyncio
import importlib
import sys

BENCHMARKS = [
    "events_pipeline",
    "intake_registration",
    "referrals_send",
    "notifications_flow",
    "console_pages",
]


def main() -> None:
    chosen = sys.argv[1:] or BENCHMARKS
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n== {name} ==", flush=True)
        asyncio.run(module.main())


if __name__ == "__main__":
    main()
