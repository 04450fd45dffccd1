"""Backlog stories: one per control to put in place, with the threats it reduces, ranked by risk.

A story comes from the controls people chose (`controls:` of `reduce` decisions whose threats are still
untreated) and from the treatment plan of the gaps (untreated threats above the appetite): every plan
step that lowers a gap becomes a story. Stories for the same control merge. Each has a stable key,
`threatloom:<system-slug>:<control-id>`, so a later export updates the same ticket instead of adding one.
Stories are ranked by the worst residual level among their threats, then by the residual risk they
carry, then by control ID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from threatloom.catalog.schema import CatalogControl
from threatloom.engine.threat import AppliedDecision, Threat
from threatloom.lifecycle.plan import make_plan
from threatloom.lifecycle.scored import ScoredModel
from threatloom.model.vocabulary import Level, Treatment


def slug(text: str) -> str:
    """Lower-case letters, digits and single dashes: `Online Pharmacy (EU)` → `online-pharmacy-eu`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "system"


@dataclass
class Story:
    key: str
    control: CatalogControl
    threats: dict[str, Threat] = field(default_factory=dict)
    decisions: dict[int, AppliedDecision] = field(default_factory=dict)  # by position in the model
    removes: int = 0  # residual score the plan expects it to remove (0 when only people chose it)
    plan_rank: int | None = None

    @property
    def ordered_threats(self) -> list[Threat]:
        return sorted(self.threats.values(), key=lambda t: (-t.residual.score, t.id))

    @property
    def priority(self) -> Level:
        return max((t.residual.level for t in self.threats.values()), key=lambda lv: lv.rank)

    @property
    def risk(self) -> int:
        return sum(t.residual.score for t in self.threats.values())

    @property
    def origins(self) -> list[str]:
        return [name for name, present in (("decision", bool(self.decisions)),
                                           ("plan", self.plan_rank is not None)) if present]


def backlog_stories(scored: ScoredModel) -> list[Story]:
    """The stories of `scored`, ranked (see the module docstring)."""
    analysis, catalog = scored.analysis, scored.catalog
    system = slug(scored.model.system.name)
    stories: dict[str, Story] = {}

    def story(cid: str) -> Story:
        if cid not in stories:
            stories[cid] = Story(f"threatloom:{system}:{cid}", catalog.controls[cid])
        return stories[cid]

    for threat in analysis.threats:
        decision = threat.decision
        if threat.treated or decision is None or decision.treatment is not Treatment.REDUCE:
            continue
        for cid in decision.controls:
            if cid in catalog.controls:
                chosen = story(cid)
                chosen.threats[threat.id] = threat
                chosen.decisions[decision.index] = decision
    gaps = {t.id for t in analysis.gaps()}
    if gaps:
        plan = make_plan(scored.model, analysis, scored.inputs, catalog, threat_ids=gaps)
        for step in plan.steps:
            planned = story(step.control.id)
            planned.removes = step.removed
            planned.plan_rank = step.rank
            for r in step.reductions:
                planned.threats[r.threat.id] = r.threat
    return sorted(stories.values(), key=lambda s: (-s.priority.rank, -s.risk, s.control.id))
