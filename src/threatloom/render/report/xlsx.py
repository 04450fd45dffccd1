"""The threat register as an Excel workbook: a Summary sheet, the Register, and the Assets.

Guards for untrusted text: a cell that starts with ``= + - @`` (or a tab or carriage return) is
stored as text with Excel's quote prefix, never as a formula; characters a workbook cannot hold are
dropped; sheet names are cleaned to Excel's rules (31 characters, none of ``[]:*?/\\``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from threatloom.model.vocabulary import Level
from threatloom.render import palette
from threatloom.render.report.context import CATEGORY_BY_VALUE, ReportContext, build_context
from threatloom.render.report.interface import ReportFormat, ReportInput

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

REGISTER_COLUMNS: tuple[tuple[str, int], ...] = (
    ("#", 6), ("ID", 24), ("Threat", 50), ("Category", 22), ("Framework", 10), ("On", 26), ("Kind", 14),
    ("Zone", 20), ("Assets", 28), ("Actors", 24), ("Inherent L", 10), ("Inherent I", 10),
    ("Inherent score", 10), ("Inherent level", 12), ("Residual L", 10), ("Residual I", 10),
    ("Residual score", 10), ("Residual level", 12), ("Above appetite", 10), ("Status", 14),
    ("Untreated because", 16), ("Treatment", 12), ("Owner", 18), ("Ticket", 14), ("Due", 12), ("Approver", 18),
    ("Expires", 12), ("Decision counts", 12), ("Decision note", 30), ("Chosen controls", 36), ("Justification", 60),
    ("Candidate controls", 48), ("References", 30), ("Description", 80), ("Source", 30),
    ("Refines", 30),
)
_WRAPPED = frozenset({"Threat", "Assets", "Actors", "Decision note", "Chosen controls", "Justification",
                      "Candidate controls", "References", "Description"})


def sheet_title(name: str, taken: Sequence[str] = ()) -> str:
    """A valid, unique worksheet name: Excel's forbidden characters removed, at most 31 characters."""
    title = _SHEET_FORBIDDEN.sub(" ", _ILLEGAL.sub("", name)).strip().strip("'").strip() or "Sheet"
    title = title[:31]
    existing = {t.lower() for t in taken}
    candidate, n = title, 1
    while candidate.lower() in existing:
        n += 1
        suffix = f" ({n})"
        candidate = title[: 31 - len(suffix)] + suffix
    return candidate


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write one cell; text is always stored as text, never evaluated."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
    cell = cast("Cell", ws.cell(row=row, column=column, value=value))
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    return cell


def _fills() -> dict[str, Any]:
    from openpyxl.styles import PatternFill

    return {lv.value: PatternFill("solid", start_color=palette.FILL[lv].lstrip("#").upper())
            for lv in palette.FILL}


def _header(ws: Worksheet, columns: Sequence[tuple[str, int]], row: int = 1) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", start_color="1F4E79")
    for i, (name, width) in enumerate(columns, start=1):
        cell = put(ws, row, i, name)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{row + 1}"


def _register(ws: Worksheet, ctx: ReportContext) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    _header(ws, REGISTER_COLUMNS)
    fills = _fills()
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    names = [name for name, _ in REGISTER_COLUMNS]
    wrapped = {i for i, name in enumerate(names, start=1) if name in _WRAPPED}
    inherent_level, residual_level = names.index("Inherent level") + 1, names.index("Residual level") + 1
    for r, v in enumerate(ctx.threats, start=2):
        t, d = v.threat, v.threat.decision
        controls = "; ".join(f"{c.name} ({c.id}, −{c.risk_reduction}{', in place' if c.in_place else ''})"
                             for c in v.controls)
        decision: list[Any] = ["", "", "", "", "", "", "", "", "", ""]
        if d is not None:
            decision = [d.treatment.value, d.owner or "", d.ticket or "", d.due or "", d.approver or "",
                        d.expires or "", "yes" if d.valid else "no", d.note, ", ".join(v.chosen_controls),
                        d.justification]
        values: list[Any] = [
            v.number, t.id, t.title, v.category, t.category.framework, v.target, v.target_kind, v.zone,
            ", ".join(v.assets), ", ".join(v.actors), t.inherent.likelihood, t.inherent.impact, t.inherent.score,
            t.inherent.level.value, t.residual.likelihood, t.residual.impact, t.residual.score,
            t.residual.level.value, "yes" if v.above_appetite else "no", v.status, v.untreated or "",
            *decision, controls, " ".join(link.label for link in v.references), t.description, str(t.location),
            " ".join(t.refines),
        ]
        for c, value in enumerate(values, start=1):
            cell = put(ws, r, c, value)
            cell.alignment = wrap if c in wrapped else top
        ws.cell(row=r, column=inherent_level).fill = fills[t.inherent.level.value]
        ws.cell(row=r, column=residual_level).fill = fills[t.residual.level.value]
    last = max(1, len(ctx.threats) + 1)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(REGISTER_COLUMNS))}{last}"


def _summary(ws: Worksheet, ctx: ReportContext) -> None:
    from openpyxl.styles import Alignment, Font

    system = ctx.model.system
    bold = Font(bold=True)
    fills = _fills()
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["D"].width = 16
    put(ws, 1, 1, system.name).font = Font(bold=True, size=14)
    row = 3
    for label, value in (("Version", system.version or ""), ("Owner", system.owner or ""),
                         ("Risk appetite", system.risk_appetite.value), ("Scoring", ctx.model.risk.method.value),
                         ("Threats", ctx.total.threats), ("Not yet treated", ctx.total.open),
                         ("Gaps: untreated above appetite", len(ctx.gaps)),
                         ("Inherent risk (sum)", ctx.total.inherent),
                         ("Residual risk of untreated threats (sum)", ctx.total.residual),
                         ("Made with", ctx.generator)):
        put(ws, row, 1, label).font = bold
        put(ws, row, 2, value)
        row += 1
    row += 1
    put(ws, row, 1, "Summary").font = Font(bold=True, size=12)
    for line in ctx.summary:
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        put(ws, row, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 15 * (1 + len(line) // 110)
    row += 2
    put(ws, row, 1, "Untreated threats by residual level").font = bold
    for lv, n in ctx.open_by_level.items():
        row += 1
        put(ws, row, 1, lv.value).fill = fills[lv.value]
        put(ws, row, 2, n)
    categories = {CATEGORY_BY_VALUE.get(name, name): tally for name, tally in ctx.by_category.items()}
    for title, table in (("By category", categories), ("By trust zone", ctx.by_zone)):
        row += 2
        for c, head in enumerate((title, "Threats", "Inherent (sum)", "Residual, untreated (sum)",
                                  "Worst untreated"),
                                 start=1):
            put(ws, row, c, head).font = bold
        for name, tally in table.items():
            row += 1
            for c, value in enumerate((name, tally.threats, tally.inherent, tally.residual,
                                       tally.worst.value if tally.worst else ""), start=1):
                put(ws, row, c, value)
            if tally.worst is not None:
                ws.cell(row=row, column=5).fill = fills[tally.worst.value]
    if ctx.problems:  # the summary's "see Notes"
        row += 2
        put(ws, row, 1, "Notes: decisions that match no threat, are overdue or do not count").font = bold
        for problem in ctx.problems:
            row += 1
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
            put(ws, row, 1, problem).alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = 15 * (1 + len(problem) // 110)
    ws.column_dimensions["E"].width = 14


def _assets(ws: Worksheet, ctx: ReportContext) -> None:
    columns = (("Asset", 30), ("ID", 20), ("Kind", 14), ("Classification", 14), ("Confidentiality", 14),
               ("Integrity", 12), ("Availability", 12), ("Personal data", 12), ("Owner", 20), ("Threats", 10),
               ("Worst untreated", 12))
    _header(ws, columns)
    fills = _fills()
    for r, view in enumerate(ctx.assets, start=2):
        a = view.asset
        values = (a.name, a.id, a.kind.value, a.classification.value, a.confidentiality.value, a.integrity.value,
                  a.availability.value, "yes" if a.personal_data else "no", a.owner or "", view.risk.threats,
                  view.risk.worst.value if view.risk.worst else "")
        for c, value in enumerate(values, start=1):
            put(ws, r, c, value)
        for c, level in ((5, a.confidentiality), (6, a.integrity), (7, a.availability), (11, view.risk.worst)):
            if isinstance(level, Level):
                ws.cell(row=r, column=c).fill = fills[level.value]
    from openpyxl.utils import get_column_letter

    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(ctx.assets) + 1)}"


def render_xlsx(report: ReportInput) -> bytes:
    from openpyxl import Workbook

    ctx = build_context(report)
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = sheet_title("Summary")
    _summary(summary, ctx)
    taken = [summary.title]
    for name, fill in (("Register", _register), ("Assets", _assets)):
        ws = workbook.create_sheet(sheet_title(name, taken))
        taken.append(ws.title)
        fill(ws, ctx)
    workbook.properties.title = sheet_title(ctx.model.system.name)
    workbook.properties.creator = ctx.generator
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class XlsxReport(ReportFormat):
    name = "xlsx"
    extensions = (".xlsx",)

    def render(self, report: ReportInput) -> bytes:
        return render_xlsx(report)


FORMAT = XlsxReport()
