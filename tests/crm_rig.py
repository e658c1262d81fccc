"""An ingest service of one test's own: `leadflow ingest`'s app (crm.ingest) served in the
test's event loop on a free port, producing to topics of its own on the test broker."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from crm.ingest import Ingest
from crm.mapping import load_mapping
from crm.settings import CrmSettings
from crm.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from routing.policy.loader import load_team
from streams.settings import StreamSettings
from tests.kafka_harness import create_topic, unique_name

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "crm"
EXAMPLES = REPO / "examples" / "crm"
TOKEN = "test-ingest-token"
SECRET = "hubspot-client-secret-of-the-test-app"


@dataclass
class IngestRig:
    bootstrap: str
    events: str
    deadletter: str
    server: TestServer
    ingest: Ingest
    session: aiohttp.ClientSession

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None, token: bool = True
    ) -> tuple[int, dict[str, Any]]:
        given = {"Content-Type": "application/json", **(headers or {})}
        if token:
            given["Authorization"] = f"Bearer {TOKEN}"
        async with self.session.post(self.url(path), data=body, headers=given) as resp:
            text = await resp.text()
            return resp.status, json.loads(text) if text.startswith("{") else {"text": text}

    async def hubspot(
        self, body: bytes, secret: str = SECRET, age_s: float = 0.0, tamper: bytes | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST a HubSpot batch signed as HubSpot signs it (with `secret`, `age_s` ago);
        `tamper`: the body actually sent (signed: `body`)."""
        stamp = str(int((time.time() - age_s) * 1000))
        url = self.url("/v1/hooks/hubspot")
        headers = {SIGNATURE_HEADER: sign(secret, "POST", url, body, stamp),
                   TIMESTAMP_HEADER: stamp}  # fmt: skip
        return await self.post("/v1/hooks/hubspot", tamper or body, headers, token=False)

    async def read(self, topic: str, at_least: int, deadline_s: float = 20.0,
                   settle_s: float = 0.0) -> list[ConsumerRecord[bytes, bytes]]:  # fmt: skip
        """The records of `topic` from the start: once `at_least` are there (and, with
        `settle_s`, after that long without more)."""
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self.bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        got: list[ConsumerRecord[bytes, bytes]] = []
        try:
            end = time.monotonic() + deadline_s
            quiet_until = None
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    got.extend(records)
                now = time.monotonic()
                if len(got) >= at_least:
                    if batch or quiet_until is None:
                        quiet_until = now + settle_s
                    if now >= quiet_until:
                        return got
                if now > end:
                    pytest.fail(f"{topic}: {len(got)} records within {deadline_s}s, "
                                f"wanted {at_least}")  # fmt: skip
        finally:
            await consumer.stop()


async def ingest_rig(
    bootstrap: str, events: str | None = None, team: bool = True, **settings: Any
) -> AsyncIterator[IngestRig]:
    events = events or unique_name("crm-events")
    deadletter = unique_name("crm-dead")
    await create_topic(bootstrap, events, 1)
    await create_topic(bootstrap, deadletter, 1)
    stream = StreamSettings(broker=f"kafka://{bootstrap}", topic_events=events,
                            topic_deadletter=deadletter)  # fmt: skip
    crm = CrmSettings(ingest_token=TOKEN, hubspot_client_secret=SECRET, **settings)  # type: ignore[arg-type]
    hooks = {name: load_mapping(EXAMPLES / f"{name}.yaml")
             for name in ("hubspot", "salesforce", "generic")}  # fmt: skip
    roster = load_team(EXAMPLES / "team.yaml") if team else None
    ingest = Ingest(crm, stream, hooks, roster)
    server = TestServer(ingest.app(), host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    try:
        yield IngestRig(bootstrap, events, deadletter, server, ingest, session)
    finally:
        await session.close()
        await server.close()
