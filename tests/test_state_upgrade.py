"""An upgrade carries the state over (docs/state-format.md).

Snapshots written by earlier versions of leadflow, in earlier state formats
(tests/data/state: `pool.format<N>.snapshot`, `lead.format<N>.snapshot`, after the first
`CUT` records of a generated stream), are read by this version: migrated to its format,
the state is the one an uninterrupted run of this version holds at that record, nothing
is decided again, and going on gives the decisions of an uninterrupted replay.
"""

from __future__ import annotations

import io
import logging
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest

from routing.engine import Engine
from routing.replay import dumps
from streams import state_format, state_tree
from streams.lead_stage import DeskHost, LeadStage
from streams.pool_stage import PoolStage
from streams.records import apply_record
from streams.snapshots import (
    MAGIC,
    OLD_MAGIC,
    SnapshotError,
    decode,
    encode,
    fingerprint,
    offset_of,
    read,
)
from streams.state_tree import Node, Ref, Value
from tests.state_fixture import CUT, DATA, TOPIC, lines, loaded, routing_log
from tests.streams import log_reader

LOADED = loaded()
FP = fingerprint(LOADED)
OLD_FORMATS = sorted(
    int(p.name.split(".format")[1].split(".")[0]) for p in DATA.glob("pool.format*.snapshot")
)


def same_tree(
    a: Any, b: Any, where: str = "state", seen: set[int] | None = None,
    skip: frozenset[str] = frozenset(),
) -> None:  # fmt: skip
    """Two state trees are equal, node by node (the path of the first difference said),
    but for the paths in `skip`."""
    seen = set() if seen is None else seen
    if where in skip:
        return
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, Node):
        if id(a) in seen:
            return
        seen.add(id(a))
        assert a.kind == b.kind, f"{where}: {a.kind} vs {b.kind}"
        assert sorted(a.fields) == sorted(b.fields), f"{where} ({a.kind}): fields differ"
        for name in a.fields:
            same_tree(a.fields[name], b.fields[name], f"{where}.{name}", seen, skip)
    elif isinstance(a, Value):
        assert (a.kind, a.data) == (b.kind, b.data), where
    elif isinstance(a, Ref):
        assert a.path == b.path, where
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys differ"
        for key in a:
            same_tree(a[key], b[key], f"{where}[{key!r}]", seen, skip)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_tree(x, y, f"{where}[{i}]", seen, skip)
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def tree(state: Any) -> Any:
    return state_tree.loads_tree(state_tree.dumps(state, type(state)(LOADED)))


@pytest.mark.parametrize("fmt", OLD_FORMATS)
async def test_an_older_pool_snapshot_carries_its_state_over_and_decides_nothing_again(
    tmp_path: Path, fmt: int
) -> None:
    log = routing_log()
    uninterrupted = Engine(LOADED)
    for record in log[:CUT]:
        apply_record(uninterrupted, record)
    snap = read(DATA / f"pool.format{fmt}.snapshot", FP, LOADED, Engine)
    assert snap is not None and snap.format == fmt and snap.offset == CUT - 1
    # Since format 3's code, a rep event in the routing log is also dropped by its position
    # in its input partition (streams.records, as desk records were): the engine's
    # `positions` gained those partitions. An older state has none of them, which a
    # migration cannot know; the rest of the state is the same.
    skip = frozenset({"state.positions"}) if fmt < 3 else frozenset()
    same_tree(tree(snap.state), tree(uninterrupted), skip=skip)

    path = tmp_path / "pool-0.snapshot"
    shutil.copy(DATA / f"pool.format{fmt}.snapshot", path)
    stage = PoolStage(LOADED, path, fork_snapshots=False)
    assert await stage.recover(CUT, log_reader(log)) == []
    assert (stage.recovered_from, stage.recovered, stage.recovered_format) == ("file", 0, fmt)
    assert all(stage.apply(i, log[i]) == [] for i in range(CUT))  # in the state already
    got = [dumps(o) for i in range(CUT, len(log)) for o in stage.apply(i, log[i])]
    want = [dumps(o) for record in log[CUT:] for o in apply_record(uninterrupted, record)]
    assert len(want) > 500 and got == want


@pytest.mark.parametrize("fmt", OLD_FORMATS)
async def test_an_older_lead_stage_snapshot_carries_the_desk_over(tmp_path: Path, fmt: int) -> None:
    events = lines()
    uninterrupted = LeadStage(LOADED, TOPIC, 0, snapshot_path=tmp_path / "u", fork_snapshots=False)
    await uninterrupted.recover(0, log_reader(events))
    for offset, line in enumerate(events[:CUT]):
        uninterrupted.apply(offset, line)
    snap = read(DATA / f"lead.format{fmt}.snapshot", FP, LOADED, DeskHost)
    assert snap is not None and snap.format == fmt and snap.offset == CUT - 1
    same_tree(tree(snap.state), tree(uninterrupted.loaded_state))

    path = tmp_path / "lead-0.snapshot"
    shutil.copy(DATA / f"lead.format{fmt}.snapshot", path)
    stage = LeadStage(LOADED, TOPIC, 0, snapshot_path=path, fork_snapshots=False)
    assert await stage.recover(CUT, log_reader(events)) == []
    assert (stage.recovered_from, stage.recovered, stage.recovered_format) == ("file", 0, fmt)
    got = [stage.apply(i, events[i]) for i in range(CUT, len(events))]
    want = [uninterrupted.apply(i, events[i]) for i in range(CUT, len(events))]
    assert sum(map(len, want)) > 300 and got == want


def _with_format(data: bytes, fmt: int) -> bytes:
    return data[: len(MAGIC)] + fmt.to_bytes(2, "big") + data[len(MAGIC) + 2 :]


async def test_a_snapshot_in_a_newer_format_is_refused_and_the_state_rebuilt_from_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = routing_log()[:50]
    engine = Engine(LOADED)
    for record in log[:40]:
        apply_record(engine, record)
    path = tmp_path / "pool-0.snapshot"
    path.write_bytes(_with_format(encode(engine, 39, FP, LOADED), state_format.FORMAT + 1))
    with caplog.at_level(logging.WARNING):
        assert read(path, FP, LOADED, Engine) is None
    assert f"state format {state_format.FORMAT + 1}" in caplog.text
    assert "newer than the formats this leadflow" in caplog.text
    assert "rebuilt from the input log" in caplog.text
    stage = PoolStage(LOADED, path, fork_snapshots=False)
    await stage.recover(45, log_reader(log))
    assert (stage.recovered_from, stage.recovered, stage.recovered_format) == ("log", 45, 0)


def test_a_state_that_names_anything_else_than_the_formats_constructors_is_refused() -> None:
    good = encode(Engine(LOADED), 3, FP, LOADED)
    body_at = len(good) - len(state_format.dump(Engine(LOADED), Engine(LOADED)))
    evil = good[:body_at] + pickle.dumps(shutil.rmtree, protocol=5)
    with pytest.raises(SnapshotError, match=r"here: .*not a leadflow state: it names shutil"):
        decode(evil, FP, "here", LOADED, Engine)


def test_the_fingerprint_covers_the_policy_and_team_only() -> None:
    """Not the core's code nor compiled vs pure: those read the same format."""
    smaller = LOADED.team.model_copy(update={"reps": LOADED.team.reps[:-1]})
    assert fingerprint(LOADED) == fingerprint(loaded())
    assert fingerprint(type(LOADED)(LOADED.policy, smaller, "", None)) != FP


class Novel:
    """A class the state format does not know (neither state kind nor made from the policy)."""


def test_an_object_of_a_class_the_format_does_not_know_stops_the_writer() -> None:
    host = DeskHost(LOADED)
    host.novel = Novel()  # type: ignore[attr-defined]
    with pytest.raises(state_tree.StateFormatError, match=r"a tests\.test_state_upgrade\.Novel"):
        encode(host, 0, FP, LOADED)


def test_a_reader_applies_every_migration_from_the_snapshots_format_to_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chain, on a made-up history: format F written, F+1 and F+2 known."""
    engine = Engine(LOADED)
    for record in routing_log()[:30]:
        apply_record(engine, record)
    data = encode(engine, 29, FP, LOADED)
    now = state_format.FORMAT
    applied: list[int] = []

    def step(n: int) -> state_format.Migration:
        def migration(tree: Any) -> Any:
            applied.append(n)
            (root,) = state_format.only(tree, "Engine")
            root.fields["now"] += 1.0  # a visible change of the state, one per format
            return tree

        return migration

    monkeypatch.setattr(state_format, "FORMAT", now + 2)
    monkeypatch.setattr(
        state_format,
        "MIGRATIONS",
        {**state_format.MIGRATIONS, now: step(now), now + 1: step(now + 1)},
    )
    snap = decode(_with_format(data, now), FP, "made up", LOADED, Engine)
    assert snap is not None and snap.format == now and applied == [now, now + 1]
    assert snap.state.now == engine.now + 2.0
    assert len(snap.state.leads) == len(engine.leads)


def test_a_calendar_a_rep_upserted_made_is_written_as_a_value_and_the_policys_as_a_ref() -> None:
    """rep-0010 comes with its own hours (record 1,206): its calendar is state, the
    policy's calendar is not; both come back, and the engine goes on as one never
    written."""
    log = routing_log()
    cut = next(i for i, r in enumerate(log) if b"America/Chicago" in r) + 1
    engine, uninterrupted = Engine(LOADED), Engine(LOADED)
    for record in log[:cut]:
        apply_record(engine, record)
        apply_record(uninterrupted, record)
    data = encode(engine, cut - 1, FP, LOADED)
    written = tree(engine)
    calendars = [n.fields["calendar"] for n in state_tree.nodes(written, "RepState")]
    own = [c for c in calendars if isinstance(c, Value)]
    assert [c.data["timezone"] for c in own] == ["America/Chicago"]
    assert all(isinstance(c, Ref) for c in calendars if c not in own)
    assert isinstance(written.fields["cal"], Ref) and written.fields["cal"].path == ("cal",)
    snap = decode(data, FP, "here", LOADED, Engine)
    assert snap is not None
    assert snap.state.router.reps["rep-0010"].calendar.timezone == "America/Chicago"
    got = [dumps(o) for record in log[cut:] for o in apply_record(snap.state, record)]
    want = [dumps(o) for record in log[cut:] for o in apply_record(uninterrupted, record)]
    assert len(want) > 100 and got == want


async def test_a_snapshot_from_before_the_state_format_is_set_aside_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`LFSNAP1`: the engine cloudpickled under a fingerprint of the core's sources. Its
    offset is still read (the snapshot topic's trim), its state is rebuilt from the log."""
    import cloudpickle

    log = routing_log()[:30]
    engine = Engine(LOADED)
    for record in log[:20]:
        apply_record(engine, record)
    path = tmp_path / "pool-0.snapshot"
    old = OLD_MAGIC + (b"\0" * 32) + (19).to_bytes(8, "big") + cloudpickle.dumps(engine)
    path.write_bytes(old)
    assert offset_of(old, "old") == 19
    stage = PoolStage(LOADED, path, fork_snapshots=False)
    with caplog.at_level(logging.WARNING):
        await stage.recover(25, log_reader(log))
    assert "a snapshot from before the state format; rebuilt from the log" in caplog.text
    assert (stage.recovered_from, stage.recovered, stage.recovered_format) == ("log", 25, 0)
    stage.snapshot(now=1.0)
    assert path.read_bytes().startswith(MAGIC)  # written in the state format from then on


def test_the_state_names_no_code_only_the_formats_four_constructors() -> None:
    """Not a pickle of code: the only names in a written state are the tree's four
    constructors and datetime's types; the policy's objects are refs, not written."""
    engine = Engine(LOADED)
    for record in routing_log():
        apply_record(engine, record)
    body = state_format.dump(engine, Engine(LOADED))
    globals_: set[str] = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            globals_.add(f"{module}.{name}")
            return {"_new": Node, "_fill": lambda n, f: None, "_value": Value, "_ref": Ref}.get(
                name, lambda *a: None
            )

    Recording(io.BytesIO(body)).load()
    assert globals_ <= {
        "streams.state_tree._new", "streams.state_tree._fill", "streams.state_tree._value",
        "streams.state_tree._ref", "datetime.date", "datetime.datetime",
    }  # fmt: skip
    assert "streams.state_tree._ref" in globals_
    written = tree(engine)
    assert all(isinstance(written.fields[name], Ref) for name in ("policy", "cal", "em", "fmt"))
    assert all(isinstance(d.fields["defs"], Ref) for d in state_tree.nodes(written, "LeadDesk"))
