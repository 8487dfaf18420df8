"""The ``st-run`` command: a thin click group that loads each subcommand lazily.

Subcommands live in their own modules so that ``st-run validate`` never imports the
simulator, OR-Tools or SQLAlchemy. ``st-run PLAYBOOK...`` means ``st-run run PLAYBOOK...``
and ``st-run --watch DIR`` means ``st-run watch DIR``.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence

import click

from runner import __version__
from runner.errors import StRunError

# name -> "module:attribute"; each module owns its command.
COMMANDS: dict[str, str] = {
    "run": "runner.cli.run_cmd:run",
    "status": "runner.cli.status_cmd:status",
    "logs": "runner.cli.status_cmd:logs",
    "stop": "runner.cli.status_cmd:stop",
    "watch": "runner.cli.watch_cmd:watch",
    "validate": "runner.cli.playbook_cmd:validate",
    "plan": "runner.cli.playbook_cmd:plan",
    "schema": "runner.cli.playbook_cmd:schema",
    "sim": "runner.cli.sim_cmd:sim",
    "register": "runner.cli.account_cmd:register",
    "health": "runner.cli.account_cmd:health",
}


class LazyGroup(click.Group):
    """A group whose commands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # command not built yet
                return None
            raise
        command: click.Command = getattr(module, attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="st-run")
def cli() -> None:
    """Run SpaceTraders fleets from YAML playbooks.

    \b
    st-run PLAYBOOK...          run playbooks (same as `st-run run`)
    st-run --sim PLAYBOOK       run against an embedded simulator
    st-run --watch DIR          run every playbook in DIR, reload on change
    """


def rewrite_args(args: Sequence[str]) -> list[str]:
    """Map the short forms onto subcommands: ``--watch DIR`` and ``PLAYBOOK...``."""
    args = list(args)
    if not args or args[0] in COMMANDS or args[0] in ("-h", "--help", "--version"):
        return args
    if args[0] == "--watch":
        return ["watch", *args[1:]]
    if args[0].startswith("--watch="):
        return ["watch", args[0].split("=", 1)[1], *args[1:]]
    return ["run", *args]


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one-line errors, exit codes 0/1/2, never a traceback."""
    args = rewrite_args(sys.argv[1:] if argv is None else argv)
    _redact_every_sink()
    try:
        # Without standalone mode click returns a command's `ctx.exit(code)` / `Exit(code)`
        # as a value instead of exiting: pass it on, or a failure would exit 0.
        result = cli.main(args=args, prog_name="st-run", standalone_mode=False)
        if isinstance(result, int) and not isinstance(result, bool) and result != 0:
            sys.exit(result)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        # One line, like every other error; the usage text is one `--help` away.
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{where}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except StRunError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence against tracebacks
        if os.environ.get("ST_RUN_DEBUG"):
            from runner.secrets import redact_known

            sys.stderr.write(redact_known(traceback.format_exc()))
            sys.exit(1)
        click.echo(f"internal error: {type(exc).__name__}: {exc} "
                   "(set ST_RUN_DEBUG=1 for a traceback)", err=True)
        sys.exit(1)


def _redact_every_sink() -> None:
    """No token reaches the console, a log record or a traceback (the database has its own
    hook): the tokens of the environment are known before anything runs."""
    from runner import secrets

    secrets.install()
    for name in ("SPACETRADERS_TOKEN", "SPACETRADERS_ACCOUNT_TOKEN"):
        if os.environ.get(name, "").strip():
            secrets.remember(os.environ[name])


if __name__ == "__main__":  # pragma: no cover
    main()
