"""The SimPy simulator. Its per-lead modules are built with mypyc where a C compiler is
available; a stale or missing build, or LEADFLOW_PURE=1, runs them as pure Python (see
routing/_native.py)."""

from routing._native import guard as _guard

_guard("simulator")
