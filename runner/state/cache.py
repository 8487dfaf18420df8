"""Caches of systems, waypoints, markets and ships, each row stamped with its fetch time.

Functions take a connection inside the caller's transaction; ``Store`` wraps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from runner.domain.galaxy import Galaxy, GalaxySystem
from runner.domain.ship import Ship
from runner.domain.universe import Market, System, Waypoint
from runner.state.codec import from_json, to_json
from runner.state.models import (
    cache_galaxy,
    cache_markets,
    cache_ships,
    cache_systems,
    cache_waypoints,
)


def put_system(conn: sa.Connection, system: System, fetched_at: datetime) -> None:
    """Replace the cached system and all its waypoints."""
    _upsert(conn, cache_systems, [{"symbol": system.symbol, "type": system.type, "x": system.x,
                                   "y": system.y, "fetched_at": fetched_at}])
    conn.execute(sa.delete(cache_waypoints).where(
        cache_waypoints.c.system == system.symbol,
        cache_waypoints.c.symbol.not_in(list(system.waypoints))))
    _upsert(conn, cache_waypoints, [
        {"symbol": w.symbol, "system": system.symbol, "position": i, "data": to_json(w),
         "fetched_at": fetched_at} for i, w in enumerate(system)])


def get_system(conn: sa.Connection, symbol: str) -> tuple[System, datetime] | None:
    """The cached system with its fetch time, or None."""
    row = conn.execute(sa.select(cache_systems).where(cache_systems.c.symbol == symbol)).first()
    if row is None:
        return None
    waypoints = conn.execute(sa.select(cache_waypoints.c.data)
                             .where(cache_waypoints.c.system == symbol)
                             .order_by(cache_waypoints.c.position)).scalars()
    system = System.of(symbol, (from_json(Waypoint, data) for data in waypoints),
                       type=row.type, x=row.x, y=row.y)
    return system, row.fetched_at


def get_waypoint(conn: sa.Connection, symbol: str) -> tuple[Waypoint, datetime] | None:
    """One cached waypoint (from its system's last fetch) with its fetch time, or None."""
    found = _get(conn, cache_waypoints, symbol)
    return None if found is None else (from_json(Waypoint, found[0]), found[1])


NEVER_PRICED = datetime(1970, 1, 1, tzinfo=UTC)
"""The stored time of a market listing read without prices: older than any observation."""


def put_market(conn: sa.Connection, market: Market, fetched_at: datetime) -> bool:
    """Record one observation of a market; True when it is now the stored one.

    The newest observation wins, whatever order they arrive in: a market with prices
    replaces the stored one only when it is not older (``fetched_at``); a market without
    prices (read with no ship there) is stored only where none is, stamped ``NEVER_PRICED``
    so that any observation with prices replaces it.
    Atomic under concurrent writers (one ``INSERT ... ON CONFLICT``).
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    if not market.trade_goods:
        fetched_at = NEVER_PRICED
    row = {"symbol": market.symbol, "data": to_json(market), "fetched_at": fetched_at}
    insert = dialect.insert(cache_markets).values(row)
    if not market.trade_goods:
        statement = insert.on_conflict_do_nothing(index_elements=["symbol"])
    else:
        statement = insert.on_conflict_do_update(
            index_elements=["symbol"],
            set_={"data": insert.excluded.data, "fetched_at": insert.excluded.fetched_at},
            where=cache_markets.c.fetched_at <= insert.excluded.fetched_at)
    # RETURNING, not rowcount: Postgres' driver counts a conflict the WHERE skipped as a row.
    return conn.execute(statement.returning(cache_markets.c.symbol)).first() is not None


def get_market(conn: sa.Connection, symbol: str) -> tuple[Market, datetime] | None:
    """The cached market with its fetch time, or None."""
    found = _get(conn, cache_markets, symbol)
    return None if found is None else (from_json(Market, found[0]), found[1])


def market_times(conn: sa.Connection, symbols: Iterable[str]) -> dict[str, datetime]:
    """The stored observation time of each of ``symbols`` the store has a market for."""
    wanted = sorted(set(symbols))
    if not wanted:
        return {}
    rows = conn.execute(sa.select(cache_markets.c.symbol, cache_markets.c.fetched_at)
                        .where(cache_markets.c.symbol.in_(wanted)))
    return {row.symbol: row.fetched_at for row in rows}


def get_markets(conn: sa.Connection, symbols: Iterable[str]) -> dict[str, tuple[Market, datetime]]:
    """The stored markets of ``symbols`` (those it has), each with its observation time."""
    wanted = sorted(set(symbols))
    if not wanted:
        return {}
    rows = conn.execute(sa.select(cache_markets.c.symbol, cache_markets.c.data,
                                  cache_markets.c.fetched_at)
                        .where(cache_markets.c.symbol.in_(wanted)))
    return {row.symbol: (from_json(Market, row.data), row.fetched_at) for row in rows}


def put_ship(conn: sa.Connection, ship: Ship, fetched_at: datetime) -> None:
    """Replace the cached ship."""
    _put(conn, cache_ships, ship.symbol, to_json(ship), fetched_at)


def get_ship(conn: sa.Connection, symbol: str) -> tuple[Ship, datetime] | None:
    """The cached ship with its fetch time, or None."""
    found = _get(conn, cache_ships, symbol)
    return None if found is None else (from_json(Ship, found[0]), found[1])


def put_galaxy(conn: sa.Connection, galaxy: Galaxy, fetched_at: datetime) -> None:
    """Replace the cached galaxy (every system of it, one fetch time)."""
    conn.execute(sa.delete(cache_galaxy))
    conn.execute(sa.insert(cache_galaxy), [
        {"symbol": s.symbol, "data": to_json(s), "fetched_at": fetched_at} for s in galaxy])


def get_galaxy(conn: sa.Connection) -> Galaxy | None:
    """The cached galaxy stamped with its oldest fetch time, or None when none is cached."""
    rows = conn.execute(sa.select(cache_galaxy.c.data, cache_galaxy.c.fetched_at)
                        .order_by(cache_galaxy.c.symbol)).all()
    if not rows:
        return None
    return Galaxy.of([from_json(GalaxySystem, row.data) for row in rows],
                     min(row.fetched_at for row in rows))


def clear(conn: sa.Connection) -> None:
    """Delete every cached row (a server reset made a new galaxy)."""
    for table in (cache_waypoints, cache_systems, cache_markets, cache_ships, cache_galaxy):
        conn.execute(sa.delete(table))


def _put(conn: sa.Connection, table: sa.Table, symbol: str, data: Any,
         fetched_at: datetime) -> None:
    _upsert(conn, table, [{"symbol": symbol, "data": data, "fetched_at": fetched_at}])


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert or replace rows by ``symbol``, atomically even when two processes race
    (a delete + insert would collide on the primary key under Postgres' read committed)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    columns = {name: insert.excluded[name] for name in rows[0] if name != "symbol"}
    conn.execute(insert.on_conflict_do_update(index_elements=["symbol"], set_=columns), rows)


def _get(conn: sa.Connection, table: sa.Table, symbol: str) -> tuple[Any, datetime] | None:
    row = conn.execute(sa.select(table.c.data, table.c.fetched_at)
                       .where(table.c.symbol == symbol)).first()
    return None if row is None else (row.data, row.fetched_at)
