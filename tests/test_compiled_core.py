"""The routing core compiled with mypyc: the test environment runs it compiled, it gives
the same decisions as pure Python, pickles, and a stale or forced-off build runs pure."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import cloudpickle
import pytest

from routing import _native
from routing.engine import Engine
from routing.policy.loader import load_policy
from routing.replay import replay_lines
from tests.compiled_cases import DELIBERATELY_PURE, REPO, SKIP_REASON
from tests.compiled_cases import python_child as _python

EXAMPLES = REPO / "examples"
SAMPLE = EXAMPLES / "events.sample.jsonl"
POLICY = EXAMPLES / "policy.yaml"

PROBE = (
    "import sys, routing.engine as e; from routing import _native as n; "
    "print(e.__file__); print(n.STATE['reason'])"
)
REPLAY_SHA = (
    "import hashlib, sys; from routing.engine import Engine; "
    "from routing.policy.loader import load_policy; from routing.replay import replay_lines; "
    "h = hashlib.sha256(); eng = Engine(load_policy(sys.argv[1])); "
    "[h.update(line.encode() + b'\\n') for line in replay_lines(eng, open(sys.argv[2], 'rb'))]; "
    "import routing.engine as m; print(m.__file__); print(h.hexdigest())"
)


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_the_test_environment_runs_the_compiled_core() -> None:
    assert _native.STATE == {"compiled": True, "reason": "compiled"}
    assert _native.loaded_compiled()
    import routing.router

    assert not (routing.router.__file__ or "").endswith(".py")


def test_leadflow_pure_forces_the_pure_python_core() -> None:
    out = _python(PROBE, LEADFLOW_PURE="1").stdout.splitlines()
    assert out == [str(REPO / "routing" / "engine.py"), "LEADFLOW_PURE is set"]


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_compiled_and_pure_replay_the_sample_byte_for_byte() -> None:
    compiled = _python(REPLAY_SHA, str(POLICY), str(SAMPLE)).stdout.splitlines()
    pure = _python(REPLAY_SHA, str(POLICY), str(SAMPLE), LEADFLOW_PURE="1").stdout.splitlines()
    assert not compiled[0].endswith(".py") and pure[0].endswith("engine.py")
    assert compiled[1] == pure[1]


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_an_edited_source_makes_every_module_load_pure_with_a_warning(tmp_path: Path) -> None:
    """A copy of the built package; one source edited after the build."""
    shutil.copytree(REPO / "routing", tmp_path / "routing",
                    ignore=shutil.ignore_patterns("__pycache__"))
    before = _python(PROBE, cwd=tmp_path)
    assert not before.stdout.splitlines()[0].endswith(".py") and before.stderr == ""
    with (tmp_path / "routing" / "surge.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited after the build\n")
    after = _python(PROBE, cwd=tmp_path)
    engine_file, reason = after.stdout.splitlines()
    assert engine_file == str(tmp_path / "routing" / "engine.py")  # not surge alone: all pure
    assert reason == "source changed since the build: surge"
    assert after.stderr.count("\n") == 1 and "pure-Python routing core" in after.stderr


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_a_missing_manifest_or_module_makes_the_core_load_pure(tmp_path: Path) -> None:
    shutil.copytree(REPO / "routing", tmp_path / "routing",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for built in (tmp_path / "routing").glob("windows.*.so"):
        built.unlink()
    engine_file, reason = _python(PROBE, cwd=tmp_path).stdout.splitlines()
    assert engine_file.endswith("engine.py") and reason == "compiled files missing for windows"
    (tmp_path / "routing" / _native.MANIFEST).unlink()
    engine_file, reason = _python(PROBE, cwd=tmp_path).stdout.splitlines()
    assert engine_file.endswith("engine.py") and "_native.json missing" in reason


def _replay(engine: Engine, lines: list[bytes]) -> list[str]:
    return list(replay_lines(engine, lines))


def test_an_engine_pickled_mid_stream_goes_on_as_if_never_pickled() -> None:
    """What the worker's snapshots did before the state format (cloudpickle), on whichever
    core this run loaded (the state format: tests/test_state_upgrade.py)."""
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    straight = Engine(load_policy(POLICY))
    expected = _replay(straight, lines[:half]) + _replay(straight, lines[half:])
    engine = Engine(load_policy(POLICY))
    first = _replay(engine, lines[:half])
    restored = pickle.loads(cloudpickle.dumps(engine, protocol=5))
    assert type(restored) is Engine
    assert first + _replay(restored, lines[half:]) == expected
    assert len(expected) > len(first) > 0  # both halves decide something


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_a_compiled_snapshot_is_read_by_the_pure_core_and_back(tmp_path: Path) -> None:
    """The state format is plain values (docs/state-format.md): a worker switched to
    LEADFLOW_PURE=1 reads the compiled core's snapshot, and the compiled core the pure
    one's; the state continues to decide the same in both."""
    from streams.snapshots import SnapshotWriter, fingerprint

    loaded = load_policy(POLICY)
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    engine = Engine(loaded)
    _replay(engine, lines[: len(lines) // 2])
    path = tmp_path / "pool.snapshot"
    SnapshotWriter(path, fingerprint(loaded), loaded, fork=False).write(engine, 7)
    probe = (
        "import sys, hashlib, pathlib; from streams.snapshots import read, fingerprint, "
        "SnapshotWriter; from routing.engine import Engine; from routing.replay import "
        "replay_lines; from routing.policy.loader import load_policy; "
        "p = pathlib.Path(sys.argv[1]); loaded = load_policy(sys.argv[2]); "
        "s = read(p, fingerprint(loaded), loaded, Engine); n = len(s.state.leads); "
        "rest = open(sys.argv[3], 'rb').read().splitlines(keepends=True); "
        "SnapshotWriter(p, fingerprint(loaded), loaded, fork=False).write(s.state, s.offset); "
        "h = hashlib.sha256(b''.join(l.encode() for l in replay_lines(s.state, rest))); "
        "print(s.offset, n, h.hexdigest())"
    )
    rest = tmp_path / "rest.jsonl"
    rest.write_bytes(b"".join(lines[len(lines) // 2 :]))
    pure = _python(probe, str(path), str(POLICY), str(rest), LEADFLOW_PURE="1").stdout.split()
    compiled = _python(probe, str(path), str(POLICY), str(rest)).stdout.split()
    assert pure[:2] == ["7", str(len(engine.leads))]
    assert compiled[:2] == ["7", str(len(engine.leads))]
    assert len(pure[2]) == 64 and pure[2] == compiled[2]


def test_the_plain_classes_of_the_core_built_from_python_are_initialised() -> None:
    """The core's plain (native) classes, built from interpreted code (a test, the
    simulator, the worker), run their `__init__` and pickle as they are: compiled, a
    serializable class that does not allow interpreted subclasses would come out empty."""
    from routing.durations import parse_duration
    from routing.lead import Lead
    from routing.router import Placement
    from routing.sla import BREACH, Point, SlaClock
    from routing.windows import Window

    lead = Lead("L1")
    clock = SlaClock("first_touch", "L1", 2, 1, 10.0, 70.0, False)
    point = Point(1.0, BREACH, 0, None)
    window = Window.of(parse_duration("5m"), "calendar")
    placement = Placement(None, None, "nobody in p", 99.0)
    assert (lead.id, lead.state, lead.fields, lead.clocks) == ("L1", "new", {}, {})
    assert (clock.name, clock.state, clock.version) == ("L1#2/first_touch/1", "running", 0)
    assert (point.tag, point.notify) == ("@breach", ())
    assert (window.text, window.business, window.seconds) == ("5m (calendar)", False, 300.0)
    assert (placement.rep, placement.why, placement.wake) == (None, "nobody in p", 99.0)
    back = pickle.loads(pickle.dumps((lead, clock, point, window)))
    assert (back[0].id, back[1].name, back[2].tag) == ("L1", clock.name, "@breach")
    assert back[3].seconds == 300.0
