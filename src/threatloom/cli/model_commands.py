"""`validate`, `init` and `schema`: working with the model file itself."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from threatloom.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    ModelArg,
    console,
    fail,
    input_errors,
    print_problems,
)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("init")(init)
    app.command("schema")(schema)


def validate(
    model: ModelArg,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 1) on lint warnings too.")] = False,
) -> None:
    """Check a model: schema, references and modelling smells. Exit 0 valid, 1 warnings under --strict, 2 invalid."""
    if output_format not in ("text", "json"):
        fail(f"unknown format {output_format!r}", "use text or json")
    as_json = output_format == "json"
    from threatloom.catalog.references import unknown_catalog_controls
    from threatloom.engine import catalog_for
    from threatloom.errors import InputError
    from threatloom.model import load_model
    from threatloom.model.lint import lint

    with input_errors(as_json):
        loaded = load_model(model)
        problems = unknown_catalog_controls(loaded, catalog_for(loaded))
        if problems:
            raise InputError(problems)
    warnings = lint(loaded)
    if as_json:
        print_problems(warnings, as_json=True)
    else:
        print_problems(warnings)
        from threatloom.render.words import counted

        counts = (f"{counted(len(loaded.components), 'component')}, {counted(len(loaded.flows), 'flow')}, "
                  f"{counted(len(loaded.assets), 'asset')}, {counted(len(loaded.zones), 'zone')}")
        colour = "yellow" if warnings else "green"
        failing = ", which --strict fails on" if strict and warnings else ""
        console().print(f"[{colour}]{model}: valid[/{colour}] ({counts}; {counted(len(warnings), 'warning')}"
                        f"{failing})")
    if strict and warnings:
        raise typer.Exit(EXIT_CHECK_FAILED)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the model in.")] = Path(),
    name: Annotated[str, typer.Option(help="File name of the model.")] = "threatmodel.yaml",
) -> None:
    """Write a commented starter model that validates."""
    from importlib.resources import files

    target = directory / name
    starter = files("threatloom.model").joinpath("starter.yaml").read_text(encoding="utf-8")
    if directory.exists() and not directory.is_dir():
        fail(f"{directory} is a file, not a folder", "give the folder to create the model in")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:  # "x": never replace an existing file
            handle.write(starter)
    except FileExistsError:
        fail(f"{target} already exists", "choose another --name or folder; nothing was overwritten")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}", "check that the folder can be created and written")
    console().print(f"[green]wrote {target}[/green]; next: threatloom validate {target}")


def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of the model format (for editor completion)."""
    from threatloom.model.json_schema import model_json_schema

    text = json.dumps(model_json_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    from threatloom.atomic import write_text

    write_text(output, text)


__all__ = ["EXIT_BAD_INPUT", "register"]
