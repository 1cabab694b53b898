"""The design's rule of files under ~400 lines, kept for the documents service's code (its
record handlers once outgrew it: writes and reads are now two modules)."""

from __future__ import annotations

from pathlib import Path

import homeward.documents

MAX_LINES = 400


def test_every_module_of_the_service_stays_under_the_limit() -> None:
    package = Path(homeward.documents.__file__).parent
    modules = [path for path in package.rglob("*.py") if "migrations" not in path.parts]
    assert len(modules) > 10
    too_long = {
        str(path.relative_to(package)): lines
        for path in modules
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}
