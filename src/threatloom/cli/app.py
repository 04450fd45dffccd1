"""The `threatloom` application: wires command groups; holds no logic of its own.

Only typer is imported at start-up; each command imports what it needs when it runs.
"""

from __future__ import annotations

import typer

from threatloom.cli import (
    analysis_commands,
    interop_commands,
    lifecycle_commands,
    model_commands,
    render_commands,
)

app = typer.Typer(
    name="threatloom",
    help="Threat modeling as code: validate a model, find and rank threats, report, import and export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for _group in (model_commands, analysis_commands, lifecycle_commands, render_commands, interop_commands):
    _group.register(app)


def version_callback(value: bool) -> None:
    if value:
        from threatloom import __version__

        typer.echo(f"threatloom {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Threat modeling as code."""


def main() -> None:
    from threatloom.cli.process import own_process

    own_process()
    app()
