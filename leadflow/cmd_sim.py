"""`leadflow simulate`, `leadflow staff`, `leadflow compare`: the simulator's commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from routing.errors import LeadflowError

T = TypeVar("T")


def add_sim_commands(sub: Any) -> None:
    """Register the simulator's subcommands on the `leadflow` parser."""
    p = sub.add_parser("simulate", help="run a scenario through the routing core on a SimPy clock")
    p.add_argument("scenario")
    _run_flags(p, "the scenario's", "the results JSON here ('-': stdout)",
               "the HTML report with plots here")  # fmt: skip
    p.set_defaults(run=_simulate)

    p = sub.add_parser("staff", help="smallest headcount of a pool that meets every target")
    p.add_argument("scenario")
    _run_flags(p, "the scenario's", "the search's table as JSON here",
               "the search as an HTML page with plots")  # fmt: skip
    p.set_defaults(run=_staff)

    p = sub.add_parser("compare", help="scenarios side by side on the same random numbers")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    _run_flags(p, "the first scenario's", "every scenario's results JSON here",
               "the comparison as an HTML page")  # fmt: skip
    p.set_defaults(run=_compare)


def _run_flags(p: Any, whose: str, json_what: str, html_what: str) -> None:
    """The flags every simulator command takes: replications, seed, outputs, progress."""
    p.add_argument("--replications", type=int, help=f"override {whose} `replications`")
    p.add_argument("--seed", type=int, help=f"override {whose} `seed`")
    p.add_argument("--json", metavar="FILE", help=f"write {json_what}")
    p.add_argument("--html", metavar="FILE", help=f"write {html_what}")
    _progress_flag(p)


def _progress_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


def _load(path: str, args: argparse.Namespace) -> Any:
    from simulator.scenario import load_scenario

    if args.replications is not None and args.replications < 1:
        raise LeadflowError(f"--replications: expected at least 1, got {args.replications}")
    return load_scenario(path).with_runs(args.replications, args.seed)


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


def _write_json(path: str, data: Any) -> None:
    text = json.dumps(data, indent=2, allow_nan=False)
    if path == "-":
        print(text)
        return
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise LeadflowError(f"{path}: cannot write ({exc.strerror})") from None


def _simulate(args: argparse.Namespace) -> int:
    from simulator.run import simulate
    from simulator.text import summary

    scenario = _load(args.scenario, args)
    result = _with_bar(args, f"simulating {scenario.name}", lambda bar: simulate(scenario, bar))
    print(summary(result), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        _write_json(args.json, result)
    if args.html:
        _write_html(result, args.html)
    return 0


def _write_html(data: Any, path: str, writer: str = "write_html") -> None:
    """Render DATA with `simulator.report.<writer>` and write it to PATH."""
    try:
        from simulator import report
    except ImportError as exc:
        raise LeadflowError(
            f"--html: the HTML report is not available in this build ({exc}); "
            "use --json and render it later"
        ) from None
    try:
        getattr(report, writer)(data, path)
    except OSError as exc:
        raise LeadflowError(f"{path}: cannot write ({exc.strerror})") from None
    print(f"wrote {path}", file=sys.stderr)


def _staff(args: argparse.Namespace) -> int:
    from simulator.staffing import search
    from simulator.text import staffing_table

    scenario = _load(args.scenario, args)
    found = _with_bar(
        args, f"staffing search on {scenario.name}", lambda bar: search(scenario, bar)
    )
    print(staffing_table(found))
    if args.json:
        _write_json(args.json, found)
    if args.html:
        _write_html(found, args.html, "write_staff_html")
    return 0 if found["reachable_headcount"] is not None else 1


def _compare(args: argparse.Namespace) -> int:
    from simulator.compare import compare
    from simulator.text import compare_table

    scenarios = [_load(path, args) for path in args.scenarios]
    results = _with_bar(args, "comparing", lambda bar: compare(scenarios, bar))
    print(compare_table([s.name for s in scenarios], results))
    named = {s.name: r for s, r in zip(scenarios, results, strict=True)}
    if args.json:
        _write_json(args.json, named)
    if args.html:
        _write_html(named, args.html, "write_compare_html")
    return 0
