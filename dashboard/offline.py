"""`leadflow scorecard --html FILE`: the dashboard page of a replayed stream, one file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dashboard.errors import DashboardError
from dashboard.page import render_page


def write_page(path: str | Path, scorecard: dict[str, Any], inputs: list[str]) -> Path:
    """Write the page to `path` (atomically: a temporary file, then a rename); refuse to
    write over one of the command's `inputs`."""
    out = Path(path)
    for given in inputs:
        if given and out.exists() and Path(given).exists() and out.samefile(given):
            raise DashboardError(f"--html {path}: that is an input of this command ({given})")
    if out.is_dir():
        raise DashboardError(f"--html {path}: is a directory; expected a file name")
    page = render_page(scorecard)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        raise DashboardError(f"--html {path}: cannot write it: {exc.strerror}") from None
    return out
