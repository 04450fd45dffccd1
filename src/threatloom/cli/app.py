"""The `threatloom` application: wires command groups; holds no logic of its own.

Only typer is imported at start-up, and the console entry point builds only the command group the
command line names (building the others costs typer a look at every parameter of every command); each
command imports what it needs when it runs. `app`, the whole application, is built on first use for
callers that run it in-process.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.models import DefaultPlaceholder

# every command (or sub-group) and the module of the group that registers it; a test keeps this true
COMMAND_GROUPS: dict[str, str] = {
    "validate": "model_commands", "init": "model_commands", "schema": "model_commands",
    "analyze": "analysis_commands", "attack-tree": "analysis_commands", "rules": "analysis_commands",
    "plan": "lifecycle_commands", "check": "lifecycle_commands", "diff": "lifecycle_commands",
    "history": "lifecycle_commands",
    "report": "render_commands", "diagram": "render_commands",
    "import": "interop_commands", "export": "interop_commands",
}
ALL_GROUPS = ("model_commands", "analysis_commands", "lifecycle_commands", "render_commands", "interop_commands")


def _flags_take_no_value(params: list[Any]) -> list[Any]:
    """No value type beside an on/off flag in help: typer 0.29 writes `<bool>` there (`--help -h <bool>`), as
    if the flag took a value. An empty metavar is what typer shows instead of the type."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_take_no_value(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_take_no_value(super().get_params(ctx))


def version_callback(value: bool) -> None:
    if value:
        from threatloom import __version__

        typer.echo(f"threatloom {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Threat modeling as code."""


def build_app(groups: Iterable[str] = ALL_GROUPS) -> typer.Typer:
    """The application with the commands of `groups` (module names in `threatloom.cli`), in that order."""
    application = typer.Typer(
        name="threatloom",
        cls=Group,
        help="Threat modeling as code: validate a model, find and rank threats, report, import and export.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    application.callback()(_root)
    for group in groups:
        importlib.import_module(f"threatloom.cli.{group}").register(application)
    _guard(application)
    return application


def _guard(application: typer.Typer) -> None:
    """Every command of `application` and of its sub-groups run through :func:`output.guarded`."""
    from threatloom.cli.output import guarded

    for info in application.registered_commands:
        if info.callback is not None:
            info.callback = guarded(info.callback)
        info.cls = _ours(info.cls, TyperCommand, Command)
    for group in application.registered_groups:
        if group.typer_instance is not None:
            group.cls = _ours(group.cls, TyperGroup, Group)
            _guard(group.typer_instance)


def _ours(chosen: Any, default: type, ours: type) -> Any:
    """Our class where typer would use its default (written out, or left as its placeholder)."""
    return ours if chosen is None or chosen is default or isinstance(chosen, DefaultPlaceholder) else chosen


def groups_for(argv: list[str]) -> tuple[str, ...]:
    """The groups a command line needs: the one its command belongs to; all of them for the root's own
    options (`--help`, `--version`) and for a mistyped command, so that help and suggestions list all."""
    group = COMMAND_GROUPS.get(argv[0]) if argv else None
    return (group,) if group is not None else ALL_GROUPS


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        application = globals()["app"] = build_app()
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    from threatloom.cli.process import own_process

    own_process()
    # pydantic looks for plugins among the installed packages' entry points the first time it builds a
    # validator (15 ms); our schema is internal, so the process skips that unless the user asks for it
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    build_app(groups_for(sys.argv[1:]))()
