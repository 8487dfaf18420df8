"""The SpaceTraders HTTP client: pacing, retries, typed errors, no double actions.

Public API::

    from runner.api import SpaceTradersClient, Priority, Token
"""

from runner.api.client import DEFAULT_API_URL, SpaceTradersClient, api_url_from_env
from runner.api.clock import ServerClock
from runner.api.errors import ApiError, ResponseLost, ServerUnavailable, TokenFromOldReset
from runner.api.limiter import LimiterConfig, PoolSpec, Priority, RateLimiter
from runner.api.metrics import Metrics
from runner.api.retry import RetryPolicy
from runner.api.secrets import Token

__all__ = [
    "DEFAULT_API_URL", "ApiError", "LimiterConfig", "Metrics", "PoolSpec", "Priority",
    "RateLimiter", "ResponseLost", "RetryPolicy", "ServerClock", "ServerUnavailable",
    "SpaceTradersClient", "Token", "TokenFromOldReset", "api_url_from_env",
]
