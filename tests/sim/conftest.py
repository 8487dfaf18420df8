"""Fixtures of the simulator's own tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sim.helpers import Game
from tests.sim.live_spec import LIVE_DIR, BothSpecs, LiveSpecValidator
from tests.support.openapi import SpecValidator


@pytest.fixture(scope="session")
def live_spec() -> LiveSpecValidator:
    """The live server's spec (reference data, never copied into the repo)."""
    if not (LIVE_DIR / "SpaceTraders.json").exists():
        pytest.fail(f"live OpenAPI spec not found at {LIVE_DIR}; set ST_RUN_OPENAPI_LIVE_DIR")
    return LiveSpecValidator(LIVE_DIR)


@pytest.fixture
def game(sim_app: Any, spec: SpecValidator, live_spec: LiveSpecValidator) -> Game:
    """A registered agent (TESTER) in a fresh seed-1 universe; every response is checked
    against the live spec and (where it has the operation) the api-docs spec."""
    return Game(sim_app, BothSpecs(live_spec, spec))  # type: ignore[arg-type]
