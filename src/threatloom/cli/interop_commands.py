"""`import` and `export`: talk to other threat-modeling tools and to issue trackers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatloom.cli.analysis_commands import load_model_and_analyse
from threatloom.cli.output import ModelArg, RulesOpt, console, fail, input_errors
from threatloom.interop import EXPORT_FORMATS, IMPORT_FORMATS

if TYPE_CHECKING:
    from threatloom.interop.interface import ImportReport

BACKLOG_FORMATS = ("github", "jira", "markdown")
MODEL_FORMATS = tuple(EXPORT_FORMATS)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("export")(export)


def import_command(
    source: Annotated[Path, typer.Argument(help="The other tool's file.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The threatloom model file to write.",
                                         show_default=False)],
    from_format: Annotated[str | None, typer.Option(
        "--from", help=f"Format of the file: {', '.join(IMPORT_FORMATS)} (detected when not given).",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUTPUT if it exists.")] = False,
) -> None:
    """Import a model from OTM, Threat Dragon, Threagile, threat-composer or the Microsoft Threat Modeling Tool."""
    if from_format is not None and from_format not in IMPORT_FORMATS:
        fail(f"unknown import format {from_format!r}", f"use {', '.join(IMPORT_FORMATS)}")
    if output.exists() and not force:
        fail(f"{output} already exists", "choose another -o, or pass --force to replace it")
    from threatloom.atomic import write_text
    from threatloom.interop import import_file

    with input_errors():
        result = import_file(source, from_format)
    write_text(output, result.text)
    print_import_report(result.report)
    console().print(f"[green]wrote {output}[/green]; next: threatloom validate {output}")


def print_import_report(report: ImportReport) -> None:
    """A table: per kind of content, how much was mapped, kept as notes, or skipped (and why)."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"import from {report.format}", title_justify="left")
    for column in ("kind", "mapped", "kept as notes", "skipped"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind in report.kinds():
        table.add_row(escape(kind), str(report.mapped.get(kind, 0)), str(len(report.noted.get(kind, []))),
                      str(len(report.skipped.get(kind, []))))
    out = console()
    out.print(table)
    for kind, items in sorted(report.skipped.items()):
        shown = "; ".join(items[:3]) + (f"; and {len(items) - 3} more" if len(items) > 3 else "")
        out.print(f"[yellow]skipped[/yellow] {escape(kind)}: {escape(shown)}")


def export(
    model: ModelArg,
    to: Annotated[str, typer.Option("--to", help=f"Backlog: {', '.join(BACKLOG_FORMATS)}; model: "
                                    f"{', '.join(MODEL_FORMATS)}.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="File (or, for a backlog, folder) to write.",
                                         show_default=False)],
    rules: RulesOpt = None,
) -> None:
    """Export the backlog of chosen controls (GitHub, Jira, Markdown) or the model (OTM, Threat Dragon)."""
    if to in BACKLOG_FORMATS:
        from threatloom.lifecycle.backlog import export_backlog

        with input_errors():
            written = export_backlog(model, to, output, rules or [])
        for path in written:
            console().print(f"wrote {path}")
        return
    if to not in MODEL_FORMATS:
        fail(f"unknown export format {to!r}", f"use {', '.join(BACKLOG_FORMATS + MODEL_FORMATS)}")
    if output.is_dir():
        fail(f"{output} is a folder", "give the file to write with -o")
    from threatloom.atomic import write_bytes
    from threatloom.interop import export_model

    loaded, analysis = load_model_and_analyse(model, rules)
    with input_errors():
        data = export_model(loaded, analysis, to)
    write_bytes(output, data)
    from threatloom.render.words import counted

    console().print(f"wrote {output} ({to}: {counted(len(loaded.components), 'component')}, "
                    f"{counted(len(loaded.flows), 'flow')}, {counted(len(analysis.threats), 'threat')})")
