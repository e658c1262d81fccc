"""The simulator's per-lead modules compiled with mypyc: the test environment runs them
compiled, they simulate the same sample paths as pure Python, and a stale or forced-off
build runs pure (the routing core's guard, `routing/_native.py`, per package). Their
library calls the core's natively, so they run compiled only with the compiled core of
the same build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from routing import _native
from tests.compiled_cases import DELIBERATELY_PURE, REPO, SKIP_REASON
from tests.compiled_cases import python_child as _python

PROBE = (
    "import simulator.driver as d; from routing import _native as n; "
    "print(d.__file__); print(n.STATES['simulator']['reason'])"
)
# The same, the routing core imported (and its guard run) on its own first.
PROBE_CORE_FIRST = "import routing.engine; " + PROBE
# Two simulated days of the M/M/c case: the results' hash and which driver ran.
RUN = (
    "import dataclasses, hashlib, json; import simulator.driver as d; "
    "from simulator.leadgen import tier_templates; "
    "from simulator.scenario import load_scenario; "
    "s = load_scenario('examples/mmc/scenario.yaml'); "
    "s = dataclasses.replace(s, end=s.start + 2 * 86400); "
    "r = d.run_replication(s, 0, tier_templates(s.loaded.policy)); "
    "print(d.__file__); print(sum(r['mqls_per_week'])); "
    "print(hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest())"
)


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_the_test_environment_runs_the_compiled_simulator() -> None:
    import simulator.reps

    assert _native.STATES["simulator"] == {"compiled": True, "reason": "compiled"}
    assert _native.loaded_compiled("simulator")
    assert not (simulator.reps.__file__ or "").endswith(".py")


def test_leadflow_pure_forces_the_pure_python_simulator() -> None:
    out = _python(PROBE, LEADFLOW_PURE="1").stdout.splitlines()
    assert out == [str(REPO / "simulator" / "driver.py"), "LEADFLOW_PURE is set"]


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_compiled_and_pure_simulate_the_same_sample_paths() -> None:
    compiled = _python(RUN).stdout.splitlines()
    pure = _python(RUN, LEADFLOW_PURE="1").stdout.splitlines()
    assert not compiled[0].endswith(".py") and pure[0].endswith("driver.py")
    assert int(compiled[1]) > 1000  # about 2,070 leads in two days
    assert compiled[1:] == pure[1:]


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_an_edited_simulator_or_core_source_makes_the_simulator_load_pure(tmp_path: Path) -> None:
    """A copy of the built packages; a source edited after the build. The simulator's
    build also goes stale when the routing core's sources change (it may inline them)."""
    for package in ("routing", "simulator"):
        shutil.copytree(REPO / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    before = _python(PROBE, cwd=tmp_path)
    assert not before.stdout.splitlines()[0].endswith(".py") and before.stderr == ""
    with (tmp_path / "simulator" / "work.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited after the build\n")
    after = _python(PROBE, cwd=tmp_path)
    assert after.stdout.splitlines() == [str(tmp_path / "simulator" / "driver.py"),
                                         "source changed since the build: work"]
    assert after.stderr.count("\n") == 1 and "pure-Python simulator" in after.stderr
    shutil.copy(REPO / "simulator" / "work.py", tmp_path / "simulator" / "work.py")
    with (tmp_path / "routing" / "surge.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited after the build\n")
    reason = _python(PROBE, cwd=tmp_path).stdout.splitlines()[1]
    assert reason == "source changed since the build: routing/surge"


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_a_build_with_a_module_since_dropped_from_the_list_loads_pure(tmp_path: Path) -> None:
    """Its shared library holds that module's classes as native ones, which the pure
    module left in its place would not match."""
    import json

    for package in ("routing", "simulator"):
        shutil.copytree(REPO / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    manifest = tmp_path / "simulator" / _native.MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["sources"]["aggregate"] = "0" * 64
    manifest.write_text(json.dumps(data), encoding="utf-8")
    out = _python(PROBE, cwd=tmp_path).stdout.splitlines()
    assert out == [str(tmp_path / "simulator" / "driver.py"),
                   "built with modules no longer compiled: aggregate"]


def _copy_built(tmp_path: Path) -> None:
    for package in ("routing", "simulator"):
        shutil.copytree(REPO / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_a_core_that_loads_pure_makes_the_simulator_load_pure_too(tmp_path: Path) -> None:
    """The compiled simulator would get the pure core's objects where its C code expects
    the core's native ones: it loads pure, and says why, whichever package is imported
    first."""
    _copy_built(tmp_path)
    for built in (tmp_path / "routing").glob("windows.*.so"):
        built.unlink()
    for probe in (PROBE, PROBE_CORE_FIRST):
        out = _python(probe, cwd=tmp_path)
        assert out.stdout.splitlines() == [
            str(tmp_path / "simulator" / "driver.py"),
            "the routing core is not compiled: compiled files missing for windows",
        ]
        warnings = out.stderr.splitlines()
        assert len(warnings) == 2 and "pure-Python routing core" in warnings[0]
        assert "pure-Python simulator (the routing core is not compiled" in warnings[1]
    # ... and the pure simulator runs on the pure core.
    (tmp_path / "examples").symlink_to(REPO / "examples")
    ran = _python(RUN, cwd=tmp_path).stdout.splitlines()
    assert ran[0] == str(tmp_path / "simulator" / "driver.py")
    assert int(ran[1]) > 1000


@pytest.mark.skipif(DELIBERATELY_PURE, reason=SKIP_REASON)
def test_a_simulator_built_with_another_build_of_the_core_loads_pure(tmp_path: Path) -> None:
    """Its C code has the core's class layouts of its own build compiled in; the core
    itself, up to date with its sources, still loads compiled."""
    import json

    _copy_built(tmp_path)
    manifest = tmp_path / "routing" / _native.MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["build"] = "another build"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    probe = PROBE_CORE_FIRST + "; print(routing.engine.__file__)"
    out = _python(probe, cwd=tmp_path)
    driver, reason, engine = out.stdout.splitlines()
    assert driver == str(tmp_path / "simulator" / "driver.py")
    assert reason == "built against another build of the routing core"
    assert not engine.endswith(".py")
    assert out.stderr.count("\n") == 1 and "pure-Python simulator" in out.stderr


def test_simpy_steps_a_call_like_its_own_event() -> None:
    """`Call` (compiled here, a native class) has what `Environment.step` reads of an
    event: SimPy's own loop runs its two callbacks at its time and marks it processed."""
    import simpy

    from simulator.call import Call

    env = simpy.Environment(initial_time=10.0)
    seen: list[tuple[str, object]] = []
    event = Call(lambda e: seen.append(("fn", env.now)), lambda e: seen.append(("then", e)))
    env.schedule(event, delay=5.0)  # type: ignore[arg-type]  # duck-typed: not an Event
    env.run()
    assert seen == [("fn", 15.0), ("then", event)]
    assert event.callbacks is None
