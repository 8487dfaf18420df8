"""The game state behind the API: universe, agents, tokens, ships, contracts and surveys."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from runner.sim import tokens
from runner.sim.clock import GameClock, iso
from runner.sim.contracts import Contract, offer_contract
from runner.sim.errors import ApiError, not_found
from runner.sim.ship import Ship
from runner.sim.universe import Universe

JSON = dict[str, Any]
STARTING_CREDITS = 175_000


@dataclass
class Agent:
    symbol: str
    faction: str
    headquarters: str
    credits: int = STARTING_CREDITS
    account_id: str = ""
    ship_symbols: list[str] = field(default_factory=list)

    def to_json(self) -> JSON:
        """The spec's Agent object."""
        return {"accountId": self.account_id, "symbol": self.symbol,
                "headquarters": self.headquarters, "credits": self.credits,
                "startingFaction": self.faction, "shipCount": len(self.ship_symbols)}


@dataclass
class Account:
    """A player's account: outlives resets; its token registers agents."""

    id: str
    email: str
    token: str
    created: float

    def to_json(self) -> JSON:
        return {"id": self.id, "email": self.email, "createdAt": iso(self.created)}


class World:
    """Everything one universe reset holds. ``reset`` wipes agents and invalidates tokens.

    Accounts (and their tokens) survive resets, as on the live server.
    """

    def __init__(self, universe_factory: Any, clock: GameClock, seed: int) -> None:
        self._factory = universe_factory
        self.clock = clock
        self.seed = seed
        self.resets = 0
        self.accounts: dict[str, Account] = {}
        self.account_tokens: dict[str, str] = {}
        self.reset()

    def create_account(self, email: str) -> Account:
        """A new account with its account token."""
        aid = hashlib.sha1(f"{self.seed}:account:{len(self.accounts)}".encode()).hexdigest()[:25]
        token = tokens.issue(aid, "account", len(self.accounts), b"account:" + aid.encode(),
                             subject="account-token")
        account = Account(aid, email, token, self.clock.now())
        self.accounts[aid] = account
        self.account_tokens[token] = aid
        return account

    def add_event(self, agent: Agent, kind: str, message: str, **data: Any) -> None:
        """An entry of ``GET /my/agent/events``."""
        self.events.setdefault(agent.symbol, []).append(
            {"id": self.next_id(), "type": kind, "message": message, "data": data,
             "createdAt": iso(self.clock.now())})

    def remove_ship(self, ship: Ship) -> None:
        """A scrapped ship leaves the fleet."""
        del self.ships[ship.symbol]
        self.agents[ship.agent].ship_symbols.remove(ship.symbol)

    def reset(self) -> None:
        """A new reset: fresh universe, no agents; tokens of older resets get 4113."""
        self.resets += 1
        self.universe: Universe = self._factory()
        self.reset_date = iso(self.clock.now())
        self.reset_id = f"{self.reset_date}#{self.resets}"
        self.secret = hashlib.sha256(f"{self.seed}:{self.reset_id}".encode()).digest()
        self.agents: dict[str, Agent] = {}
        self.tokens: dict[str, str] = {}
        self.ships: dict[str, Ship] = {}
        self.contracts: dict[str, Contract] = {}
        self.surveys: dict[str, JSON] = {}
        self.events: dict[str, list[JSON]] = {}
        self.ship_serial: dict[str, int] = {}
        self.rng = random.Random(f"{self.seed}:{self.resets}")
        self.serial = 0

    def next_id(self) -> str:
        """A short unique identifier (contract ids, account ids)."""
        self.serial += 1
        return hashlib.sha1(f"{self.seed}:{self.resets}:{self.serial}".encode()).hexdigest()[:25]

    # -- auth -------------------------------------------------------------------------------
    def agent_for_token(self, token: str) -> Agent:
        """The agent a bearer token belongs to; 401 with 4113 for a previous reset's token."""
        symbol = self.tokens.get(token)
        if symbol is not None:
            return self.agents[symbol]
        claimed = tokens.reset_of(token)
        if claimed is not None and claimed != self.reset_id:
            raise ApiError(401, 4113, "Failed to parse token. Token reset_date does not match "
                           "the server. Server resets happen on a weekly to bi-weekly "
                           "frequency during alpha. After a reset, you should re-register "
                           "your agent.", {"expected": self.reset_id, "actual": claimed})
        raise ApiError(401, 4104, "Invalid token: the token is not recognised by this server.")

    # -- registration -----------------------------------------------------------------------
    def register(self, symbol: str, faction: str, account: str | None = None
                 ) -> tuple[str, Agent, list[Ship], Contract]:
        """A new agent with a command frigate and a probe at headquarters, and one offer.

        ``account``: the registering account's id (a fresh one-agent account when None).
        """
        if symbol in self.agents:
            raise ApiError(409, 4111, f"Agent symbol {symbol} has already been claimed.",
                           {"agentSymbol": symbol})
        now = self.clock.now()
        hq = self.universe.headquarters(faction)
        system = self.universe.waypoints[hq].system
        agent = Agent(symbol, faction, hq, account_id=account or self.next_id())
        self.agents[symbol] = agent
        token = tokens.issue(symbol, self.reset_id, self.serial, self.secret)
        self.tokens[token] = symbol
        ships = [self.add_ship(agent, "SHIP_COMMAND_FRIGATE", hq, now),
                 self.add_ship(agent, "SHIP_PROBE", hq, now)]
        contract = offer_contract(self.universe, self.rng, self.next_id(), symbol,
                                  faction, system, now)
        self.contracts[contract.id] = contract
        return token, agent, ships, contract

    def add_ship(self, agent: Agent, ship_type: str, waypoint: str, now: float) -> Ship:
        # Numbers are never reused, also after a scrap.
        serial = self.ship_serial[agent.symbol] = self.ship_serial.get(agent.symbol, 0) + 1
        symbol = f"{agent.symbol}-{serial:X}"
        ship = Ship.new(symbol, agent.symbol, agent.faction, ship_type, waypoint,
                        self.universe.waypoints[waypoint].system, now)
        self.ships[symbol] = ship
        agent.ship_symbols.append(symbol)
        return ship

    # -- lookups ----------------------------------------------------------------------------
    def ship_of(self, agent: Agent, symbol: str) -> Ship:
        """The agent's ship ``symbol`` (arrival settled), or 404."""
        ship = self.ships.get(symbol)
        if ship is None or ship.agent != agent.symbol:
            raise not_found("Ship", symbol)
        ship.settle(self.clock.now())
        return ship

    def contract_of(self, agent: Agent, cid: str) -> Contract:
        contract = self.contracts.get(cid)
        if contract is None or contract.agent != agent.symbol:
            raise not_found("Contract", cid)
        return contract

    def agent_ships(self, agent: Agent) -> list[Ship]:
        now = self.clock.now()
        ships = [self.ships[s] for s in agent.ship_symbols]
        for ship in ships:
            ship.settle(now)
        return ships

    def ship_present(self, agent: Agent | None, waypoint: str) -> bool:
        """Whether one of the agent's ships is at ``waypoint`` (not in transit)."""
        if agent is None:
            return False
        return any(s.waypoint == waypoint and s.status != "IN_TRANSIT"
                   for s in self.agent_ships(agent))
