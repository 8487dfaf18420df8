"""The agent token, for the API package: ``runner.secrets`` is its home (kept light, so
that commands which never talk to a server can import it without httpx)."""

from runner.secrets import BadToken, Token, redact

__all__ = ["BadToken", "Token", "redact"]
