"""Reports of a model and its analysis: HTML, PDF, Markdown and an Excel register.

One contract (:mod:`.interface`), one module per format; the format follows the output file's
extension. Formats are imported only when used, so that their libraries (Jinja2, WeasyPrint,
openpyxl) load only for the format asked for.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from threatloom.errors import ThreatloomError
from threatloom.render.report.interface import ReportFormat, ReportInput

REPORT_FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".md": "markdown", ".markdown": "markdown",
                  ".xlsx": "xlsx"}

__all__ = ["REPORT_FORMATS", "ReportFormat", "ReportInput", "UnknownReportFormatError", "report_format"]


class UnknownReportFormatError(ThreatloomError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"cannot tell the report format from {path.name!r}: name the file "
                         f"{', '.join('*' + e for e in REPORT_FORMATS)}")


def report_format(path: Path) -> ReportFormat:
    """The report format a file named `path` asks for, by its extension."""
    module = REPORT_FORMATS.get(path.suffix.lower())
    if module is None:
        raise UnknownReportFormatError(path)
    found: ReportFormat = importlib.import_module(f"threatloom.render.report.{module}").FORMAT
    return found
