"""Must-show 4: the owner write-back end to end. Every assignment and reassignment of a
5,000-lead run (the benchmark generator's stream, replayed by the core; its decisions
produced onto the assignments topic as the worker publishes them) reaches a local server
standing in for the CRM once, in order per lead, with the rep's CRM owner id, although the
sink is SIGKILLed part way and the server then answers 503 for 30 seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import yaml
from aiokafka import AIOKafkaProducer

from benchmarks.generate import generate
from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay
from streams.records import decision_key
from tests.crm_server import HUBSPOT_TOKEN, SALESFORCE_TOKEN, FakeCrm
from tests.kafka_harness import create_topic, poll_until, unique_name
from tests.worker_process import settle

LEADS = 5000
DOWN_S = 30.0
TYPES = ("lead.assigned", "lead.reassigned")


def _decisions(tmp: Path) -> tuple[list[dict[str, Any]], Path]:
    """The decisions of a 5,000-lead, 4-week generated stream; and a team file whose reps
    have CRM owner ids."""
    stream = tmp / "gen" / "stream.jsonl"
    generate(LEADS, 50, stream, seed=11, weeks=4)
    engine = Engine(load_policy(stream.parent / "policy.yaml"))
    with stream.open(encoding="utf-8") as lines:
        decisions = list(replay(engine, lines))
    team = yaml.safe_load((stream.parent / "team.yaml").read_text())
    reps = team["reps"] if isinstance(team, dict) else team
    # Reps the stream adds at run time (rep.upserted) are in the sink's team file too.
    listed = {rep["id"] for rep in reps}
    added = sorted({d["rep_id"] for d in decisions if d["type"] in TYPES} - listed)
    reps += [{"id": rep_id, "pools": ["bench"]} for rep_id in added]
    for rep in reps:
        rep["crm_owner"] = {"hubspot": f"hs-owner-{rep['id']}", "salesforce": f"005{rep['id']}"}
    path = tmp / "team-crm.yaml"
    path.write_text(yaml.safe_dump(team), encoding="utf-8")
    return decisions, path


def _crm(lead_id: str) -> tuple[str, str]:
    """Which CRM and record the sink is told to write (the prefixes set below)."""
    if lead_id.startswith("L-004"):
        return "salesforce", lead_id.removeprefix("L-004")
    return "hubspot", lead_id.removeprefix("L-00")


async def test_every_assignment_reaches_the_crm_once_in_order_across_kill_and_outage(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    decisions, team = _decisions(tmp_path)
    wanted = [d for d in decisions if d["type"] in TYPES]
    assert len({d["lead_id"] for d in wanted}) > 3000
    assert sum(d["type"] == "lead.reassigned" for d in wanted) > 1000

    topic, dead = unique_name("crm-assignments"), unique_name("crm-dead")
    await create_topic(kafka_bootstrap, topic, 4)
    await create_topic(kafka_bootstrap, dead, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=5)
    await producer.start()
    try:
        for d in decisions:  # as the worker publishes them: keyed by lead, every type
            await producer.send(topic, orjson.dumps(d), key=decision_key(d))
        await producer.flush()
    finally:
        await producer.stop()

    crm = FakeCrm()
    server = await crm.start()
    base = str(server.make_url("")).rstrip("/")
    env = {
        **os.environ,
        "LEADFLOW_BROKER": f"kafka://{kafka_bootstrap}",
        "LEADFLOW_TOPIC_ASSIGNMENTS": topic,
        "LEADFLOW_TOPIC_DEADLETTER": dead,
        "LEADFLOW_SINK_GROUP": unique_name("sink"),
        "LEADFLOW_SINK_STATE": str(tmp_path / "sink.sqlite3"),
        "LEADFLOW_SINK_HUBSPOT_PREFIX": "L-00",
        "LEADFLOW_SINK_SALESFORCE_PREFIX": "L-004",
        "LEADFLOW_SINK_RETRY_MAX_S": "1",
        "LEADFLOW_SINK_SESSION_TIMEOUT_S": "6",
        "LEADFLOW_HUBSPOT_BASE_URL": base,
        "LEADFLOW_HUBSPOT_TOKEN": HUBSPOT_TOKEN,
        "LEADFLOW_SALESFORCE_BASE_URL": base,
        "LEADFLOW_SALESFORCE_TOKEN": SALESFORCE_TOKEN,
    }
    cmd = [sys.executable, "-m", "leadflow", "sink", "--team", str(team)]
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"sink-{len(procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    try:
        first = start()
        await poll_until(lambda: len(crm.patches) >= len(wanted) // 4, 90,
                         interval_s=0.01, what="a quarter delivered")  # fmt: skip
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        killed_at = len(crm.patches)
        assert killed_at < len(wanted), "the sink finished before it could be killed"
        crm.down_until = time.monotonic() + DOWN_S
        start()
        await poll_until(lambda: crm.refused > 0, 30, what="the sink retrying while down")
        assert len(crm.patches) == killed_at  # nothing gets through while it answers 503
        await poll_until(
            lambda: len(crm.patches) >= len(wanted) or procs[-1].poll(),
            DOWN_S + 120, interval_s=0.2, what="every assignment delivered",
        )  # fmt: skip
        assert procs[-1].poll() is None, (tmp_path / "sink-1.log").read_text()
        await settle(1.0)  # nothing more may come (a duplicate would show here)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        await server.close()

    got = [p.event_id for p in crm.patches]
    assert len(got) == len(set(got)), "a decision was delivered twice"
    assert sorted(got) == sorted(d["event_id"] for d in wanted)
    per_lead: dict[str, list[str]] = defaultdict(list)
    for d in wanted:
        per_lead[d["lead_id"]].append(d["event_id"])
    by_id = {d["event_id"]: d for d in wanted}
    seen: dict[str, list[str]] = defaultdict(list)
    for patch in crm.patches:
        d = by_id[patch.event_id]
        assert (patch.crm, patch.record) == _crm(d["lead_id"])
        owner = f"hs-owner-{d['rep_id']}" if patch.crm == "hubspot" else f"005{d['rep_id']}"
        assert patch.owner == owner
        seen[d["lead_id"]].append(patch.event_id)
    assert seen == per_lead  # in order, per lead
    assert crm.refused > 0 and {p.crm for p in crm.patches} == {"hubspot", "salesforce"}
    # Each lead's CRM record ends with the owner of its last decision.
    for lead, ids in per_lead.items():
        rep = by_id[ids[-1]]["rep_id"]
        crm_name, record = _crm(lead)
        want = f"hs-owner-{rep}" if crm_name == "hubspot" else f"005{rep}"
        assert crm.owners[(crm_name, record)] == want
