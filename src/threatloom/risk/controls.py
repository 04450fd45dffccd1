"""How the controls in place lower a threat's score: what each does for this threat, and how they combine.

A model control implementing a catalog control has an effect: the catalog strength times its
effectiveness (low 0.34, medium 0.67, high 1), halved while partial, nothing while planned. What the
effect lowers depends on the catalog control's `function` and the threat:

- prevent (the default) lowers what the catalog's `reduces` says;
- detect (audit logs, session recording, monitoring) does not make an attack less likely, it finds it
  sooner: it lowers the impact at half strength, except for repudiation threats, whose cause is the
  missing record, where it lowers the likelihood at full strength;
- recover (backups, recovery plans) brings back what was lost: it lowers the impact of threats that make
  data or a service unavailable, and nothing else (a backup restores silently altered data too).

Then, per threat: one catalog control counts once (the strongest model control that implements it);
on each part the strongest control counts fully, the next half, the next a quarter and so on (each
addresses part of what the one before left); and no set of controls takes away more than
:data:`MAX_SHARE` of a part (60 % of the likelihood, 40 % of the impact: 5 falls to 2 and 3 at best),
because the threat's cause remains while the rule fires.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from threatloom.catalog.schema import CatalogControl
from threatloom.engine.threat import Factor
from threatloom.model.schema import Control
from threatloom.model.vocabulary import Category, ControlStatus, Effectiveness, SecurityProperty

EFFECTIVENESS = {Effectiveness.LOW: 0.34, Effectiveness.MEDIUM: 0.67, Effectiveness.HIGH: 1.0}
MAX_SHARE = {"likelihood": 0.6, "impact": 0.4}  # the most any set of controls takes away of each part
ORDINAL = {2: "second", 3: "third", 4: "fourth"}
SHARE = {2: "half", 3: "a quarter", 4: "an eighth"}


class ThreatKind(msgspec.Struct, frozen=True):
    """What a control's fit depends on: the threat's category and the properties it harms."""

    category: Category
    harms: tuple[SecurityProperty, ...]


class ControlEffect(msgspec.Struct, frozen=True):
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

    @property
    def key(self) -> str:
        """What counts once: the catalog control (a team mitigation stands for itself)."""
        return self.control.id if self.catalog is TEAM_MITIGATION else self.catalog.id


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


def full_effect(catalog: CatalogControl) -> ControlEffect:
    """The effect of putting catalog control `catalog` in place fully (implemented, high effectiveness):
    what a candidate control's risk reduction and the treatment plan assume."""
    control = Control(id=catalog.id, name=catalog.name, implements=(catalog.id,),
                      status=ControlStatus.IMPLEMENTED, effectiveness=Effectiveness.HIGH)
    return ControlEffect(control, catalog, catalog.reduces, float(catalog.strength))


def fitted(effect: ControlEffect, kind: ThreatKind | None) -> tuple[str, float, str]:
    """What `effect` lowers on a threat of `kind`: (part, amount, note); amount 0 when it does not fit."""
    function = effect.catalog.function
    if kind is None or function == "prevent":
        return effect.part, effect.amount, ""
    if function == "detect":
        if kind.category is Category.REPUDIATION:
            return "likelihood", effect.amount, ""
        return "impact", round(effect.amount / 2, 2), "detective: misuse is found sooner, so it lowers the harm at " \
            "half strength, not the chance"
    if SecurityProperty.AVAILABILITY in kind.harms:
        return "impact", effect.amount, ""
    return effect.part, 0.0, "recovery brings back what is lost, and this threat makes nothing unavailable"


class Cuts(msgspec.Struct, frozen=True):
    """The combined effect of the controls in place: the factors to list and how much each part falls."""

    factors: tuple[Factor, ...]
    likelihood: float
    impact: float
    counted: frozenset[str]  # catalog control IDs (or team mitigations' control IDs) that lower the score
    controls: frozenset[str]  # the model controls that do (the strongest implementation of each)


def combine(effects: Iterable[ControlEffect], kind: ThreatKind | None, likelihood: float = 5.0,
            impact: float = 5.0, *, explain: bool = True) -> Cuts:
    """Count each catalog control once (its strongest implementation), with diminishing returns on each
    part, within :data:`MAX_SHARE` of the part's inherent `likelihood` and `impact` (on the 1-5 scale).
    Without `explain` only the totals are computed (candidate controls)."""
    limits = {"likelihood": round(MAX_SHARE["likelihood"] * likelihood, 2),
              "impact": round(MAX_SHARE["impact"] * impact, 2)}
    strongest: dict[str, tuple[float, str, str, ControlEffect]] = {}
    for effect in effects:
        part, amount, note = fitted(effect, kind)
        if amount <= 0:
            continue
        held = strongest.get(effect.key)
        if held is None or (amount, held[3].control.id) > (held[0], effect.control.id):
            strongest[effect.key] = (amount, part, note, effect)
    factors: list[Factor] = []
    used: set[str] = set()
    totals = {"likelihood": 0.0, "impact": 0.0}
    for part in ("likelihood", "impact"):
        ranked = sorted((v for v in strongest.values() if v[1] == part), key=lambda v: (-v[0], v[3].key))
        shares = [amount / 2 ** n for n, (amount, *_) in enumerate(ranked)]
        # the total is rounded once, so adding a control never lowers it; the listed steps add up to it
        total = round(sum(shares), 2)
        listed = 0.0
        for n, ((_, _, note, effect), share) in enumerate(zip(ranked, shares, strict=True), start=1):
            used.add(effect.control.id)
            if not explain:
                continue
            delta = round(total - listed, 2) if n == len(ranked) else round(share, 2)
            listed += delta
            notes = [note] if note else []
            if n > 1:
                notes.append(f"the {ORDINAL.get(n, f'{n}th')} control on the {part} counts "
                             f"{SHARE.get(n, f'1/{2 ** (n - 1)}')}")
            reason = effect.reason + (": " + "; ".join(notes) if notes else "")
            factors.append(Factor(part, -delta, reason, "control"))
        if total > limits[part]:
            if explain:
                factors.append(Factor(part, round(total - limits[part], 2), f"controls take away "
                                      f"{MAX_SHARE[part]:.0%} of the {part} at most ({limits[part]:g} of it): "
                                      "the threat's cause remains", "limit"))
            total = limits[part]
        totals[part] = total
    return Cuts(tuple(factors), totals["likelihood"], totals["impact"], frozenset(strongest), frozenset(used))

