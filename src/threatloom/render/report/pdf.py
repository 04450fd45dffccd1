"""The PDF report: the HTML report laid out for print (A4, page numbers) by WeasyPrint."""

from __future__ import annotations

from threatloom.render.report.html import render_html
from threatloom.render.report.interface import ReportFormat, ReportInput


def html_to_pdf(html: str) -> bytes:
    """Lay out an HTML document with its print styles; nothing is fetched from the network."""
    import logging

    from weasyprint import HTML

    # WeasyPrint warns about CSS it ignores (screen-only properties such as `position: sticky`)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def _no_fetch(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, object]:
    raise ValueError(f"the report is self-contained; not fetching {url}")


class PdfReport(ReportFormat):
    name = "pdf"
    extensions = (".pdf",)

    def render(self, report: ReportInput) -> bytes:
        return html_to_pdf(render_html(report, for_print=True))


FORMAT = PdfReport()
