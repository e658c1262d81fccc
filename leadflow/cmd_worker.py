"""`leadflow worker`: run the Kafka worker (see docs/worker.md)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Register `worker` on the CLI's subparsers (called once from `leadflow.cli._parser`)."""
    from leadflow.helptext import command

    p = command(
        sub,
        "worker",
        help="route live: read leads.events from Kafka, publish decisions (Faust worker)",
        description="Route live: read input events from Kafka (LEADFLOW_TOPIC_EVENTS), apply "
        "them with the same core as `leadflow replay`, and publish assignments and SLA "
        "alerts; invalid input goes to the dead-letter topic with the reason. SLA timers run "
        "on the wall clock. Run several workers for availability: partitions move between "
        "them and state survives a hard kill (docs/worker.md, docs/crash-safety.md). Serves "
        "/health, /metrics and /sla.",
        examples="""\
leadflow kafka start && leadflow worker --policy examples/policy.yaml
LEADFLOW_BROKER=kafka://10.0.0.5:9092 leadflow worker --policy policy.yaml --clock event""",
    )
    p.add_argument(
        "--policy",
        action="append",
        help="policy file (or LEADFLOW_POLICY); repeat as --policy P2@TIME (RFC 3339 with "
        "offset) for a later version in force from TIME: inputs from TIME on are decided by "
        "it, leads already MQL keep their windows (docs/worker.md, 'Changing the terms live')",
    )
    p.add_argument("--team", help="team file, overriding the policy's `team` (or LEADFLOW_TEAM)")
    p.add_argument("--broker", help="kafka://host:port (or LEADFLOW_BROKER)")
    p.add_argument(
        "--clock",
        choices=["wall", "event"],
        default="wall",
        help="wall: SLA timers fire on the wall clock, also when no events come (production); "
        "event: time follows the events' own `at`, as in `leadflow replay` (backfills, tests)",
    )
    p.add_argument(
        "--snapshot-every",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="snapshot the pool stage this often (default 5); see docs/crash-safety.md",
    )
    p.add_argument(
        "--session-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="Kafka group session timeout: how soon a dead worker's partitions move (default 10)",
    )
    p.add_argument(
        "--publish-snapshots",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="publish the newest snapshot to the <app>-snapshots topic this often, so a worker "
        "without the file recovers from Kafka (default 60; 0: never)",
    )
    p.add_argument(
        "--trim-routing-log",
        action="store_true",
        help="after each published snapshot, delete the routing log before it",
    )
    p.add_argument(
        "--no-freeze-heap",
        action="store_true",
        help="let the garbage collector traverse the engine's state (slower; for comparison)",
    )
    p.add_argument(
        "--clock-skew",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="wall clock: an event whose `at` is more than this ahead of the worker's clock is "
        "dead-lettered as implausible (default 300); event clock: the policy's "
        "`inputs.max_ahead` applies",
    )
    p.add_argument("--loglevel", default="warning", help="Faust log level (default warning)")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    import faust

    from routing.errors import LeadflowError
    from routing.policy.versioned import load_versions
    from streams.app import WorkerOptions, build_app
    from streams.settings import load_settings

    specs: list[str] = args.policy or []
    settings = load_settings(
        broker=args.broker, policy=specs[0] if specs else None, team=args.team
    )
    if settings.policy is None:
        raise LeadflowError("worker: name a policy with --policy or LEADFLOW_POLICY")
    loaded = load_versions([str(settings.policy), *specs[1:]], settings.team)
    options = WorkerOptions(
        clock=args.clock,
        snapshot_every_s=args.snapshot_every,
        session_timeout_s=args.session_timeout,
        publish_every_s=args.publish_snapshots,
        trim_log=args.trim_routing_log,
        freeze_heap=not args.no_freeze_heap,
        clock_skew_s=args.clock_skew,
    )
    app = build_app(settings, loaded, options)
    worker = faust.Worker(app, loglevel=args.loglevel, quiet=True)
    worker.execute_from_commandline()  # runs until SIGTERM/SIGINT; exits the process
    return 0
