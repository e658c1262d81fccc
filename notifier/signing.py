"""Signed webhooks: HMAC-SHA256 over `<timestamp>.<body>`, timestamped against replay.

Headers sent: `X-Leadflow-Timestamp` (Unix seconds), `X-Leadflow-Signature`
(`v1=<hex digest>`), `X-Leadflow-Delivery` (the delivery key, for the receiver's
idempotency). A receiver recomputes the digest with the shared secret, compares in
constant time, and refuses a timestamp more than `tolerance_s` from its own clock.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

TIMESTAMP = "X-Leadflow-Timestamp"
SIGNATURE = "X-Leadflow-Signature"
DELIVERY = "X-Leadflow-Delivery"


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def sign(secret: bytes, timestamp: int, body: bytes, key: str) -> dict[str, str]:
    return {TIMESTAMP: str(timestamp), SIGNATURE: signature(secret, timestamp, body),
            DELIVERY: key, "Content-Type": "application/json"}


def verify(
    secret: bytes, headers: Mapping[str, str], body: bytes, now: float, tolerance_s: float = 300
) -> str | None:
    """None if the request is authentic and fresh, else why not."""
    stamp = headers.get(TIMESTAMP, "")
    given = headers.get(SIGNATURE, "")
    if not stamp.isdigit():
        return "missing or malformed timestamp"
    if abs(now - int(stamp)) > tolerance_s:
        return "timestamp outside the tolerance (a replay?)"
    if not hmac.compare_digest(given, signature(secret, int(stamp), body)):
        return "signature does not match"
    return None
