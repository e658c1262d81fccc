"""`leadflow kafka start|stop|status`: a local single-node Kafka broker, no Docker needed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add the `kafka` command to the `leadflow` sub-command parsers."""
    from leadflow.helptext import command

    p = command(
        sub,
        "kafka",
        help="run a local Apache Kafka broker (fetched from Maven Central; needs Java and Maven)",
        description="Start, stop or ask about a single-node Apache Kafka broker on 127.0.0.1, "
        "for trying the worker without Docker. The first start fetches the broker's jars "
        "from Maven Central into DIR/jars (needs Java 17+ and Maven). `status` exits 3 when "
        "the broker is not running.",
        examples="""\
leadflow kafka start            # on 127.0.0.1:9092, data in .kafka/
leadflow kafka status
leadflow kafka stop""",
    )
    actions = p.add_subparsers(
        required=True, metavar="ACTION", help="start, stop or status (each has --help)"
    )
    for name, run, text in (
        ("start", _start, "fetch the jars (once), start the broker, wait until it answers"),
        ("stop", _stop, "stop the broker (SIGTERM, then SIGKILL past a deadline)"),
        ("status", _status, "say whether the broker runs and where (exit 3 when it does not)"),
    ):
        a = command(
            actions, name, help=text, description=text[:1].upper() + text[1:] + ".",
            examples=f"leadflow kafka {name} --dir .kafka",
        )  # fmt: skip
        a.add_argument("--dir", default=".kafka", help="data, log and pid file (default: .kafka)")
        a.add_argument(
            "--jars", help="cache of the broker's jars (default: DIR/jars, fetched once)"
        )
        a.add_argument(
            "--port",
            type=int,
            help="client port on 127.0.0.1 (default: 9092, or the one DIR was started with); "
            "the controller listens on the next port",
        )
        if name == "start":
            a.add_argument("--timeout", type=float, default=120.0, help="seconds to wait")
        a.set_defaults(run=run)


def _broker(args: argparse.Namespace) -> Any:
    from streams.broker.node import LocalBroker

    jars = Path(args.jars) if args.jars else None
    return LocalBroker.at(Path(args.dir), port=args.port, jars=jars)


def _start(args: argparse.Namespace) -> int:
    broker = _broker(args)
    status = broker.status()
    if status.running:
        print(f"kafka: already running (pid {status.pid}) at {status.bootstrap}")
        return 0
    print(f"kafka: starting at {broker.bootstrap}; log: {broker.log_path}", file=sys.stderr)
    seconds = broker.start(deadline_s=args.timeout)
    status = broker.status()
    print(
        f"kafka: started in {seconds:.1f}s (pid {status.pid}) at {status.bootstrap}; "
        f"log: {broker.log_path}; stop with `leadflow kafka stop --dir {args.dir}`"
    )
    return 0


def _stop(args: argparse.Namespace) -> int:
    broker = _broker(args)
    if broker.stop():
        print(f"kafka: stopped (was at {broker.bootstrap})")
    else:
        print(f"kafka: not running ({broker.home})")
    return 0


def _status(args: argparse.Namespace) -> int:
    status = _broker(args).status()
    print(status.describe())
    return 0 if status.running else 3
