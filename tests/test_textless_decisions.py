"""`Engine(texts=False)`: the same decisions, fields and order, without their text.

The simulator runs the core this way (it reads what was decided, never the ids, times or
explanations). Replayed side by side with a normal engine, every decision must match
field by field, except the text fields (empty or shorter in the textless one); and the
hot text fields (`event_id`, `at`, the `why` of a placement) must actually be empty there.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings

from routing.engine import Engine
from routing.outputs import Output, TimeFormat, Untimed
from routing.policy.loader import LoadedPolicy, load_policy
from routing.replay import replay
from tests.replaying import GOLDEN
from tests.streams import Stream, event_streams, generated_stream, overloaded_policy
from tests.worker_process import POLICY, sample_lines

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Fields that carry text only: an id, times, explanations.
TEXT = {"event_id", "at", "due", "done_at", "mql_at", "first_touch_due", "why"}


def both(loaded: LoadedPolicy, lines: list[str]) -> tuple[list[Output], list[Output]]:
    full = list(replay(Engine(loaded), lines))
    textless = list(replay(Engine(loaded, texts=False), lines))
    return full, textless


def assert_same_decisions(full: list[Output], textless: list[Output]) -> dict[str, int]:
    """Field by field; returns how many text fields differ, by name."""
    assert len(full) == len(textless)
    emptied: dict[str, int] = {}
    for a, b in zip(full, textless, strict=True):
        assert list(a) == list(b), (a, b)  # the same fields, in the same order
        for key, value in a.items():
            if b[key] == value:
                continue
            assert key in TEXT and isinstance(b[key], str), (key, a, b)
            emptied[key] = emptied.get(key, 0) + 1
    return emptied


def _emptied_hot_fields(full: list[Output], textless: list[Output]) -> None:
    for a, b in zip(full, textless, strict=True):
        assert b["event_id"] == b["at"] == "" and a["event_id"] != "" and a["at"] != ""
        if a["type"] in ("lead.assigned", "lead.queued") and "why" in a:
            assert b["why"] == ""


def test_the_sample_stream_decides_the_same_without_text() -> None:
    lines = [line.decode() for line in sample_lines()]
    full, textless = both(load_policy(POLICY), lines)
    emptied = assert_same_decisions(full, textless)
    _emptied_hot_fields(full, textless)
    assert emptied["why"] >= 3 and emptied["at"] == emptied["event_id"] == len(full)


def test_the_golden_stream_decides_the_same_without_text() -> None:
    loaded = load_policy(GOLDEN / "overloaded.policy.yaml")
    lines = (GOLDEN / "generated.events.jsonl").read_text().splitlines()
    full, textless = both(loaded, lines)
    assert_same_decisions(full, textless)
    _emptied_hot_fields(full, textless)
    kinds = {o["type"] for o in textless}
    assert {"lead.assigned", "lead.queued", "surge.entered", "sla.breached"} <= kinds


def test_a_larger_generated_stream_decides_the_same_without_text() -> None:
    lines = generated_stream(random.Random(23), 6000)
    full, textless = both(overloaded_policy(), lines)
    assert_same_decisions(full, textless)


@PROPERTY
@given(event_streams(max_events=70, squeeze=0.4))
def test_random_streams_decide_the_same_without_text(stream: Stream) -> None:
    full, textless = both(stream.loaded(), stream.lines)
    assert_same_decisions(full, textless)


def test_untimed_formats_when_called_and_leaves_decision_times_empty() -> None:
    from zoneinfo import ZoneInfo

    zone: Any = ZoneInfo("America/New_York")
    t = 1_767_711_600.25  # 2026-01-06 10:00:00.250 in New York
    assert Untimed(zone).text(t) == ""
    assert Untimed(zone)(t) == TimeFormat(zone)(t) == "2026-01-06T10:00:00.250-05:00"
