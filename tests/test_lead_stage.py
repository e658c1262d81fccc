"""The lead stage without a broker: its desk (routing.desk) on one input partition, the
desk records it sends, and the pool side applying them (streams.desk_records) decide
what the one-process engine (`leadflow replay`) decides, although the two sides share
no object; after a "crash" the stage recovers its desk from a snapshot plus the input
after it, and what it sends again is dropped by id."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from routing.engine import Engine
from routing.outputs import Output
from routing.policy.loader import LoadedPolicy, load_policy
from routing.replay import dumps, replay
from streams.lead_stage import Invalid, LeadStage
from streams.records import apply_record
from streams.stage_state import ReadRange
from tests.builders import Events, at, policy, rep, tue
from tests.replaying import GOLDEN
from tests.streams import Stream, event_streams, generated_stream, overloaded_policy
from tests.worker_process import POLICY, sample_lines

SAMPLE = load_policy(POLICY)
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _stage(loaded: LoadedPolicy, path: Path) -> LeadStage:
    return LeadStage(loaded, "in", 0, snapshot_path=path, fork_snapshots=False)


def _reader(log: list[bytes]) -> ReadRange:
    async def records(start: int, end: int) -> AsyncIterator[tuple[int, bytes, int | None]]:
        for offset in range(start, end):
            yield offset, log[offset], None

    return records


def _lines(text: list[str]) -> list[bytes]:
    return [line.strip().encode() for line in text if line.strip()]


def split_run(loaded: LoadedPolicy, lines: list[bytes], path: Path) -> list[Output]:
    """Input -> lead stage -> routing records -> a pool-side engine of its own, then time
    passes to the end (as replay does)."""
    stage = _stage(loaded, path)
    asyncio.run(stage.recover(0, _reader(lines)))
    pool = Engine(loaded)
    out: list[Output] = []
    for offset, line in enumerate(lines):
        for record in stage.apply(offset, line):
            if not isinstance(record, Invalid):
                out += apply_record(pool, record)
    host = stage.loaded_state
    for record in host.advance(host.now):
        out += apply_record(pool, record)
    assert not pool.desk.leads.keys() - host.desk.leads.keys()
    return out + (pool.advance(pool.now) if pool.now != float("-inf") else [])


def comparable(outputs: list[Output]) -> list[str]:
    """Decisions as bytes. Rejections name their source (a file's line, a topic's offset):
    compared by what was refused and why; a line that is not an event at all is
    dead-lettered by the lead stage instead, so it is left out."""
    kept: list[str] = []
    for o in outputs:
        if o["type"] != "event.rejected":
            kept.append(dumps(o))
        elif not o["event_id"].endswith(":event.rejected:input"):
            kept.append(dumps({"raw": o["raw"], "reason": o["reason"], "at": o["at"]}))
    return kept


def test_the_split_stages_decide_what_replay_decides_on_the_sample(tmp_path: Path) -> None:
    lines = _lines([line.decode() for line in sample_lines()])
    got = split_run(SAMPLE, lines, tmp_path / "s")
    want = list(replay(Engine(SAMPLE), lines))
    assert comparable(got) == comparable(want)
    assert sum(o["type"] == "lead.assigned" for o in got) >= 3


def test_the_split_stages_give_the_generated_golden_decisions(tmp_path: Path) -> None:
    loaded = load_policy(GOLDEN / "overloaded.policy.yaml")
    lines = _lines((GOLDEN / "generated.events.jsonl").read_text().splitlines())
    got = split_run(loaded, lines, tmp_path / "s")
    want = list(replay(Engine(loaded), lines))
    assert comparable(got) == comparable(want)
    kinds = {o["type"] for o in got}
    assert {"lead.assigned", "surge.entered", "sla.breached", "lead.disqualified"} <= kinds


def test_the_split_stages_agree_on_a_larger_generated_stream(tmp_path: Path) -> None:
    lines = _lines(generated_stream(random.Random(11), 6000))
    got = split_run(overloaded_policy(), lines, tmp_path / "s")
    assert comparable(got) == comparable(list(replay(Engine(overloaded_policy()), lines)))


@PROPERTY
@given(event_streams(max_events=70, squeeze=0.4))
def test_the_split_stages_agree_on_random_streams(stream: Stream) -> None:
    import tempfile

    lines = _lines(stream.lines)
    with tempfile.TemporaryDirectory() as tmp:
        got = split_run(stream.loaded(), lines, Path(tmp) / "s")
    assert comparable(got) == comparable(list(replay(Engine(stream.loaded()), lines)))



# --- recovery -------------------------------------------------------------------------
def _deferral_log() -> tuple[LoadedPolicy, list[bytes], float]:
    """Leads L1..L4 become MQLs on Tuesday; L1 is deferred until the next Monday 10:00;
    more input follows on Wednesday. Returns the policy, the input and the deferral."""
    loaded = policy({"surge": None}, [rep("a", "commercial"), rep("b", "commercial")])
    ev = Events()
    back = at(2026, 1, 12, 10)
    events = [
        *ev.mql("L1", tue(10)),
        *ev.mql("L2", tue(10, 5)),
        ev.touched("L1", tue(10, 30), "a"),
        ev.disposition("L1", tue(11), "a", "deferred", defer_until=back),
        *ev.mql("L3", tue(12)),
        *ev.mql("L4", at(2026, 1, 7, 9)),
        ev.touched("L3", at(2026, 1, 7, 10), "a"),
    ]
    lines = [e.model_dump_json(exclude_unset=True).encode() for e in events]
    return loaded, lines, back.timestamp()


def _pool_outputs(loaded: LoadedPolicy, routing: list[bytes], end: float) -> list[Output]:
    pool = Engine(loaded)
    out = [o for record in routing for o in apply_record(pool, record)]
    return out + pool.advance(end)


def _send(stage: LeadStage, lines: list[bytes], start: int, routing: list[bytes]) -> None:
    for offset in range(start, len(lines)):
        routing += [r for r in stage.apply(offset, lines[offset]) if isinstance(r, bytes)]


def _uninterrupted(loaded: LoadedPolicy, lines: list[bytes], back: float, path: Path) -> list[str]:
    stage = _stage(loaded, path)
    asyncio.run(stage.recover(0, _reader(lines)))
    routing: list[bytes] = []
    _send(stage, lines, 0, routing)
    routing += stage.loaded_state.advance(back + 3600)
    return [dumps(o) for o in _pool_outputs(loaded, routing, back + 7200)]


def test_a_recovered_lead_stage_qualifies_nobody_twice_and_fires_a_missed_deferral_once(
    tmp_path: Path,
) -> None:
    """The stage snapshots after input 4, sends up to input 7, and is killed before the
    deferral is due. A new stage recovers from the snapshot and the input after it up to
    the committed offset (6), then goes on live from there: it sends inputs 6.. again
    (same ids: the pool side drops them) and fires the deferral, which fell due while it
    was down, exactly once."""
    loaded, lines, back = _deferral_log()
    first = _stage(loaded, tmp_path / "lead-0.snapshot")
    asyncio.run(first.recover(0, _reader(lines)))
    routing: list[bytes] = []
    _send(first, lines[:5], 0, routing)
    first.snapshot(now=0.0)
    _send(first, lines[:8], 5, routing)
    del first  # killed: nothing after this is sent

    second = _stage(loaded, tmp_path / "lead-0.snapshot")
    assert asyncio.run(second.recover(6, _reader(lines))) != []  # re-decided, not sent
    assert second.recovered == 1 and second.recovered_from == "file"
    _send(second, lines, 6, routing)
    routing += second.loaded_state.advance(back + 3600)

    out = _pool_outputs(loaded, routing, back + 7200)
    assert len(routing) > len(lines)  # some records were sent twice
    assert [dumps(o) for o in out] == _uninterrupted(loaded, lines, back, tmp_path / "u")
    assigned = [o["event_id"] for o in out if o["type"] == "lead.assigned"]
    assert len(assigned) == len(set(assigned)) == 5  # L1..L4, and L1 again once
    assert [i for i in assigned if i.startswith("L1#1@defer")] == ["L1#1@defer:lead.assigned:L1"]


def test_a_deferral_fired_before_the_kill_is_not_fired_again(tmp_path: Path) -> None:
    """Fired and sent before the kill, after the last snapshot: the recovered stage fires
    it again (it cannot know), with the same id, and the pool side drops it."""
    loaded, lines, back = _deferral_log()
    first = _stage(loaded, tmp_path / "lead-0.snapshot")
    asyncio.run(first.recover(0, _reader(lines)))
    routing: list[bytes] = []
    _send(first, lines, 0, routing)
    first.snapshot(now=0.0)
    routing += first.loaded_state.advance(back + 3600)
    fired = routing[-1]

    second = _stage(loaded, tmp_path / "lead-0.snapshot")
    asyncio.run(second.recover(len(lines), _reader(lines)))
    again = second.loaded_state.advance(back + 3600)
    assert again == [fired]
    routing += again
    out = _pool_outputs(loaded, routing, back + 7200)
    assert [dumps(o) for o in out] == _uninterrupted(loaded, lines, back, tmp_path / "u")
    assert len([o for o in out if o["event_id"].startswith("L1#1@defer:lead.assigned")]) == 1
