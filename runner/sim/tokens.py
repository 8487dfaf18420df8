"""Agent tokens: JWT-shaped (header.payload.signature), bound to one universe reset."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issue(agent: str, reset: str, serial: int, secret: bytes,
          subject: str = "agent-token") -> str:
    """A token naming ``agent`` (or an account) and the ``reset`` it belongs to."""
    payload = {"identifier": agent, "version": "v2.3.0", "reset_date": reset, "iat": serial,
               "sub": subject}
    head = _b64(json.dumps(_HEADER).encode()) + "." + _b64(json.dumps(payload).encode())
    sig = hmac.new(secret, head.encode(), hashlib.sha256).digest()
    return head + "." + _b64(sig)


def reset_of(token: str) -> str | None:
    """The reset a well-formed token claims to belong to, or ``None`` if it is garbage."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(data["reset_date"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None
