"""Fixtures of the CLI tests: a database (SQLite file or Postgres schema) with containers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runner.domain.status import ContainerStatus
from runner.state.store import Store
from tests.state.conftest import pg_schema_url  # noqa: F401  (fixture)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file path, or a URL into a fresh Postgres schema."""
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    """A store with: ore-run RUNNING (2 log lines), probe BACKOFF, done COMPLETED."""
    s = Store.open(db)
    ore = s.upsert_container("ore-run", "playbooks/ore.yaml", "h1", "AGENT-1", "AGENT")
    lease = s.claim(ore.id, "runner-a", ttl_s=3600)
    assert lease is not None
    s.set_status(lease, ContainerStatus.RUNNING)
    s.checkpoint(lease, "steps[1]", 0, {}, "navigated to X1-A1-B2")
    s.checkpoint(lease, "steps[2]", 0, {}, "bought 10 IRON_ORE")
    probe = s.upsert_container("probe", "playbooks/probe.yaml", "h2", "AGENT-2", "AGENT")
    s.set_status(probe.id, ContainerStatus.BACKOFF, restarts=2, error="4000 cooldown",
                 next_restart_at=datetime.now(UTC) + timedelta(seconds=300))
    done = s.upsert_container("done", "playbooks/done.yaml", "h3", "AGENT-3", "AGENT")
    s.log(done.id, "INFO", "finished")
    s.set_status(done.id, ContainerStatus.COMPLETED)
    yield s
    s.close()
