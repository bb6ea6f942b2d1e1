"""A client for the vidhook daemon: each call returns once the daemon has durably stored the events."""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

__all__ = ["Client", "AcceptedEvent", "VidhookError", "DaemonUnreachableError", "new_event_id"]

DEFAULT_URL = "http://127.0.0.1:8765"
_REQUEST_TIMEOUT = 30.0
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

Timestamp = Union[str, datetime]


class VidhookError(Exception):
    """The daemon refused the request: its error code, message and per-field details.

    For an invalid event, ``details`` lists each problem as ``{"index", "path", "message"}``
    (``index`` is the event's place in a batch), e.g. ``path="data.user.email"``.
    """

    def __init__(self, message: str, *, status: Optional[int], code: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class DaemonUnreachableError(VidhookError):
    """No daemon answered at the URL within ``retry_for`` seconds."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=None, code="daemon_unreachable")


@dataclass(frozen=True)
class AcceptedEvent:
    """An event the daemon stored: its id and how many deliveries it created."""

    id: str
    deliveries: int
    #: True when the id was already stored: nothing new was created.
    duplicate: bool = False


def new_event_id() -> str:
    """A time-sortable, URL-safe event id (``evt_`` and 26 Crockford base32 characters, like the daemon's)."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "evt_" + "".join(reversed(chars))


def _iso(timestamp: Timestamp) -> str:
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None:
            raise ValueError("timestamp: a datetime needs a time zone (e.g. datetime.now(timezone.utc))")
        return timestamp.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return timestamp


def _event(
    type: str,
    data: Optional[Mapping[str, Any]],
    id: Optional[str],
    timestamp: Optional[Timestamp],
    to: Optional[Sequence[str]],
) -> Dict[str, Any]:
    if not isinstance(type, str) or not type:
        raise ValueError("type: give an event type, e.g. 'video.generated'")
    # The id is chosen here, not by the daemon, so that resending after a lost answer stores the event once.
    event: Dict[str, Any] = {"id": id or new_event_id(), "type": type, "data": dict(data or {})}
    if timestamp is not None:
        event["timestamp"] = _iso(timestamp)
    if to is not None:
        if isinstance(to, str):
            raise ValueError("to: give a list of destination names, e.g. ['team-slack']")
        event["to"] = list(to)
    return event


def _accepted(body: Mapping[str, Any]) -> List[AcceptedEvent]:
    return [AcceptedEvent(id=e["id"], deliveries=e["deliveries"], duplicate=bool(e.get("duplicate", False))) for e in body["events"]]


class Client:
    """Sends events to a running ``vidhook serve``.

    While the daemon is unreachable or restarting (connection refused or reset, 503 with
    ``Retry-After``), a call keeps trying for ``retry_for`` seconds before it raises.
    """

    def __init__(self, url: str = DEFAULT_URL, token: Optional[str] = None, retry_for: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url: {url!r} is not an http(s) URL; the daemon listens on {DEFAULT_URL} by default")
        self.url = url.rstrip("/")
        self.token = token
        self.retry_for = retry_for

    def emit(
        self,
        type: str,
        data: Optional[Mapping[str, Any]] = None,
        id: Optional[str] = None,
        timestamp: Optional[Timestamp] = None,
        to: Optional[Sequence[str]] = None,
    ) -> AcceptedEvent:
        """Sends one event; returns once it and its deliveries are stored.

        ``id`` is the idempotency key (one is generated when absent); ``timestamp`` defaults to
        now; ``to`` restricts the event to these destinations.
        """
        return _accepted(self.request("POST", "/api/events", _event(type, data, id, timestamp, to)))[0]

    def emit_batch(self, events: Sequence[Mapping[str, Any]]) -> List[AcceptedEvent]:
        """Sends several events at once (at most 1,000): all are stored, or, if one is invalid, none.

        Each event is a mapping with ``type`` and ``data``, and optionally ``id``, ``timestamp``, ``to``.
        """
        batch = [_event(e.get("type", ""), e.get("data"), e.get("id"), e.get("timestamp"), e.get("to")) for e in events]
        if not batch:
            raise ValueError("events: the batch is empty")
        return _accepted(self.request("POST", "/api/events", {"events": batch}))

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Any route of the daemon's API (see its OpenAPI document at /api/openapi.json); returns the parsed answer."""
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"accept": "application/json"}
        if payload is not None:
            headers["content-type"] = "application/json"
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        deadline = time.monotonic() + self.retry_for
        delay = 0.1
        while True:
            req = urllib.request.Request(self.url + path, data=payload, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=_REQUEST_TIMEOUT) as res:
                    return _parse(res.read())
            except urllib.error.HTTPError as err:
                text = err.read()
                if err.code == 503 and time.monotonic() + delay <= deadline:
                    # Draining for a restart, or its store is unreachable: nothing was stored, so sending again is safe.
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                raise _error(err.code, text) from None
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException, socket.timeout) as err:
                if time.monotonic() + delay > deadline:
                    reason = getattr(err, "reason", err)
                    raise DaemonUnreachableError(f"cannot reach the vidhook daemon at {self.url}: {reason}") from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)


def _parse(text: bytes) -> Any:
    return json.loads(text) if text.strip() else None


def _error(status: int, text: bytes) -> VidhookError:
    try:
        error = json.loads(text).get("error", {})
    except (ValueError, AttributeError):
        error = {}
    return VidhookError(
        error.get("message") or f"the daemon answered HTTP {status}",
        status=status,
        code=error.get("code") or f"http_{status}",
        details=error.get("details"),
    )
