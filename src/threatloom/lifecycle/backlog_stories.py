"""Backlog stories: one per control to put in place, with the threats it reduces, ranked by risk.

A story comes from the treatment plan of the gaps (untreated threats above the appetite, the plan of
`threatloom plan --only <first level above the appetite>`): every plan step becomes a story, with the
threats that step reduces. People's choices add to it: the `controls:` of `reduce` decisions whose
threats are still untreated become stories too (or join the plan's story of the same control), unless
that control is already fully implemented where it counts for the threat. Each story has a stable key,
`threatloom:<system-slug>:<control-id>`, so a later export updates the same ticket instead of adding one.

Ranking follows the plan: its stories come in the plan's order (the most risk removed first), and each
one's priority is the worst level among the threats it reduces at that point of the plan, so a control
that only trims what earlier steps left is not filed as critical. Stories people chose outside the plan
(for threats within the appetite, or that the plan no longer needs) follow, by the worst residual level
of their threats, then the residual risk they carry, then control ID.
"""

from __future__ import annotations

import re

import msgspec

from threatloom.catalog.schema import CatalogControl
from threatloom.engine.threat import AppliedDecision, Threat
from threatloom.lifecycle.check import above_appetite
from threatloom.lifecycle.plan import PlanStep, Reduction, make_plan, record_on
from threatloom.lifecycle.scored import ScoredModel
from threatloom.model.vocabulary import ControlStatus, Level, Treatment


def slug(text: str) -> str:
    """Lower-case letters, digits and single dashes: `Online Pharmacy (EU)` → `online-pharmacy-eu`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "system"


class Story(msgspec.Struct):
    key: str
    control: CatalogControl
    threats: dict[str, Threat] = msgspec.field(default_factory=dict)
    decisions: dict[int, AppliedDecision] = msgspec.field(default_factory=dict)  # by position in the model
    where: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)  # threat ID -> where to record the control
    step: PlanStep | None = None  # the plan step that puts this control in place, if any
    plan_only: Level | None = None  # the `--only` level of the plan the step belongs to

    @property
    def plan_rank(self) -> int | None:
        return self.step.rank if self.step is not None else None

    @property
    def removes(self) -> int:
        """Residual score the plan expects this step to remove (0 when only people chose it)."""
        return self.step.removed if self.step is not None else 0

    def reduction(self, threat_id: str) -> Reduction | None:
        """What the plan step does to `threat_id` (None for a threat only a decision links)."""
        if self.step is None:
            return None
        return next((r for r in self.step.reductions if r.threat.id == threat_id), None)

    @property
    def ordered_threats(self) -> list[Threat]:
        return sorted(self.threats.values(), key=lambda t: (-t.residual.score, t.id))

    @property
    def priority(self) -> Level:
        """The worst level among its threats: at its plan step for the plan's threats, now for the others."""
        levels = [] if self.step is None else [self.step.worst]
        levels += [t.residual.level for t in self.threats.values() if self.reduction(t.id) is None]
        return max(levels, key=lambda lv: lv.rank)

    @property
    def risk(self) -> int:
        return sum(t.residual.score for t in self.threats.values())

    @property
    def origins(self) -> list[str]:
        return [name for name, present in (("decision", bool(self.decisions)),
                                           ("plan", self.step is not None)) if present]


def _implemented(scored: ScoredModel, threat: Threat, cid: str) -> bool:
    """True when a control of the model realising `cid` is fully implemented where it counts for `threat`:
    nothing is left to do for it (a partial or planned one still needs a story)."""
    controls = scored.model.index.controls
    return any(cid in controls[mid].implements and controls[mid].status is ControlStatus.IMPLEMENTED
               for mid in threat.controls_in_place if mid in controls)


def gap_level(scored: ScoredModel) -> Level | None:
    """The `--only` level whose plan is the plan of the gaps (None when the appetite is critical)."""
    return above_appetite(scored.analysis.risk_appetite)


def backlog_stories(scored: ScoredModel) -> list[Story]:
    """The stories of `scored`, ranked (see the module docstring)."""
    analysis, catalog = scored.analysis, scored.catalog
    system = slug(scored.model.system.name)
    stories: dict[str, Story] = {}

    def story(cid: str) -> Story:
        if cid not in stories:
            stories[cid] = Story(f"threatloom:{system}:{cid}", catalog.controls[cid])
        return stories[cid]

    level = gap_level(scored)
    if level is not None:
        plan = make_plan(scored.model, analysis, scored.inputs, catalog, only=level)
        for step in plan.steps:
            planned = story(step.control.id)
            planned.step, planned.plan_only = step, level
            for r in step.reductions:
                planned.threats[r.threat.id] = r.threat
                planned.where[r.threat.id] = r.record_on
    for threat in analysis.threats:
        decision = threat.decision
        if threat.treated or decision is None or decision.treatment is not Treatment.REDUCE:
            continue
        for cid in decision.controls:
            if cid in catalog.controls and not _implemented(scored, threat, cid):
                chosen = story(cid)
                chosen.threats[threat.id] = threat
                chosen.where.setdefault(threat.id, record_on(scored.model, threat))
                chosen.decisions[decision.index] = decision
    planned_stories = sorted((s for s in stories.values() if s.step is not None), key=lambda s: s.plan_rank or 0)
    chosen_only = sorted((s for s in stories.values() if s.step is None),
                         key=lambda s: (-s.priority.rank, -s.risk, s.control.id))
    return planned_stories + chosen_only
