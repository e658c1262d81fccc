"""Build hook: compiles the routing core and the simulator's per-lead modules with mypyc,
in one mypyc run, each package into its own shared library (mypyc's separate groups; the
lists are in `routing/_native.py`): the simulator's library calls the core's natively.

    python setup.py build_ext --inplace    # what scripts/test.sh runs; skips when up to date
    LEADFLOW_COMPILE=0 pip install .       # no compilation: the pure-Python core

Installing never fails because compiling does: without mypyc or a C compiler, or when
compiling fails, the build says so and installs that package as pure Python (the simulator
too when the core does not compile: its compiled code needs the core's). Everything else
about the package is in pyproject.toml.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_leadflow_native", ROOT / "routing" / "_native.py")
assert _spec is not None and _spec.loader is not None
native = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(native)


def say(message: str) -> None:
    print(f"leadflow: {message}", file=sys.stderr, flush=True)


def _inplace() -> bool:
    return "build_ext" in sys.argv and ("--inplace" in sys.argv or "-i" in sys.argv)


def _mypycify(parts: list[Any]) -> list[Any]:
    """One mypyc run; each part a separate group (its own library), the later ones calling
    the earlier ones natively. Cold, without mypy's cache: mypyc 2.4's incremental mode
    loses what it needs of a group read from the cache (ValueError in codegen). Unchanged
    C is not rewritten, so build_ext still recompiles only the library whose C changed."""
    from mypyc.build import mypycify

    paths = {part.package: [f"{part.package}/{name}.py" for name in part.modules]
             for part in parts}
    options = ["--cache-dir", os.devnull]
    return list(mypycify([*options, *(path for group in paths.values() for path in group)],
                         opt_level="3", debug_level="0",
                         separate=[(paths[part.package], part.group) for part in parts]))


def extensions() -> list[Any]:
    if os.environ.get("LEADFLOW_COMPILE", "1") == "0":
        say("LEADFLOW_COMPILE=0: not compiling; the routing core and simulator are pure Python")
        return []
    parts = list(native.PARTS.values())
    if _inplace() and all(native.status(part.root, part.package)[0] for part in parts):
        say(f"compiled {' and '.join(native.PARTS)} are up to date")
        return []
    try:
        import mypyc.build  # noqa: F401
    except ImportError:
        say("mypyc is not installed: the routing core and simulator stay pure Python")
        return []
    try:
        return _mypycify(parts)
    except BaseException as exc:  # mypyc exits via SystemExit on type errors
        say(f"mypyc could not translate the routing core and simulator ({exc!r}): "
            "the simulator stays pure Python; trying the routing core alone")
    try:
        return _mypycify([part for part in parts if not part.needs])
    except BaseException as exc:
        say(f"mypyc could not translate the routing core ({exc!r}): it stays pure Python")
        return []


def _part_of(ext: Any) -> Any:
    """The compiled package an extension belongs to (`routing.engine`, `simulator._sim__mypyc`)."""
    return native.PARTS[ext.name.split(".")[0]]


# The sources as they are compiled, by package, and this build's id (in every manifest: a
# library is used only with the libraries of the same build it calls).
HASHES = {name: part.hashes(ROOT / name) for name, part in native.PARTS.items()}
BUILD = uuid.uuid4().hex


class BuildCore(build_ext):
    """build_ext that falls back to pure Python instead of failing, and writes the
    manifest the import guard checks (per package, only after every module built)."""

    def copy_file(self, infile: Any, outfile: Any, *args: Any, **kwargs: Any) -> Any:
        # A new file, not the old one rewritten in place: a running process that has the
        # old library mapped keeps it intact.
        if str(outfile).endswith(".so") and os.path.exists(outfile):
            os.unlink(outfile)
        return super().copy_file(infile, outfile, *args, **kwargs)

    def _target(self, part: Any) -> Path:
        return ROOT / part.package if self._in_place else Path(self.build_lib) / part.package

    def run(self) -> None:
        if not self.extensions:
            return
        # Read once: setuptools' run clears `inplace` while it builds, and a failure leaves
        # it cleared.
        self._in_place = bool(self.inplace)
        built = {_part_of(ext).package for ext in self.extensions}
        parts = [part for part in native.PARTS.values() if part.package in built]
        for part in parts:
            (self._target(part) / native.MANIFEST).unlink(missing_ok=True)
        compiler = self.compiler  # the option (a name or None): `run` replaces it with an object
        failed: set[str] = set()
        for part in parts:  # the core first: the simulator needs it
            self.compiler = compiler
            missing = [name for name in part.needs if name in failed or name not in built]
            if missing:
                say(f"{part.package} stays pure Python: its compiled code needs "
                    f"{' and '.join(missing)} compiled")
                self._drop(part)
                continue
            if not self._run_part(part, [e for e in self.extensions if _part_of(e) is part]):
                failed.add(part.package)

    def _drop(self, part: Any) -> None:
        """Remove PART's compiled files: its pure Python loads instead."""
        for name in [*part.modules, part.group.split(".")[-1] + "__mypyc"]:
            for built in self._target(part).glob(f"{name}.*.so"):
                built.unlink()

    def _run_part(self, part: Any, extensions: list[Any]) -> bool:
        """build_ext's run over one package's extensions: the simulator failing leaves the
        core compiled. Whether it compiled."""
        target = self._target(part)
        everything = self.extensions
        self.extensions = extensions
        try:
            super().run()
        except Exception as exc:  # CompileError, LinkError, a missing gcc ...
            why = f"{type(exc).__name__}: {str(exc)[:200]}"
            say(f"compiling {part.package} failed ({why}): installing it as pure Python")
            self._drop(part)
            return False
        finally:
            self.extensions = everything
        target.mkdir(parents=True, exist_ok=True)
        native.write_manifest(target, HASHES[part.package], part.group, BUILD)
        say(f"compiled {part.package} ({len(part.modules)} modules) into {target}")
        return True


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildCore})
