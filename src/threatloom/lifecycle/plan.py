"""The treatment plan: in which order to put candidate controls in place to remove the most risk first.

Greedy, as a person would do it: among the catalog controls proposed for the untreated threats (and
not yet in place for them), take the one whose addition removes the most residual risk summed over the
threats it applies to; on a tie the one of least effort, then the one that reaches the most severe
threat, then the lower ID. Put it in place (fully: implemented, high effectiveness, as a candidate's
`risk_reduction` assumes), score those threats again exactly as the analysis does, and repeat until no
control removes any risk or the limit is reached. Each step shows the threats it reduces (before →
after), where in the model the control must be recorded to count for each (the analysis counts the
controls of the element; for a flow, of the flow and its destination; for a threat written by hand, of
its elements and flows, or its `mitigations`), and the residual risk left over all threats considered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from threatloom.catalog.loading import Catalog
from threatloom.catalog.schema import CatalogControl
from threatloom.engine.threat import Analysis, RiskScore, Threat
from threatloom.model.schema import Model
from threatloom.model.vocabulary import ControlStatus, Level
from threatloom.risk.scoring import ControlEffect, ScoreInputs, full_effect

EFFORT_RANK = {"low": 0, "medium": 1, "high": 2}
PLAN_FORMAT = "threatloom-plan"
PLAN_VERSION = 1


class Reduction(msgspec.Struct, frozen=True):
    """One threat a step reduces."""

    threat: Threat
    before: RiskScore
    after: RiskScore
    record_on: tuple[str, ...] = ()  # model elements or flows whose `controls:` make it count

    @property
    def removed(self) -> int:
        return self.before.score - self.after.score


class PlanStep(msgspec.Struct, frozen=True):
    rank: int
    control: CatalogControl
    reductions: tuple[Reduction, ...]  # most severe first
    removed: int  # residual score removed by this step
    residual_after: int  # residual score left over all threats considered
    planned_as: tuple[str, ...]  # model controls with status planned that would realise it

    @property
    def worst(self) -> Level:
        return max((r.before.level for r in self.reductions), key=lambda lv: lv.rank)


class Plan(msgspec.Struct, frozen=True):
    system: str
    method: str
    only: Level | None  # threats considered: residual at or above this level (None: all untreated)
    threats: tuple[Threat, ...]  # the untreated threats considered
    residual_before: int
    steps: tuple[PlanStep, ...]

    @property
    def residual_after(self) -> int:
        return self.steps[-1].residual_after if self.steps else self.residual_before

    def final_scores(self) -> dict[str, RiskScore]:
        """Each considered threat's residual score once every step is done."""
        scores = {t.id: t.residual for t in self.threats}
        for step in self.steps:
            for r in step.reductions:
                scores[r.threat.id] = r.after
        return scores


def record_on(model: Model, threat: Threat) -> tuple[str, ...]:
    """The components and flows of `model` whose controls count for `threat` (see the module docstring).

    A party of the environment counts too: its `controls:` (staff MFA, a vendor's assurance) count
    for the threats on it. Empty only when the target is neither (a decision settles it).
    """
    index = model.index
    if threat.origin == "manual":
        return tuple(e for e in threat.elements if e in index.components or e in index.flows or e in index.parties)
    if threat.target_kind == "flow":
        destination = threat.elements[-1]
        return (threat.target, *((destination,) if destination in index.components else ()))
    return (threat.target,) if threat.target in index.components or threat.target in index.parties else ()


def considered(analysis: Analysis, only: Level | None = None,
               threat_ids: set[str] | None = None) -> list[Threat]:
    """The untreated threats a plan works on: at or above `only`, and among `threat_ids` if given."""
    return [t for t in analysis.threats if not t.treated
            and (only is None or t.residual.level.rank >= only.rank)
            and (threat_ids is None or t.id in threat_ids)]


def make_plan(model: Model, analysis: Analysis, inputs: Mapping[str, ScoreInputs], catalog: Catalog, *,
              only: Level | None = None, limit: int | None = None,
              threat_ids: set[str] | None = None) -> Plan:
    """The greedy treatment plan for the untreated threats of `analysis` (see the module docstring).

    `inputs` comes from :func:`threatloom.engine.generation.analyse_with_inputs` on the same model.
    """
    settings = model.risk
    threats = considered(analysis, only, threat_ids)
    current: dict[str, RiskScore] = {t.id: t.residual for t in threats}
    added: dict[str, list[ControlEffect]] = {t.id: [] for t in threats}
    candidates: dict[str, list[str]] = {}  # threat ID -> catalog controls still to consider for it
    gains: dict[str, dict[str, Reduction]] = {}  # control -> threat ID -> what adding it would do now
    effects = {cid: full_effect(c) for cid, c in catalog.controls.items()}
    by_id = {t.id: t for t in threats}
    where = {t.id: record_on(model, t) for t in threats}

    def evaluate(cid: str, t: Threat) -> None:
        found = gains.get(cid)
        if found is None:  # already chosen by an earlier step
            return
        after = inputs[t.id].residual_with(settings, (*added[t.id], effects[cid]))
        if after.score < current[t.id].score:
            found[t.id] = Reduction(t, current[t.id], after, where[t.id])
        else:
            found.pop(t.id, None)

    for t in threats:
        candidates[t.id] = [c.id for c in t.controls if not c.in_place and c.id in catalog.controls]
        for cid in candidates[t.id]:
            gains.setdefault(cid, {})
            evaluate(cid, t)
    planned = _planned(model)
    total = sum(s.score for s in current.values())
    residual_before = total
    steps: list[PlanStep] = []
    while limit is None or len(steps) < limit:
        best: tuple[int, int, int, str] | None = None
        for cid, found in gains.items():
            if not found:
                continue
            key = (-sum(r.removed for r in found.values()), EFFORT_RANK[catalog.controls[cid].effort],
                   -max(r.before.score for r in found.values()), cid)
            if best is None or key < best:
                best = key
        if best is None:
            break
        cid = best[3]
        reductions = sorted(gains.pop(cid).values(), key=lambda r: (-r.before.score, -r.removed, r.threat.id))
        for r in reductions:
            tid = r.threat.id
            added[tid].append(effects[cid])
            current[tid] = r.after
            candidates[tid].remove(cid)
            for other in candidates[tid]:
                evaluate(other, by_id[tid])
        removed = sum(r.removed for r in reductions)
        total -= removed
        steps.append(PlanStep(len(steps) + 1, catalog.controls[cid], tuple(reductions), removed, total,
                              planned.get(cid, ())))
    return Plan(analysis.system, settings.method.value, only, tuple(threats), residual_before, tuple(steps))


def _planned(model: Model) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for control in model.controls:
        if control.status is ControlStatus.PLANNED:
            for cid in control.implements:
                found.setdefault(cid, []).append(control.id)
    return {cid: tuple(sorted(ids)) for cid, ids in found.items()}


def levels_count(scores: Sequence[RiskScore]) -> dict[str, int]:
    """How many scores per level, critical first, every level present."""
    order = (Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW)
    return {lv.value: sum(1 for s in scores if s.level is lv) for lv in order}
