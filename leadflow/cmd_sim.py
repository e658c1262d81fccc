"""`leadflow simulate`, `leadflow staff`, `leadflow compare`: the simulator's commands.

Every argument and output path is checked before a run starts (a staffing search takes
minutes); outputs are written through a temporary file and renamed at the end."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from leadflow.files import STDOUT, UsageError, check_input, check_output, write_text
from leadflow.helptext import command

T = TypeVar("T")
MAX_REPLICATIONS = 100_000


def register(sub: Any) -> None:
    """Register the simulator's subcommands on the `leadflow` parser."""
    p = command(
        sub,
        "simulate",
        help="run a scenario through the routing core on a simulated clock",
        description="Simulate a scenario: generated arrivals (steady inbound, campaign "
        "spikes, recorded streams) and reps who work, connect and disposition, all routed by "
        "the same core as production, on a SimPy clock. Prints per tier the share touched "
        "within the SLA with its 95% interval and speed-to-lead percentiles, per pool "
        "utilisation, queue and surge hours (means over the replications), follow-up and "
        "disposition compliance, and which targets are missed.",
        examples="""\
leadflow simulate examples/scenario.yaml
leadflow simulate examples/scenario.yaml --replications 4 --seed 7 \\
    --json result.json --html report.html
leadflow simulate examples/scenario.yaml --json - | jq .tiers   # results JSON on stdout""",
    )
    _run_flags(p, "the scenario's", "the results JSON", "the HTML report with plots")
    p.set_defaults(run=_simulate)

    p = command(
        sub,
        "staff",
        help="smallest headcount of a pool that meets every target",
        description="Try every headcount of the scenario's `report.staffing_search.pool` "
        "(from `min` to `max`) on the same random numbers and report the smallest whose "
        "lower 95% bound meets every target, and the targets no headcount can reach, with "
        "why. Exit 1 when no headcount in the range meets every target.",
        examples="""\
leadflow staff examples/scenario.yaml
leadflow staff examples/scenario.yaml --replications 4 --html staff.html""",
    )
    _run_flags(p, "the scenario's", "the search's table as JSON", "the search as an HTML page")
    p.set_defaults(run=_staff)

    p = command(
        sub,
        "compare",
        help="scenarios side by side on the same random numbers",
        description="Run two or more scenarios on the same seed and random numbers and show "
        "them side by side: per-tier compliance, speed to lead, breaches, utilisation, surge "
        "hours, pipeline lost and whether the targets are met.",
        examples="""\
leadflow compare examples/scenario.yaml examples/scenario-no-surge.yaml
leadflow compare a.yaml b.yaml --replications 4 --html compare.html""",
    )
    _run_flags(
        p, "the first scenario's", "every scenario's results JSON", "the comparison page",
        scenarios=True,
    )  # fmt: skip
    p.set_defaults(run=_compare)


# Kept for callers of the old name.
add_sim_commands = register


def _run_flags(p: Any, whose: str, json_what: str, html_what: str, scenarios: bool = False) -> None:
    """The arguments every simulator command takes."""
    if scenarios:
        p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML files")
    else:
        p.add_argument("scenario", metavar="SCENARIO", help="the scenario YAML file")
    p.add_argument(
        "--replications", type=int, metavar="N",
        help=f"override {whose} `replications` (at least 1)",
    )  # fmt: skip
    p.add_argument(
        "--seed", type=int, metavar="N", help=f"override {whose} `seed` (a whole number >= 0)"
    )
    p.add_argument("--json", metavar="FILE", help=f"write {json_what} to FILE ('-': stdout)")
    p.add_argument("--html", metavar="FILE", help=f"write {html_what} to FILE ('-': stdout)")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


def _check_args(args: argparse.Namespace) -> None:
    if args.replications is not None and not 1 <= args.replications <= MAX_REPLICATIONS:
        raise UsageError(
            f"--replications: expected a whole number from 1 to {MAX_REPLICATIONS:,}, "
            f"got {args.replications}"
        )
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed: expected a whole number >= 0, got {args.seed}")
    if args.json == STDOUT and args.html == STDOUT:
        raise UsageError("--json - and --html -: only one of them can go to stdout")


def _load(path: str, args: argparse.Namespace) -> Any:
    from simulator.scenario import load_scenario

    check_input(path, "scenario")
    return load_scenario(path).with_runs(args.replications, args.seed)


def _check_outputs(args: argparse.Namespace, scenarios: list[Any]) -> None:
    """Both outputs may be written and are none of the files the run reads."""
    from simulator.checks import input_files

    inputs = [f for s in scenarios for f in input_files(s)]
    for option, path in (("--json", args.json), ("--html", args.html)):
        if path is not None and path != STDOUT:
            check_output(path, option, inputs)
    if args.json is not None and args.html is not None and args.json == args.html:
        raise UsageError(f"--json and --html both name {args.json}; name two files")


def _prepare(args: argparse.Namespace, paths: list[str]) -> list[Any]:
    """Every check before any work: arguments, scenarios (and their files), outputs."""
    _check_args(args)
    if args.html is not None:
        _report_module()
    scenarios = [_load(path, args) for path in paths]
    _check_outputs(args, scenarios)
    from simulator.checks import outside_horizon

    for scenario in scenarios:
        for note in outside_horizon(scenario):
            print(f"warning: {scenario.file}: {note}", file=sys.stderr)
    return scenarios


def _with_bar(args: argparse.Namespace, label: str, work: Callable[[Any], T]) -> T:
    """Run WORK(progress callback or None), with a progress bar on stderr if wanted."""
    from simulator.run import ProgressBar

    show = sys.stderr.isatty() if args.progress is None else args.progress
    bar = ProgressBar(label) if show else None
    try:
        return work(bar)
    finally:
        if bar is not None:
            bar.close()


def _report_module() -> Any:
    try:
        from simulator import report
    except ImportError as exc:
        raise UsageError(
            f"--html: the HTML report is not available in this build ({exc}); "
            "use --json and render it later"
        ) from None
    return report


def _write_json(path: str, data: Any) -> None:
    text = json.dumps(data, indent=2, allow_nan=False)
    if path == STDOUT:
        print(text)
        return
    write_text(path, text + "\n")


def _write_html(data: Any, path: str, renderer: str = "render_html") -> None:
    """Render DATA with `simulator.report.<renderer>` and write it to PATH ('-': stdout)."""
    page: str = getattr(_report_module(), renderer)(data)
    if path == STDOUT:
        sys.stdout.write(page)
        sys.stdout.flush()
        return
    write_text(path, page)
    print(f"wrote {path}", file=sys.stderr)


def _text_out(args: argparse.Namespace) -> Any:
    """Where the text goes: stderr when stdout carries the JSON or the page."""
    return sys.stderr if STDOUT in (args.json, args.html) else sys.stdout


def _simulate(args: argparse.Namespace) -> int:
    from simulator.run import simulate
    from simulator.text import sales_targets, summary

    (scenario,) = _prepare(args, [args.scenario])
    result = _with_bar(args, f"simulating {scenario.name}", lambda bar: simulate(scenario, bar))
    print(summary(result, sales_targets(scenario.loaded.policy)), file=_text_out(args))
    if args.json:
        _write_json(args.json, result)
    if args.html:
        _write_html(result, args.html)
    return 0


def _staff(args: argparse.Namespace) -> int:
    from simulator.staffing import search
    from simulator.text import staffing_table

    (scenario,) = _prepare(args, [args.scenario])
    found = _with_bar(
        args, f"staffing search on {scenario.name}", lambda bar: search(scenario, bar)
    )
    print(staffing_table(found), file=_text_out(args))
    if args.json:
        _write_json(args.json, found)
    if args.html:
        _write_html(found, args.html, "render_staff_html")
    return 0 if found["reachable_headcount"] is not None else 1


def _compare(args: argparse.Namespace) -> int:
    from simulator.compare import compare
    from simulator.text import compare_table

    scenarios = _prepare(args, list(args.scenarios))
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        seen = sorted({n for n in names if names.count(n) > 1})
        raise UsageError(
            f"compare: scenarios need different names; repeated: {', '.join(seen)} "
            "(set `name:` in the scenario files)"
        )
    results = _with_bar(args, "comparing", lambda bar: compare(scenarios, bar))
    print(compare_table(names, results), file=_text_out(args))
    named = {s.name: r for s, r in zip(scenarios, results, strict=True)}
    if args.json:
        _write_json(args.json, named)
    if args.html:
        _write_html(named, args.html, "render_compare_html")
    return 0
