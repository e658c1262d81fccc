"""HubSpot's request signature, version 3 (`X-HubSpot-Signature-v3`).

HubSpot signs `method + URI + body + timestamp` (UTF-8) with HMAC SHA-256 keyed by the app's
client secret, base64-encoded, and sends the timestamp (epoch milliseconds) in
`X-HubSpot-Request-Timestamp`. A request older than the allowed age (5 minutes) is refused,
so a recorded request cannot be replayed later. In the URI, HubSpot's documentation lists
characters that are URL-decoded before signing; `canonical_uri` decodes them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
_DECODED = (":", "/", "?", "@", "!", "$", "'", "(", ")", "*", ",", ";")


def canonical_uri(uri: str) -> str:
    """The URI as HubSpot signs it: the listed percent-encoded characters decoded."""
    out = uri
    for char in _DECODED:
        encoded = "%" + format(ord(char), "02X")
        out = out.replace(encoded, char).replace(encoded.lower(), char)
    return out  # every other escape stays as sent


def sign(secret: str, method: str, uri: str, body: bytes, timestamp_ms: str) -> str:
    message = method.upper().encode() + canonical_uri(uri).encode() + body + timestamp_ms.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(
    secret: str, method: str, uri: str, body: bytes, timestamp_ms: str | None,
    signature: str | None, now_ms: float, max_age_s: float,
) -> str | None:  # fmt: skip
    """None if the request is HubSpot's and fresh; else why not (for the 401 answer)."""
    if not signature or not timestamp_ms:
        return f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER}"
    if not timestamp_ms.isdigit():
        return f"{TIMESTAMP_HEADER} must be epoch milliseconds"
    age_s = (now_ms - int(timestamp_ms)) / 1000.0
    if age_s > max_age_s:
        return f"the request is {age_s:.0f} s old; the limit is {max_age_s:.0f} s"
    if age_s < -max_age_s:
        return "the request's timestamp is in the future"
    expected = sign(secret, method, uri, body, timestamp_ms)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return "the signature does not match the request"
    return None
