"""Threat ID patterns (exact IDs, or `*` and `?` wildcards) as decisions and refinements write them.

A model may hold hundreds of patterns and an analysis thousands of threats: wildcards are indexed by the
rule they name (`TL-S003@*`), so a threat tries those of its own rule and the few whose rule part has a
wildcard, never every pattern of the model.
"""

from __future__ import annotations

import bisect
import difflib
import fnmatch
import re
from collections.abc import Iterable, Sequence


def is_pattern(threat: str) -> bool:
    return any(ch in threat for ch in "*?")


class ThreatPatterns:
    """Patterns by position, in the order written; look-ups give the positions that match an ID."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._exact: dict[str, list[int]] = {}
        self._by_rule: dict[str, list[tuple[re.Pattern[str], int]]] = {}
        self._any_rule: list[tuple[re.Pattern[str], int]] = []
        self._tried: dict[str, list[tuple[re.Pattern[str], int]]] = {}  # rule part -> patterns, in order
        for position, pattern in enumerate(patterns):
            if is_pattern(pattern):
                compiled = (re.compile(fnmatch.translate(pattern)), position)
                rule, at, _ = pattern.partition("@")
                if at and not any(ch in rule for ch in "*?["):
                    self._by_rule.setdefault(rule, []).append(compiled)
                else:
                    self._any_rule.append(compiled)
            else:
                self._exact.setdefault(pattern, []).append(position)

    def exact(self, threat_id: str) -> list[int]:
        """The positions of the patterns that are `threat_id` itself."""
        return self._exact.get(threat_id, [])

    def wildcards(self, threat_id: str) -> list[int]:
        """The positions of the wildcard patterns that match `threat_id`, in the order written."""
        return [position for pattern, position in self._candidates(threat_id) if pattern.match(threat_id)]

    def _candidates(self, threat_id: str) -> list[tuple[re.Pattern[str], int]]:
        # a pattern whose rule part is plain text matches only IDs that start with it and `@`
        rule = threat_id.partition("@")[0]
        found = self._tried.get(rule)
        if found is None:
            found = self._tried[rule] = sorted([*self._by_rule.get(rule, ()), *self._any_rule], key=lambda p: p[1])
        return found


def matching(pattern: str, ids: Iterable[str]) -> list[str]:
    """The IDs among `ids` that `pattern` matches (for a few IDs; an index serves many)."""
    if not is_pattern(pattern):
        return [i for i in ids if i == pattern]
    compiled = re.compile(fnmatch.translate(pattern))
    return [i for i in ids if compiled.match(i)]


def unmatched_hint(pattern: str, ids: Sequence[str]) -> str:
    """A hint for a pattern matching no threat: the closest ID for an exact one; for a wildcard, only an
    ID sharing its literal start (else any ID looks "close" once the wildcards are dropped). `ids` are
    sorted, so the IDs with a given start are found by bisection, not by a pass over all of them."""
    if is_pattern(pattern):
        prefix = re.split(r"[*?]", pattern, maxsplit=1)[0]
        pool = _starting_with(ids, prefix)
        close = difflib.get_close_matches(pattern.replace("*", "").replace("?", ""), pool, 1, 0.0) if pool else []
        if close:
            return f"no threat ID fits the pattern; the closest is {close[0]!r}"
        return "the threats it covered may be gone: remove or update it"
    # a misspelt ID usually keeps its rule or its target right: look among the threats of the same rule
    # first, and through every ID only when none of them is close
    rule = pattern.partition("@")[0]
    close = difflib.get_close_matches(pattern, _starting_with(ids, rule + "@"), 1, 0.6) \
        or difflib.get_close_matches(pattern, ids, 1, 0.6)
    return f"did you mean {close[0]!r}?" if close else "the threat may be gone: remove or update it"


def _starting_with(ids: Sequence[str], prefix: str) -> list[str]:
    start = bisect.bisect_left(ids, prefix)
    end = start
    while end < len(ids) and ids[end].startswith(prefix):
        end += 1
    return list(ids[start:end])
