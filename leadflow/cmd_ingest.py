"""`leadflow ingest`: the HTTP door to leads.events (events and CRM webhooks); see
docs/integrations.md."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from leadflow.helptext import command


def register(sub: Any) -> None:
    """Register `ingest` on the CLI's subparsers (called once from `leadflow.cli._parser`)."""
    p = command(
        sub,
        "ingest",
        help="HTTP ingest: POST /v1/events and CRM webhooks (/v1/hooks/NAME) into leads.events",
        description="Serve POST /v1/events (one event, a JSON array or NDJSON) and "
        "POST /v1/hooks/NAME (a source's webhook, mapped by a mapping file); valid events are "
        "produced to leads.events (acks=all) before the answer. Settings: LEADFLOW_* "
        "(docs/integrations.md); LEADFLOW_INGEST_TOKEN is required.",
        examples="""
leadflow ingest --check --hook hubspot=hubspot.yaml --team team.yaml  # check the files
leadflow ingest --hook hubspot=hubspot.yaml --broker kafka://localhost:9092  # serve
leadflow ingest --schema > mapping.schema.json  # the JSON Schema of mapping files
""",
    )
    p.add_argument(
        "--hook", action="append", default=[], metavar="NAME=MAPPING",
        help="serve /v1/hooks/NAME with the mapping file MAPPING (repeatable), e.g. "
        "hubspot=examples/crm/hubspot.yaml",
    )  # fmt: skip
    p.add_argument("--team", help="team file: crm_owner ids of the reps (or LEADFLOW_TEAM)")
    p.add_argument("--broker", help="kafka://host:port (or LEADFLOW_BROKER)")
    p.add_argument("--host", help="listen address (or LEADFLOW_INGEST_HOST; 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (or LEADFLOW_INGEST_PORT; 6070)")
    p.add_argument("--check", action="store_true",
                   help="validate the mapping files (and team) and exit")  # fmt: skip
    p.add_argument("--schema", action="store_true",
                   help="print the JSON Schema of mapping files and exit")  # fmt: skip
    p.set_defaults(run=_run)


def _hooks(specs: list[str]) -> dict[str, Any]:
    from crm.mapping import load_mapping
    from routing.errors import LeadflowError

    hooks = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path or "/" in name:
            raise LeadflowError(f"--hook {spec!r}: expected NAME=MAPPING, e.g. "
                                "hubspot=examples/crm/hubspot.yaml")  # fmt: skip
        hooks[name] = load_mapping(path)
    return hooks


def _run(args: argparse.Namespace) -> int:
    if args.schema:
        from crm.mapping import mapping_json_schema

        print(json.dumps(mapping_json_schema(), indent=2, sort_keys=True))
        return 0
    from routing.policy.loader import load_team
    from streams.settings import load_settings

    hooks = _hooks(args.hook)
    stream = load_settings(broker=args.broker, team=args.team)
    team = load_team(stream.team) if stream.team is not None else None
    if args.check:
        for name, hook in hooks.items():
            rules = len(hook.mapping.rules)
            print(f"OK: /v1/hooks/{name}: {hook.file} ({hook.mapping.source}, {rules} rules)")
        if team is not None:
            owners = sum(1 for rep in team.reps if rep.crm_owner is not None)
            print(f"OK: {stream.team}: {len(team.reps)} reps, {owners} with crm_owner")
        return 0
    from aiohttp import web

    from crm.ingest import Ingest
    from crm.settings import load_crm_settings

    settings = load_crm_settings(ingest_host=args.host, ingest_port=args.port)
    ingest = Ingest(settings, stream, hooks, team)
    print(f"leadflow ingest: http://{settings.ingest_host}:{settings.ingest_port} -> "
          f"{stream.topic_events}; hooks: {', '.join(hooks) or 'none'}",
          file=sys.stderr, flush=True)  # fmt: skip
    web.run_app(ingest.app(), host=settings.ingest_host, port=settings.ingest_port,
                print=None, access_log=None)  # fmt: skip
    return 0
