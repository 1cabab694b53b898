"""The one place the command prints: tables for people, JSON for scripts, marks for checks."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def emit_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """`columns`: (key, heading) pairs; None shows as a dash."""
    cells = [[heading for _, heading in columns]]
    cells += [["-" if row[key] is None else str(row[key]) for key, _ in columns] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    for line in cells:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def emit_fields(fields: Mapping[str, Any]) -> None:
    """One `name: value` per line; nested values as indented JSON."""
    width = max(len(name) for name in fields)
    for name, value in fields.items():
        if isinstance(value, (dict, list)):
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            print(f"{name}:\n  {text}")
        else:
            print(f"{name.ljust(width)}  {'-' if value is None else value}")


def mark(ok: bool) -> str:
    """✔/✘ where the terminal can show them, OK/FAIL elsewhere."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✔✘".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "OK  " if ok else "FAIL"
    return "✔" if ok else "✘"


def error(message: str) -> None:
    print(f"homeward: {message}", file=sys.stderr)


def age(seconds: float | None) -> str | None:
    """The two largest units: `45s`, `3m 12s`, `2h 5m`, `1d 3h`."""
    if seconds is None:
        return None
    days, rest = divmod(max(int(seconds), 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (rest, "s")]
    first = next((index for index, (value, _) in enumerate(parts) if value), len(parts) - 1)
    return " ".join(f"{value}{unit}" for value, unit in parts[first : first + 2])
