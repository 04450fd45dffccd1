"""What reports and diagrams show about risk, gathered once from a model and its analysis.

Presentation only: counts, worst levels and sums over the threats the Analysis scored. Every score,
level and status comes from the Analysis; nothing here rates a threat. "Open" means not treated by a
valid decision (:attr:`Threat.treated`), the same rule as the residual total of threats.json.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import msgspec

from threatloom.engine.threat import Analysis, Threat
from threatloom.model.schema import Flow, Model
from threatloom.model.vocabulary import Level

LEVELS_HIGH_FIRST = (Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW)
NO_ZONE = "(no zone)"


class RiskTally(msgspec.Struct, frozen=True):
    """Threats on one thing (element, flow, zone, asset, category): how many, how bad, how much."""

    threats: int = 0
    open: int = 0
    worst: Level | None = None  # highest residual level among open threats
    inherent: int = 0  # sum of inherent scores of all threats
    residual: int = 0  # sum of residual scores of open threats


def tally(threats: Iterable[Threat]) -> RiskTally:
    count = open_count = inherent = residual = 0
    worst: Level | None = None
    for t in threats:
        count += 1
        inherent += t.inherent.score
        if not t.treated:
            open_count += 1
            residual += t.residual.score
            if worst is None or t.residual.level.rank > worst.rank:
                worst = t.residual.level
    return RiskTally(count, open_count, worst, inherent, residual)


def _group(pairs: Iterable[tuple[str, Threat]]) -> dict[str, RiskTally]:
    groups: dict[str, list[Threat]] = defaultdict(list)
    for key, threat in pairs:
        groups[key].append(threat)
    return {k: tally(v) for k, v in sorted(groups.items())}


def risk_by_target(analysis: Analysis) -> dict[str, RiskTally]:
    """Per element or flow ID the threats are about."""
    return _group((t.target, t) for t in analysis.threats)


def risk_by_zone(analysis: Analysis) -> dict[str, RiskTally]:
    """Per zone ID of the threat (a flow's threats count in its destination's zone)."""
    return _group((t.zone or NO_ZONE, t) for t in analysis.threats)


def risk_by_category(analysis: Analysis) -> dict[str, RiskTally]:
    return _group((t.category.value, t) for t in analysis.threats)


def risk_by_asset(analysis: Analysis) -> dict[str, RiskTally]:
    return _group((a, t) for t in analysis.threats for a in t.assets)


def total(analysis: Analysis) -> RiskTally:
    return tally(analysis.threats)


def open_by_level(analysis: Analysis) -> dict[Level, int]:
    """Open threats per residual level, critical first, every level present."""
    counts = Counter(t.residual.level for t in analysis.threats if not t.treated)
    return {level: counts.get(level, 0) for level in LEVELS_HIGH_FIRST}


def heat_map(analysis: Analysis) -> list[list[int]]:
    """Open threats on the 5×5 grid: ``grid[likelihood - 1][impact - 1]`` (residual ratings)."""
    grid = [[0] * 5 for _ in range(5)]
    for t in analysis.threats:
        if not t.treated:
            grid[t.residual.likelihood - 1][t.residual.impact - 1] += 1
    return grid


NO_DECISION = "no decision"
IN_PROGRESS = "in progress"
NOT_COUNTING = "does not count"
UNTREATED_KINDS = (NO_DECISION, IN_PROGRESS, NOT_COUNTING)
"""Why a threat is still untreated: nobody decided yet, the decided work is not done, or the decision
does not count (an expired or unapproved acceptance, a mitigation that left the risk above appetite…)."""


def untreated_kind(threat: Threat) -> str | None:
    """One of :data:`UNTREATED_KINDS` for an untreated threat; None for a treated one."""
    if threat.treated:
        return None
    if threat.decision is None:
        return NO_DECISION
    return IN_PROGRESS if threat.decision.valid else NOT_COUNTING


def untreated_split(threats: Iterable[Threat]) -> dict[str, int]:
    """How many of `threats` are untreated for each reason, in :data:`UNTREATED_KINDS` order."""
    counts = Counter(untreated_kind(t) for t in threats)
    return {kind: counts.get(kind, 0) for kind in UNTREATED_KINDS}


def top_risks(analysis: Analysis, n: int = 5) -> list[Threat]:
    """The `n` open threats with the highest residual risk (the Analysis already ranks them)."""
    return [t for t in analysis.threats if not t.treated][:n]


class EntryPoint(msgspec.Struct, frozen=True):
    """A flow that crosses into higher trust: where an attacker's input first meets the system."""

    flow: Flow
    source_trust: int
    destination_trust: int
    risk: RiskTally


def entry_points(model: Model, analysis: Analysis) -> list[EntryPoint]:
    """Flows whose destination is trusted more than their source, biggest trust jump first."""
    index = model.index
    by_target = risk_by_target(analysis)
    found = []
    for flow in model.flows:
        if flow.source not in index.elements or flow.destination not in index.elements:
            continue
        src, dst = index.trust_of(flow.source), index.trust_of(flow.destination)
        if dst > src:
            found.append(EntryPoint(flow, src, dst, by_target.get(flow.id, RiskTally())))
    found.sort(key=lambda e: (e.source_trust - e.destination_trust, e.source_trust, e.flow.id))
    return found


class Progress(msgspec.Struct, frozen=True):
    """How this version compares with a previous one of the same system."""

    residual_then: int
    residual_now: int
    threats_then: int
    threats_now: int
    new: tuple[Threat, ...]  # found now, not before
    gone: tuple[Threat, ...]  # found before, not now (from the previous analysis)
    treated_since: tuple[Threat, ...]  # open before, treated now
    refined: tuple[Threat, ...] = ()  # found before, now within a manual threat that refines it (not resolved)

    @property
    def resolved(self) -> int:
        return len(self.gone) + len(self.treated_since)

    @property
    def change_percent(self) -> float | None:
        if not self.residual_then:
            return None
        return round((self.residual_now - self.residual_then) / self.residual_then * 100, 1)


def progress(previous: Analysis, current: Analysis) -> Progress:
    """Compare by stable threat ID: what appeared, what went away, what got treated."""
    before, now = previous.by_id, current.by_id
    refined = current.refined()
    return Progress(
        residual_then=total(previous).residual,
        residual_now=total(current).residual,
        threats_then=len(previous.threats),
        threats_now=len(current.threats),
        new=tuple(t for t in current.threats if t.id not in before),
        gone=tuple(t for t in previous.threats if t.id not in now and t.id not in refined),
        refined=tuple(t for t in previous.threats if t.id not in now and t.id in refined),
        treated_since=tuple(t for t in current.threats
                            if t.treated and t.id in before and not before[t.id].treated),
    )
