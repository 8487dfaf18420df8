"""Shared pytest fixtures: the OpenAPI validator and simulators (in-process and on a socket).

Registered as a plugin by ``tests/conftest.py``. Fixtures:
- ``spec``: a session ``SpecValidator`` over the official spec.
- ``make_sim_app(**config)``: a factory of fresh apps (seed 1, no rate limit by default).
- ``sim_app``: one fresh app; ``@pytest.mark.parametrize("sim_app", [{"speed": 10}],
  indirect=True)`` passes SimConfig fields.
- ``sim_server``: a ``SimServer`` on a real loopback socket (``.url``, ``.app``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.openapi import SpecValidator


@pytest.fixture(scope="session")
def spec(openapi_dir: Path) -> SpecValidator:
    """The official OpenAPI spec as a validator (loaded once per session)."""
    return SpecValidator(openapi_dir)


def _config(**overrides: Any) -> Any:
    from runner.sim.config import SimConfig

    settings: dict[str, Any] = {"seed": 1, "rate_limit": None}
    settings.update(overrides)
    return SimConfig(**settings)


@pytest.fixture
def make_sim_app() -> Callable[..., Any]:
    """``make_sim_app(**SimConfig fields)`` -> a fresh Starlette app (no rate limit unless set)."""
    from runner.sim.app import create_app

    def make(**overrides: Any) -> Any:
        return create_app(_config(**overrides))

    return make


@pytest.fixture
def sim_app(request: pytest.FixtureRequest, make_sim_app: Callable[..., Any]) -> Any:
    """A fresh simulator app; indirect parametrisation passes SimConfig fields as a dict."""
    return make_sim_app(**getattr(request, "param", {}))


@pytest.fixture
def sim_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A ``SimServer`` on 127.0.0.1 (any free port); indirect params are SimConfig fields."""
    from runner.sim.server import SimServer

    with SimServer(_config(**getattr(request, "param", {}))) as server:
        yield server
