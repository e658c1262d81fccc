"""Must-show 2: HubSpot's v3 signature. A validly signed batch is accepted; a tampered body,
a wrong secret and a timestamp older than 5 minutes are refused with 401, and nothing of
them reaches the input or the dead-letter topic."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest

from crm.signature import sign, verify
from tests.crm_rig import DATA, IngestRig, ingest_rig


@pytest.fixture
async def rig(kafka_bootstrap: str) -> AsyncIterator[IngestRig]:
    async for made in ingest_rig(kafka_bootstrap):
        yield made


def _batch(first_id: int) -> bytes:
    """A one-contact creation batch with a fresh eventId (each case its own)."""
    event = orjson.loads((DATA / "hubspot_contacts.json").read_bytes())[0]
    return orjson.dumps([{**event, "eventId": first_id, "objectId": first_id}])


async def test_valid_signature_accepted_others_refused_and_nothing_produced(rig: IngestRig) -> None:
    valid = _batch(9001)
    status, body = await rig.hubspot(valid)
    assert status == 200, body
    assert body["accepted"] == 1 and body["results"][0]["event_id"] == "hubspot:2117001:9001"

    tampered = valid.replace(b"9001", b"9666")
    refusals = {
        "tampered body": await rig.hubspot(_batch(9002), tamper=_batch(9003)),
        "tampered after signing": await rig.hubspot(valid, tamper=tampered),
        "wrong secret": await rig.hubspot(_batch(9004), secret="not-the-app-secret"),
        "timestamp 5 min 1 s old": await rig.hubspot(_batch(9005), age_s=301),
        "no signature": await rig.post("/v1/hooks/hubspot", _batch(9006), token=False),
        "the ingest token instead": await rig.post("/v1/hooks/hubspot", _batch(9007)),
    }
    for case, (status, body) in refusals.items():
        assert status == 401, (case, body)
        assert "HubSpot signature refused" in body["error"], (case, body)
    assert "old" in refusals["timestamp 5 min 1 s old"][1]["error"]

    # A sentinel after the refusals: once it is there, nothing else was produced before it.
    status, _ = await rig.hubspot(_batch(9100))
    assert status == 200
    records = await rig.read(rig.events, 2, settle_s=0.5)
    ids = [orjson.loads(r.value or b"")["event_id"] for r in records]
    assert ids == ["hubspot:2117001:9001", "hubspot:2117001:9100"]
    assert await _count(rig, rig.deadletter) == 0


async def _count(rig: IngestRig, topic: str) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=rig.bootstrap)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        return int((await consumer.end_offsets([tp]))[tp])
    finally:
        await consumer.stop()


def test_signature_is_hubspots_recipe() -> None:
    """method + URI + body + timestamp, HMAC SHA-256 with the client secret, base64; the
    listed percent-escapes of the URI decoded before signing."""
    import base64
    import hashlib
    import hmac

    body, stamp = b'[{"eventId":1}]', "1767711600000"
    uri = "https://ingest.example.com/v1/hooks/hubspot?portal=62515"
    want = base64.b64encode(
        hmac.new(b"s3cret", b"POST" + uri.encode() + body + stamp.encode(), hashlib.sha256).digest()
    ).decode()
    assert sign("s3cret", "POST", uri, body, stamp) == want
    escaped = "https%3A%2F%2Fingest.example.com%2Fv1%2Fhooks%2Fhubspot%3Fportal=62515"
    assert sign("s3cret", "post", escaped, body, stamp) == want
    now_ms = 1767711600000 + 299_000
    assert verify("s3cret", "POST", uri, body, stamp, want, now_ms, 300.0) is None
    assert "old" in (verify("s3cret", "POST", uri, body, stamp, want, now_ms + 2000, 300.0) or "")
    assert verify("s3cret", "POST", uri, body + b" ", stamp, want, now_ms, 300.0) is not None
