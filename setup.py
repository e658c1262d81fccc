"""Build hook: compiles the routing core with mypyc (the list is `routing/_native.py`).

    python setup.py build_ext --inplace    # what scripts/test.sh runs; skips when up to date
    LEADFLOW_COMPILE=0 pip install .       # no compilation: the pure-Python core

Installing never fails because compiling does: without mypyc or a C compiler, or when
compiling fails, the build says so and installs the pure-Python core. Everything else about
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


def extensions() -> list[Any]:
    if os.environ.get("LEADFLOW_COMPILE", "1") == "0":
        say("LEADFLOW_COMPILE=0: not compiling; the routing core is pure Python")
        return []
    if _inplace() and native.status()[0]:
        say("compiled routing core is up to date")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        say("mypyc is not installed: the routing core is pure Python")
        return []
    paths = [f"routing/{name}.py" for name in native.COMPILED]
    try:
        return list(mypycify(paths, opt_level="3", debug_level="0", group_name=native.GROUP))
    except BaseException as exc:  # mypyc exits via SystemExit on type errors
        say(f"mypyc could not translate the routing core ({exc!r}): it stays pure Python")
        return []


HASHES = native.source_hashes(ROOT / "routing")  # the sources as they are compiled


class BuildCore(build_ext):
    """build_ext that falls back to pure Python instead of failing, and writes the
    manifest the import guard checks (only after every module built)."""

    def copy_file(self, infile: Any, outfile: Any, *args: Any, **kwargs: Any) -> Any:
        # A new file, not the old one rewritten in place: a running process that has the
        # old library mapped keeps it intact.
        if str(outfile).endswith(".so") and os.path.exists(outfile):
            os.unlink(outfile)
        return super().copy_file(infile, outfile, *args, **kwargs)

    def run(self) -> None:
        if not self.extensions:
            return
        target = ROOT / "routing" if self.inplace else Path(self.build_lib) / "routing"
        (target / native.MANIFEST).unlink(missing_ok=True)
        try:
            super().run()
        except Exception as exc:  # CompileError, LinkError, a missing gcc ...
            why = f"{type(exc).__name__}: {str(exc)[:200]}"
            say(f"compiling the routing core failed ({why}): installing it as pure Python")
            for name in [*native.COMPILED, native.GROUP.split(".")[-1] + "__mypyc"]:
                for built in target.glob(f"{name}.*.so"):
                    built.unlink()
            return
        target.mkdir(parents=True, exist_ok=True)
        native.write_manifest(target, HASHES)
        say(f"compiled the routing core ({len(native.COMPILED)} modules) into {target}")


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildCore})
