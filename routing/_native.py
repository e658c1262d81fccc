"""Which parts of the routing core run compiled (mypyc), and the guard that keeps a stale
build from running.

`setup.py` compiles the modules in `COMPILED` into one shared library, in which they call
each other natively, and writes a manifest (`_native.json`) with the sha256 of each source
as compiled. On import of `routing`, `guard()` compares that manifest with the sources next
to it. Python imports a `.so` before a `.py` of the same name, so when any source changed
since the build (or a compiled file is missing, or the manifest is), an import hook loads
the pure Python of every module in `COMPILED` instead, and says so once on stderr. It is
all or nothing: compiled modules expect each other's native classes.

`LEADFLOW_PURE=1` forces pure Python. This file is never compiled and imports only the
standard library (setup.py loads it by path before anything is installed).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
MANIFEST = "_native.json"
GROUP = "routing._core"  # the shared library: routing/_core__mypyc.<abi>.so
#: Modules compiled, as names under `routing`. Not compiled: `__init__`, this file,
#: `errors` (exceptions), `events` and `policy.*` (pydantic models and the policy's
#: condition closures, which the worker's snapshots pickle).
COMPILED = (
    "calendar", "clocks", "commitments", "desk", "durations", "engine", "intent", "lead",
    "lifecycle", "outputs", "queue", "replay", "reps", "router", "scorecard", "sink", "sla",
    "strategies", "surge", "windows",
)


def source_hashes(root: Path = HERE) -> dict[str, str]:
    return {name: hashlib.sha256((root / f"{name}.py").read_bytes()).hexdigest()
            for name in COMPILED}


def write_manifest(target: Path, hashes: dict[str, str]) -> None:
    data = {"group": GROUP, "python": sys.implementation.cache_tag, "sources": hashes}
    (target / MANIFEST).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _built(root: Path) -> list[str]:
    """The compiled modules present as extension files in `root`."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return [name for name in COMPILED
            if any((root / f"{name}{suffix}").exists() for suffix in suffixes)]


def status(root: Path = HERE) -> tuple[bool, str]:
    """(compiled build usable, why). Usable: every module built, from today's sources."""
    built = _built(root)
    if not built:
        return False, "not compiled"
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, f"{MANIFEST} missing or unreadable next to the compiled modules"
    if manifest.get("python") != sys.implementation.cache_tag:
        return False, f"compiled for {manifest.get('python')}, not {sys.implementation.cache_tag}"
    missing = sorted(set(COMPILED) - set(built))
    if missing:
        return False, f"compiled files missing for {', '.join(missing)}"
    recorded = manifest.get("sources", {})
    changed = [n for n, h in source_hashes(root).items() if recorded.get(n) != h]
    if changed:
        return False, f"source changed since the build: {', '.join(changed)}"
    return True, "compiled"


class _PureFinder(importlib.abc.MetaPathFinder):
    """Loads `routing.<name>` from `<name>.py` for every compiled name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.names = {f"routing.{name}": name for name in COMPILED}

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        name = self.names.get(fullname)
        if name is None:
            return None
        return importlib.util.spec_from_file_location(fullname, self.root / f"{name}.py")


#: What `guard()` decided: {"compiled": bool, "reason": str}. Read by `leadflow info`.
STATE: dict[str, object] = {"compiled": False, "reason": "not checked"}


def guard() -> None:
    """Decide compiled or pure, once, on import of `routing` (see the module docstring)."""
    if os.environ.get("LEADFLOW_PURE", "") not in ("", "0"):
        usable, reason, stale = False, "LEADFLOW_PURE is set", False
    else:
        usable, reason = status()
        stale = not usable and reason != "not compiled"
    installed = any(isinstance(f, _PureFinder) for f in sys.meta_path)
    if not usable and not installed and _built(HERE):
        sys.meta_path.insert(0, _PureFinder(HERE))
    if stale:
        print(f"leadflow: using the pure-Python routing core ({reason}); rebuild it with "
              "`python setup.py build_ext --inplace`", file=sys.stderr)
    STATE.update(compiled=usable, reason=reason)


def loaded_compiled() -> bool:
    """Whether the engine module actually loaded is the compiled one."""
    from routing import engine

    return not (engine.__file__ or "").endswith(".py")
