"""A worker stopped and started again by a leadflow that reads the state format its
snapshots were written in carries its state over: no stage is rebuilt from its input
log (docs/state-format.md).

A real broker, `leadflow worker --clock event`, one partition, the state fixture's stream
(tests/data/state: 150 generated leads). The first worker applies the first 1,000 events
and is stopped (SIGTERM: it hands over, snapshots and commits). The second recovers from
the snapshot files (`/health`: `recovered_from` file, `recovered_format`, 0 records
re-applied; the metric of records re-applied, both stages, is 0) and decides the rest.
Every decision published equals `leadflow replay` of the whole stream, byte for byte, in
order per topic: none twice, none missing.

`test_a_worker_of_the_format_1_commit_is_upgraded_in_place` runs the first worker with
the leadflow of the commit that wrote the format-1 fixtures (its sources from git, pure
Python): a real upgrade, across every change of the state's shape since.
"""

from __future__ import annotations

import signal
import subprocess
import tarfile
from pathlib import Path

import pytest
from aiokafka.structs import ConsumerRecord

from routing.engine import Engine
from routing.errors import EventError
from routing.events import parse_event
from routing.replay import dumps, replay
from streams.records import ASSIGNMENT_TYPES
from streams.snapshots import MAGIC
from streams.state_format import FORMAT
from tests.state_fixture import CUT, DATA, lines, loaded
from tests.worker_process import REPO, WorkerRig, worker_rig_fixture  # noqa: F401

POLICY = DATA / "policy.yaml"
FORMAT_1_COMMIT = "2a70b14"  # tests/data/state/README.md


def _format_of(path: Path) -> int:
    head = path.read_bytes()[: len(MAGIC) + 2]
    assert head.startswith(MAGIC), f"{path}: not a state-format snapshot"
    return int.from_bytes(head[len(MAGIC) :], "big")


def _decided_by(events: list[bytes]) -> int:
    """How many decisions applying `events` makes (before time passes the last one)."""
    engine, n = Engine(loaded()), 0
    for line in events:
        try:
            event = parse_event(line)
        except EventError:
            continue
        n += sum(o["type"] != "event.rejected" for o in engine.apply(event, "", line))
    return n


def _metric(rig: WorkerRig, name: str) -> float:
    _, _, body = rig.get("/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


async def _upgrade(rig: WorkerRig, old_source: Path | None) -> int:
    """The first worker (this leadflow, or the one whose sources are `old_source`)
    stopped after CUT events, the second (this leadflow) started on its state; returns
    the format the first one wrote."""
    events = lines()
    want = [o for o in replay(Engine(loaded()), events) if o["type"] != "event.rejected"]
    await rig.create_input()
    flags = ("--clock", "event", "--snapshot-every", "0.5")
    if old_source is None:
        old = rig.start(*flags, policy=POLICY)
    else:
        # PYTHONSAFEPATH: `python -m` would put the working directory (this checkout)
        # before PYTHONPATH on sys.path.
        old = rig.start(
            *flags, policy=POLICY, PYTHONPATH=str(old_source), PYTHONSAFEPATH="1",
            LEADFLOW_PURE="1",
        )  # fmt: skip
    await rig.ready(deadline_s=120)
    await rig.produce(events[:CUT])
    outputs = [rig.assignments, rig.alerts]
    first = _decided_by(events[:CUT])  # the old worker has applied the first part
    await rig.read(outputs, lambda rs: len(rs) >= first, deadline_s=120)
    old.send_signal(signal.SIGTERM)
    assert old.wait(timeout=60) == 0, rig.log_tail()
    state = rig.state_dir / rig.app_id
    written = _format_of(state / "pool-0.snapshot")
    assert _format_of(state / "lead-0.snapshot") == written

    rig.start("--clock", "event", policy=POLICY)
    await rig.produce(events[CUT:])

    def complete(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        return len(records) >= len(want)

    records = await rig.read(outputs, complete, deadline_s=120)
    health = rig.health()
    assert (health["recovered_from"], health["recovered_records"]) == ("file", 0)
    assert health["recovered_format"] == written
    assert _metric(rig, "leadflow_records_recovered_total") == 0  # the lead stage's too
    got = {t: [(r.value or b"").decode() for r in records if r.topic == t] for t in outputs}
    assert got[rig.assignments] == [dumps(o) for o in want if o["type"] in ASSIGNMENT_TYPES]
    assert got[rig.alerts] == [dumps(o) for o in want if o["type"] not in ASSIGNMENT_TYPES]
    return written


async def test_a_worker_stopped_and_started_again_recovers_from_its_snapshots(
    worker_rig: WorkerRig,
) -> None:
    assert await _upgrade(worker_rig, None) == FORMAT


async def test_a_worker_of_the_format_1_commit_is_upgraded_in_place(
    worker_rig: WorkerRig, tmp_path: Path
) -> None:
    archive = tmp_path / "old.tar"
    made = subprocess.run(
        ["git", "-C", str(REPO), "archive", "-o", str(archive), FORMAT_1_COMMIT],
        capture_output=True,
    )
    if made.returncode != 0:  # a shallow clone without that commit
        pytest.skip(f"commit {FORMAT_1_COMMIT} is not in this clone: {made.stderr.decode()}")
    old = tmp_path / "old"
    with tarfile.open(archive) as tar:
        tar.extractall(old, filter="data")
    assert await _upgrade(worker_rig, old) == 1
