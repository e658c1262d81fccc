"""Which modules run compiled (mypyc), and the guard that keeps a stale build from running.

Two packages are compiled, each into its own shared library: the routing core (`COMPILED`)
and the simulator's hot path (`SIMULATOR`). `setup.py` compiles both in one mypyc run, as
two separate groups: within a library modules call each other natively, and the
simulator's library calls the core's native classes and functions directly (through the
core library's export table, imported when the simulator loads). So the compiled simulator
needs the compiled core: it runs compiled only when the core does. The build writes a
manifest (`_native.json` in each package) with the sha256 of each source as compiled (the
simulator's also lists the routing core's sources) and an id of the build, shared by both.
On import of the package, `guard(package)` compares that manifest with the sources next
to it. Python imports a `.so` before a `.py` of the same name, so when any source changed
since the build (or a compiled file is missing, or the manifest is; or, for the simulator,
the routing core does not load compiled or is another build), an import hook loads the
pure Python of every module in the package instead, and says so once on stderr. It is all
or nothing: compiled modules expect each other's native classes.

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
    "calendar", "clocks", "commitments", "dedupe", "desk", "durations", "engine", "funnel",
    "intent", "lead", "lifecycle", "outputs", "period_counts", "queue", "replay", "reps",
    "router", "scorecard", "sink", "sla", "strategies", "surge", "versions", "windows",
)
#: The simulator's modules compiled: its per-lead path, which calls the core natively. Not
#: compiled: the set-up, scenario models, aggregation, reports.
SIMULATOR = ("arrivals", "call", "driver", "inputs", "metrics", "reps", "work")


class Part:
    """One compiled package: where its sources are, its modules, its shared library."""

    def __init__(self, package: str, modules: tuple[str, ...], group: str, probe: str,
                 needs: tuple[str, ...] = ()) -> None:
        self.package, self.modules, self.group, self.probe = package, modules, group, probe
        self.root = HERE.parent / package
        # Compiled packages whose native code this one calls: they must load compiled, from
        # the same build, and the manifest records their sources too.
        self.needs = needs

    def hashes(self, root: Path | None = None) -> dict[str, str]:
        """The sources' sha256, by module name (`pkg/name` for another package's)."""
        here = self.root if root is None else root
        out = source_hashes(here, self.modules)
        for other in self.needs:
            theirs = source_hashes(here.parent / other, PARTS[other].modules)
            out.update({f"{other}/{n}": h for n, h in theirs.items()})
        return out


PARTS = {
    "routing": Part("routing", COMPILED, GROUP, "engine"),
    "simulator": Part("simulator", SIMULATOR, SIM_GROUP, "driver", needs=("routing",)),
}


def source_hashes(root: Path = HERE, names: tuple[str, ...] = COMPILED) -> dict[str, str]:
    return {name: hashlib.sha256((root / f"{name}.py").read_bytes()).hexdigest()
            for name in names}


def write_manifest(target: Path, hashes: dict[str, str], group: str = GROUP,
                   build: str = "") -> None:
    """BUILD: an id of the setup.py run, the same in every package it compiled."""
    data = {"group": group, "python": sys.implementation.cache_tag, "build": build,
            "sources": hashes}
    (target / MANIFEST).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _built(root: Path, names: tuple[str, ...] = COMPILED) -> list[str]:
    """The compiled modules present as extension files in `root`."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return [name for name in names
            if any((root / f"{name}{suffix}").exists() for suffix in suffixes)]


_WHAT = {"routing": "routing core", "simulator": "simulator"}


def _not_compiled(package: str, why: str) -> str:
    """Why a package that needs PACKAGE compiled cannot run compiled."""
    return f"the {_WHAT[package]} is not compiled" + ("" if why == "not compiled" else f": {why}")


def _manifest(root: Path) -> dict[str, object] | None:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def status(root: Path = HERE, package: str = "routing") -> tuple[bool, str]:
    """(compiled build usable, why). Usable: every module built, from today's sources, and
    every package it needs usable too, from the same build."""
    part = PARTS[package]
    built = _built(root, part.modules)
    if not built:
        return False, "not compiled"
    manifest = _manifest(root)
    if manifest is None:
        return False, f"{MANIFEST} missing or unreadable next to the compiled modules"
    if manifest.get("python") != sys.implementation.cache_tag:
        return False, f"compiled for {manifest.get('python')}, not {sys.implementation.cache_tag}"
    missing = sorted(set(part.modules) - set(built))
    if missing:
        return False, f"compiled files missing for {', '.join(missing)}"
    sources = manifest.get("sources")
    recorded = sources if isinstance(sources, dict) else {}
    hashes = part.hashes(root)
    changed = [n for n, h in hashes.items() if recorded.get(n) != h]
    if changed:
        return False, f"source changed since the build: {', '.join(changed)}"
    extra = sorted(set(recorded) - set(hashes))
    if extra:  # the library was built with other modules in it: their classes are native there
        return False, f"built with modules no longer compiled: {', '.join(extra)}"
    for other in part.needs:
        theirs = root.parent / other
        usable, why = status(theirs, other)
        if not usable:
            return False, _not_compiled(other, why)
        build = manifest.get("build")
        if not build or (_manifest(theirs) or {}).get("build") != build:
            return False, f"built against another build of the {_WHAT[other]}"
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


def guard(package: str = "routing") -> None:
    """Decide compiled or pure, once, on import of PACKAGE (see the module docstring).
    A package that needs another one compiled loads pure when that one loads pure."""
    part = PARTS[package]
    if os.environ.get("LEADFLOW_PURE", "") not in ("", "0"):
        usable, reason, stale = False, "LEADFLOW_PURE is set", False
    else:
        usable, reason = status(part.root, package)
        for other in part.needs:  # decided already when PACKAGE imports it first
            if STATES[other]["reason"] == "not checked":
                guard(other)
            if usable and not STATES[other]["compiled"]:
                usable, reason = False, _not_compiled(other, str(STATES[other]["reason"]))
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
