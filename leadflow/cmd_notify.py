"""`leadflow notify`: deliver what the decisions say people are to be told
(docs/notifications.md)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from leadflow.helptext import command


def register(sub: Any) -> None:
    """Register `notify` on the CLI's subparsers (called once from `leadflow.cli._parser`)."""
    p = command(
        sub,
        "notify",
        help="tell people: chat, signed webhooks and email from the decision topics, once each",
        description="Consume the decision topics and tell the people the policy's "
        "`notifications:` section names: chat messages, signed webhooks and email, each "
        "exactly once (delivered records are kept before offsets are committed). Without a "
        "broker, --plan prints who would be told what for a decisions file and --digests "
        "replays an events file and prints the daily digests. Settings: LEADFLOW_* "
        "(docs/notifications.md).",
        examples="""
leadflow notify --policy policy.yaml --broker kafka://localhost:9092  # run: tell people
leadflow notify --policy policy.yaml --plan decisions.jsonl           # who would be told what
""",
    )
    p.add_argument("--policy", required=True, help="policy file with a `notifications:` section")
    p.add_argument("--team", help="team file with contacts, overriding the policy's `team`")
    p.add_argument("--broker", help="kafka://host:port (or LEADFLOW_BROKER)")
    p.add_argument(
        "--clock", choices=["wall", "event"], default=None,
        help="when held messages are due: wall clock (production) or the latest decision's "
        "`at` (replays, tests); default LEADFLOW_NOTIFY_CLOCK or wall",
    )
    p.add_argument(
        "--plan", metavar="DECISIONS",
        help="do not connect: print who would be told what for a decisions .jsonl file",
    )
    p.add_argument(
        "--digests", metavar="EVENTS",
        help="do not connect: replay an events .jsonl file in event time and print the daily "
        "digests the core computes at each rep's start of day (JSON lines), with a count",
    )
    p.add_argument(
        "--publish-summary", metavar="SCORECARD_JSON",
        help="publish the weekly summary of a closed week (from `leadflow scorecard --json`) "
        "on the alerts topic, for the running notifier to deliver once, then exit (the "
        "worker emits it by itself when a week closes and the policy has `weekly_summary:`; "
        "this is for a week closed before that, or by hand)",
    )
    p.add_argument("--week", help="with --publish-summary: the week's label (default: the last "
                   "closed week)")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from routing.notifications import Directory
    from routing.policy.loader import load_policy

    loaded = load_policy(args.policy, args.team)
    directory = Directory(loaded)
    if args.plan:
        return _plan(args.plan, directory)
    if args.digests:
        return _digests(args.digests, loaded)
    from notifier.service import Notifier
    from notifier.settings import load_notify_settings
    from streams.app import topic_names
    from streams.settings import load_settings

    settings = load_settings(broker=args.broker)
    if args.publish_summary:
        return _publish_summary(args, settings)
    overrides = {"clock": args.clock} if args.clock else {}
    notify = load_notify_settings(**overrides)
    names = topic_names(settings)
    notifier = Notifier(
        directory, notify, settings.aiokafka_kwargs(), [names.assignments, names.alerts],
        say=lambda line: print(line, file=sys.stderr, flush=True),
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await notifier.run(stop)

    asyncio.run(main())
    print(f"notify: stopped; {notifier.counts}", file=sys.stderr)
    return 0


def _plan(path: str, directory: Any) -> int:
    import orjson

    from routing.errors import LeadflowError
    from routing.notifications import plan, when

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LeadflowError(f"{path}: cannot read decisions ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise LeadflowError(
            f"{path}: not a decisions file: byte {exc.start} is not UTF-8 text "
            "(expected JSON lines, one decision each)"
        ) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            decision = orjson.loads(line)
            msgs = plan(decision, directory)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise LeadflowError(f"{path}, line {number}: not a decision ({exc})") from None
        for m in msgs:
            cal = directory.calendar_of(m.recipient)
            from datetime import UTC, datetime

            stamp = datetime.fromtimestamp(m.deliver_at, UTC).isoformat()
            held = f" (held until {when(stamp, cal)})" if m.held else ""
            sent = when(decision["at"], cal)
            print(f"{sent:<22} {m.recipient:<8} {m.channel:<8} {m.title}{held}")
    return 0


def _publish_summary(args: argparse.Namespace, settings: Any) -> int:
    import json

    import orjson
    from aiokafka import AIOKafkaProducer

    from routing.errors import LeadflowError
    from routing.summary import weekly_summary

    try:
        scorecard = json.loads(Path(args.publish_summary).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LeadflowError(f"{args.publish_summary}: not a scorecard JSON file ({exc})") from None
    summary = weekly_summary(scorecard, args.week)
    if summary is None:
        raise LeadflowError(
            f"{args.publish_summary}: no closed week"
            + (f" labelled {args.week!r}" if args.week else "")
        )

    async def send() -> None:
        producer = AIOKafkaProducer(**settings.aiokafka_kwargs(), acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.topic_alerts, orjson.dumps(summary), key=b"summary"
            )
        finally:
            await producer.stop()

    asyncio.run(send())
    print(f"notify: published {summary['event_id']} on {settings.topic_alerts}", file=sys.stderr)
    return 0


def _digests(path: str, loaded: Any) -> int:
    import orjson

    from routing.briefings import with_digests
    from routing.engine import Engine
    from routing.errors import LeadflowError
    from routing.policy.notifications import Digest
    from routing.replay import replay

    notifications = loaded.policy.notifications
    config = notifications.digest if notifications and notifications.digest else Digest()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LeadflowError(f"{path}: cannot read events ({exc.strerror})") from None
    count = 0
    for out in replay(with_digests(Engine(loaded), config), lines):
        if out["type"] == "digest.due":
            count += 1
            sys.stdout.write(orjson.dumps(out).decode() + "\n")
    print(f"notify: {count} digests", file=sys.stderr)
    return 0
