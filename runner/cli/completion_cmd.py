"""``st-run completion bash|zsh|fish``: print the shell completion script (click's own).

The script calls ``st-run`` back with ``_ST_RUN_COMPLETE`` set; click answers those calls
before any command runs, so completing a command name imports no subcommand module.
"""

from __future__ import annotations

import click

COMPLETE_VAR = "_ST_RUN_COMPLETE"
"""The environment variable click's completion scripts set when they call st-run back."""

INSTALL = {
    "bash": "eval \"$(st-run completion bash)\"   # in ~/.bashrc",
    "zsh": "eval \"$(st-run completion zsh)\"    # in ~/.zshrc",
    "fish": "st-run completion fish > ~/.config/fish/completions/st-run.fish",
}


@click.command()
@click.argument("shell", type=click.Choice(sorted(INSTALL)))
def completion(shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(st-run completion bash)"    (in ~/.bashrc)
    zsh:   eval "$(st-run completion zsh)"     (in ~/.zshrc)
    fish:  st-run completion fish > ~/.config/fish/completions/st-run.fish
    """
    from click.shell_completion import get_completion_class

    from runner.cli.main import cli

    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion support for {shell}")
    click.echo(completer(cli, {}, "st-run", COMPLETE_VAR).source())
