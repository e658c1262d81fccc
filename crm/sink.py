"""`leadflow sink`: the owner leadflow chose, written back to the CRM record.

`lead.assigned` and `lead.reassigned` (on the assignments topic) become the CRM's owner
update: HubSpot's CRM v3 contact update (`PATCH /crm/v3/objects/contacts/<id>` with
`{"properties": {"hubspot_owner_id": ...}}`) or Salesforce's sObject update
(`PATCH /services/data/<version>/sobjects/Lead/<id>` with `{"OwnerId": ...}`). The lead id
says which CRM and which record (`hs-<contact id>`, `sf-<Lead id>`: the prefixes the example
mappings give, LEADFLOW_SINK_HUBSPOT_PREFIX / _SALESFORCE_PREFIX); the rep id becomes the
CRM owner id through team.yaml's `crm_owner`.

Delivery (crm.delivery): each decision once, per lead in order; transient failures (no
answer, 408, 425, 429, 5xx) are retried with a growing pause (Retry-After honoured) for as
long as they last; a refusal (another 4xx), a rep without an owner id, are dead-lettered
with the reason. Each request carries `X-Leadflow-Event-Id` (the decision's event_id).
After a crash, a decision that was being sent is first checked against the record: if its
owner already is the one to write, it is not written again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from crm.delivery import Outcome
from crm.errors import CrmError
from crm.settings import CrmSettings
from routing.policy.team import Team
from streams.codecs import Decision

log = logging.getLogger("leadflow.sink")
TYPES = frozenset({"lead.assigned", "lead.reassigned"})
TRANSIENT = frozenset({408, 425, 429})
EVENT_HEADER = "X-Leadflow-Event-Id"


@dataclass(frozen=True)
class Target:
    crm: str  # hubspot | salesforce
    record: str  # contact id / Lead id
    owner: str  # hubspot_owner_id / OwnerId
    url: str
    body: dict[str, Any]
    token: str


class OwnerWriter:
    """Turns an assignment into the CRM's owner update and sends it (a `Deliver`)."""

    def __init__(
        self, settings: CrmSettings, team: Team, session: aiohttp.ClientSession,
        sleep: Any = asyncio.sleep,
    ) -> None:  # fmt: skip
        self.settings, self.session, self.sleep = settings, session, sleep
        self.owners: dict[tuple[str, str], str] = {}
        for rep in team.reps:
            if rep.crm_owner is not None:
                for crm in ("hubspot", "salesforce"):
                    owner = getattr(rep.crm_owner, crm)
                    if owner is not None:
                        self.owners[(crm, rep.id)] = owner
        prefixes = [
            (settings.sink_hubspot_prefix, "hubspot"),
            (settings.sink_salesforce_prefix, "salesforce"),
        ]
        self.prefixes = sorted(((p, crm) for p, crm in prefixes if p), key=lambda pc: -len(pc[0]))
        if any(crm == "hubspot" for _, crm in self.prefixes) and settings.hubspot_token is None:
            raise CrmError("sink: set LEADFLOW_HUBSPOT_TOKEN (or LEADFLOW_SINK_HUBSPOT_PREFIX= "
                           "empty to write nothing to HubSpot)")  # fmt: skip
        if any(crm == "salesforce" for _, crm in self.prefixes) and (
            settings.salesforce_token is None or settings.salesforce_base_url is None
        ):
            raise CrmError("sink: set LEADFLOW_SALESFORCE_BASE_URL and LEADFLOW_SALESFORCE_TOKEN "
                           "(or LEADFLOW_SINK_SALESFORCE_PREFIX= empty to write nothing to "
                           "Salesforce)")  # fmt: skip

    def target(self, decision: Decision) -> Target | Outcome:
        values = decision.as_dict()
        lead_id, rep_id = str(values.get("lead_id", "")), str(values.get("rep_id", ""))
        found = [(crm, lead_id[len(p) :]) for p, crm in self.prefixes if lead_id.startswith(p)]
        if not found or not found[0][1]:
            return Outcome("skipped", f"lead id {lead_id!r} has no CRM prefix")
        crm, record = found[0]  # the longest prefix
        owner = self.owners.get((crm, rep_id))
        if owner is None:
            return Outcome("dead", f"rep {rep_id!r} has no crm_owner.{crm} in the team file")
        s = self.settings
        if crm == "hubspot":
            assert s.hubspot_token is not None
            url = f"{s.hubspot_base_url.rstrip('/')}/crm/v3/objects/contacts/{record}"
            body: dict[str, Any] = {"properties": {"hubspot_owner_id": owner}}
            token = s.hubspot_token.get_secret_value()
        else:
            assert s.salesforce_token is not None and s.salesforce_base_url is not None
            base = s.salesforce_base_url.rstrip("/")
            url = f"{base}/services/data/{s.salesforce_api_version}/sobjects/Lead/{record}"
            body = {"OwnerId": owner}
            token = s.salesforce_token.get_secret_value()
        return Target(crm, record, owner, url, body, token)

    async def __call__(self, decision: Decision, in_doubt: bool) -> Outcome:
        target = self.target(decision)
        if isinstance(target, Outcome):
            return target
        headers = {"Authorization": f"Bearer {target.token}", EVENT_HEADER: decision.event_id}
        if in_doubt and await self._landed(target, headers):
            return Outcome("delivered", f"{target.crm} {target.record}: owner already "
                           f"{target.owner} (sent before a restart)")  # fmt: skip
        pause = 0.2
        while True:
            status, text, retry_after = await self._send("PATCH", target.url, headers,
                                                         target.body)  # fmt: skip
            if 200 <= status < 300:
                return Outcome("delivered", f"{target.crm} {target.record} -> {target.owner}")
            if status and status < 500 and status not in TRANSIENT:
                return Outcome("dead", f"{target.crm} answered {status}: {text[:300]}")
            wait = retry_after if retry_after is not None else pause
            log.warning("%s %s: %s; retrying in %.1f s", target.crm, target.record,
                        status or text, wait)  # fmt: skip
            await self.sleep(min(wait, self.settings.sink_retry_max_s))
            pause = min(pause * 2, self.settings.sink_retry_max_s)

    async def _landed(self, target: Target, headers: dict[str, str]) -> bool:
        """Whether the record's owner already is the target's (an in-doubt send landed)."""
        if target.crm == "hubspot":
            url = f"{target.url}?properties=hubspot_owner_id"
        else:
            url = f"{target.url}?fields=OwnerId"
        pause = 0.2
        while True:
            try:
                async with self.session.get(url, headers=headers) as resp:
                    if resp.status == 200:
                        data = await resp.json(content_type=None)
                        if target.crm == "hubspot":
                            current = (data.get("properties") or {}).get("hubspot_owner_id")
                        else:
                            current = data.get("OwnerId")
                        return bool(current == target.owner)
                    if resp.status < 500 and resp.status not in TRANSIENT:
                        return False  # cannot tell: send it (the update is idempotent)
            except (aiohttp.ClientError, TimeoutError):
                pass
            await self.sleep(pause)
            pause = min(pause * 2, self.settings.sink_retry_max_s)

    async def _send(
        self, method: str, url: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, str, float | None]:
        try:
            async with self.session.request(method, url, json=body, headers=headers) as resp:
                text = await resp.text()
                after = resp.headers.get("Retry-After")
                retry = float(after) if after and after.replace(".", "", 1).isdigit() else None
                return resp.status, text, retry
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, f"no answer ({type(exc).__name__})", None


__all__ = ["TYPES", "OwnerWriter", "Target"]
