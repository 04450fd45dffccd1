"""Bar charts as inline SVG markup: no script, no library, print-ready. Labels are escaped here."""

from __future__ import annotations

from html import escape

from threatloom.render.digest import RiskTally

INHERENT = "#9fb3c8"
RESIDUAL = "#1f4e79"
_ROW = 34
_LABEL = 170
_WIDTH = 560


def _label(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def inherent_residual_bars(title: str, rows: dict[str, RiskTally]) -> str:
    """Horizontal paired bars: inherent risk of all threats vs residual risk of the open ones."""
    if not rows:
        return ""
    top = max(max(t.inherent, t.residual) for t in rows.values()) or 1
    span = _WIDTH - _LABEL - 60
    height = 44 + _ROW * len(rows)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{_LABEL}" y="6" width="12" height="12" fill="{INHERENT}"/>'
        f'<text x="{_LABEL + 18}" y="16" font-size="12">inherent (all threats)</text>'
        f'<rect x="{_LABEL + 170}" y="6" width="12" height="12" fill="{RESIDUAL}"/>'
        f'<text x="{_LABEL + 188}" y="16" font-size="12">residual (open threats)</text>',
    ]
    for i, (name, tally) in enumerate(rows.items()):
        y = 32 + i * _ROW
        w_in = round(tally.inherent / top * span, 1)
        w_res = round(tally.residual / top * span, 1)
        parts.append(
            f'<g><title>{escape(name)}: inherent {tally.inherent}, residual {tally.residual}, '
            f"{tally.threats} threats ({tally.open} open)</title>"
            f'<text x="{_LABEL - 8}" y="{y + 18}" font-size="12" text-anchor="end">{escape(_label(name, 24))}</text>'
            f'<rect x="{_LABEL}" y="{y + 2}" width="{w_in}" height="12" fill="{INHERENT}"/>'
            f'<text x="{_LABEL + w_in + 4}" y="{y + 12}" font-size="10">{tally.inherent}</text>'
            f'<rect x="{_LABEL}" y="{y + 15}" width="{w_res}" height="12" fill="{RESIDUAL}"/>'
            f'<text x="{_LABEL + w_res + 4}" y="{y + 25}" font-size="10">{tally.residual}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
