"""What analysis produces: threats with their risk, controls and decisions. Plain, immutable data."""

from __future__ import annotations

import msgspec

from threatloom.errors import Problem, SourceLocation
from threatloom.model.vocabulary import Category, Level, ThreatStatus, Treatment

ANALYSIS_FORMAT = "threatloom-analysis"
ANALYSIS_VERSION = 1
UNSETTLED = frozenset((ThreatStatus.OPEN, ThreatStatus.IN_PROGRESS))  # what no decision settles yet


class Factor(msgspec.Struct, frozen=True):
    """One reason a score went up or down.

    `kind` says where it comes from: `rule` (the rule's own adjustments), `actor`, `asset`, `team`, `cvss`,
    `control`, `limit` (what the floor of combined controls takes back), `bound` (what the 1-5 scale
    swallows) or `owasp` (a rating of that method, not a step)."""

    part: str  # "likelihood" or "impact"
    delta: float
    reason: str
    kind: str = ""


class RiskScore(msgspec.Struct, frozen=True):
    likelihood: int  # 1-5
    impact: int  # 1-5
    score: int  # method-specific; 1-25 on the matrix
    level: Level
    factors: tuple[Factor, ...] = ()
    method: str = "matrix"
    # where the factors start (matrix only): base likelihood and impact, so that base + factors add up to
    # the score's likelihood and impact before rounding
    base: tuple[float, float] | None = None
    base_source: str = "the rule's base"

    def explain(self) -> str:
        """The score in words: under the matrix, each part from its base through every factor to its value
        (`likelihood 3 (the rule's base) +1 the flow crosses the internet = 4; impact ...`)."""
        if self.base is None:
            if not self.factors:
                return "base rating of the rule"
            return "; ".join(f"{f.part} {f.delta:+g}: {f.reason}" for f in self.factors)
        parts = []
        for part, start, value in (("likelihood", self.base[0], self.likelihood),
                                   ("impact", self.base[1], self.impact)):
            steps = [f"{f.delta:+g} {f.reason}" for f in self.factors if f.part == part]
            total = round(start + sum(f.delta for f in self.factors if f.part == part), 2)
            end = f"= {value}" if total == value else f"= {total:g}, rounded to {value}"
            parts.append(" ".join([f"{part} {start:g} ({self.base_source})", *steps, end]))
        return "; ".join(parts) + f"; {self.likelihood} × {self.impact} = {self.score}, {self.level.value}"


class CandidateControl(msgspec.Struct, frozen=True):
    """A catalog control proposed for a threat, with the risk it would remove."""

    id: str
    name: str
    in_place: bool
    risk_reduction: int  # points of residual score removed if put in place fully


class AppliedDecision(msgspec.Struct, frozen=True):
    """The people's decision matched to a threat, and what follows from it."""

    pattern: str
    index: int  # position in the model's decisions
    treatment: Treatment
    status: ThreatStatus
    owner: str | None
    ticket: str | None
    due: str | None
    justification: str
    approver: str | None
    expires: str | None
    controls: tuple[str, ...]
    valid: bool  # False for an expired acceptance, or an acceptance above appetite without approval
    note: str = ""


class Threat(msgspec.Struct, frozen=True):
    id: str
    origin: str  # "rule" or "manual"
    rule_id: str | None
    title: str
    description: str
    category: Category
    target: str  # element or flow ID the threat is about
    target_kind: str  # "element" or "flow"
    elements: tuple[str, ...]  # every element concerned (a flow's two ends)
    zone: str | None
    assets: tuple[str, ...]
    actors: tuple[str, ...]
    reachable: bool
    capec: tuple[int, ...]
    cwe: tuple[int, ...]
    attack: tuple[str, ...]
    detection: str
    controls: tuple[CandidateControl, ...]
    controls_in_place: tuple[str, ...]  # model control IDs that reduce it
    inherent: RiskScore
    residual: RiskScore
    status: ThreatStatus
    decision: AppliedDecision | None
    location: SourceLocation
    cvss: str | None = None
    cvss_score: float | None = None
    tags: tuple[str, ...] = ()
    exposed: bool = False  # on or reached straight from the internet (ranks ties first)
    refines: tuple[str, ...] = ()  # the generated threats a manual threat stands for, by ID

    @property
    def treated(self) -> bool:
        """True when a valid decision settles it (anything but open or in progress)."""
        return self.status not in UNSETTLED


class Analysis(msgspec.Struct, frozen=True, dict=True):
    """Everything computed from one model and catalog. Never edits the model.

    (`dict=True` gives it room for `by_id`, which is derived from the threats and so no field.)"""

    system: str
    threats: tuple[Threat, ...]
    risk_appetite: Level
    unmatched_decisions: tuple[Problem, ...] = ()
    decision_problems: tuple[Problem, ...] = ()
    rules_evaluated: int = 0
    elements_analysed: int = 0
    flows_analysed: int = 0

    @property
    def by_id(self) -> dict[str, Threat]:
        """The threats by ID, built on first use."""
        found: dict[str, Threat] | None = self.__dict__.get("by_id")
        if found is None:
            found = self.__dict__["by_id"] = {t.id: t for t in self.threats}
        return found

    def refined(self) -> dict[str, tuple[str, ...]]:
        """The generated threats that manual threats refine, which are not listed, each with the IDs of
        the manual threats that stand for it."""
        found: dict[str, list[str]] = {}
        for t in self.threats:
            for refined_id in t.refines:
                found.setdefault(refined_id, []).append(t.id)
        return {refined_id: tuple(sorted(by)) for refined_id, by in found.items()}

    def gaps(self) -> list[Threat]:
        """Threats whose residual risk exceeds the appetite and that no valid decision treats."""
        return [t for t in self.threats if t.residual.level.rank > self.risk_appetite.rank and not t.treated]
