"""SQLAlchemy 2 models of st-run's state; the Alembic migrations create exactly these tables.

Times are stored as UTC: ``timestamptz`` on Postgres, naive-UTC text on SQLite (which has no
time zone type); ``UTCDateTime`` hands back aware UTC datetimes on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime on every backend; naive datetimes are refused, not guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: st-run stores UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is what the migrations must produce."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(), dict[str, Any]: sa.JSON()}


class Container(Base):
    """A supervised container: one playbook driving one ship, with its lease and progress."""

    __tablename__ = "containers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    playbook_path: Mapped[str] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(128))
    git_revision: Mapped[str | None] = mapped_column(sa.String(64))
    ship: Mapped[str] = mapped_column(sa.String(64), index=True)
    agent: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    restarts: Mapped[int] = mapped_column(default=0)
    next_restart_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(sa.String(200))
    lease_expires_at: Mapped[datetime | None]
    lease_version: Mapped[int] = mapped_column(default=0)
    step_path: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    iterations: Mapped[int] = mapped_column(default=0)
    stop_requested: Mapped[bool] = mapped_column(default=False)
    source_text: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    overrides: Mapped[dict[str, Any] | None]
    """The ``-e`` values the container runs with (raw text by name); None: none given."""


class CheckpointRow(Base):
    """The step journal: progress committed after each state-changing command."""

    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[int] = mapped_column(
        sa.ForeignKey("containers.id", ondelete="CASCADE"), index=True)
    step_path: Mapped[str] = mapped_column(sa.Text)
    command_index: Mapped[int]
    state: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class IntentRow(Base):
    """A state-changing command written before it is sent; resolved by the next checkpoint."""

    __tablename__ = "intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[int] = mapped_column(
        sa.ForeignKey("containers.id", ondelete="CASCADE"), index=True)
    step_path: Mapped[str] = mapped_column(sa.Text)
    command_index: Mapped[int]
    command: Mapped[dict[str, Any]]
    before: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class LogRow(Base):
    """Container log lines, in commit order (``id``); ``logs -f`` polls by id."""

    __tablename__ = "logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("containers.id", ondelete="CASCADE"), index=True)
    time: Mapped[datetime] = mapped_column(index=True)
    level: Mapped[str] = mapped_column(sa.String(16))
    message: Mapped[str] = mapped_column(sa.Text)


class CachedSystem(Base):
    """A system's own fields; its waypoints are rows of ``cache_waypoints``."""

    __tablename__ = "cache_systems"

    symbol: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(64))
    x: Mapped[int]
    y: Mapped[int]
    fetched_at: Mapped[datetime]


class CachedWaypoint(Base):
    """A waypoint as JSON (``runner.domain.universe.Waypoint``), in its system's order."""

    __tablename__ = "cache_waypoints"

    symbol: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    system: Mapped[str] = mapped_column(sa.String(64), index=True)
    position: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]


class CachedMarket(Base):
    """A market as JSON (``runner.domain.universe.Market``)."""

    __tablename__ = "cache_markets"

    symbol: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]


class CachedShip(Base):
    """A ship as JSON (``runner.domain.ship.Ship``); never trusted for cargo on resume."""

    __tablename__ = "cache_ships"

    symbol: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]


class DeadToken(Base):
    """A token the server refused as from an old reset (4113): never sent again.

    Only its SHA-256 digest is kept (``runner.secrets.Token.digest``), never the token."""

    __tablename__ = "dead_tokens"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    noticed_at: Mapped[datetime]


class CachedGalaxySystem(Base):
    """One system on the galactic map as JSON (``runner.domain.galaxy.GalaxySystem``)."""

    __tablename__ = "cache_galaxy"

    symbol: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    data: Mapped[dict[str, Any]]
    fetched_at: Mapped[datetime]


containers = cast(sa.Table, Container.__table__)
checkpoints = cast(sa.Table, CheckpointRow.__table__)
intents = cast(sa.Table, IntentRow.__table__)
logs = cast(sa.Table, LogRow.__table__)
cache_systems = cast(sa.Table, CachedSystem.__table__)
cache_waypoints = cast(sa.Table, CachedWaypoint.__table__)
cache_markets = cast(sa.Table, CachedMarket.__table__)
cache_ships = cast(sa.Table, CachedShip.__table__)
dead_tokens = cast(sa.Table, DeadToken.__table__)
cache_galaxy = cast(sa.Table, CachedGalaxySystem.__table__)


class RatePool(Base):
    """One rate-limit pool shared by every st-run process of a scope (issue 19): the
    fixed window of ``runner.api.limiter.WindowPools``, times in epoch seconds."""

    __tablename__ = "rate_pools"

    scope: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    pool: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    used: Mapped[int] = mapped_column(default=0)
    number: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[float | None] = mapped_column(sa.Float)
    answered_at: Mapped[float | None] = mapped_column(sa.Float)
    blocked_until: Mapped[float] = mapped_column(sa.Float, default=0.0)
    round_trip: Mapped[float] = mapped_column(sa.Float, default=0.0)


class RateWaiter(Base):
    """A process waiting for a scope's pools: its best order key per priority class, so
    that priorities hold across processes; ignored once ``seen_at`` is stale."""

    __tablename__ = "rate_waiters"

    scope: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    heads: Mapped[dict[str, Any]]
    seen_at: Mapped[float] = mapped_column(sa.Float)


rate_pools = cast(sa.Table, RatePool.__table__)
rate_waiters = cast(sa.Table, RateWaiter.__table__)


class CargoReservation(Base):
    """Units of a ship's free cargo promised to one container's transfer (issue 18): other
    containers see that room as taken. Live only while the holder's lease is the one it
    was made under (same ``lease_version``) and unexpired: a holder that dies takes its
    reservations with it when its lease lapses, and a new claim of the container voids them
    at once (the version moves on)."""

    __tablename__ = "cargo_reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(sa.String(64), index=True)
    container_id: Mapped[int] = mapped_column(
        sa.ForeignKey("containers.id", ondelete="CASCADE"), index=True)
    lease_version: Mapped[int]
    units: Mapped[int]
    created_at: Mapped[datetime]


cargo_reservations = cast(sa.Table, CargoReservation.__table__)


class RunnerRow(Base):
    """A runner process (``host:pid:random``, its lease owner name) sharing the database:
    live while ``expires_at`` (its last heartbeat plus its lease ttl) is ahead."""

    __tablename__ = "runners"

    owner: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(200))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    expires_at: Mapped[datetime]


runners = cast(sa.Table, RunnerRow.__table__)
