"""The OWASP Risk Rating Methodology: factors rated 0-9, averaged into likelihood and impact.

Likelihood averages four threat-agent factors (skill, motive, opportunity, size) and four
vulnerability factors (ease of discovery, ease of exploit, awareness, intrusion detection); impact
averages the technical factors (loss of confidentiality, integrity, availability, accountability).
The overall severity follows the methodology's likelihood × impact table (0 to <3 low, 3 to <6
medium, 6 to 9 high for each; the methodology's "note" is reported as low). The score is likelihood ×
impact (0-81); `risk.bands` apply to the matrix only.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from threatloom.engine.threat import Factor, RiskScore
from threatloom.model.schema import Actor, Asset
from threatloom.model.vocabulary import ActorOrigin, Category, Level, Motivation, Skill

_SKILL = {Skill.NONE: 1, Skill.LOW: 3, Skill.MEDIUM: 5, Skill.HIGH: 6, Skill.EXPERT: 9}
_RATING = {Level.LOW: 2, Level.MEDIUM: 5, Level.HIGH: 7, Level.CRITICAL: 9}
_STRONG_MOTIVES = {Motivation.FINANCIAL, Motivation.ESPIONAGE, Motivation.IDEOLOGY, Motivation.REVENGE}
_SEVERITY = {  # (likelihood band, impact band) -> overall severity
    ("low", "low"): Level.LOW, ("medium", "low"): Level.LOW, ("high", "low"): Level.MEDIUM,
    ("low", "medium"): Level.LOW, ("medium", "medium"): Level.MEDIUM, ("high", "medium"): Level.HIGH,
    ("low", "high"): Level.MEDIUM, ("medium", "high"): Level.HIGH, ("high", "high"): Level.CRITICAL,
}


def band(value: float) -> str:
    return "low" if value < 3 else ("medium" if value < 6 else "high")


class OwaspInputs(msgspec.Struct, frozen=True):
    likelihood: float
    impact: float
    factors: tuple[Factor, ...]


def owasp_inputs(actors: Sequence[Actor], internet: bool, base_likelihood: float, audit_logging: bool | None,
                 assets: Sequence[Asset], category: Category, impact_shift: float = 0.0) -> OwaspInputs:
    """Rate the eight likelihood factors and four impact factors from what the model says.

    `base_likelihood` is the rule's likelihood (1-5) after its own adjustments; it sets the three
    vulnerability factors on ease. `impact_shift` is the sum of the rule's impact adjustments (points on
    the 1-5 scale), added to the impact at 2.25 per point and kept within 0-9.
    """
    skill = max((_SKILL[a.capability.skill] for a in actors), default=1)
    motive = 9 if any(set(a.motivation) & _STRONG_MOTIVES for a in actors) else (4 if actors else 1)
    opportunity = 9 if internet else (4 if actors else 0)
    size = 9 if internet else (6 if any(a.origin is ActorOrigin.EXTERNAL for a in actors) else 2)
    ease = round((max(1.0, min(5.0, base_likelihood)) - 1) / 4 * 9)
    detection = {True: 3, False: 9, None: 8}[audit_logging]
    agent = [("skill level", skill), ("motive", motive), ("opportunity", opportunity), ("size", size)]
    vuln = [("ease of discovery", ease), ("ease of exploit", ease), ("awareness", ease),
            ("intrusion detection", detection)]
    likelihood = sum(v for _, v in agent + vuln) / 8

    def worst(prop: str) -> int:
        return max((_RATING[getattr(a, prop)] for a in assets), default=2)

    technical = [("loss of confidentiality", worst("confidentiality")),
                 ("loss of integrity", worst("integrity")),
                 ("loss of availability", worst("availability")),
                 ("loss of accountability", 9 if category is Category.REPUDIATION else 3)]
    impact = max(0.0, min(9.0, sum(v for _, v in technical) / 4 + impact_shift * 9 / 4))
    factors = tuple(Factor("likelihood", v, f"OWASP {name} {v}/9", "owasp") for name, v in agent + vuln) + tuple(
        Factor("impact", v, f"OWASP {name} {v}/9", "owasp") for name, v in technical)
    return OwaspInputs(round(likelihood, 2), round(impact, 2), factors)


def owasp_score(likelihood: float, impact: float, factors: tuple[Factor, ...]) -> RiskScore:
    level = _SEVERITY[(band(likelihood), band(impact))]
    return RiskScore(_as_five(likelihood), _as_five(impact), round(likelihood * impact), level, factors, "owasp")


def _as_five(value: float) -> int:
    """A 0-9 OWASP rating on the 1-5 scale of the matrix, for heat maps."""
    return max(1, min(5, round(value / 9 * 4 + 1)))
