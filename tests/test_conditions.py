"""Policy conditions (`mql`, tier and pool `when`) as `routing.lead.Condition` evaluates
them: every entry must hold; scalars are equality, lists membership, ranges inclusive;
strings compare case-insensitively; a missing field never matches."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.lead import Condition
from routing.policy.conditions import Range

FIELDS = ["score", "fit", "engagements", "segment", "demo_requested"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=120),
    st.floats(min_value=-5, max_value=120, allow_nan=False),
    st.sampled_from(["Enterprise", "enterprise", "SMB", "mid_market", ""]),
)
RANGES = st.builds(
    lambda lo, hi: Range(min=lo, max=None if hi is None or lo is None else max(lo, hi))
    if lo is not None
    else Range(max=hi if hi is not None else 50),
    st.one_of(st.none(), st.integers(0, 100)),
    st.one_of(st.none(), st.integers(0, 100)),
)
MATCHERS = st.one_of(
    RANGES,
    st.booleans(),
    st.sampled_from(["enterprise", "SMB", 80, 1.5]),
    st.lists(st.sampled_from(["enterprise", "smb", "Mid_Market", 3, True]), max_size=3),
)


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def holds(field: str, matcher: Any, facts: dict[str, Any]) -> bool:
    """The language, entry by entry (routing/policy/conditions.py)."""
    value = facts.get(field)
    if isinstance(matcher, Range):
        if value is None or isinstance(value, (bool, str)):
            return False
        lo = matcher.min if matcher.min is not None else float("-inf")
        hi = matcher.max if matcher.max is not None else float("inf")
        return lo <= value <= hi
    if isinstance(matcher, list):
        return _norm(value) in {_norm(v) for v in matcher}
    return bool(_norm(value) == _norm(matcher))


@settings(max_examples=500, deadline=None)
@given(
    condition=st.dictionaries(st.sampled_from(FIELDS), MATCHERS, max_size=4),
    facts=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5),
)
def test_a_condition_holds_when_every_entry_holds(
    condition: dict[str, Any], facts: dict[str, Any]
) -> None:
    ranged = [f for f, m in condition.items() if isinstance(m, Range)]
    if any(isinstance(facts.get(f), str) for f in ranged):
        return  # a range on a text field: not something a valid policy and lead give
    want = all(holds(field, matcher, facts) for field, matcher in condition.items())
    assert Condition(condition)(facts) is want


def test_examples() -> None:
    mql = Condition({"score": Range(min=50), "fit": Range(min=70), "engagements": Range(min=1)})
    assert mql({"score": 50, "fit": 70, "engagements": 1})
    assert not mql({"score": 49, "fit": 99, "engagements": 5})
    assert not mql({"score": 90, "fit": 90})  # a missing field never matches
    assert not mql({"score": True, "fit": 90, "engagements": 1})  # a flag is not a number
    assert Condition({})({})  # an empty condition matches every lead
    assert Condition({"segment": ["Enterprise", "smb"]})({"segment": "SMB"})
    assert Condition({"segment": "enterprise"})({"segment": "ENTERPRISE"})
    assert not Condition({"demo_requested": True})({"demo_requested": None})
