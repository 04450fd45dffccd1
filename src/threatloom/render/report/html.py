"""The HTML report: one self-contained file (inline CSS, script and SVG; nothing fetched).

Jinja2 renders it with autoescape on; the only markup passed through unescaped is what threatloom
builds itself: the Graphviz drawing (whose labels Graphviz escapes) and the charts (escaped in
:mod:`.charts`). A Content-Security-Policy admits only the report's own script, by its hash.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from threatloom.render import palette
from threatloom.render.report.charts import inherent_residual_bars
from threatloom.render.report.context import build_context
from threatloom.render.report.interface import ReportFormat, ReportInput

if TYPE_CHECKING:
    from jinja2 import Environment


PRINT_DETAILS = 100
"""A printed report describes this many threats in full (highest risk first); the HTML report all."""


@dataclass(frozen=True, slots=True)
class DiagramFigure:
    svg: str  # inline SVG markup, or "" when it could not be drawn
    overview: bool
    note: str  # what a reader should know about it


@lru_cache(maxsize=1)
def environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("threatloom.render", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def diagram_figure(report: ReportInput) -> DiagramFigure:
    """The data-flow diagram as inline SVG: the zone overview when the model is large."""
    from threatloom.render.diagram.dot import render_dot
    from threatloom.render.diagram.graphviz import GraphvizMissingError, inline_svg, run_dot
    from threatloom.render.diagram.view import auto_overview, build_diagram

    model = report.model
    overview = auto_overview(model)
    note = ""
    if overview:
        note = (f"The model has {len(model.index.elements)} elements, too many to read in one drawing, so this is "
                "the overview: one box per trust zone, with the flows between zones counted. Draw one zone "
                "with its neighbours with `threatloom diagram MODEL --zone ZONE -o zone.svg`.")
    source = render_dot(build_diagram(model, report.analysis, overview=overview))
    try:
        svg = inline_svg(run_dot(source, "svg"))
    except GraphvizMissingError as exc:
        return DiagramFigure("", overview, f"No diagram: {exc}.")
    return DiagramFigure(svg, overview, note)


def _script() -> tuple[str, str]:
    from importlib.resources import files

    text = files("threatloom.render").joinpath("templates", "report.js").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"sha256-{digest}"


def render_html(report: ReportInput, figure: DiagramFigure | None = None, *, for_print: bool = False) -> str:
    """The report as one HTML document; `figure` defaults to drawing the diagram now.

    `for_print` lays the threat details out as blocks after the register (pages can break between
    them), for the first :data:`PRINT_DETAILS` threats, instead of as expandable table rows.
    """
    from markupsafe import Markup

    ctx = build_context(report)
    figure = figure if figure is not None else diagram_figure(report)
    script, script_hash = _script()
    by_zone = inherent_residual_bars("Risk by trust zone", ctx.by_zone)
    values: dict[str, Any] = {
        "ctx": ctx,
        "system": report.model.system,
        "diagram": figure,
        "diagram_svg": Markup(figure.svg),  # noqa: S704 - drawn by Graphviz from escaped labels
        "chart_category": Markup(inherent_residual_bars("Risk by category", ctx.by_category)),  # noqa: S704
        "chart_zone": Markup(by_zone),  # noqa: S704 - built by charts.py, which escapes every label
        "script": Markup(script),  # noqa: S704 - our own file
        "script_hash": script_hash,
        "for_print": for_print,
        "print_details": PRINT_DETAILS,
        "fills": {lv.value: palette.FILL[lv] for lv in palette.FILL},
        "strokes": {lv.value: palette.STROKE[lv] for lv in palette.STROKE},
    }
    return environment().get_template("report.html.j2").render(values)


class HtmlReport(ReportFormat):
    name = "html"
    extensions = (".html", ".htm")

    def render(self, report: ReportInput) -> bytes:
        return render_html(report).encode("utf-8")


FORMAT = HtmlReport()
