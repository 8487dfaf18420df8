"""The ``st-run`` command: a thin click group that loads each subcommand lazily.

Subcommands live in their own modules so that ``st-run validate`` never imports the
simulator, OR-Tools or SQLAlchemy, and ``st-run --help`` imports none of them: it lists the
commands from the table below. ``st-run PLAYBOOK...`` means ``st-run run PLAYBOOK...`` and
``st-run --watch DIR`` means ``st-run watch DIR``; ``--sim`` and ``--no-color`` may come
anywhere on the line.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import click

from runner import __version__
from runner.errors import InvalidInput, StRunError

# name -> "module:attribute"; each module owns its command.
COMMANDS: dict[str, str] = {
    "run": "runner.cli.run_cmd:run",
    "status": "runner.cli.status_cmd:status",
    "logs": "runner.cli.status_cmd:logs",
    "stop": "runner.cli.status_cmd:stop",
    "describe": "runner.cli.container_cmd:describe",
    "start": "runner.cli.container_cmd:start",
    "restart": "runner.cli.container_cmd:restart",
    "rm": "runner.cli.container_cmd:rm",
    "watch": "runner.cli.watch_cmd:watch",
    "validate": "runner.cli.playbook_cmd:validate",
    "plan": "runner.cli.playbook_cmd:plan",
    "schema": "runner.cli.playbook_cmd:schema",
    "map": "runner.cli.map_cmd:map_command",
    "sim": "runner.cli.sim_cmd:sim",
    "register": "runner.cli.account_cmd:register",
    "health": "runner.cli.account_cmd:health",
    "completion": "runner.cli.completion_cmd:completion",
}

SUMMARIES: dict[str, str] = {
    "run": "Run playbooks in the foreground; resume unfinished ones.",
    "status": "Show containers (-o wide for more columns).",
    "logs": "Show a container's log; -f follows it until it ends.",
    "stop": "Stop a container at its next safe point; it stays stopped.",
    "describe": "Everything about one container: version, step, values, history.",
    "start": "Start a stopped container again (resumes from its checkpoint).",
    "restart": "Stop a container, then start it again.",
    "rm": "Remove finished containers and their history.",
    "watch": "Run every playbook in a folder; reload on change.",
    "validate": "Check playbooks: YAML, schema, templates.",
    "plan": "Show what a playbook would do, without doing it.",
    "schema": "Print the playbook JSON Schema for editors.",
    "sim": "Serve the SpaceTraders-compatible simulator.",
    "register": "Register an agent and save its token.",
    "health": "Check the server, the token, the config file and the database.",
    "completion": "Print the shell completion script (bash, zsh or fish).",
    "map": "Draw a system (and a plan) as SVG from cached universe data.",
}
"""One line per command for ``st-run --help``, so listing them imports none of them."""

ANYWHERE_FLAGS = ("--sim",)
"""Options of several commands that may also come before the command (``st-run --sim
--watch DIR``); they are moved after it."""

NO_COLOR_FLAG = "--no-color"
"""Accepted anywhere on the line; the same as ``NO_COLOR=1`` (https://no-color.org)."""


class LazyGroup(click.Group):
    """A group whose commands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from ``SUMMARIES``: ``--help`` imports no subcommand module."""
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
    --no-color (or NO_COLOR=1)  plain text, anywhere on the line
    """


def rewrite_args(args: Sequence[str]) -> list[str]:
    """Map the short forms onto subcommands: ``--watch DIR`` and ``PLAYBOOK...``.

    Options in ``ANYWHERE_FLAGS`` before the command move after it. A first word that is
    neither a command nor a playbook file is refused, with the nearest command name.
    """
    args = list(args)
    leading: list[str] = []
    while args and args[0] in ANYWHERE_FLAGS:
        leading.append(args.pop(0))
    if not args:
        return ["run", *leading] if leading else []  # run says what it misses
    first = args[0]
    if first in COMMANDS:
        return [first, *leading, *args[1:]]
    if first in ("-h", "--help", "--version"):
        return args  # the group's own options: --sim means nothing there
    if first == "--watch":
        return ["watch", *args[1:], *leading]
    if first.startswith("--watch="):
        return ["watch", first.split("=", 1)[1], *args[1:], *leading]
    _refuse_unknown_command(first)
    return ["run", *leading, *args]


def _refuse_unknown_command(word: str) -> None:
    """``word`` would be run as a playbook: refuse it when it cannot be one.

    A word that names no file, has no playbook suffix and no path separator was meant as a
    command; say which one it is closest to.
    """
    from runner.watch.folder import PLAYBOOK_SUFFIXES

    if word.startswith("-") or Path(word).exists() or "/" in word \
            or word.lower().endswith(PLAYBOOK_SUFFIXES):
        return
    near = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.6)
    if near:
        raise InvalidInput(f"unknown command `{word}`; did you mean `{near[0]}`?")
    raise InvalidInput(f"unknown command `{word}`, and no playbook file of that name "
                       "(see `st-run --help`)")


def strip_no_color(args: Sequence[str]) -> tuple[list[str], bool]:
    """``args`` without ``--no-color`` (before any ``--``), and whether colour is off.

    Colour is off with ``--no-color`` or a non-empty ``NO_COLOR`` environment variable.
    """
    args = list(args)
    end = args.index("--") if "--" in args else len(args)
    found = NO_COLOR_FLAG in args[:end]
    kept = [a for a in args[:end] if a != NO_COLOR_FLAG] + args[end:]
    return kept, found or bool(os.environ.get("NO_COLOR"))


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one-line errors, exit codes 0/1/2/3/130, never a traceback."""
    _redact_every_sink()
    from runner.terminal import survive_broken_stdout

    survive_broken_stdout()
    try:
        args, no_color = strip_no_color(sys.argv[1:] if argv is None else argv)
        if no_color:
            os.environ["NO_COLOR"] = "1"  # rich's consoles honour it too
        args = rewrite_args(args)
        # Without standalone mode click returns a command's `ctx.exit(code)` / `Exit(code)`
        # as a value instead of exiting: pass it on, or a failure would exit 0.
        result = cli.main(args=args, prog_name="st-run", standalone_mode=False,
                          color=False if no_color else None)
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
