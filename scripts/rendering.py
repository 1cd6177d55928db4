"""Write generated files, or check that the committed ones are current (the render scripts' `--check`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path


def write_or_check(
    files: Mapping[Path, str], *, check: bool, same: Callable[[str, str], bool] = str.__eq__
) -> int:
    """Write each file whose text differs (printing its path), or with ``check`` only name them;
    exit status 1 when a checked file is out of date. ``same`` compares committed and wanted text."""
    stale = [path for path, text in files.items() if not path.is_file() or not same(path.read_text(), text)]
    if check and stale:
        names = ", ".join(str(p) for p in stale)
        print(f"error: out of date: {names}; run: make render", file=sys.stderr)
        return 1
    for path in [] if check else stale:
        path.write_text(files[path])
        print(f"wrote {path}")
    return 0
