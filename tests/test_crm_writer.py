"""The owner write-back's requests against a local stand-in CRM (no broker): HubSpot and
Salesforce owner updates, retries through 503s, refusals and unknown owners dead-lettered
with the reason, leads of no CRM skipped, and an in-doubt decision not written twice."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from crm.delivery import Outcome
from crm.settings import CrmSettings
from crm.sink import OwnerWriter
from routing.policy.loader import load_team
from streams.codecs import Decision
from tests.crm_rig import EXAMPLES
from tests.crm_server import HUBSPOT_TOKEN, SALESFORCE_TOKEN, FakeCrm


def _decision(event_id: str, lead_id: str, rep_id: str, kind: str = "lead.assigned") -> Decision:
    return Decision(event_id=event_id, type=kind, at="2026-01-06T10:00:00-05:00",
                    lead_id=lead_id, rep_id=rep_id, pool="enterprise")  # fmt: skip


@pytest.fixture
async def crm_writer() -> AsyncIterator[tuple[FakeCrm, OwnerWriter]]:
    crm = FakeCrm()
    server = await crm.start()
    base = str(server.make_url("")).rstrip("/")
    settings = CrmSettings(hubspot_base_url=base, hubspot_token=HUBSPOT_TOKEN,  # type: ignore[arg-type]
                           salesforce_base_url=base, salesforce_token=SALESFORCE_TOKEN,
                           sink_retry_max_s=0.05)  # fmt: skip
    async with aiohttp.ClientSession() as session:
        yield crm, OwnerWriter(settings, load_team(EXAMPLES / "team.yaml"), session)
    await server.close()


async def test_owner_updates_retries_refusals_and_doubt(
    crm_writer: tuple[FakeCrm, OwnerWriter],
) -> None:
    crm, write = crm_writer
    got = await write(_decision("d1", "hs-1201", "rep-01"), False)
    assert got == Outcome("delivered", "hubspot 1201 -> 51234501")
    got = await write(_decision("d2", "sf-00Q5e00000AbCdEAA1", "rep-05", "lead.reassigned"), False)
    assert got.state == "delivered"
    assert [(p.crm, p.record, p.owner, p.event_id) for p in crm.patches] == [
        ("hubspot", "1201", "51234501", "d1"),
        ("salesforce", "00Q5e00000AbCdEAA1", "005Dn00000Rep05AAA", "d2"),
    ]

    crm.down_until = time.monotonic() + 0.5  # 503s, then it answers
    assert (await write(_decision("d3", "hs-1202", "rep-04"), False)).state == "delivered"
    assert crm.refused > 1 and crm.patches[-1].event_id == "d3"

    crm.missing.add("999")
    got = await write(_decision("d4", "hs-999", "rep-01"), False)
    assert got.state == "dead" and got.detail.startswith("hubspot answered 404: ")
    got = await write(_decision("d5", "hs-1203", "rep-99"), False)
    assert got == Outcome("dead", "rep 'rep-99' has no crm_owner.hubspot in the team file")
    got = await write(_decision("d6", "L-77", "rep-01"), False)
    assert got == Outcome("skipped", "lead id 'L-77' has no CRM prefix")

    # In doubt after a crash: the record already has the owner, so it is not written again;
    # it has another owner, so it is written.
    sent = len(crm.patches)
    got = await write(_decision("d1", "hs-1201", "rep-01"), True)
    assert got.state == "delivered" and "already" in got.detail and len(crm.patches) == sent
    got = await write(_decision("d7", "hs-1201", "rep-02", "lead.reassigned"), True)
    assert got.state == "delivered" and crm.patches[-1].event_id == "d7"
    assert crm.gets == 2
