"""threats.csv: one row per threat, for spreadsheets and quick greps."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from threatloom.engine.threat import Analysis
from threatloom.render.memo import PerObject

COLUMNS = ("id", "title", "category", "target", "zone", "status", "inherent_level", "inherent_score",
           "residual_level", "residual_score", "likelihood", "impact", "assets", "actors", "reachable",
           "capec", "cwe", "attack", "top_controls", "decision", "owner", "ticket", "source", "refines")


def _safe(value: str) -> str:
    # Spreadsheet formula injection: a cell that starts with = + - @ would be evaluated on opening.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _capec(ids: tuple[int, ...]) -> str:
    return " ".join(f"CAPEC-{i}" for i in ids)


def _cwe(ids: tuple[int, ...]) -> str:
    return " ".join(f"CWE-{i}" for i in ids)


def _attack(ids: tuple[str, ...]) -> str:
    return _safe(" ".join(ids))


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
    shared = PerObject()  # a rule's reference tuples are shared by all its threats: joined once each
    for t in analysis.threats:
        d = t.decision
        inherent, residual = t.inherent, t.residual
        # text a model or rule wrote can start with a formula character; levels, numbers and IDs of our
        # own vocabulary cannot
        writer.writerow((
            _safe(t.id), _safe(t.title), t.category, _safe(t.target), _safe(t.zone or ""), t.status,
            inherent.level, inherent.score, residual.level, residual.score, residual.likelihood, residual.impact,
            _safe(" ".join(t.assets)), _safe(" ".join(t.actors)), "yes" if t.reachable else "no",
            shared.get(t.capec, _capec), shared.get(t.cwe, _cwe), shared.get(t.attack, _attack),
            _safe(" ".join(c.id for c in t.controls if not c.in_place)[:200]),
            d.treatment if d else "", _safe(d.owner or "") if d else "", _safe(d.ticket or "") if d else "",
            _safe(f"{t.location.file}:{t.location.line}"), _safe(" ".join(t.refines))))
        yield flush()
