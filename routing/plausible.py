"""The implausible-time rule: an input far ahead of the time its stream is at is refused
(with this reason) instead of applied. One typo in a year (2062 for 2026) would otherwise
move event time decades on and fire every timer in between.

The limit is the policy's `inputs.max_ahead` (default 30d, docs/policy.md) against the
stream's own time (offline replay, the worker on its event clock), and the worker's
`--clock-skew` against its wall clock (the worker on the wall clock). Pure: the caller
gives both instants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

DEFAULT_MAX_AHEAD: Final = "30d"
NEG_INF: Final = float("-inf")


def too_far_ahead(t: float, reference: float, allowance_s: float) -> bool:
    """True when an input at T is more than ALLOWANCE_S ahead of REFERENCE (a stream
    that has no time yet, REFERENCE -inf, accepts any first input)."""
    return reference != NEG_INF and t - reference > allowance_s


def span(seconds: float) -> str:
    """A duration in the largest whole unit that reads well: "36.0 years", "12 days"."""
    s = abs(seconds)
    if s >= 365 * 86400:
        return f"{s / (365.25 * 86400):.1f} years"
    if s >= 2 * 86400:
        return f"{s / 86400:.0f} days"
    if s >= 2 * 3600:
        return f"{s / 3600:.0f} hours"
    if s >= 120:
        return f"{s / 60:.0f} minutes"
    return f"{s:.0f} seconds"


def ahead_reason(
    t: float, reference: float, allowance_s: float, fmt: Callable[[float], str],
    against: str = "the stream's time", setting: str = "policy `inputs.max_ahead`",
) -> str:  # fmt: skip
    """Why an input at T is refused: how far ahead of what, and the limit."""
    return (
        f"implausible time: `at` {fmt(t)} is {span(t - reference)} ahead of {against} "
        f"{fmt(reference)}; the limit is {span(allowance_s)} ({setting}). A typo in the "
        "date? Fix the event and send it again"
    )


def implausible(
    t: float, reference: float, allowance_s: float, fmt: Callable[[float], str],
    against: str = "the stream's time", setting: str = "policy `inputs.max_ahead`",
) -> str | None:  # fmt: skip
    """The reason to refuse an input at T, or None when it is plausible."""
    if too_far_ahead(t, reference, allowance_s):
        return ahead_reason(t, reference, allowance_s, fmt, against, setting)
    return None
