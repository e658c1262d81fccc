"""A local HTTP server standing in for the CRM's owner endpoints (HubSpot CRM v3 contacts,
Salesforce sObject Lead): it keeps each record's owner, records every PATCH in arrival
order, checks the bearer token, and answers 503 while told to be down."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

HUBSPOT_TOKEN = "hs-test-token"
SALESFORCE_TOKEN = "sf-test-token"


@dataclass
class Patch:
    crm: str
    record: str
    owner: str
    event_id: str


@dataclass
class FakeCrm:
    patches: list[Patch] = field(default_factory=list)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    down_until: float = 0.0  # monotonic: 503 until then
    refused: int = 0  # requests answered 503
    gets: int = 0
    missing: set[str] = field(default_factory=set)  # record ids answered 404

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/crm/v3/objects/contacts/{id}", self.hubspot)
        app.router.add_route("*", "/services/data/{version}/sobjects/Lead/{id}", self.salesforce)
        return app

    async def start(self) -> TestServer:
        server = TestServer(self.app(), host="127.0.0.1")
        await server.start_server()
        return server

    def _gate(self, request: web.Request, token: str) -> web.Response | None:
        if time.monotonic() < self.down_until:
            self.refused += 1
            return web.json_response({"message": "down for maintenance"}, status=503)
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"message": "unauthorized"}, status=401)
        if request.match_info["id"] in self.missing:
            return web.json_response({"message": "resource not found"}, status=404)
        return None

    async def hubspot(self, request: web.Request) -> web.Response:
        refusal = self._gate(request, HUBSPOT_TOKEN)
        if refusal is not None:
            return refusal
        record = request.match_info["id"]
        if request.method == "GET":
            self.gets += 1
            owner = self.owners.get(("hubspot", record), "")
            return web.json_response({"id": record, "properties": {"hubspot_owner_id": owner}})
        body = await request.json()
        owner = body["properties"]["hubspot_owner_id"]
        return self._patched("hubspot", record, owner, request)

    async def salesforce(self, request: web.Request) -> web.Response:
        refusal = self._gate(request, SALESFORCE_TOKEN)
        if refusal is not None:
            return refusal
        record = request.match_info["id"]
        if request.method == "GET":
            self.gets += 1
            return web.json_response(
                {"Id": record, "OwnerId": self.owners.get(("salesforce", record))}
            )
        return self._patched("salesforce", record, (await request.json())["OwnerId"], request)

    def _patched(self, crm: str, record: str, owner: str, request: web.Request) -> web.Response:
        self.owners[(crm, record)] = owner
        self.patches.append(Patch(crm, record, owner, request.headers["X-Leadflow-Event-Id"]))
        if crm == "hubspot":
            return web.json_response({"id": record, "properties": {"hubspot_owner_id": owner}})
        return web.Response(status=204)
