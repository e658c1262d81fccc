"""Which modules run compiled (mypyc), and the guard that keeps a stale build from running.

Two packages are compiled, each into its own shared library: the routing core (`COMPILED`)
and the simulator's hot path (`SIMULATOR`; it calls the core through Python, so either
runs compiled with the other pure). `setup.py` compiles a package's modules into one
shared library, in which they call each other natively, and writes a manifest
(`_native.json` in the package) with the sha256 of each source as compiled (the
simulator's also lists the routing core's sources, whose constants it may have inlined).
On import of the package, `guard(package)` compares that manifest with the sources next
to it. Python imports a `.so` before a `.py` of the same name, so when any source changed
since the build (or a compiled file is missing, or the manifest is), an import hook loads
the pure Python of every module in `COMPILED` instead, and says so once on stderr. It is
all or nothing: compiled modules expect each other's native classes.

`LEADFLOW_PURE=1` forces pure Python. This file is never compiled and imports only the
standard library (setup.py loads it by path before anything is installed).
"""

from __future__ import annotations

import hashlib
import importlib
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
SIM_GROUP = "simulator._sim"  # simulator/_sim__mypyc.<abi>.so
#: Modules compiled, as names under `routing`. Not compiled: `__init__`, this file,
#: `errors` (exceptions), `events` and `policy.*` (pydantic models and the policy's
#: condition closures, which the worker's snapshots pickle).
COMPILED = (
    "calendar", "clocks", "commitments", "desk", "durations", "engine", "intent", "lead",
    "lifecycle", "outputs", "queue", "replay", "reps", "router", "scorecard", "sink", "sla",
    "strategies", "surge", "windows",
)
#: The simulator's modules compiled: its per-lead path. Not compiled: `simulator.call`
#: (`Call` subclasses SimPy's `Event`), the set-up, scenario models, aggregation, reports.
SIMULATOR = ("arrivals", "driver", "inputs", "metrics", "reps", "work")


class Part:
    """One compiled package: where its sources are, its modules, its shared library."""

    def __init__(self, package: str, modules: tuple[str, ...], group: str, probe: str,
                 also: tuple[str, ...] = ()) -> None:
        self.package, self.modules, self.group, self.probe = package, modules, group, probe
        self.root = HERE.parent / package
        self.also = also  # other packages whose sources the manifest also records

    def hashes(self, root: Path | None = None) -> dict[str, str]:
        """The sources' sha256, by module name (`pkg/name` for another package's)."""
        here = self.root if root is None else root
        out = source_hashes(here, self.modules)
        for other in self.also:
            theirs = source_hashes(here.parent / other, PARTS[other].modules)
            out.update({f"{other}/{n}": h for n, h in theirs.items()})
        return out


PARTS = {
    "routing": Part("routing", COMPILED, GROUP, "engine"),
    "simulator": Part("simulator", SIMULATOR, SIM_GROUP, "driver", also=("routing",)),
}


def source_hashes(root: Path = HERE, names: tuple[str, ...] = COMPILED) -> dict[str, str]:
    return {name: hashlib.sha256((root / f"{name}.py").read_bytes()).hexdigest()
            for name in names}


def write_manifest(target: Path, hashes: dict[str, str], group: str = GROUP) -> None:
    data = {"group": group, "python": sys.implementation.cache_tag, "sources": hashes}
    (target / MANIFEST).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _built(root: Path, names: tuple[str, ...] = COMPILED) -> list[str]:
    """The compiled modules present as extension files in `root`."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return [name for name in names
            if any((root / f"{name}{suffix}").exists() for suffix in suffixes)]


def status(root: Path = HERE, package: str = "routing") -> tuple[bool, str]:
    """(compiled build usable, why). Usable: every module built, from today's sources."""
    part = PARTS[package]
    built = _built(root, part.modules)
    if not built:
        return False, "not compiled"
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, f"{MANIFEST} missing or unreadable next to the compiled modules"
    if manifest.get("python") != sys.implementation.cache_tag:
        return False, f"compiled for {manifest.get('python')}, not {sys.implementation.cache_tag}"
    missing = sorted(set(part.modules) - set(built))
    if missing:
        return False, f"compiled files missing for {', '.join(missing)}"
    recorded = manifest.get("sources", {})
    hashes = part.hashes(root)
    changed = [n for n, h in hashes.items() if recorded.get(n) != h]
    if changed:
        return False, f"source changed since the build: {', '.join(changed)}"
    extra = sorted(set(recorded) - set(hashes))
    if extra:  # the library was built with other modules in it: their classes are native there
        return False, f"built with modules no longer compiled: {', '.join(extra)}"
    return True, "compiled"


class _PureFinder(importlib.abc.MetaPathFinder):
    """Loads `<package>.<name>` from `<name>.py` for every compiled name."""

    def __init__(self, root: Path, part: Part) -> None:
        self.root = root
        self.package = part.package
        self.names = {f"{part.package}.{name}": name for name in part.modules}

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        name = self.names.get(fullname)
        if name is None:
            return None
        return importlib.util.spec_from_file_location(fullname, self.root / f"{name}.py")


#: What `guard()` decided, by package: {"compiled": bool, "reason": str}. Read by
#: `leadflow info`. `STATE` is the routing core's.
STATES: dict[str, dict[str, object]] = {
    name: {"compiled": False, "reason": "not checked"} for name in PARTS
}
STATE = STATES["routing"]
_WHAT = {"routing": "routing core", "simulator": "simulator"}


def guard(package: str = "routing") -> None:
    """Decide compiled or pure, once, on import of PACKAGE (see the module docstring)."""
    part = PARTS[package]
    if os.environ.get("LEADFLOW_PURE", "") not in ("", "0"):
        usable, reason, stale = False, "LEADFLOW_PURE is set", False
    else:
        usable, reason = status(part.root, package)
        stale = not usable and reason != "not compiled"
    installed = any(isinstance(f, _PureFinder) and f.package == package for f in sys.meta_path)
    if not usable and not installed and _built(part.root, part.modules):
        sys.meta_path.insert(0, _PureFinder(part.root, part))
    if stale:
        print(f"leadflow: using the pure-Python {_WHAT[package]} ({reason}); rebuild it with "
              "`python setup.py build_ext --inplace`", file=sys.stderr)
    STATES[package].update(compiled=usable, reason=reason)


def loaded_compiled(package: str = "routing") -> bool:
    """Whether PACKAGE's probe module (the engine, the driver) loaded compiled."""
    part = PARTS[package]
    module = importlib.import_module(f"{package}.{part.probe}")
    return not (module.__file__ or "").endswith(".py")
