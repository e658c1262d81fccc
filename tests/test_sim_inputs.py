"""The simulator's hand-built input events (simulator.inputs) against validated ones, and
the instant it hands the core with them (`Inputs.at_s`, `Engine.apply(..., t=)`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing.engine import Engine
from routing.events import parse_event_object
from routing.outputs import epoch
from simulator.inputs import Inputs
from tests import builders

START = datetime(2026, 1, 6, 14, 0, tzinfo=UTC).timestamp()
# Whole seconds (arrivals, work times), and fractions (SLA points, follow-up spacing),
# one of them finer than a microsecond, which a datetime rounds.
INSTANTS = [START, START + 61.0, START + 0.25, START + 1234.5678, START + 7.0000004]


def validated(event: object) -> object:
    """The same event through pydantic: what `parse_event` would give for its JSON."""
    model = event.model_dump(mode="json", exclude_unset=True)  # type: ignore[attr-defined]
    return parse_event_object(model)


@pytest.mark.parametrize("t", INSTANTS)
def test_the_instant_given_to_the_core_is_the_one_its_datetime_says(t: float) -> None:
    inputs = Inputs()
    builders_ = [
        lambda: inputs.upserted(t, "L1", {"score": 70.0}),
        lambda: inputs.engaged(t, "L1", "content_download"),
        lambda: inputs.touched(t, "L1", "r1", "call", False),
        lambda: inputs.dispositioned(t, "L1", "r1", "accepted", "accepted"),
    ]
    for build in builders_:
        event = build()
        assert inputs.at_s == epoch(event.at)
        assert inputs.at_s == event.at.timestamp()
    if t != int(t):
        assert abs(inputs.at_s - t) <= 0.5e-6  # to the microsecond, as the datetime is


def test_hand_built_events_equal_validated_ones() -> None:
    inputs = Inputs()
    t = INSTANTS[3]
    for event in (
        inputs.upserted(t, "L1", {"score": 70.0, "fit": 80.0, "segment": "smb"}),
        inputs.engaged(t, "L1", "demo_request"),
        inputs.touched(t, "L1", "r1", "email", True),
        inputs.dispositioned(t, "L1", "r1", "rejected", "bad_fit"),
    ):
        again = validated(event)
        assert type(again) is type(event)
        assert again.model_dump() == event.model_dump()  # type: ignore[attr-defined]
        assert again.model_fields_set == event.model_fields_set  # type: ignore[attr-defined]


def _run(with_t: bool) -> list[str]:
    """One lead's way (MQL, assigned, touched late, dispositioned) at fractional instants,
    with or without the instant handed over; the decisions as JSON lines."""
    from routing.replay import dumps

    engine = Engine(builders.policy(reps=[builders.rep("r1")]))
    inputs = Inputs()
    tue = builders.tue().timestamp()
    steps = [
        lambda: inputs.upserted(
            tue + 0.3,
            "L1",
            {
                "score": 90.0,
                "fit": 90.0,
                "segment": "smb",
                **{k: v for k, v in builders.COMPLETE.items()},
            },
        ),
        lambda: inputs.engaged(tue + 0.3, "L1", "demo_request"),
        lambda: inputs.touched(tue + 5 * 3600 + 0.1234567, "L1", "r1", "call", True),
        lambda: inputs.dispositioned(tue + 6 * 3600 + 0.5, "L1", "r1", "accepted", "accepted"),
    ]
    out: list[str] = []
    for step in steps:
        event = step()
        decisions = engine.apply(event, "", None, inputs.at_s) if with_t else engine.apply(event)
        out += [dumps(d) for d in decisions]
    out += [dumps(d) for d in engine.advance(tue + 30 * 86400)]
    return out


def test_handing_the_instant_over_decides_the_same() -> None:
    plain, given = _run(False), _run(True)
    assert plain == given
    kinds = [line.split('"type":"')[1].split('"')[0] for line in plain]
    assert "lead.assigned" in kinds and "sla.breached" in kinds  # the touch came late


def _lines() -> list[str]:
    from tests.replaying import GOLDEN
    from tests.worker_process import sample_lines

    golden = (GOLDEN / "generated.events.jsonl").read_text().splitlines()
    return [line.decode() for line in sample_lines()] + golden


def test_the_core_keeps_nothing_of_an_event_it_applied() -> None:
    """What lets `Inputs` refill one model per kind: after `apply`, neither the event nor
    its fields dict is referenced by the core (whatever the event did: qualified a
    lead, was refused, a duplicate, a rep's event)."""
    import sys

    from routing.errors import EventError
    from routing.events import parse_event
    from routing.policy.loader import load_policy
    from tests.replaying import GOLDEN

    engine = Engine(load_policy(GOLDEN / "overloaded.policy.yaml"))
    applied = 0
    for line in _lines():
        try:
            event = parse_event(line)
        except EventError:
            continue
        values = event.__dict__
        before = sys.getrefcount(event), sys.getrefcount(values)
        engine.apply(event, "test", line)
        assert (sys.getrefcount(event), sys.getrefcount(values)) == before, line
        applied += 1
    assert applied > 1000 and engine.stats["applied"] > 1000 and engine.stats["refused"] > 0


def test_each_kind_is_one_model_refilled() -> None:
    inputs = Inputs()
    first = inputs.touched(START, "L1", "r1", "call", False)
    again = inputs.touched(START + 60, "L2", "r2", "email", True)
    assert again is first
    assert (again.lead_id, again.rep_id, again.channel, again.outcome) == (
        "L2", "r2", "email", "connected",
    )
    assert again.event_id == "s2" and inputs.at_s == START + 60
    one = inputs.upserted(START, "L1", {"score": 70.0})
    other = inputs.upserted(START, "L2", {"score": 20.0, "fit": 10.0})
    same = inputs.upserted(START, "L3", {"score": 90.0})
    assert one is same and other is not one
    assert same.model_fields_set == {"event_id", "type", "at", "lead_id", "score"}
    assert (same.lead_id, same.score, same.fit) == ("L3", 90.0, None)
