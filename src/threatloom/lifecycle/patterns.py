"""Threat ID patterns (exact IDs, or `*` and `?` wildcards) as decisions and refinements write them.

A model may hold hundreds of patterns and an analysis thousands of threats: wildcards are indexed by the
rule they name (`TL-S003@*`), so a threat tries those of its own rule and the few whose rule part has a
wildcard, never every pattern of the model.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from threatloom.nearest import Nearest


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


class IdParts(msgspec.Struct, frozen=True):
    """What the threat IDs of one analysis are made of (`RULE@element`, `RULE@flow`, or a team's threat
    ID), so that a pattern matching none of them can be told why: its rule is unknown or disabled, its
    target is out of scope, not in the model or of the wrong kind for the rule, or the rule no longer finds
    that threat."""

    rules: Mapping[str, str]  # the rules evaluated -> what each applies to ("element" or "interaction")
    disabled: Mapping[str, str]  # rule ID -> the rule file that disabled it
    elements: frozenset[str]  # the elements analysed
    flows: frozenset[str]  # the flows analysed
    out_of_scope: frozenset[str]  # the elements out of scope
    unanalysed_flows: Mapping[str, tuple[str, str]]  # flows with both ends out of scope -> their ends
    zones: frozenset[str]
    manual: tuple[str, ...]  # the team's threats, sorted
    rules_by_lower: Mapping[str, str]  # each rule ID in lower case -> as written, for a misspelt rule


def unmatched_hint(pattern: str, ids: Sequence[str], parts: IdParts | None = None,
                   nearest: Nearest | None = None) -> str:
    """A hint for a pattern matching no threat among the sorted `ids`: why, when `parts` tells (see
    :class:`IdParts`), and the closest ID when one is close. Callers with many patterns share one `nearest`,
    which bounds the cost of all the suggestions together."""
    nearest = nearest or Nearest()
    why = _why_unmatched(pattern, ids, parts, nearest) if parts is not None else None
    if why is not None:
        return why
    return _closest_hint(pattern, ids, nearest)


def _why_unmatched(pattern: str, ids: Sequence[str], parts: IdParts, nearest: Nearest) -> str | None:
    """Why an exact ID, or a wildcard's plain parts, can match nothing; None when that is not known."""
    wild = is_pattern(pattern)
    close = None if wild else _close(pattern, ids, nearest)
    offer = f"; did you mean {close!r}?" if close else ""
    rule, at, target = pattern.partition("@")
    if not at:
        if wild:
            return None
        if pattern in parts.rules or pattern in parts.disabled:
            return f"{pattern} is a rule: name the element or flow too, as {pattern}@<id>" + offer
        offered = nearest.closest(pattern, parts.manual) or close
        if offered:
            return f"no threat under `threats:` has the ID {pattern!r}; did you mean {offered!r}?"
        if nearest.spent:  # too many to compare: a close ID may exist
            return f"no threat under `threats:` has the ID {pattern!r}: compare it with the IDs in threats.json"
        return f"no threat under `threats:` has the ID {pattern!r}: it was removed or renamed; remove or update it"
    if "@" in target:  # no ID holds an @, so a threat ID has exactly one
        return "a threat ID has one @, between the rule and the element or flow (RULE@id)" + offer
    if not is_pattern(rule):
        if rule in parts.disabled:
            return f"rule {rule} is disabled (in {parts.disabled[rule]}), so it finds no threat: remove or update it"
        if rule not in parts.rules:
            # a misspelt rule: the rule closest in spelling (in any case), with the target as written
            near = nearest.closest(rule.lower(), parts.rules_by_lower, 0.75)
            return f"no rule {rule!r} is loaded" + (
                f"; did you mean {parts.rules_by_lower[near] + at + target!r}?" if near
                else ": `threatloom rules list` lists the rules")
    if is_pattern(target):
        return None
    if target in parts.out_of_scope:
        return (f"{target!r} is out of scope, so no threat is reported on it: remove or update it, or take "
                f"`out_of_scope` off {target}")
    ends = parts.unanalysed_flows.get(target)
    if ends is not None:
        return (f"flow {target!r} is not analysed, since both its ends ({ends[0]}, {ends[1]}) are out of scope: "
                "remove or update it")
    if target not in parts.elements and target not in parts.flows:
        if target in parts.zones:
            return f"{target!r} is a zone: threats are on elements and flows" + offer
        return f"no element or flow {target!r} is in the model" + offer
    applies = None if is_pattern(rule) else parts.rules.get(rule)
    if applies == "interaction" and target not in parts.flows:
        return f"rule {rule} applies to flows, and {target!r} is an element: name one of its flows" + offer
    if applies == "element" and target not in parts.elements:
        return f"rule {rule} applies to elements, and {target!r} is a flow: name one of its ends" + offer
    if wild:
        return None
    return (f"rule {rule} finds no threat on {target}: the model does not meet its condition there (`threatloom "
            f"rules show {rule}` says when it applies)") + (offer or "; remove or update it")


def _closest_hint(pattern: str, ids: Sequence[str], nearest: Nearest) -> str:
    if is_pattern(pattern):
        prefix = re.split(r"[*?]", pattern, maxsplit=1)[0]
        pool = _starting_with(ids, prefix)
        close = nearest.closest(pattern.replace("*", "").replace("?", ""), pool, 0.0) if pool else None
        if close:
            return f"no threat ID fits the pattern; the closest is {close!r}"
        return "the threats it covered may be gone: remove or update it"
    found = _close(pattern, ids, nearest)
    return f"did you mean {found!r}?" if found else "the threat may be gone: remove or update it"


def _close(pattern: str, ids: Sequence[str], nearest: Nearest) -> str | None:
    """The ID closest to an exact pattern. A misspelt ID usually keeps its rule or its target right: the
    threats of the same rule are looked among first, and every ID only when none of them is close."""
    rule = pattern.partition("@")[0]
    return nearest.closest(pattern, _starting_with(ids, rule + "@")) or nearest.closest(pattern, ids)


def _starting_with(ids: Sequence[str], prefix: str) -> list[str]:
    start = bisect.bisect_left(ids, prefix)
    end = start
    while end < len(ids) and ids[end].startswith(prefix):
        end += 1
    return list(ids[start:end])
