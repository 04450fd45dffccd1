"""What analysis produces: threats with their risk, controls and decisions. Plain, immutable data."""

from __future__ import annotations

from dataclasses import dataclass, field

from threatloom.errors import Problem, SourceLocation
from threatloom.model.vocabulary import Category, Level, ThreatStatus, Treatment

ANALYSIS_FORMAT = "threatloom-analysis"
ANALYSIS_VERSION = 1


@dataclass(frozen=True, slots=True)
class Factor:
    """One reason a score went up or down."""

    part: str  # "likelihood" or "impact"
    delta: float
    reason: str


@dataclass(frozen=True, slots=True)
class RiskScore:
    likelihood: int  # 1-5
    impact: int  # 1-5
    score: int  # method-specific; 1-25 on the matrix
    level: Level
    factors: tuple[Factor, ...] = ()
    method: str = "matrix"

    def explain(self) -> str:
        if not self.factors:
            return "base rating of the rule"
        return "; ".join(f"{f.part} {f.delta:+g}: {f.reason}" for f in self.factors)


@dataclass(frozen=True, slots=True)
class CandidateControl:
    """A catalog control proposed for a threat, with the risk it would remove."""

    id: str
    name: str
    in_place: bool
    risk_reduction: int  # points of residual score removed if put in place fully


@dataclass(frozen=True, slots=True)
class AppliedDecision:
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


@dataclass(frozen=True, slots=True)
class Threat:
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

    @property
    def treated(self) -> bool:
        """True when a valid decision settles it (anything but open or in progress)."""
        return self.status not in (ThreatStatus.OPEN, ThreatStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Analysis:
    """Everything computed from one model and catalog. Never edits the model."""

    system: str
    threats: tuple[Threat, ...]
    risk_appetite: Level
    unmatched_decisions: tuple[Problem, ...] = ()
    decision_problems: tuple[Problem, ...] = ()
    rules_evaluated: int = 0
    elements_analysed: int = 0
    flows_analysed: int = 0
    by_id: dict[str, Threat] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id.update({t.id: t for t in self.threats})

    def gaps(self) -> list[Threat]:
        """Threats whose residual risk exceeds the appetite and that no valid decision treats."""
        return [t for t in self.threats if t.residual.level.rank > self.risk_appetite.rank and not t.treated]
