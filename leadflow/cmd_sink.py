"""`leadflow sink`: write the owner leadflow chose back to the CRM (crm/sink.py)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from leadflow.helptext import command

STOP_GRACE_S = 10.0


def register(sub: Any) -> None:
    """Register `sink` on the CLI's subparsers (called once from `leadflow.cli._parser`)."""
    p = command(
        sub,
        "sink",
        help="write assignments back to the CRM (HubSpot contact owner, Salesforce Lead OwnerId)",
        description="Consume lead.assigned / lead.reassigned in a consumer group of its own and "
        "update the CRM record's owner, once per decision, in order per lead; settings: "
        "LEADFLOW_* (docs/integrations.md).",
        examples="""
leadflow sink --team team.yaml --broker kafka://localhost:9092 --state sink-state.jsonl
""",
    )
    p.add_argument("--team", help="team file with the reps' crm_owner ids (or LEADFLOW_TEAM)")
    p.add_argument("--broker", help="kafka://host:port (or LEADFLOW_BROKER)")
    p.add_argument("--state", help="delivery records file (or LEADFLOW_SINK_STATE)")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from routing.errors import LeadflowError

    if not (args.team or _env_team()):
        raise LeadflowError("sink: name the team file with --team or LEADFLOW_TEAM")
    return asyncio.run(_main(args))


def _env_team() -> str | None:
    import os

    return os.environ.get("LEADFLOW_TEAM")


async def _main(args: argparse.Namespace) -> int:
    import aiohttp
    from aiokafka.errors import KafkaError

    from crm.delivery import DecisionConsumer, DeliveryLog
    from crm.errors import CrmError
    from crm.settings import load_crm_settings
    from crm.sink import TYPES, OwnerWriter
    from routing.policy.loader import load_team
    from streams.settings import load_settings

    stream = load_settings(broker=args.broker, team=args.team)
    settings = load_crm_settings(sink_state=args.state)
    assert stream.team is not None
    team = load_team(stream.team)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    timeout = aiohttp.ClientTimeout(total=settings.sink_timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        writer = OwnerWriter(settings, team, session)  # checks the credentials first
        records = DeliveryLog(settings.sink_state)
        consumer = DecisionConsumer(
            stream, settings.sink_group, [stream.topic_assignments], TYPES, records, writer,
            settings.sink_concurrency, settings.sink_session_timeout_s,
        )  # fmt: skip
        print(f"leadflow sink: {stream.topic_assignments} (group {settings.sink_group}) -> "
              f"CRM; records in {settings.sink_state}", file=sys.stderr, flush=True)  # fmt: skip
        run = asyncio.create_task(consumer.run(stop))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({run, stopping}, return_when=asyncio.FIRST_COMPLETED)
            # Stopping: the batch in hand finishes, unless the CRM keeps failing; then the
            # deliveries under way are left `sending`, and checked against the CRM on restart.
            await asyncio.wait_for(run, STOP_GRACE_S)
        except TimeoutError:
            print(f"leadflow sink: stopped after {STOP_GRACE_S:g} s with deliveries under way",
                  file=sys.stderr)  # fmt: skip
        except KafkaError as exc:
            raise CrmError(f"sink: Kafka at {stream.broker}: {exc}") from None
        finally:
            stopping.cancel()
            print(f"leadflow sink: stopped; this run {consumer.done}", file=sys.stderr)
            records.close()
    return 0
