"""A broker outage, for real: a worker on a broker of its own (not the session's) keeps
running while the broker is stopped for a while, logs the Kafka clients' connection errors
rate-limited (one line per kind and interval, with a count of those held back), and
routes again once the broker is back."""

from __future__ import annotations

from pathlib import Path

from streams.broker.node import LocalBroker, free_ports
from tests.kafka_harness import JARS, poll_until
from tests.worker_process import WorkerRig, sample_lines, settle

OUTAGE_S = 12.0
LOG_EVERY_S = 5.0


async def test_a_broker_outage_is_logged_quietly_and_routing_resumes(tmp_path: Path) -> None:
    port, controller_port = free_ports(2)
    node = LocalBroker(tmp_path / "kafka", port=port, controller_port=controller_port, jars=JARS)
    node.start(tie_to_parent=True)
    rig = WorkerRig(node.bootstrap, tmp_path / "rig")
    rig.state_dir.mkdir()
    try:
        await rig.create_input()
        rig.start("--clock", "event", LEADFLOW_LOG_EVERY_S=str(LOG_EVERY_S))
        await rig.ready()
        lines = sample_lines()
        await rig.produce(lines[:10])
        await poll_until(lambda: rig.health().get("routing_offset", -1) >= 9, 60, what="routing")
        log = rig.logs[-1]
        before = len(log.read_text(errors="replace").splitlines())

        node.stop()
        await settle(OUTAGE_S)  # the outage: the worker's clients retry all along
        rig.check_alive()
        during = log.read_text(errors="replace").splitlines()[before:]
        node.start(tie_to_parent=True)

        await rig.produce(lines[10:])
        await poll_until(
            lambda: rig.health().get("routing_offset", -1) >= len(lines) - 1,
            120,
            what="routing after the outage",
        )
        rig.check_alive()
    finally:
        rig.stop_all()
        node.stop()
    # Without the limit, a 17 s outage wrote 64,297 lines (6.8 MB); with it, each kind of
    # line appears once per interval at most (the first, then one with a count).
    print(f"\n{len(during)} log lines during a {OUTAGE_S:g} s outage")
    assert len(during) < 200, "\n".join(during[-60:])
