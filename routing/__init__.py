"""The routing core. Built with mypyc where a C compiler is available; a stale or missing
build, or LEADFLOW_PURE=1, runs the same modules as pure Python (see routing/_native.py)."""

from routing._native import guard as _guard

_guard()
