"""A rep who joins by `rep.upserted` is on the team for every input partition: with four
partitions, the event lands on its rep's partition only, and the leads that rep touches
and dispositions are on the others. The lead stage gives the event to every desk it
holds at its place in the merged event-time order, so the team check of a touch or a
disposition (routing.desk: a rep not on the team is refused) decides what `leadflow
replay` of the same events in event-time order decides: refused before the rep joined,
accepted after."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord

from routing.engine import Engine
from routing.order import in_event_time_order
from routing.policy.loader import load_policy
from routing.replay import replay
from tests.builders import Events, tue
from tests.test_worker_order import PARTITIONS, assert_same_decisions, partition_of
from tests.worker_outcome import EVENT_ID, event_key, replay_in_event_time_order
from tests.worker_process import POLICY, WorkerRig, worker_rig_fixture  # noqa: F401

NEW_REP = "rep-new"


def _leads_off(avoid: int, n: int) -> list[str]:
    """`n` lead ids none of which is on partition `avoid`."""
    leads, i = [], 0
    while len(leads) < n:
        i += 1
        if partition_of(f"L-team-{i}".encode()) != avoid:
            leads.append(f"L-team-{i}")
    return leads


async def test_a_rep_upserted_on_one_partition_is_on_the_team_for_all(
    worker_rig: WorkerRig,
) -> None:
    rig = worker_rig
    rig.partitions = PARTITIONS
    await rig.create_input()
    ev = Events("t")
    home = partition_of(NEW_REP.encode())
    early, late, third = _leads_off(home, 3)
    events = [
        *ev.mql(early, tue(8)),
        ev.touched(early, tue(8, 30), NEW_REP),  # before the rep joined: refused
        ev.rep_upserted(NEW_REP, tue(9), ["commercial"]),
        *ev.mql(late, tue(10)),
        *ev.mql(third, tue(10, 1)),
        ev.touched(late, tue(10, 30), NEW_REP),  # after: a touch
        ev.touched(third, tue(10, 31), NEW_REP, channel="email"),
        ev.touched(early, tue(11), NEW_REP),
        ev.disposition(late, tue(12), NEW_REP, "accepted"),
    ]
    lines = [e.model_dump_json(exclude_unset=True).encode() for e in events]
    assert {partition_of(event_key(x)) for x in lines[3:]} - {home}, "leads elsewhere"
    where = await rig.produce_keyed(lines, event_key, rate=1000)
    rig.start("--clock", "event")  # the input waits on the broker: merged exactly
    await rig.ready()

    # `leadflow replay` of the events in event-time order (a refusal named by where its
    # input was read, as the worker names it)
    everything = replay_in_event_time_order(
        Engine(load_policy(POLICY)), list(zip(lines, where, strict=True))
    )
    plain = replay(Engine(load_policy(POLICY)), in_event_time_order(lines))
    assert [d["type"] for d in everything] == [d["type"] for d in plain]
    expected = [d for d in everything if d["type"] != "event.rejected"]
    refused = {d["event_id"] for d in everything if d["type"] == "event.rejected"}
    # Replay refuses the touch before the rep joined and takes every one after it.
    (refusal,) = [d for d in everything if d["type"] == "event.rejected"]
    assert str(refusal["event_id"]).endswith(events[2].event_id)
    touches = {e.event_id for e in events if e.type in ("lead.touched", "lead.dispositioned")}
    taken = {str(d["event_id"]).split(":")[0] for d in expected}
    assert len(touches & taken) >= 2, "the touches after the rep joined decided something"

    def complete(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        out = sum(r.topic != rig.deadletter for r in records)
        dead = sum(r.topic == rig.deadletter for r in records)
        return out >= len(expected) and dead >= len(refused)  # type: ignore[no-any-return]

    records = await rig.read([rig.assignments, rig.alerts, rig.deadletter], complete)
    assert_same_decisions(rig, records, expected)
    dead = [dict(r.headers) for r in records if r.topic == rig.deadletter]
    assert {h[EVENT_ID].decode() for h in dead} == refused
