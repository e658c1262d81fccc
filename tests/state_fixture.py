"""The state-format fixtures: snapshots written by one version of leadflow, read by later
ones (tests/test_state_upgrade.py, docs/state-format.md).

    python -m tests.state_fixture OUT_DIR     # with the leadflow on PYTHONPATH

writes `pool.format<N>.snapshot` (the pool stage's engine) and `lead.format<N>.snapshot`
(the lead stage's desk) for this leadflow's format N, each holding the state after the
first `CUT` records of `tests/data/state/stream.jsonl` (a generated stream: 150 leads,
8 reps, 3 weeks; `python -m benchmarks.generate`). `scripts/state_fixture.sh COMMIT`
runs it with the leadflow of another commit.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from routing.engine import Engine
from routing.policy.loader import LoadedPolicy, load_policy
from streams.lead_stage import LeadStage
from streams.records import apply_record, event_record
from streams.snapshots import encode, fingerprint, write_file
from streams.state_format import FORMAT

DATA = Path(__file__).parent / "data" / "state"
CUT = 1000  # records 0 .. CUT - 1 are in the snapshots (of 1,691)
TOPIC = "fixture.events"


def lines() -> list[bytes]:
    return [line for line in (DATA / "stream.jsonl").read_bytes().splitlines() if line.strip()]


def routing_log() -> list[bytes]:
    """The stream as the pool stage's input (one routing record per event)."""
    return [event_record(f"{TOPIC}:0:{i}", line) for i, line in enumerate(lines())]


def loaded() -> LoadedPolicy:
    return load_policy(DATA / "policy.yaml")


async def _nothing(start: int, end: int) -> AsyncIterator[tuple[int, bytes, int | None]]:
    for _ in ():
        yield 0, b"", None


def write(out: Path, cut: int = CUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    policy = loaded()
    engine = Engine(policy)
    for record in routing_log()[:cut]:
        apply_record(engine, record)
    pool = out / f"pool.format{FORMAT}.snapshot"
    write_file(pool, encode(engine, cut - 1, fingerprint(policy), policy))
    lead = out / f"lead.format{FORMAT}.snapshot"
    stage = LeadStage(policy, TOPIC, 0, snapshot_path=lead, fork_snapshots=False)
    asyncio.run(stage.recover(0, lambda start, end: _nothing(start, end)))
    for offset, line in enumerate(lines()[:cut]):
        stage.apply(offset, line)
    stage.snapshot(now=0.0)
    return [pool, lead]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tests.state_fixture OUT_DIR")
    for path in write(Path(sys.argv[1])):
        print(path)
