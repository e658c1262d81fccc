"""Intent spikes: a pricing-page visit plus three email opens within 48 hours is surfaced
to the owning rep at once, once per spike."""

from __future__ import annotations

import pytest

from tests.builders import Events, at, engine, later, ny, of, one, rep, run, tue

SIGNALS = {"pricing_page_visit": 1, "email_open": 3}


def _engine():
    return engine({"surge": None}, [rep("a")])


def _lead(ev: Events, lead_id: str = "L1", score: float = 70):
    """An MQL (assigned to a) whose qualifying engagement is not a signal."""
    return ev.mql(lead_id, tue(9), score=score)


def _opens(ev: Events, times, lead_id: str = "L1"):
    return [ev.engaged(lead_id, t, "email_open") for t in times]


def test_spike_when_pricing_visit_and_three_opens_within_48h() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [
            _lead(ev),
            *_opens(ev, [tue(10), at(2026, 1, 7, 10)]),
            ev.engaged("L1", at(2026, 1, 7, 15), "pricing_page_visit"),
            *_opens(ev, [at(2026, 1, 8, 9, 30)]),  # the third open completes it
        ],
    )
    s = one(out, "intent.spike", lead_id="L1")
    assert s["at"] == ny(at(2026, 1, 8, 9, 30))
    assert s["signals"] == SIGNALS
    assert s["rep_id"] == "a"


@pytest.mark.parametrize(
    "activities",
    [
        ["email_open", "email_open", "pricing_page_visit"],  # two opens
        ["email_open", "email_open", "email_open"],  # no pricing visit
        ["email_open", "email_open", "content_download", "pricing_page_visit"],
        ["pricing_page_visit", "pricing_page_visit", "email_open", "email_open"],
    ],
)
def test_no_spike_unless_every_signal_count_is_met(activities) -> None:
    eng = _engine()
    ev = Events()
    events = [_lead(ev)]
    events += [ev.engaged("L1", tue(10, i), a) for i, a in enumerate(activities)]
    out = run(eng, events)
    assert not of(out, "intent.spike")


def test_signals_older_than_48h_do_not_count() -> None:
    eng = _engine()
    ev = Events()
    first = tue(10)
    out = run(
        eng,
        [
            _lead(ev),
            *_opens(ev, [first]),
            # 48h01m later: the first open has left the window.
            *_opens(ev, [later(first, hours=48, minutes=1), later(first, hours=48, minutes=2)]),
            ev.engaged("L1", later(first, hours=48, minutes=3), "pricing_page_visit"),
        ],
    )
    assert not of(out, "intent.spike")
    out = run(eng, _opens(ev, [later(first, hours=49)]))
    assert one(out, "intent.spike")["at"] == ny(later(first, hours=49))


def test_window_spans_a_weekend_in_calendar_hours() -> None:
    eng = _engine()
    ev = Events()
    fri = at(2026, 1, 9, 16)
    sun = at(2026, 1, 11, 15)  # 47 calendar hours later: within 48h
    out = run(
        eng,
        [
            _lead(ev),
            *_opens(ev, [fri, later(fri, minutes=1), later(fri, minutes=2)]),
            ev.engaged("L1", sun, "pricing_page_visit"),
        ],
    )
    assert one(out, "intent.spike")["at"] == ny(sun)


def test_spike_fires_once_then_rearms_after_the_window_empties() -> None:
    eng = _engine()
    ev = Events()
    t0 = tue(10)
    burst = [
        ev.engaged("L1", t0, "pricing_page_visit"),
        *_opens(ev, [later(t0, minutes=1), later(t0, minutes=2), later(t0, minutes=3)]),
    ]
    out = run(eng, [_lead(ev), *burst])
    assert len(of(out, "intent.spike")) == 1
    # Still spiking: more signals inside the window do not fire again.
    out = run(
        eng,
        [
            *_opens(ev, [later(t0, hours=1)]),
            ev.engaged("L1", later(t0, hours=2), "pricing_page_visit"),
        ],
    )
    assert not of(out, "intent.spike")
    # Three days later the window has emptied: a fresh burst is a new spike.
    t1 = later(t0, days=3)
    again = [
        *_opens(ev, [t1, later(t1, minutes=1), later(t1, minutes=2)]),
        ev.engaged("L1", later(t1, minutes=3), "pricing_page_visit"),
    ]
    out = run(eng, again)
    s = one(out, "intent.spike")
    assert s["at"] == ny(later(t1, minutes=3)) and s["signals"] == SIGNALS


def test_spike_on_unassigned_lead_has_no_rep_id() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [
            ev.upsert("L1", tue(9), score=30, fit=80, segment="smb"),  # not an MQL
            *_opens(ev, [tue(10), tue(10, 1), tue(10, 2)]),
            ev.engaged("L1", tue(10, 3), "pricing_page_visit"),
        ],
    )
    s = one(out, "intent.spike", lead_id="L1")
    assert "rep_id" not in s
    assert not of(out, "lead.assigned")


def test_spike_names_the_current_owner_after_a_reassignment() -> None:
    eng = engine({"surge": None}, [rep("a"), rep("b")])
    ev = Events()
    out = run(
        eng,
        [
            _lead(ev),  # a
            ev.status("a", tue(9, 30), "pto"),  # handed to b
            *_opens(ev, [tue(10), tue(10, 1), tue(10, 2)]),
            ev.engaged("L1", tue(10, 3), "pricing_page_visit"),
        ],
    )
    one(out, "lead.reassigned", lead_id="L1", rep_id="b")
    assert one(out, "intent.spike")["rep_id"] == "b"


def test_disqualified_lead_raises_no_spike() -> None:
    eng = _engine()
    ev = Events()
    out = run(
        eng,
        [
            ev.upsert("L1", tue(9), role="student", score=90, fit=90),
            *_opens(ev, [tue(10), tue(10, 1), tue(10, 2)]),
            ev.engaged("L1", tue(10, 3), "pricing_page_visit"),
        ],
    )
    one(out, "lead.disqualified", lead_id="L1")
    assert not of(out, "intent.spike")
