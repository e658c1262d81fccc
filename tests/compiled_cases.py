"""What the compiled-build tests share: whether this run is pure on purpose, and a fresh
Python child (LEADFLOW_PURE taken from the environment unless given)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIP_REASON = "LEADFLOW_COMPILE=0 or LEADFLOW_PURE=1: this run is pure Python on purpose"
DELIBERATELY_PURE = (os.environ.get("LEADFLOW_COMPILE") == "0"
                     or os.environ.get("LEADFLOW_PURE", "") not in ("", "0"))


def python_child(
    code: str, *args: str, cwd: Path = REPO, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "LEADFLOW_PURE"}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120, check=True)
