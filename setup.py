"""Build hook: compiles the routing core and the simulator's per-lead modules with mypyc,
each package into its own shared library (the lists are in `routing/_native.py`).

    python setup.py build_ext --inplace    # what scripts/test.sh runs; skips when up to date
    LEADFLOW_COMPILE=0 pip install .       # no compilation: the pure-Python core

Installing never fails because compiling does: without mypyc or a C compiler, or when
compiling fails, the build says so and installs that package as pure Python. Everything else about
the package is in pyproject.toml.
"""

from __future__ import annotations

import importlib.util
import os
import sys
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


def _part_extensions(part: Any) -> list[Any]:
    if _inplace() and native.status(part.root, part.package)[0]:
        say(f"compiled {part.package} is up to date")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        say(f"mypyc is not installed: {part.package} stays pure Python")
        return []
    paths = [f"{part.package}/{name}.py" for name in part.modules]
    try:
        return list(mypycify(paths, opt_level="3", debug_level="0", group_name=part.group))
    except BaseException as exc:  # mypyc exits via SystemExit on type errors
        say(f"mypyc could not translate {part.package} ({exc!r}): it stays pure Python")
        return []


def extensions() -> list[Any]:
    if os.environ.get("LEADFLOW_COMPILE", "1") == "0":
        say("LEADFLOW_COMPILE=0: not compiling; the routing core and simulator are pure Python")
        return []
    return [ext for part in native.PARTS.values() for ext in _part_extensions(part)]


def _part_of(ext: Any) -> Any:
    """The compiled package an extension belongs to (`routing.engine`, `simulator._sim__mypyc`)."""
    return native.PARTS[ext.name.split(".")[0]]


# The sources as they are compiled, by package.
HASHES = {name: part.hashes(ROOT / name) for name, part in native.PARTS.items()}


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
        return ROOT / part.package if self.inplace else Path(self.build_lib) / part.package

    def run(self) -> None:
        if not self.extensions:
            return
        parts = {_part_of(ext).package: _part_of(ext) for ext in self.extensions}
        for part in parts.values():
            (self._target(part) / native.MANIFEST).unlink(missing_ok=True)
        compiler = self.compiler  # the option (a name or None): `run` replaces it with an object
        for part in parts.values():
            self.compiler = compiler
            self._run_part(part, [e for e in self.extensions if _part_of(e) is part])

    def _run_part(self, part: Any, extensions: list[Any]) -> None:
        """build_ext's run over one package's extensions: one failing leaves the other."""
        target = self._target(part)
        everything = self.extensions
        self.extensions = extensions
        try:
            super().run()
        except Exception as exc:  # CompileError, LinkError, a missing gcc ...
            why = f"{type(exc).__name__}: {str(exc)[:200]}"
            say(f"compiling {part.package} failed ({why}): installing it as pure Python")
            for name in [*part.modules, part.group.split(".")[-1] + "__mypyc"]:
                for built in target.glob(f"{name}.*.so"):
                    built.unlink()
            return
        finally:
            self.extensions = everything
        target.mkdir(parents=True, exist_ok=True)
        native.write_manifest(target, HASHES[part.package], part.group)
        say(f"compiled {part.package} ({len(part.modules)} modules) into {target}")


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildCore})
