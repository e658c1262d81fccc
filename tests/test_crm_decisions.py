"""Must-show 1: recorded HubSpot and Salesforce webhook payloads (tests/data/crm, written
from the vendors' documentation) go through `leadflow ingest` and the worker on the real
broker, and give the decisions that `leadflow replay` gives for the equivalent leadflow
events (tests/data/crm/equivalent.jsonl, written by hand), byte for byte, in order."""

from __future__ import annotations

import orjson

from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import dumps, replay
from streams.records import ASSIGNMENT_TYPES
from tests.crm_rig import DATA, EXAMPLES, ingest_rig
from tests.worker_process import POLICY, WorkerRig, worker_rig_fixture  # noqa: F401

TEAM = EXAMPLES / "team.yaml"


async def test_crm_payloads_give_the_decisions_of_their_equivalent_events(
    worker_rig: WorkerRig,
) -> None:
    rig = worker_rig
    await rig.create_input()
    rig.start("--clock", "event", "--team", str(TEAM))
    await rig.ready()
    async for ingest in ingest_rig(rig.bootstrap, events=rig.events):
        status, answer = await ingest.hubspot((DATA / "hubspot_contacts.json").read_bytes())
        assert status == 200, answer
        assert (answer["accepted"], answer["duplicate"], answer["ignored"]) == (20, 1, 2)
        assert "refused" not in answer
        status, answer = await ingest.post(
            "/v1/hooks/salesforce", (DATA / "salesforce_events.json").read_bytes()
        )
        assert status == 200, answer
        assert (answer["accepted"], answer["ignored"]) == (4, 1) and "refused" not in answer

    lines = (DATA / "equivalent.jsonl").read_bytes().splitlines()
    expected = list(replay(Engine(load_policy(POLICY, TEAM)), lines))
    assert expected and not [d for d in expected if d["type"] == "event.rejected"]
    assert {d["type"] for d in expected} >= {"lead.assigned", "sla.met"}
    records = await rig.read([rig.assignments, rig.alerts], lambda rs: len(rs) >= len(expected))
    got = {rig.assignments: [], rig.alerts: []}
    for record in records:
        got[record.topic].append((record.value or b"").decode())
    assert got[rig.assignments] == [dumps(d) for d in expected if d["type"] in ASSIGNMENT_TYPES]
    assert got[rig.alerts] == [dumps(d) for d in expected if d["type"] not in ASSIGNMENT_TYPES]
    # The Salesforce call was logged by rep-05's CRM user: the touch is rep-05's.
    touch = [orjson.loads(v) for v in got[rig.alerts] if '"first_touch"' in v]
    assert touch and touch[0]["rep_id"] == "rep-05"
