"""Fixtures of the simulator's own tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sim.helpers import Game
from tests.support.openapi import SpecValidator


@pytest.fixture
def game(sim_app: Any, spec: SpecValidator) -> Game:
    """A registered agent (TESTER) in a fresh seed-1 universe; every response spec-checked."""
    return Game(sim_app, spec)
