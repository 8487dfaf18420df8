"""``st-run sim``: serve the SpaceTraders-compatible simulator until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from runner.errors import InvalidInput


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8080, show_default=True, type=int,
              help="Port to bind (0 = any free port).")
@click.option("--seed", default=1, show_default=True, type=int, help="Universe seed.")
@click.option("--speed", default=1.0, show_default=True, type=float,
              help="Game seconds per wall second.")
@click.option("--universe", "universe", type=click.Path(dir_okay=False, path_type=Path),
              help="Load the universe from a snapshot file instead of generating it.")
@click.option("--rate-limit", "rate_limit", metavar="SPEC",
              help="Rate-limit pools, e.g. '2/1s,30/60s' (the default).")
@click.option("--no-rate-limit", is_flag=True, help="Serve without rate limits.")
@click.option("--faults", metavar="SPEC", help="Fault injection SPEC (see docs/simulator.md).")
@click.option("--systems", default=3, show_default=True, type=click.IntRange(min=3),
              help="Systems of the generated galaxy (the first three are detailed).")
@click.option("--require-account-token", is_flag=True,
              help="Register needs an account token (POST /v2/_sim/accounts issues one).")
@click.option("--rate-limit-per-ip", is_flag=True,
              help="Also limit each client address, across its agents and accounts.")
def sim(host: str, port: int, seed: int, speed: float, universe: Path | None,
        rate_limit: str | None, no_rate_limit: bool, faults: str | None, systems: int,
        require_account_token: bool, rate_limit_per_ip: bool) -> None:
    """Serve the SpaceTraders v2 API at http://HOST:PORT/v2 from a simulated universe."""
    # Imported here so that other commands never load uvicorn.
    from runner.sim.app import create_app
    from runner.sim.config import ConfigError, RateLimitSpec, SimConfig
    from runner.sim.server import bind_socket, build_server, url_of

    if rate_limit and no_rate_limit:
        raise InvalidInput("use either --rate-limit SPEC or --no-rate-limit, not both")
    try:
        limits = None if no_rate_limit else (
            RateLimitSpec.parse(rate_limit) if rate_limit else RateLimitSpec())
        config = SimConfig(seed=seed, speed=speed, universe_file=universe, rate_limit=limits,
                           faults=faults, systems=systems,
                           require_account_token=require_account_token,
                           rate_limit_per_ip=rate_limit_per_ip)
        app = create_app(config)  # parses the fault spec and loads the universe file
    except ConfigError as exc:
        raise InvalidInput(str(exc)) from None
    try:
        sock = bind_socket(host, port)
    except (OSError, OverflowError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidInput(f"cannot listen on {host}:{port}: {reason}") from None
    server = build_server(app)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the
    # handler installed before it ran. This one asks for a graceful exit (also when the
    # signal comes before uvicorn took over), so the process ends with status 0.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: setattr(server, "should_exit", True))
    # The first stdout line is the contract with scripts and tests: they read the URL.
    click.echo(f"st-run sim listening on {url_of(sock)}")
    sys.stdout.flush()
    server.run(sockets=[sock])
