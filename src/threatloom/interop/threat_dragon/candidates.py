"""The candidate controls threatloom writes at the end of a threat's mitigation text, and reading them back.

Threat Dragon has one free-text mitigation field. The exporter ends it with a block naming the catalog
controls the analysis proposes::

    Candidate controls (threatloom catalog):
    - C-MFA Multi-factor authentication
    - C-WAF Web application firewall (in place)

An import splits that block off again: what precedes or follows it is the people's own text, the block
gives catalog control IDs (see :mod:`.threat_import` and :mod:`.rule_threats` for what becomes of each).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from threatloom.engine.threat import CandidateControl

HEADER = "Candidate controls (threatloom catalog):"
IN_PLACE = " (in place)"
_LINE = re.compile(r"^\s*-\s+(C-[A-Z0-9-]{1,60})(?:\s+(.*?))?\s*$")


class Mitigation(msgspec.Struct, frozen=True):
    """A mitigation text taken apart: the people's text, and the candidate controls threatloom listed."""

    text: str
    candidates: tuple[str, ...] = ()  # catalog control IDs, in the order listed
    in_place: tuple[str, ...] = ()  # those marked in place when exported


def block(controls: Iterable[CandidateControl]) -> str:
    """The block for a threat's candidate controls; empty when it has none."""
    lines = [f"- {c.id} {c.name}" + (IN_PLACE if c.in_place else "") for c in controls]
    return HEADER + "\n" + "\n".join(lines) if lines else ""


def split(text: str) -> Mitigation:
    """`text` without threatloom's block (if any), and the controls the block lists.

    The block is the header line and the list lines right after it; a line that is not a list item of a
    control ID ends it, so text a person added below the list stays theirs."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == HEADER)
    except StopIteration:
        return Mitigation(text.strip())
    end, ids, in_place = start + 1, [], []
    while end < len(lines):
        found = _LINE.match(lines[end])
        if found is None:
            break
        ids.append(found.group(1))
        if (found.group(2) or "").endswith(IN_PLACE.strip()):
            in_place.append(found.group(1))
        end += 1
    rest = "\n".join([*lines[:start], *lines[end:]]).strip()
    return Mitigation(re.sub(r"\n{3,}", "\n\n", rest), tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(in_place)))
