"""Impact from the assets really at stake for a threat's category and the properties it harms.

- Privacy threats (LINDDUN, or a threat that harms privacy or compliance) harm people whose data it
  is: only personal data counts, rated by its confidentiality (assets have no privacy rating), and not
  people's credentials: a password's rating says what a stolen account costs (the security threats' own
  measure), not how much of a person's life a threat exposes. One that needs no attacker (data kept too
  long, people not told, no legal basis) discloses nothing itself: it is rated one step lower.
- Repudiation threats harm the records whose actions go unattributed: the integrity of the data the
  element holds, not the credentials or keys it keeps for its own work.
- Through a read-only element or flow (tagged `read-only` or `readonly`) nothing can be altered, so
  integrity is not at stake there.
- Otherwise the worst rating (low 2, medium 3, high 4, critical 5) among the assets for the properties
  the threat harms; between equal ratings the explanation names the category's own property
  (confidentiality for disclosure, integrity for tampering, availability for denial of service).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from threatloom.engine.threat import Factor
from threatloom.model.schema import Asset
from threatloom.model.vocabulary import AssetKind, Category, Level, SecurityProperty

DEFAULT_AFFECTS: dict[Category, tuple[SecurityProperty, ...]] = {
    Category.SPOOFING: (SecurityProperty.CONFIDENTIALITY, SecurityProperty.INTEGRITY),
    Category.TAMPERING: (SecurityProperty.INTEGRITY,),
    Category.REPUDIATION: (SecurityProperty.INTEGRITY,),
    Category.INFORMATION_DISCLOSURE: (SecurityProperty.CONFIDENTIALITY,),
    Category.DENIAL_OF_SERVICE: (SecurityProperty.AVAILABILITY,),
    Category.ELEVATION_OF_PRIVILEGE: (SecurityProperty.CONFIDENTIALITY, SecurityProperty.INTEGRITY,
                                      SecurityProperty.AVAILABILITY),
}
PRIVACY_AFFECTS = (SecurityProperty.PRIVACY,)
PRIVACY_PROPERTIES = frozenset({SecurityProperty.PRIVACY, SecurityProperty.COMPLIANCE})
RATING_IMPACT = {Level.LOW: 2, Level.MEDIUM: 3, Level.HIGH: 4, Level.CRITICAL: 5}
READ_ONLY_TAGS = frozenset({"read-only", "readonly"})
# the one property a category is about (integrity for tampering...), which explains a tie between assets
PRIMARY = {category: harms[0] for category, harms in DEFAULT_AFFECTS.items() if len(harms) == 1}


def affected(category: Category, declared: Sequence[SecurityProperty]) -> tuple[SecurityProperty, ...]:
    """The properties a threat harms: what its rule or author declares, else its category's."""
    if declared:
        return tuple(declared)
    return DEFAULT_AFFECTS.get(category, PRIVACY_AFFECTS)


def is_privacy(category: Category, properties: Iterable[SecurityProperty]) -> bool:
    return category.framework == "LINDDUN" or any(p in PRIVACY_PROPERTIES for p in properties)


def harmed(category: Category, declared: Sequence[SecurityProperty], read_only: bool = False
           ) -> tuple[SecurityProperty, ...]:
    """The properties whose ratings set the impact, after the category and a read-only target say theirs."""
    properties = affected(category, declared)
    if is_privacy(category, properties):
        return (SecurityProperty.PRIVACY,)
    if category is Category.REPUDIATION:
        return (SecurityProperty.INTEGRITY,)
    if read_only:
        kept = tuple(p for p in properties if p is not SecurityProperty.INTEGRITY)
        return kept or properties
    return properties


def asset_impact(assets: Iterable[Asset], category: Category, declared: Sequence[SecurityProperty],
                 base: int, read_only: bool = False, attacker: bool = True) -> tuple[int, Factor | None]:
    """Impact from the worst rating among the assets at stake; the factor names the asset and why."""
    properties = harmed(category, declared, read_only)
    privacy = properties == (SecurityProperty.PRIVACY,)
    integrity = SecurityProperty.INTEGRITY
    dropped = integrity in affected(category, declared) and integrity not in properties
    # the worst rating wins; on a tie, the category's own property (a leak of secrets is explained by the
    # secrets' confidentiality, not by the integrity of images held beside them), then the first asset
    primary = PRIMARY.get(category)
    best: tuple[int, int, str] | None = None
    for asset in assets:
        rank = 0
        if privacy:
            if not asset.personal_data or asset.kind is AssetKind.CREDENTIAL:
                continue
            value = RATING_IMPACT[asset.confidentiality]
            reason = (f"{asset.id} holds personal data with confidentiality rated {asset.confidentiality.value} "
                      "(privacy threats count personal data only, credentials aside)")
            if not attacker:
                value = max(1, value - 1)
                reason += ", one step lower: no one discloses it here"
        elif category is Category.REPUDIATION:
            if asset.kind is AssetKind.CREDENTIAL:
                continue
            value = RATING_IMPACT[asset.integrity]
            reason = (f"{asset.id} has integrity rated {asset.integrity.value} (the records whose actions go "
                      "unattributed)")
        else:
            value, reason = 0, ""
            for prop in properties:
                rating: Level = getattr(asset, prop.value)
                if RATING_IMPACT[rating] > value or (RATING_IMPACT[rating] == value and prop is primary):
                    value, rank = RATING_IMPACT[rating], 0 if prop is primary else 1
                    reason = f"{asset.id} has {prop.value} rated {rating.value}"
            if dropped and reason:
                reason += " (read-only: its integrity is not at stake)"
        if best is None or value > best[0] or (value == best[0] and rank < best[1]):
            best = (value, rank, reason)
    if best is None or not best[2]:
        return base, None
    return best[0], Factor("impact", best[0] - base, best[2], "asset")
