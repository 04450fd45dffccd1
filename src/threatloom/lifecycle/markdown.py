"""Small helpers to put people's text into Markdown safely (tables, PR comments, checklists)."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+|~])")


def md(text: str) -> str:
    """`text` as inline Markdown: one line, special characters escaped (no links, HTML or tables break)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def code(text: str) -> str:
    """`text` as an inline code span (IDs): backticks cannot occur in IDs, but are replaced to be safe."""
    return "`" + " ".join(text.replace("`", "'").split()) + "`"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table; cells must already be escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
