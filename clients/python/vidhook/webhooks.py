"""Standard Webhooks verification for Python receivers of vidhook's webhooks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional, Union

__all__ = ["verify_webhook", "WebhookVerificationError", "TOLERANCE_SECONDS"]

#: How far the webhook-timestamp may be from now, either way (what the reference libraries use).
TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """The request is not a webhook signed with this secret (or it is too old or too new)."""


def _key(secret: str) -> bytes:
    raw = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("secret: expected whsec_ followed by base64, as vidhook shows it when the endpoint is registered") from None
    if not key:
        raise ValueError("secret: it is empty")
    return key


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: Union[bytes, str],
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: Optional[float] = None,
) -> Any:
    """Checks the Standard Webhooks signature of a request and returns its parsed JSON body.

    ``headers`` is any mapping of the request's headers (any case); ``body`` is the raw body, exactly
    as received. Several space-separated signatures are accepted (one per secret while a secret is
    rotated). ``now`` (Unix seconds) is for replaying recorded requests. Raises
    ``WebhookVerificationError`` when no signature matches or the timestamp is off by more than
    ``tolerance`` seconds.
    """
    key = _key(secret)
    msg_id = _header(headers, "webhook-id") or _header(headers, "svix-id")
    timestamp = _header(headers, "webhook-timestamp") or _header(headers, "svix-timestamp")
    signatures = _header(headers, "webhook-signature") or _header(headers, "svix-signature")
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a Unix time in seconds") from None
    current = int(time.time() if now is None else now)
    if current - sent_at > tolerance:
        raise WebhookVerificationError("message timestamp too old")
    if sent_at - current > tolerance:
        raise WebhookVerificationError("message timestamp too new")

    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    signed = f"{msg_id}.{sent_at}.".encode("utf-8") + raw
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version != "v1" or not value:
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(given, expected):
            try:
                return json.loads(raw)
            except ValueError:
                raise WebhookVerificationError("the body is not JSON") from None
    raise WebhookVerificationError("no matching signature found")
