"""The Markdown report: GitHub-flavoured, with the diagram as a Mermaid block and the register as a table.

Every value the template prints is escaped by the environment's ``finalize`` (so a name cannot open
a link, a table cell, raw HTML or a code fence); only :class:`Raw` text (the Mermaid source, code
spans built by the ``code`` filter) passes through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from threatloom.render.report.context import GAPS_LISTED, STATUS_BY_VALUE, build_context
from threatloom.render.report.interface import ReportFormat, ReportInput

if TYPE_CHECKING:
    from jinja2 import Environment

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_BLOCK_START = re.compile(r"^(\s*)(>|[#+-](?=\s|$)|\d+[.)](?=\s|$)|[=-]+(?=\s*$))")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


class Raw(str):
    """Markdown written by threatloom itself: printed as is."""

    __slots__ = ()


def md_escape(text: str) -> str:
    """Inline Markdown text that reads literally, safe in a paragraph and in a table cell."""
    text = " ".join(text.split())  # no line breaks: they would end a table row or start a block
    text = _SPECIAL.sub(r"\\\1", text)
    text = "".join(_ENTITIES.get(ch, ch) for ch in text)
    # at the start of a line these would make a heading, quote, list or setext underline
    return _BLOCK_START.sub(_escape_block_start, text)


def _escape_block_start(found: re.Match[str]) -> str:
    lead, mark = found.group(1), found.group(2)
    if mark[0].isdigit():  # "1." or "1)": escape the punctuation
        return f"{lead}{mark[:-1]}\\{mark[-1]}"
    return f"{lead}\\{mark}"


def code(text: object) -> Raw:
    """A code span (IDs, file locations); backticks cannot occur in them, and are dropped if they do."""
    return Raw("`" + " ".join(str(text).replace("`", "'").split()) + "`")


def _finalize(value: Any) -> str:
    if isinstance(value, Raw):
        return value
    if value is None:
        return ""
    return md_escape(str(value))


@lru_cache(maxsize=1)
def environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("threatloom.render", "templates"), autoescape=False,  # noqa: S701
                      finalize=_finalize, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["code"] = code
    return env


def render_markdown(report: ReportInput) -> str:
    from threatloom.render.diagram.mermaid import render_mermaid
    from threatloom.render.diagram.view import auto_overview, build_diagram

    ctx = build_context(report)
    overview = auto_overview(report.model)
    mermaid = render_mermaid(build_diagram(report.model, report.analysis, overview=overview))
    text = environment().get_template("report.md.j2").render(
        ctx=ctx, system=report.model.system, mermaid=Raw(mermaid), overview=overview, gaps_listed=GAPS_LISTED,
        status_names=STATUS_BY_VALUE)
    # one blank line between blocks, whatever the template's conditionals left behind
    return re.sub(r"\n{3,}", "\n\n", text)


class MarkdownReport(ReportFormat):
    name = "markdown"
    extensions = (".md", ".markdown")

    def render(self, report: ReportInput) -> bytes:
        return render_markdown(report).encode("utf-8")


FORMAT = MarkdownReport()
