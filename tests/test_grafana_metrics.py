"""Every metric the Grafana dashboard (deploy/grafana/dashboards/leadflow.json) queries
exists in a live worker's /metrics, and the dashboard shows what the issue asks for."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.kafka_harness import poll_until
from tests.worker_process import (  # noqa: F401
    WorkerRig,
    start_and_send_sample,
    worker_rig_fixture,
)

REPO = Path(__file__).resolve().parents[1]
BOARD = REPO / "deploy" / "grafana" / "dashboards" / "leadflow.json"


def queried() -> set[str]:
    board = json.loads(BOARD.read_text())
    exprs = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    return {name for e in exprs for name in re.findall(r"\bleadflow_[a-z_]+\b", e)}


def test_the_dashboard_covers_the_worker() -> None:
    names = queried()
    for wanted in (
        "leadflow_decision_latency_seconds_bucket",  # latency
        "leadflow_events_in_total",  # throughput
        "leadflow_decisions_out_total",
        "leadflow_deadlettered_total",  # dead letters
        "leadflow_queue_depth",
        "leadflow_timers_pending",
        "leadflow_surge_active",
    ):
        assert wanted in names


async def test_every_queried_metric_is_in_a_live_workers_metrics(worker_rig: WorkerRig) -> None:
    rig = worker_rig
    await start_and_send_sample(rig)

    def exposed() -> set[str]:
        status, _, body = rig.get("/metrics")
        assert status == 200
        return {
            line.split("{")[0].split(" ")[0]
            for line in body.decode().splitlines()
            if line and not line.startswith("#")
        }

    # The dead-letter counters appear with their first dead letter: wait for the sample's.
    wanted = queried()
    names = await poll_until(
        lambda: (found := exposed()) >= wanted and found, 60, what="every queried metric exposed"
    )
    assert wanted <= names, sorted(wanted - names)
