"""`leadflow info` and `leadflow --version`: the version, and whether the routing core runs
compiled (mypyc) or as pure Python, and why."""

from __future__ import annotations

import argparse
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from routing import _native


def core_line() -> str:
    """"routing core: compiled (mypyc, 18 modules)" or "routing core: pure Python (why)"."""
    if _native.loaded_compiled():
        return f"routing core: compiled (mypyc, {len(_native.COMPILED)} modules)"
    return f"routing core: pure Python ({_native.STATE['reason']})"


def simulator_line() -> str:
    """"simulator: compiled (mypyc, 5 modules)" or "simulator: pure Python (why)"."""
    if _native.loaded_compiled("simulator"):
        return f"simulator: compiled (mypyc, {len(_native.SIMULATOR)} modules)"
    return f"simulator: pure Python ({_native.STATES['simulator']['reason']})"


def version_line() -> str:
    try:
        number = version("leadflow")
    except PackageNotFoundError:
        number = "unknown"
    return f"leadflow {number}; {core_line()}"


def register(sub: Any) -> None:
    """Add the `info` command to the `leadflow` sub-command parsers."""
    from leadflow.helptext import command

    p = command(
        sub,
        "info",
        help="version, Python, and whether the routing core is compiled",
        description="Print leadflow's version, the Python that runs it, and whether the "
        "routing core and the simulator run compiled (mypyc) or as pure Python, and why. "
        "Include it when you report a problem.",
        examples="leadflow info\nleadflow --version",
    )
    p.set_defaults(run=_info)


def _info(args: argparse.Namespace) -> int:
    print(version_line())
    print(f"python: {platform.python_implementation()} {platform.python_version()} "
          f"({sys.executable})")
    if _native.loaded_compiled():
        print(f"compiled modules: {', '.join(_native.COMPILED)}")
    print(simulator_line())
    print("LEADFLOW_PURE=1 forces pure Python; LEADFLOW_COMPILE=0 at install skips compiling; "
          "`python setup.py build_ext --inplace` (re)builds a checkout.")
    return 0
