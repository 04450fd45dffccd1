"""Likelihood × impact scoring with an explanation of every point, inherent and residual.

Likelihood starts at the rule's base and moves with its own adjustments, with who can reach the
element (and how capable they are), then — for residual risk — with the controls in place. Impact
follows the ratings of the assets at stake for the properties the threat harms.

Every point that moves a score is a :class:`Factor` with its reason: the inherent likelihood is the
rule's base plus the likelihood factors, the inherent impact the rule's base plus the impact factors
(both then rounded and kept within 1-5); the residual score repeats the inherent factors and adds one
negative factor per control in place. A partial control counts half, a planned one not at all.
Levels follow the model's `risk.bands`. Under the OWASP method (see :mod:`threatloom.risk.owasp`)
controls lower the 0-9 ratings by the same points, one point being 2.25 on that scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from threatloom.catalog.schema import CatalogControl
from threatloom.engine.threat import Factor, RiskScore
from threatloom.model.schema import Asset, Control, RiskSettings
from threatloom.model.vocabulary import (
    Category,
    ControlStatus,
    Effectiveness,
    Level,
    RiskMethod,
    SecurityProperty,
)

DEFAULT_AFFECTS: dict[Category, tuple[SecurityProperty, ...]] = {
    Category.SPOOFING: (SecurityProperty.CONFIDENTIALITY, SecurityProperty.INTEGRITY),
    Category.TAMPERING: (SecurityProperty.INTEGRITY,),
    Category.REPUDIATION: (SecurityProperty.INTEGRITY,),
    Category.INFORMATION_DISCLOSURE: (SecurityProperty.CONFIDENTIALITY,),
    Category.DENIAL_OF_SERVICE: (SecurityProperty.AVAILABILITY,),
    Category.ELEVATION_OF_PRIVILEGE: (SecurityProperty.CONFIDENTIALITY, SecurityProperty.INTEGRITY,
                                      SecurityProperty.AVAILABILITY),
}
PRIVACY_AFFECTS = (SecurityProperty.CONFIDENTIALITY,)
RATING_IMPACT = {Level.LOW: 2, Level.MEDIUM: 3, Level.HIGH: 4, Level.CRITICAL: 5}
OWASP_STEP = 9 / 4  # one point on the 1-5 scale on OWASP's 0-9 scale
EFFECTIVENESS = {Effectiveness.LOW: 0.34, Effectiveness.MEDIUM: 0.67, Effectiveness.HIGH: 1.0}


def clamp(value: float) -> int:
    """A likelihood or impact on the 1-5 scale: rounded half up (2.5 is 3, as people round), then bounded.

    Python's round() rounds half to even (2.5 is 2), which made a half-strength control lower one score
    and not another."""
    return max(1, min(5, math.floor(value + 0.5)))


def level_for(score: int, settings: RiskSettings) -> Level:
    bands = settings.bands
    if score >= bands.critical:
        return Level.CRITICAL
    if score >= bands.high:
        return Level.HIGH
    if score >= bands.medium:
        return Level.MEDIUM
    return Level.LOW


@dataclass(frozen=True, slots=True)
class ControlEffect:
    """A control in place and how much it lowers one part of the score."""

    control: Control
    catalog: CatalogControl
    part: str
    amount: float

    @property
    def reason(self) -> str:
        status = "" if self.control.status is ControlStatus.IMPLEMENTED else f", {self.control.status.value}"
        kind = "the team's mitigation" if self.catalog is TEAM_MITIGATION else self.catalog.id
        return (f"control {self.control.id!r} ({kind}, {self.control.effectiveness.value} "
                f"effectiveness{status})")


TEAM_MITIGATION = CatalogControl(
    id="C-TEAM-MITIGATION", name="A mitigation of the team's own",
    description="A control of the model named in a manual threat's `mitigations` that realises no catalog "
    "control; it counts as a control of medium strength against the threat's likelihood.",
    nist=("PL-8",))
"""Stands in for the catalog entry of a model control that implements none (typical of imported models)."""


def control_effect(control: Control, catalog: CatalogControl) -> ControlEffect:
    """How much a model control lowers risk: the catalog strength times its effectiveness, halved
    while it is only partly in place, nothing while it is planned."""
    amount = catalog.strength * EFFECTIVENESS[control.effectiveness]
    if control.status is ControlStatus.PARTIAL:
        amount /= 2
    elif control.status is ControlStatus.PLANNED:
        amount = 0.0
    return ControlEffect(control, catalog, catalog.reduces, round(amount, 2))


def affected(category: Category, declared: Sequence[SecurityProperty]) -> tuple[SecurityProperty, ...]:
    if declared:
        return tuple(declared)
    return DEFAULT_AFFECTS.get(category, PRIVACY_AFFECTS)


def asset_impact(assets: Iterable[Asset], properties: Sequence[SecurityProperty],
                 base: int) -> tuple[int, Factor | None]:
    """Impact from the worst rating among the assets for the harmed properties."""
    best: tuple[int, str] | None = None
    for asset in assets:
        for prop in properties:
            if prop in (SecurityProperty.COMPLIANCE, SecurityProperty.PRIVACY):
                rating = asset.confidentiality if asset.personal_data else None
            else:
                rating = getattr(asset, prop.value)
            if rating is None:
                continue
            value = RATING_IMPACT[rating]
            if best is None or value > best[0]:
                best = (value, f"{asset.id} has {prop.value} rated {rating.value}")
    if best is None:
        return base, None
    return best[0], Factor("impact", best[0] - base, best[1])


def full_effect(catalog: CatalogControl) -> ControlEffect:
    """The effect of putting catalog control `catalog` in place fully (implemented, high effectiveness):
    what a candidate control's risk reduction and the treatment plan assume."""
    control = Control(id=catalog.id, name=catalog.name, implements=(catalog.id,),
                      status=ControlStatus.IMPLEMENTED, effectiveness=Effectiveness.HIGH)
    return ControlEffect(control, catalog, catalog.reduces, float(catalog.strength))


@dataclass(frozen=True, slots=True)
class ScoreInputs:
    """What a threat's score was computed from, so "what if this control were in place" can be answered
    exactly as the analysis would (the treatment plan asks this)."""

    likelihood: float  # before controls, on the 1-5 scale (not yet rounded or clamped)
    impact: float
    factors: tuple[Factor, ...]
    effects: tuple[ControlEffect, ...]  # controls in place
    owasp: tuple[float, float] | None  # OWASP likelihood and impact (0-9) under the OWASP method

    def residual_with(self, settings: RiskSettings, extra: Sequence[ControlEffect]) -> RiskScore:
        """The residual score if the controls of `extra` were in place too."""
        return score(settings, self.likelihood, self.impact, list(self.factors), (*self.effects, *extra),
                     self.owasp).residual


@dataclass(frozen=True, slots=True)
class Scored:
    inherent: RiskScore
    residual: RiskScore


def score(settings: RiskSettings, likelihood: float, impact: float, factors: list[Factor],
          effects: Sequence[ControlEffect], owasp: tuple[float, float] | None = None) -> Scored:
    """Inherent score from likelihood/impact and factors; residual after `effects`."""
    inherent = _make(settings, likelihood, impact, tuple(factors), owasp)
    l_red = sum(e.amount for e in effects if e.part == "likelihood")
    i_red = sum(e.amount for e in effects if e.part == "impact")
    residual_factors = tuple(factors) + tuple(Factor(e.part, -e.amount, e.reason) for e in effects if e.amount)
    residual_owasp = None
    if owasp is not None:
        residual_owasp = (max(0.0, owasp[0] - l_red * OWASP_STEP), max(0.0, owasp[1] - i_red * OWASP_STEP))
    residual = _make(settings, likelihood - l_red, impact - i_red, residual_factors, residual_owasp)
    return Scored(inherent, residual)


def _make(settings: RiskSettings, likelihood: float, impact: float, factors: tuple[Factor, ...],
          owasp: tuple[float, float] | None) -> RiskScore:
    if settings.method is RiskMethod.OWASP and owasp is not None:
        from threatloom.risk.owasp import owasp_score

        return owasp_score(owasp[0], owasp[1], factors)
    lik, imp = clamp(likelihood), clamp(impact)
    total = lik * imp
    return RiskScore(lik, imp, total, level_for(total, settings), factors, "matrix")
