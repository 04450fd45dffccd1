"""Likelihood × impact scoring with an explanation of every point, inherent and residual.

Likelihood starts at the rule's base and moves with its own adjustments, with who can reach the
element (and how capable they are), then — for residual risk — with the controls in place. Impact
follows the ratings of the assets at stake for the properties the threat harms.
"""

from __future__ import annotations

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
EFFECTIVENESS = {Effectiveness.LOW: 0.34, Effectiveness.MEDIUM: 0.67, Effectiveness.HIGH: 1.0}


def clamp(value: float) -> int:
    return max(1, min(5, round(value)))


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
        return (f"control {self.control.id!r} ({self.catalog.id}, {self.control.effectiveness.value} "
                f"effectiveness{status})")


def control_effect(control: Control, catalog: CatalogControl) -> ControlEffect:
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
        residual_owasp = (max(0.0, owasp[0] - l_red * 1.8), max(0.0, owasp[1] - i_red * 1.8))
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
