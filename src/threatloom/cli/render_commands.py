"""`report` and `diagram`: turn a model and its analysis into documents and drawings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from threatloom.cli.analysis_commands import load_and_analyse, load_model_and_analyse
from threatloom.cli.output import ModelArg, RulesOpt, console, fail, input_errors, progress

OutputOpt = Annotated[Path, typer.Option("-o", "--output", help="File to write; its extension picks the format.",
                                         show_default=False)]


@contextmanager
def _steps(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """output.progress on a terminal; nothing otherwise (rich would leave a blank line on stderr)."""
    if console(stderr=True).is_terminal:
        with progress(total, label) as advance:
            yield advance
    else:
        def ignore(n: int = 1) -> None:
            pass

        yield ignore


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("diagram")(diagram)


def report(
    model: ModelArg,
    output: OutputOpt,
    previous: Annotated[Path | None, typer.Option("--previous", help="An earlier version of the model, to show "
                                                  "progress (risk then and now, new and resolved threats).",
                                                  show_default=False)] = None,
    rules: RulesOpt = None,
) -> None:
    """Write a report: .html (one self-contained file), .pdf, .md (GitHub Markdown) or .xlsx (register)."""
    from threatloom.atomic import write_bytes
    from threatloom.catalog.loading import load_controls
    from threatloom.render.report import ReportInput, report_format

    with input_errors():
        chosen = report_format(output)
    if chosen.name in ("html", "pdf"):
        from threatloom.render.diagram.graphviz import GraphvizMissingError, dot_available

        if not dot_available():
            console(stderr=True).print(f"[yellow]warning[/yellow]: {GraphvizMissingError()}; the report has no diagram")
    with _steps(4 + (previous is not None), f"writing {output.name}") as advance:
        loaded, analysis = load_model_and_analyse(model, rules)
        advance(1)
        earlier = None
        if previous is not None:
            earlier = load_and_analyse(previous, rules)
            advance(1)
        with input_errors():
            controls = load_controls()
        advance(1)
        with input_errors():
            data = chosen.render(ReportInput(loaded, analysis, controls, earlier,
                                             previous.name if previous is not None else ""))
        advance(1)
        write_bytes(output, data)
        advance(1)
    from threatloom.render.words import counted

    console().print(f"wrote {output} ({counted(len(analysis.threats), 'threat')}, {chosen.name})")


def diagram(
    model: ModelArg,
    output: OutputOpt,
    zone: Annotated[str | None, typer.Option("--zone", help="Only this trust zone (and the zones inside it), with "
                                             "the elements it exchanges flows with.", show_default=False)] = None,
    overview: Annotated[bool, typer.Option("--overview", help="One box per trust zone, flows between zones "
                                           "counted: for large models.")] = False,
    rules: RulesOpt = None,
) -> None:
    """Draw the data-flow diagram: .svg or .png (Graphviz), .dot, or .mmd (Mermaid)."""
    from threatloom.atomic import write_bytes
    from threatloom.render.diagram import diagram_format, render_diagram
    from threatloom.render.diagram.view import OVERVIEW_ABOVE, build_diagram

    if zone is not None and overview:
        fail("--zone and --overview cannot be combined", "pick one view")
    with input_errors():
        output_format = diagram_format(output)
    with _steps(3, f"drawing {output.name}") as advance:
        loaded, analysis = load_model_and_analyse(model, rules)
        advance(1)
        elements = len(loaded.index.elements)
        if zone is None and not overview and elements > OVERVIEW_ABOVE:
            # said before drawing: Graphviz may take minutes over a few thousand elements
            console(stderr=True).print(f"[dim]{elements} elements: for a readable drawing use --overview, or "
                                       "--zone ZONE for one zone at a time[/dim]")
        with input_errors():
            drawing = render_diagram(build_diagram(loaded, analysis, zone=zone, overview=overview), output_format)
        advance(1)
        write_bytes(output, drawing)
        advance(1)
    console().print(f"wrote {output}")
