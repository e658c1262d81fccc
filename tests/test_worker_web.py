"""The worker's web views over HTTP against a running worker: /health, /metrics, /sla agree
with an offline engine that applied the same stream."""

from __future__ import annotations

import json
import re

from aiokafka.structs import ConsumerRecord

from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay
from tests.worker_process import (  # noqa: F401
    POLICY,
    WorkerRig,
    start_and_send_sample,
    worker_rig_fixture,
)


def _metric(body: str, name: str, labels: str = "") -> float:
    found = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", body, re.MULTILINE)
    assert found is not None, f"{name}{labels} missing from /metrics"
    return float(found.group(1))


async def test_health_metrics_and_sla(worker_rig: WorkerRig) -> None:
    rig = worker_rig
    lines, _ = await start_and_send_sample(rig)
    oracle = Engine(load_policy(POLICY))
    expected = [d for d in replay(oracle, lines) if d["type"] != "event.rejected"]

    def all_out(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return len(records) >= len(expected)

    await rig.read([rig.assignments, rig.alerts], all_out)

    health = rig.health()
    assert health["status"] == "ok" and health["pool_stage"] == "here"
    for kind in ("lead", "pool"):  # everything applied: no lag, no stall
        watch = health["stages"][kind]
        assert watch["lag"] == 0 and not watch["stalled"] and watch["last_applied_at"] > 0
        assert watch["partitions"]["0"]["lag"] == 0
    # Faust's own views are not served (only the worker's routes are): `/` is the
    # project's dashboard page, not Faust's index.
    for path in ("/router/", "/router/x/", "/table/", "/stats/", "/graph/"):
        assert rig.get(path)[0] == 404, path
    status, ctype, page = rig.get("/")
    assert status == 200 and ctype.startswith("text/html") and b"leadflow" in page.lower()
    assert health["engine"] == {k: v for k, v in oracle.stats.items() if k != "rejected"}
    assert health["lead_stage"] == health["engine"]  # the desk decided, the pool side heard

    status, ctype, raw = rig.get("/metrics")
    assert status == 200 and ctype.startswith("text/plain")
    body = raw.decode()
    assert _metric(body, "leadflow_events_in_total", '{stage="lead"}') == len(lines)
    out = sum(
        _metric(body, "leadflow_decisions_out_total", f'{{topic="{t}"}}')
        for t in (rig.assignments, rig.alerts)
    )
    assert out == len(expected)
    assert _metric(body, "leadflow_deadlettered_total", '{stage="lead"}') == 1
    assert _metric(body, "leadflow_deadlettered_total", '{stage="pool"}') == 1
    assert _metric(body, "leadflow_decision_latency_seconds_count") > 0
    assert _metric(body, "leadflow_gc_pause_seconds_count", '{generation="0"}') > 0
    assert _metric(body, "leadflow_timers_pending") == oracle.timers_pending
    for name, pool in oracle.router.pools.items():
        assert _metric(body, "leadflow_queue_depth", f'{{pool="{name}"}}') == pool.queue.depth
        assert _metric(body, "leadflow_surge_active", f'{{pool="{name}"}}') == pool.surge.active
        open_leads = sum(
            1 for lead in oracle.leads.values() if lead.state == "mql" and lead.pool == name
        )
        assert _metric(body, "leadflow_open_leads", f'{{pool="{name}"}}') == open_leads

    status, ctype, raw = rig.get("/sla")
    assert status == 200 and ctype.startswith("application/json")
    assert json.loads(raw) == json.loads(json.dumps(oracle.commitments.to_json(oracle.now)))
