"""The HTML report: one self-contained file (inline CSS, script and SVG; nothing fetched).

Jinja2 renders it with autoescape on; the only markup passed through unescaped is what threatloom
builds itself: the Graphviz drawing (whose labels Graphviz escapes) and the charts (escaped in
:mod:`.charts`). A Content-Security-Policy admits only the report's own script, by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import msgspec

from threatloom.render import palette
from threatloom.render.report.charts import inherent_residual_bars
from threatloom.render.report.context import CATEGORY_BY_VALUE, GAPS_LISTED, STATUS_BY_VALUE, build_context
from threatloom.render.report.interface import ReportFormat, ReportInput

if TYPE_CHECKING:
    from jinja2 import Environment

    from threatloom.render.diagram.view import Diagram, ZoneSection


PRINT_DETAILS = 100
"""A printed report describes its gaps in full, at most this many (highest risk first); the HTML report
describes every threat. Paper is for what needs action: the register and the decisions list the rest."""


READABLE_SCALE = 0.6
"""A drawing shrunk below this has labels too small to read on paper (9 pt → 5.4 pt)."""
LANDSCAPE = (770.0, 470.0)  # room for a drawing on a landscape A4 page, in points (margins, heading)
PORTRAIT = (520.0, 680.0)  # and on a portrait one
SMALL = (520.0, 330.0)  # half a portrait page: a drawing that fits it (shrunk at most to 0.8) shares a page
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


class DiagramFigure(msgspec.Struct, frozen=True):
    title: str
    svg: str  # inline SVG markup, or "" when it could not be drawn
    note: str  # what a reader should know about it
    width: float = 0.0  # natural size in points
    height: float = 0.0

    def scale(self, room: tuple[float, float]) -> float:
        """How much the drawing must shrink to fit `room` (1 when it fits as it is)."""
        if not self.width or not self.height:
            return 1.0
        return min(1.0, room[0] / self.width, room[1] / self.height)

    @property
    def page(self) -> str:
        """The printed page it goes on: "small" (shares a portrait page), "wide" or "tall" (a page of its own,
        in the orientation that shows it larger)."""
        if self.scale(SMALL) >= 0.8:
            return "small"
        # landscape unless portrait shows it clearly larger: a square drawing leaves half a portrait page empty
        return "wide" if self.scale(LANDSCAPE) >= 0.9 * self.scale(PORTRAIT) else "tall"

    @property
    def legible(self) -> bool:
        """True when the drawing fits a page at a readable scale."""
        return max(self.scale(LANDSCAPE), self.scale(PORTRAIT)) >= READABLE_SCALE


class Diagrams(msgspec.Struct, frozen=True):
    """The report's drawings: the whole system (every element, or the zone overview), then one per zone
    when the whole does not fit a page legibly."""

    main: DiagramFigure
    overview: bool
    zones: tuple[DiagramFigure, ...]
    zones_note: str = ""


@lru_cache(maxsize=1)
def environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(loader=PackageLoader("threatloom.render", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def _figure(title: str, svg: bytes, note: str) -> DiagramFigure:
    from threatloom.render.diagram.graphviz import inline_svg

    markup = inline_svg(svg)
    size = _SIZE.search(markup)
    width, height = (float(size.group(1)), float(size.group(2))) if size else (0.0, 0.0)
    return DiagramFigure(title, markup, note, width, height)


def _best_figure(diagram: Diagram, title: str, note: str, *, legend: bool = True) -> DiagramFigure:
    """The drawing, laid out top to bottom and left to right, whichever shows larger on a page (a zone and
    its many neighbours make a long flat row one way, a column that fits a portrait page the other)."""
    from threatloom.render.diagram.dot import render_dot
    from threatloom.render.diagram.graphviz import GraphvizFailedError, run_dot

    figures: list[DiagramFigure] = []
    for rankdir in ("TB", "LR"):
        if figures and max(figures[0].scale(LANDSCAPE), figures[0].scale(PORTRAIT)) >= 0.95:
            break  # fits a page as it is: nothing to gain the other way
        try:
            svg = run_dot(render_dot(diagram, rankdir=rankdir, legend=legend), "svg")
        except GraphvizFailedError as exc:
            if "trouble in init_rank" not in str(exc):
                raise
            continue
        figures.append(_figure(title, svg, note))
    if not figures:  # both failed: the model's own flow directions, which Graphviz can always lay out
        from threatloom.render.diagram import draw

        return _figure(title, draw(diagram, legend=legend), note)
    return max(figures, key=lambda f: max(f.scale(LANDSCAPE), f.scale(PORTRAIT)))


def diagrams(report: ReportInput, *, for_print: bool = False) -> Diagrams:
    """Draw the report's diagrams (Graphviz runs in parallel: each drawing is its own process).

    The whole system first: every element, or the zone overview when there are too many to read (more
    for a screen, which can zoom, than for paper). Then, when the drawing of every element does not fit
    a page legibly, one diagram per zone.
    """
    from concurrent.futures import ThreadPoolExecutor

    from threatloom.render.diagram.graphviz import GraphvizMissingError
    from threatloom.render.diagram.view import (
        OVERVIEW_ABOVE,
        PRINT_FULL_UP_TO,
        ZONE_DIAGRAMS_UP_TO,
        build_diagram,
        zone_sections,
    )

    model, analysis = report.model, report.analysis
    elements = len(model.index.elements)
    overview = elements > (PRINT_FULL_UP_TO if for_print else OVERVIEW_ABOVE)
    note = ""
    if overview:
        note = (f"The model has {elements} elements, too many to read in one drawing, so this is the overview: "
                "one box per trust zone, with the flows between zones counted.")
    try:
        main = _best_figure(build_diagram(model, analysis, overview=overview),
                            "Trust zones" if overview else "All elements", note)
    except GraphvizMissingError as exc:
        return Diagrams(DiagramFigure("", "", f"No diagram: {exc}."), overview, ())
    if main.legible and not overview:
        return Diagrams(main, overview, ())
    if elements > ZONE_DIAGRAMS_UP_TO:
        return Diagrams(main, overview, (), "Draw one zone with its neighbours with "
                                            "`threatloom diagram MODEL --zone ZONE -o zone.svg`.")
    sections = zone_sections(model)
    index = model.index

    def one(section: ZoneSection) -> DiagramFigure:
        zone = index.zones[section.zone]
        inner = [index.zones[c].name for c in index.zone_children.get(zone.id, ())]
        note = ""
        if inner and not section.nested:
            note = f"The zones inside it ({', '.join(inner)}) have diagrams of their own."
        return _best_figure(build_diagram(model, analysis, zone=section.zone, nested=section.nested), zone.name,
                            note, legend=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        figures = tuple(pool.map(one, sections))
    return Diagrams(main, overview, figures)


def _script() -> tuple[str, str]:
    from importlib.resources import files

    text = files("threatloom.render").joinpath("templates", "report.js").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"sha256-{digest}"


def render_html(report: ReportInput, drawings: Diagrams | None = None, *, for_print: bool = False) -> str:
    """The report as one HTML document; `drawings` defaults to drawing the diagrams now.

    `for_print` lays the register out as a compact table and the threat details as light blocks after
    it (pages can break between them), for the first :data:`PRINT_DETAILS` threats, instead of as
    expandable table rows.
    """
    from markupsafe import Markup

    ctx = build_context(report)
    drawings = drawings if drawings is not None else diagrams(report, for_print=for_print)
    script, script_hash = _script()
    by_zone = inherent_residual_bars("Risk by trust zone", ctx.by_zone)
    values: dict[str, Any] = {
        "ctx": ctx,
        "system": report.model.system,
        "drawings": drawings,  # their SVG is printed with `| safe`: Graphviz drew it from escaped labels
        "chart_category": Markup(inherent_residual_bars(  # noqa: S704 - charts.py escapes every label
            "Risk by category", {CATEGORY_BY_VALUE.get(k, k): v for k, v in ctx.by_category.items()})),
        "chart_zone": Markup(by_zone),  # noqa: S704 - built by charts.py, which escapes every label
        "script": Markup(script),  # noqa: S704 - our own file
        "script_hash": script_hash,
        "for_print": for_print,
        "print_details": PRINT_DETAILS,
        "gaps_listed": GAPS_LISTED,
        "category_names": CATEGORY_BY_VALUE,
        "status_names": STATUS_BY_VALUE,
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
