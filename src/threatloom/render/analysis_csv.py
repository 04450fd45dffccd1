"""threats.csv: one row per threat, for spreadsheets and quick greps."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from threatloom.engine.threat import Analysis

COLUMNS = ("id", "title", "category", "target", "zone", "status", "inherent_level", "inherent_score",
           "residual_level", "residual_score", "likelihood", "impact", "assets", "actors", "reachable",
           "capec", "cwe", "attack", "top_controls", "decision", "owner", "ticket", "source")


def _safe(value: str) -> str:
    # Spreadsheet formula injection: a cell that starts with = + - @ would be evaluated on opening.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def render_csv_rows(analysis: Analysis) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    for t in analysis.threats:
        d = t.decision
        writer.writerow([_safe(str(v)) for v in (
            t.id, t.title, t.category.value, t.target, t.zone or "", t.status.value,
            t.inherent.level.value, t.inherent.score, t.residual.level.value, t.residual.score,
            t.residual.likelihood, t.residual.impact, " ".join(t.assets), " ".join(t.actors),
            "yes" if t.reachable else "no", " ".join(f"CAPEC-{c}" for c in t.capec),
            " ".join(f"CWE-{c}" for c in t.cwe), " ".join(t.attack),
            " ".join(c.id for c in t.controls if not c.in_place)[:200],
            d.treatment.value if d else "", (d.owner or "") if d else "", (d.ticket or "") if d else "",
            f"{t.location.file}:{t.location.line}")])
        yield flush()
