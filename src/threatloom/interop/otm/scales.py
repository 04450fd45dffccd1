"""How OTM's numbers and states translate to threatloom's, both ways.

OTM rates on 0-100 where threatloom uses small ordinal scales. Every conversion here is chosen so
that threatloom → OTM → threatloom gives back the same value:

- trust 0-10  ↔ trustRating 0-100: ×10, and back by rounding to the nearest tenth;
- low / medium / high / critical ↔ 25 / 50 / 75 / 100 (bands 0-25, 26-50, 51-75, 76-100);
- likelihood and impact 1-5 ↔ 0 / 25 / 50 / 75 / 100 (back: the nearest step);
- effectiveness low / medium / high ↔ riskReduction 25 / 50 / 100 (bands 0-33, 34-66, 67-100).
"""

from __future__ import annotations

import re

from threatloom.interop.draft import slug
from threatloom.model.vocabulary import Category, ControlStatus, Effectiveness, Level, ThreatStatus, Treatment

LEVEL_VALUE = {Level.LOW: 25, Level.MEDIUM: 50, Level.HIGH: 75, Level.CRITICAL: 100}
EFFECTIVENESS_VALUE = {Effectiveness.LOW: 25, Effectiveness.MEDIUM: 50, Effectiveness.HIGH: 100}


def trust_from_rating(rating: float) -> int:
    """trustRating 0-100 (clamped) → trust 0-10."""
    return int(min(100.0, max(0.0, rating)) / 10 + 0.5)


def rating_from_trust(trust: int) -> int:
    return trust * 10


def level_from_value(value: float) -> Level:
    if value <= 25:
        return Level.LOW
    if value <= 50:
        return Level.MEDIUM
    if value <= 75:
        return Level.HIGH
    return Level.CRITICAL


def step_from_value(value: float) -> int:
    """A 0-100 likelihood or impact → 1-5."""
    return 1 + int(min(100.0, max(0.0, value)) / 25 + 0.5)


def value_from_step(step: int) -> int:
    return (step - 1) * 25


def effectiveness_from_reduction(reduction: float) -> Effectiveness:
    if reduction <= 33:
        return Effectiveness.LOW
    if reduction <= 66:
        return Effectiveness.MEDIUM
    return Effectiveness.HIGH


def reduction_from_strength(strength: int) -> int:
    """A catalog control's strength 1-3 → riskReduction."""
    return round(min(3, max(1, strength)) * 100 / 3)


# -- categories ------------------------------------------------------------------------------------

CATEGORY_TITLE = {
    Category.SPOOFING: "Spoofing",
    Category.TAMPERING: "Tampering",
    Category.REPUDIATION: "Repudiation",
    Category.INFORMATION_DISCLOSURE: "Information Disclosure",
    Category.DENIAL_OF_SERVICE: "Denial of Service",
    Category.ELEVATION_OF_PRIVILEGE: "Elevation of Privilege",
    Category.LINKING: "Linking",
    Category.IDENTIFYING: "Identifying",
    Category.NON_REPUDIATION: "Non-repudiation",
    Category.DETECTING: "Detecting",
    Category.DATA_DISCLOSURE: "Data Disclosure",
    Category.UNAWARENESS: "Unawareness",
    Category.NON_COMPLIANCE: "Non-compliance",
}
# other names tools give the same categories (IriusRisk's library uses some of these)
_CATEGORY_ALIASES = {
    "info-disclosure": Category.INFORMATION_DISCLOSURE,
    "disclosure": Category.INFORMATION_DISCLOSURE,
    "confidentiality": Category.INFORMATION_DISCLOSURE,
    "dos": Category.DENIAL_OF_SERVICE,
    "availability": Category.DENIAL_OF_SERVICE,
    "eop": Category.ELEVATION_OF_PRIVILEGE,
    "elevation-of-privileges": Category.ELEVATION_OF_PRIVILEGE,
    "privilege-escalation": Category.ELEVATION_OF_PRIVILEGE,
    "authorization": Category.ELEVATION_OF_PRIVILEGE,
    "access-control": Category.ELEVATION_OF_PRIVILEGE,
    "authentication": Category.SPOOFING,
    "impersonation": Category.SPOOFING,
    "integrity": Category.TAMPERING,
    "injection": Category.TAMPERING,
    "logging": Category.REPUDIATION,
    "auditing": Category.REPUDIATION,
    "linkability": Category.LINKING,
    "identifiability": Category.IDENTIFYING,
    "detectability": Category.DETECTING,
    "disclosure-of-information": Category.DATA_DISCLOSURE,
    "non-compliance": Category.NON_COMPLIANCE,
    "noncompliance": Category.NON_COMPLIANCE,
}
_CATEGORY_WORDS = (  # when no category is given or none is known: words of the threat's own text
    (Category.SPOOFING, ("spoof", "impersonat", "masquerad", "phish")),
    (Category.DENIAL_OF_SERVICE, ("denial", "dos ", "flood", "exhaust", "unavailab", "outage")),
    (Category.ELEVATION_OF_PRIVILEGE, ("privilege", "escalat", "unauthori", "bypass")),
    (Category.REPUDIATION, ("repudiat", "audit trail", "deny having")),
    (Category.INFORMATION_DISCLOSURE, ("disclos", "leak", "expos", "steal", "sniff", "eavesdrop")),
    (Category.TAMPERING, ("tamper", "modif", "inject", "alter", "corrupt")),
)


def category_from_name(name: str) -> Category | None:
    key = slug(name)
    for category in Category:
        if key == category.value:
            return category
    return _CATEGORY_ALIASES.get(key)


def category_from_text(text: str) -> Category:
    lowered = f" {text.lower()} "
    for category, words in _CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return category
    return Category.TAMPERING


# -- threat and mitigation states --------------------------------------------------------------------

STATE_OF_STATUS = {
    ThreatStatus.OPEN: "exposed",
    ThreatStatus.IN_PROGRESS: "exposed",
    ThreatStatus.MITIGATED: "mitigated",
    ThreatStatus.ACCEPTED: "accepted",
    ThreatStatus.TRANSFERRED: "transferred",
    ThreatStatus.AVOIDED: "avoided",
    ThreatStatus.FALSE_POSITIVE: "not-applicable",
}
_THREAT_STATES: dict[str, tuple[Treatment, ThreatStatus]] = {
    "exposed": (Treatment.REDUCE, ThreatStatus.OPEN),
    "expose": (Treatment.REDUCE, ThreatStatus.OPEN),
    "open": (Treatment.REDUCE, ThreatStatus.OPEN),
    "new": (Treatment.REDUCE, ThreatStatus.OPEN),
    "identified": (Treatment.REDUCE, ThreatStatus.OPEN),
    "in-progress": (Treatment.REDUCE, ThreatStatus.IN_PROGRESS),
    "partly-mitigated": (Treatment.REDUCE, ThreatStatus.IN_PROGRESS),
    "partly-mitigate": (Treatment.REDUCE, ThreatStatus.IN_PROGRESS),
    "partially-mitigated": (Treatment.REDUCE, ThreatStatus.IN_PROGRESS),
    "mitigated": (Treatment.REDUCE, ThreatStatus.MITIGATED),
    "mitigate": (Treatment.REDUCE, ThreatStatus.MITIGATED),
    "accepted": (Treatment.ACCEPT, ThreatStatus.ACCEPTED),
    "accept": (Treatment.ACCEPT, ThreatStatus.ACCEPTED),
    "transferred": (Treatment.TRANSFER, ThreatStatus.TRANSFERRED),
    "transfer": (Treatment.TRANSFER, ThreatStatus.TRANSFERRED),
    "avoided": (Treatment.AVOID, ThreatStatus.AVOIDED),
    "avoid": (Treatment.AVOID, ThreatStatus.AVOIDED),
    "not-applicable": (Treatment.ACCEPT, ThreatStatus.FALSE_POSITIVE),
    "na": (Treatment.ACCEPT, ThreatStatus.FALSE_POSITIVE),
    "n-a": (Treatment.ACCEPT, ThreatStatus.FALSE_POSITIVE),
    "false-positive": (Treatment.ACCEPT, ThreatStatus.FALSE_POSITIVE),
}


def decision_of_state(state: str) -> tuple[Treatment, ThreatStatus] | None:
    """A threat instance's state → treatment and status; None for a state we do not know."""
    return _THREAT_STATES.get(slug(state))


MITIGATION_STATE = {ControlStatus.IMPLEMENTED: "implemented", ControlStatus.PARTIAL: "partially-implemented",
                    ControlStatus.PLANNED: "required"}
_MITIGATION_STATES = {
    "implemented": ControlStatus.IMPLEMENTED,
    "done": ControlStatus.IMPLEMENTED,
    "partially-implemented": ControlStatus.PARTIAL,
    "partly-implemented": ControlStatus.PARTIAL,
    "partial": ControlStatus.PARTIAL,
    "required": ControlStatus.PLANNED,
    "recommended": ControlStatus.PLANNED,
    "proposed": ControlStatus.PLANNED,
    "planned": ControlStatus.PLANNED,
    "in-progress": ControlStatus.PLANNED,
}
REJECTED_MITIGATION_STATES = frozenset({"rejected", "not-applicable", "na", "n-a"})


def control_status_of_state(state: str) -> ControlStatus | None:
    """A mitigation instance's state → control status; None for rejected or unknown states."""
    return _MITIGATION_STATES.get(slug(state))


# -- references --------------------------------------------------------------------------------------

_CWE = re.compile(r"^\s*(?:cwe)?[-_: ]?(\d{1,6})\s*$", re.IGNORECASE)
_CAPEC = re.compile(r"^\s*capec[-_: ]?(\d{1,6})\s*$", re.IGNORECASE)
_ATTACK = re.compile(r"^\s*(?:att&ck\s+)?(T\d{4}(?:\.\d{3})?)\s*$", re.IGNORECASE)


def cwe_number(text: str) -> int | None:
    found = _CWE.match(text)
    return int(found.group(1)) if found else None


def capec_number(text: str) -> int | None:
    found = _CAPEC.match(text)
    return int(found.group(1)) if found else None


def attack_technique(text: str) -> str | None:
    found = _ATTACK.match(text)
    return found.group(1).upper() if found else None
