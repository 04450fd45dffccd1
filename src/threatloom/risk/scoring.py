"""Likelihood × impact scoring with an explanation of every point, inherent and residual.

Likelihood starts at the rule's base and moves with its own adjustments and with the threat actors who
reach the element (:mod:`threatloom.risk.actors`); impact follows the assets really at stake
(:mod:`threatloom.risk.impact`), then the rule's impact adjustments. Each part is kept within 1-5 before
controls, so a control in place always shows what it does; the residual score then subtracts the
combined effect of the controls in place (:mod:`threatloom.risk.controls`: each catalog control once,
diminishing returns, a floor no set of controls passes).

Every point that moves a score is a :class:`Factor` with its reason, and the score carries its base, so
base + factors add up to the likelihood and impact before rounding: what the 1-5 scale swallows is a
factor of its own (kind `bound`), and so is what the floor of combined controls takes back (kind
`limit`). The residual score repeats the inherent factors and adds the controls'. Levels follow the
model's `risk.bands`. Under the OWASP method (see :mod:`threatloom.risk.owasp`) controls lower the 0-9
ratings by the same points, one point being 2.25 on that scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from threatloom.engine.threat import Factor, RiskScore
from threatloom.model.schema import RiskSettings
from threatloom.model.vocabulary import Level, RiskMethod
from threatloom.risk.controls import (
    EFFECTIVENESS,
    TEAM_MITIGATION,
    ControlEffect,
    ThreatKind,
    combine,
    control_effect,
    full_effect,
)
from threatloom.risk.impact import affected, asset_impact

__all__ = ["EFFECTIVENESS", "OWASP_STEP", "TEAM_MITIGATION", "ControlEffect", "ScoreInputs", "Scored",
           "ThreatKind", "affected", "asset_impact", "clamp", "control_effect", "full_effect", "level_for",
           "matrix_residual", "score"]

OWASP_STEP = 9 / 4  # one point on the 1-5 scale on OWASP's 0-9 scale
RULE_BASE = "the rule's base"


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


def _bounded(value: float) -> float:
    return max(1.0, min(5.0, value))


def _bound_factor(part: str, raw: float) -> Factor | None:
    """What the 1-5 scale swallows of a part that adds up to `raw`, as a factor of its own."""
    raw = round(raw, 2)
    if raw > 5:
        return Factor(part, round(5 - raw, 2), f"the scale stops at 5: {raw:g} is kept at 5", "bound")
    if raw < 1:
        return Factor(part, round(1 - raw, 2), f"the scale starts at 1: {raw:g} is kept at 1", "bound")
    return None


class ScoreInputs(msgspec.Struct, frozen=True):
    """What a threat's score was computed from, so "what if this control were in place" can be answered
    exactly as the analysis would (the treatment plan asks this)."""

    likelihood: float  # before controls, on the 1-5 scale (not yet rounded or bounded)
    impact: float
    factors: tuple[Factor, ...]
    effects: tuple[ControlEffect, ...]  # controls in place
    owasp: tuple[float, float] | None  # OWASP likelihood and impact (0-9) under the OWASP method
    kind: ThreatKind | None = None  # what the controls' fit depends on
    base_source: str = RULE_BASE

    def residual_with(self, settings: RiskSettings, extra: Sequence[ControlEffect]) -> RiskScore:
        """The residual score if the controls of `extra` were in place too."""
        return score(settings, self.likelihood, self.impact, list(self.factors), (*self.effects, *extra),
                     self.owasp, self.kind, self.base_source).residual


class Scored(msgspec.Struct, frozen=True):
    inherent: RiskScore
    residual: RiskScore


def score(settings: RiskSettings, likelihood: float, impact: float, factors: list[Factor],
          effects: Sequence[ControlEffect], owasp: tuple[float, float] | None = None,
          kind: ThreatKind | None = None, base_source: str = RULE_BASE) -> Scored:
    """Inherent score from likelihood/impact and their factors; residual after the controls of `effects`
    (fitted to a threat of `kind`). The base of each part is its value less its factors."""
    lik, imp = _bounded(likelihood), _bounded(impact)
    cuts = combine(effects, kind, lik, imp)
    if settings.method is RiskMethod.OWASP and owasp is not None:
        from threatloom.risk.owasp import owasp_score

        residual_owasp = (max(0.0, owasp[0] - cuts.likelihood * OWASP_STEP),
                          max(0.0, owasp[1] - cuts.impact * OWASP_STEP))
        return Scored(owasp_score(owasp[0], owasp[1], tuple(factors)),
                      owasp_score(*residual_owasp, (*factors, *cuts.factors)))
    base = (round(likelihood - sum(f.delta for f in factors if f.part == "likelihood"), 2),
            round(impact - sum(f.delta for f in factors if f.part == "impact"), 2))
    inherent_factors = list(factors)
    for part, raw in (("likelihood", likelihood), ("impact", impact)):
        bound = _bound_factor(part, raw)
        if bound is not None:
            inherent_factors.append(bound)
    inherent = _matrix(settings, lik, imp, tuple(inherent_factors), base, base_source)
    residual_factors = [*inherent_factors, *cuts.factors]
    for part, raw in (("likelihood", lik - cuts.likelihood), ("impact", imp - cuts.impact)):
        bound = _bound_factor(part, raw)
        if bound is not None:
            residual_factors.append(bound)
    residual = _matrix(settings, _bounded(lik - cuts.likelihood), _bounded(imp - cuts.impact),
                       tuple(residual_factors), base, base_source)
    return Scored(inherent, residual)


def matrix_residual(likelihood: float, impact: float, effects: Sequence[ControlEffect],
                    kind: ThreatKind | None) -> int:
    """The residual matrix score alone (likelihood × impact), as :func:`score` computes it: what candidate
    controls are ranked by."""
    lik, imp = _bounded(likelihood), _bounded(impact)
    cuts = combine(effects, kind, lik, imp, explain=False)
    return clamp(lik - cuts.likelihood) * clamp(imp - cuts.impact)


def _matrix(settings: RiskSettings, likelihood: float, impact: float, factors: tuple[Factor, ...],
            base: tuple[float, float], base_source: str) -> RiskScore:
    lik, imp = clamp(likelihood), clamp(impact)
    total = lik * imp
    return RiskScore(lik, imp, total, level_for(total, settings), factors, "matrix", base, base_source)
