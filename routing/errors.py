"""The one base exception of the routing core, and its precise children."""

from __future__ import annotations

from typing import Any


class LeadflowError(Exception):
    """Base class of every error leadflow raises on purpose."""


class PolicyError(LeadflowError):
    """A policy or team file is wrong. Each problem names file, key path, value, expectation."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class PolicyProblem:
    """One mistake in a policy file: where it is, what was found, what was expected."""

    __slots__ = ("expected", "file", "line", "path", "value")

    def __init__(
        self, file: str, path: str, value: Any, expected: str, line: int | None = None
    ) -> None:
        self.file = file
        self.path = path
        self.value = value
        self.expected = expected
        self.line = line

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        got = "nothing (the key is missing)" if self.value is _MISSING else repr(self.value)
        return f"{where}: {self.path or '(top level)'}: {self.expected}; got {got}"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
MISSING: Any = _MISSING


class EventError(LeadflowError):
    """An input event is not valid; the reason is said in words."""
