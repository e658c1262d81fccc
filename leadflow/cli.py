"""The `leadflow` command line. Each command lives in its own `leadflow/cmd_<name>.py` with
a `register(sub)` function; this module builds the parser from them and turns every
failure into one message and an exit status (0 done, 1 internal error, 2 usage or input
error): no Python traceback reaches a user."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from leadflow import (
    cmd_backtest,
    cmd_explain,
    cmd_info,
    cmd_ingest,
    cmd_init,
    cmd_kafka,
    cmd_loadgen,
    cmd_notify,
    cmd_plan,
    cmd_policy,
    cmd_replay,
    cmd_review,
    cmd_scorecard,
    cmd_sim,
    cmd_sink,
    cmd_validate,
    cmd_worker,
)
from leadflow.helptext import EPILOG, Formatter, GroupedParser
from routing.errors import LeadflowError

# Re-exported: tests and scripts import these from here.
readable = cmd_replay.readable
summary = cmd_replay.summary

REPORT_TO = (
    "this is a bug in leadflow, not in your input: please report it on the leadflow issue "
    "tracker with the command line, the output of `leadflow info`, and (if you can) the input"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse printed
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        code: int = args.run(args)
        return code
    except LeadflowError as exc:
        print(f"leadflow: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("leadflow: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except Exception as exc:  # a bug: one message, where to report it, no traceback
        where = _where(exc)
        print(f"leadflow: internal error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        print(f"leadflow: {REPORT_TO}", file=sys.stderr)
        if os.environ.get("LEADFLOW_TRACEBACK"):
            raise
        return 1


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    code = tb.tb_frame.f_code
    return f" (in {os.path.basename(code.co_filename)}:{tb.tb_lineno}, {code.co_name})"


def _quiet_stdout() -> None:
    """After a closed pipe (`leadflow replay ... | head`), nothing more to say."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _parser() -> GroupedParser:
    parser = GroupedParser(
        prog="leadflow",
        description="A sales & marketing SLA that enforces itself: one YAML policy, the same "
        "routing core offline, in simulation and live on Kafka.",
        epilog=EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=cmd_info.version_line())
    sub = parser.add_subparsers(
        required=True, metavar="COMMAND", parser_class=argparse.ArgumentParser
    )
    cmd_init.register(sub)
    cmd_validate.register(sub)
    cmd_validate.register_schema(sub)
    cmd_info.register(sub)
    cmd_replay.register(sub)
    cmd_scorecard.register(sub)
    cmd_explain.register(sub)
    cmd_sim.register(sub)
    cmd_worker.register(sub)
    cmd_kafka.register(sub)
    cmd_loadgen.register(sub)
    cmd_notify.register(sub)
    cmd_ingest.register(sub)
    cmd_sink.register(sub)
    cmd_review.register(sub)
    cmd_backtest.register(sub)
    cmd_policy.register(sub)
    cmd_plan.register(sub)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
