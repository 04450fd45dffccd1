"""Threat generation: evaluate every active rule on its elements or interactions, score, decide.

Facts are computed once per element and per flow; element rules are grouped by the element types
they concern so each rule only meets candidates of the right type. Output is ranked (see
:func:`rank_key`), so a re-run on an unchanged model is identical.

Controls count where they act: on the element, or for a flow on the flow and its destination; on a
flow's source when the catalog control acts at the sender (`counts_from: [source]`); for an element, on
every caller an attacker can use when it limits what callers send (`counts_from: [callers]`); on a gateway, WAF,
load balancer or reverse proxy in front of the element when it protects what is behind it
(`counts_from: [front]`); on a cloud account or container platform in the element's zone or an
enclosing one (`counts_from: [platform]`). "In front of" follows the flows into the element through
pass-through elements, indexed once per element.

A generated threat that a manual threat refines (`refines:`) is scored, then folds into the manual threat
unless that rates it lower (see :mod:`threatloom.engine.refinement`); a threat that folds takes no decision.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import msgspec

from threatloom.catalog.loading import Catalog, CompiledAdjustment, CompiledRule, load_catalog
from threatloom.catalog.schema import Rule
from threatloom.collector import collector_paused
from threatloom.engine.candidates import TargetIndex
from threatloom.engine.conditions import Interaction, Predicate
from threatloom.engine.facts import LazyFacts, element_facts, flow_facts
from threatloom.engine.origins import CLOUD_KINDS, PASS_THROUGH, topology_of
from threatloom.engine.reach import Reach, compute_reach
from threatloom.engine.refinement import Refinements
from threatloom.engine.threat import Analysis, AppliedDecision, CandidateControl, Factor, RiskScore, Threat
from threatloom.errors import InputError, Problem, SourceLocation
from threatloom.lifecycle.decisions import DecisionMatcher, apply_decision, decision_problem
from threatloom.lifecycle.patterns import IdParts
from threatloom.model.index import Element, ModelIndex
from threatloom.model.schema import Asset, Control, ManualThreat, Model
from threatloom.model.vocabulary import Category, RiskMethod, Skill, ThreatStatus
from threatloom.risk.actors import ActorJudgement, judge, needs_attacker
from threatloom.risk.controls import Cuts, ThreatKind, combine
from threatloom.risk.cvss import CvssScore, cvss_scores
from threatloom.risk.impact import READ_ONLY_TAGS
from threatloom.risk.owasp import owasp_inputs
from threatloom.risk.scoring import (
    OWASP_STEP,
    TEAM_MITIGATION,
    ControlEffect,
    Scored,
    ScoreInputs,
    affected,
    asset_impact,
    clamp,
    control_effect,
    full_effect,
    matrix_residual,
    score,
)

MANUAL_LIKELIHOOD = 3  # where a hand-written threat's likelihood starts when the team gives none
MANUAL_IMPACT = 2  # where its impact starts (as a rule's impact base) before assets, CVSS or the team
MANUAL_BASE = "where a hand-written threat starts"
Placed = tuple[Control, str]  # a model control and where it sits for the threat: target, source, callers, front


def rank_key(threat: Threat) -> tuple[object, ...]:
    """Worst first: residual score, then its impact (harm outweighs odds at equal score), then its
    likelihood, then exposure (on or straight from the internet, then reachable by an actor), then the
    inherent score, then ID."""
    r = threat.residual
    return (-r.score, -r.impact, -r.likelihood, not threat.exposed, not threat.reachable,
            -threat.inherent.score, threat.id)


def catalog_for(model: Model, extra_rules: Iterable[Path] = ()) -> Catalog:
    """The built-in catalog plus the rule files the model names (relative to it) and `extra_rules`.

    The model's rule files must lie where its includes may (:class:`~threatloom.model.confinement.FilesRoot`);
    `extra_rules`, given by whoever runs threatloom, may lie anywhere.
    """
    from threatloom.catalog.loading import rule_files, rule_files_in

    base = Path(model.locate("").file).parent
    bound = model.files_root
    paths: list[Path] = []
    problems: list[Problem] = []
    for i, name in enumerate(model.rules):
        path = base / name
        where = model.locate(f"rules/{i}")
        if bound is None:
            problems.append(Problem(where, "`rules` needs a model read from a file",
                                    "pass the rule files to catalog_for as extra_rules", "rules"))
        elif (refusal := bound.refusal(path)) is not None:
            problems.append(Problem(where, f"rule file or folder {name!r} {refusal}",
                                    "copy the rule files into the model's repository, or give them with "
                                    "--rules", "rules-outside"))
        elif not path.exists():
            problems.append(Problem(where, f"rule file or folder {name!r} not found",
                                    "paths are relative to the model file", "rules-missing"))
        elif path.is_dir() and not rule_files_in(path):
            problems.append(Problem(where, f"no rule files (*.yaml, *.yml) in the folder {name!r}",
                                    "name the folder that holds the rule files, or a file itself", "rules-missing"))
        elif path.is_dir():
            # a link inside a rules folder must not lead out of it either
            problems.extend(Problem(where, f"rule file {str(f)!r} in {name!r} {why}",
                                    "replace the link with the file itself, or give it with --rules",
                                    "rules-outside")
                            for f in rule_files([path]) if (why := bound.refusal(f)) is not None)
        paths.append(path)
    if problems:
        raise InputError(problems)
    return load_catalog([*paths, *extra_rules])


def analyse(model: Model, catalog: Catalog | None = None, *, today: dt.date | None = None,
            indexed: bool = True) -> Analysis:
    """Find, score and decide every threat in `model`.

    InputError if the model cites unknown catalog controls or a manual threat has an invalid CVSS
    vector. `today` decides which acceptances have expired and which decisions are overdue. With
    `indexed` false every rule is evaluated on every element or flow (with every fact computed up front)
    instead of on the candidates its guard picks: slower, and the same result, which tests check.
    """
    with collector_paused():
        return _analyser(model, catalog, today, record=False, indexed=indexed).run()


def analyse_with_inputs(model: Model, catalog: Catalog | None = None, *, today: dt.date | None = None,
                        indexed: bool = True) -> tuple[Analysis, Mapping[str, ScoreInputs]]:
    """Like :func:`analyse`, with what each threat's score was computed from (by threat ID), so that
    callers can ask what a control would change (see :mod:`threatloom.lifecycle.plan`)."""
    with collector_paused():
        analyser = _analyser(model, catalog, today, record=True, indexed=indexed)
        analysis = analyser.run()
    return analysis, analyser.inputs


def _platforms_by_zone(index: ModelIndex) -> dict[str, tuple[str, ...]]:
    """For each zone, the cloud accounts and container platforms in it or in a zone enclosing it."""
    hosts: dict[str, list[str]] = defaultdict(list)
    for component in sorted(index.components.values(), key=lambda c: c.id):
        if component.kind.value in CLOUD_KINDS and component.zone:
            hosts[component.zone].append(component.id)
    return {zone: tuple(h for z in index.zone_path(zone) for h in hosts.get(z, ())) for zone in index.zones}


def _analyser(model: Model, catalog: Catalog | None, today: dt.date | None, *, record: bool,
              indexed: bool = True) -> _Analyser:
    from threatloom.catalog.references import unknown_catalog_controls

    catalog = catalog or catalog_for(model)
    problems = unknown_catalog_controls(model, catalog)
    cvss, cvss_problems = cvss_scores(model)
    problems.extend(cvss_problems)
    if problems:
        raise InputError(problems)
    return _Analyser(model, catalog, today or dt.date.today(), cvss, record=record, indexed=indexed)


class _RuleParts(msgspec.Struct, frozen=True):
    """What every threat of one rule shares, worked out once per rule rather than once per threat."""

    likelihood: tuple[tuple[Predicate, float, Factor], ...]  # adjustments: test, step, its factor
    impact: tuple[tuple[Predicate, float, Factor], ...]
    kind: ThreatKind
    attacker: bool  # whether an attacker is needed (else actors and asset exposure do not count)
    callers: tuple[str, ...]  # candidate controls that count at the callers of an element
    title: str
    description: str
    detection: str
    names: tuple[str, ...]  # the placeholders (`{target}`...) its title, description or detection use


class _Target(msgspec.Struct, frozen=True):
    """What every threat on one element or flow shares, gathered once per target."""

    id: str
    kind: str  # "element" or "flow"
    elements: tuple[str, ...]  # the element, or the flow's source and destination
    zone: str | None
    assets: tuple[Asset, ...]
    asset_ids: tuple[str, ...]
    profile: tuple[tuple[str, int], ...]  # the actors who reach it with their fewest hops, by actor ID
    controls: tuple[Placed, ...]  # model controls with where they act
    location: SourceLocation
    names: dict[str, str]  # what the placeholders of titles and descriptions stand for
    read_only: bool


def _rule_parts(compiled: CompiledRule, counts_at_callers: Callable[[str], bool]) -> _RuleParts:
    rule = compiled.rule

    def adjustments(part: str, items: tuple[CompiledAdjustment, ...]) -> tuple[tuple[Predicate, float, Factor], ...]:
        return tuple((a.test, a.spec.by, Factor(part, a.spec.by, a.spec.because, "rule")) for a in items)

    description, detection = rule.description.strip(), rule.detection.strip()
    return _RuleParts(
        likelihood=adjustments("likelihood", compiled.likelihood), impact=adjustments("impact", compiled.impact),
        kind=ThreatKind(rule.category, affected(rule.category, rule.impact.affects)),
        attacker=needs_attacker(rule.category, rule.actor_skill),
        callers=tuple(c for c in rule.controls if counts_at_callers(c)),
        title=rule.title, description=description, detection=detection,
        names=tuple(n for n in ("target", "source", "destination")
                    if any("{" + n + "}" in text for text in (rule.title, description, detection))))


class _Analyser:
    def __init__(self, model: Model, catalog: Catalog, today: dt.date, cvss: Mapping[str, CvssScore],
                 *, record: bool = False, indexed: bool = True) -> None:
        self.model = model
        self.indexed = indexed
        self.cvss = cvss
        self.record = record
        self.inputs: dict[str, ScoreInputs] = {}
        self.index: ModelIndex = model.index
        self.catalog = catalog
        self.today = today
        self.reach: Reach = compute_reach(self.index)
        by_origin: dict[str, set[str]] = defaultdict(set)
        for actor in model.actors:
            by_origin[actor.origin.value].update(self.reach.hops[actor.id])
        self.reached_by_origin = by_origin
        self.reaching: dict[str, dict[str, int]] = defaultdict(dict)  # element -> actor -> fewest hops
        for actor_id, reached in sorted(self.reach.hops.items()):
            for element_id, hops in reached.items():
                self.reaching[element_id][actor_id] = hops
        self._fronts: dict[str, tuple[str, ...]] = {}
        self._platforms = _platforms_by_zone(self.index)
        self.matcher = DecisionMatcher(model)
        self.refining = Refinements(model) if any(m.refines for m in model.threats) else None
        self.locate = model.locator()
        self.owasp = model.risk.method is RiskMethod.OWASP
        self.decision_notes: dict[tuple[int, str, bool], list[str]] = defaultdict(list)
        self._actor_cache: dict[tuple[object, ...], ActorJudgement] = {}
        self._impact_cache: dict[tuple[object, ...], tuple[int, Factor | None]] = {}
        self._effects_cache: dict[tuple[object, tuple[str, ...]], tuple[ControlEffect, ...]] = {}
        self._candidate_cache: dict[tuple[object, ...], tuple[CandidateControl, ...]] = {}
        self._score_cache: dict[tuple[object, ...], tuple[Scored, Cuts]] = {}
        self._full_effects: dict[str, ControlEffect] = {}  # catalog control ID -> its effect in place fully
        self._rules: dict[str, _RuleParts] = {}
        # element or flow ID -> what its threats share (two tables: a model built in code may reuse an ID)
        self._element_targets: dict[str, _Target] = {}
        self._flow_targets: dict[str, _Target] = {}

    def _reach(self, origin: str, element_id: str) -> bool:
        return element_id in self.reached_by_origin.get(origin, ())

    def run(self) -> Analysis:
        index = self.index
        top = topology_of(index)
        facts = {e.id: self._all_facts(element_facts(index, e, self._reach, top)) for e in index.elements.values()}
        in_scope = {e.id for e in index.elements.values()
                    if e.component is None or not e.component.out_of_scope}
        elements = [(element_id, facts[element_id]) for element_id in sorted(in_scope)]
        interactions = [(flow, Interaction(self._all_facts(flow_facts(index, flow, top)), facts[flow.source],
                                           facts[flow.destination]))
                        for flow in sorted(self.model.flows, key=lambda f: f.id)
                        if flow.source in in_scope or flow.destination in in_scope]
        element_targets = TargetIndex(elements, lambda target, side: target[1])
        flow_targets = TargetIndex(interactions, lambda target, side: getattr(target[1], side))
        threats: list[Threat] = []
        rules = self.catalog.active_rules()
        element_rules = [r for r in rules if r.rule.applies_to == "element"]
        flow_rules = [r for r in rules if r.rule.applies_to != "element"]
        if self.indexed:
            element_targets.warm(r.guard for r in element_rules)
            flow_targets.warm(r.guard for r in flow_rules)
        # target by target, each with the rules its guards let through (in rule order): a target's facts,
        # controls and actors stay at hand while its threats are built
        types = {r.rule.id: {t.value for t in r.rule.element_types} for r in element_rules}
        chosen = element_targets.per_target([(r, r.guard if self.indexed else None) for r in element_rules])
        for (element_id, subject), element_rules_here in zip(elements, chosen, strict=True):
            for compiled in element_rules_here:
                wanted = types[compiled.rule.id]
                if (not wanted or subject["type"] in wanted) and compiled.when(subject):
                    threats.append(self._element_threat(compiled, element_id, subject))
        chosen = flow_targets.per_target([(r, r.guard if self.indexed else None) for r in flow_rules])
        for (flow, interaction), flow_rules_here in zip(interactions, chosen, strict=True):
            for compiled in flow_rules_here:
                if compiled.when(interaction):
                    threats.append(self._flow_threat(compiled, flow.id, interaction))
        manual = [self._manual(t) for t in self.model.threats]
        refining = self.refining
        if refining is not None:
            threats, manual = refining.fold(threats, manual, self._decided)
        threats.extend(manual)
        threats.sort(key=rank_key)
        # what hints need, built only when a decision or a refinement matches nothing
        parts = self._id_parts(rules, in_scope, {flow.id for flow, _ in interactions}) \
            if self.matcher.any_unused() or (refining is not None and refining.any_unmatched()) else None
        unmatched = self.matcher.unmatched((t.id for t in threats), refining.refined_by if refining else None, parts)
        if refining is not None:
            unmatched += refining.problems([*(t.id for t in threats if t.origin == "rule"), *refining.refined_by],
                                           parts)
        return Analysis(
            system=self.model.system.name, threats=tuple(threats),
            risk_appetite=self.model.system.risk_appetite, unmatched_decisions=tuple(unmatched),
            decision_problems=tuple(self._decision_problems()), rules_evaluated=len(rules),
            elements_analysed=len(in_scope), flows_analysed=len(interactions))

    def _id_parts(self, rules: Sequence[CompiledRule], in_scope: set[str], flows: set[str]) -> IdParts:
        """What this analysis's threat IDs are made of, for the hints of patterns that match none."""
        index = self.index
        ids = sorted(r.rule.id for r in rules)
        return IdParts(
            rules={r.rule.id: r.rule.applies_to for r in rules}, disabled=self.catalog.disabled,
            rules_by_lower={rid.lower(): rid for rid in ids},
            elements=frozenset(in_scope), flows=frozenset(flows),
            out_of_scope=frozenset(e for e in index.elements if e not in in_scope),
            unanalysed_flows={f.id: (f.source, f.destination) for f in self.model.flows if f.id not in flows},
            zones=frozenset(index.zones), manual=tuple(sorted(t.id for t in self.model.threats)))

    def _all_facts(self, facts: LazyFacts) -> LazyFacts:
        """Without the index every fact is computed up front, as every rule meets every target."""
        return facts if self.indexed else facts.complete()

    # -- building threats -------------------------------------------------------------------------

    def _element_threat(self, compiled: CompiledRule, element_id: str, subject: LazyFacts) -> Threat:
        target = self._element_targets.get(element_id)
        if target is None:
            element = self.index.elements[element_id]
            section = "components" if element.component is not None else "environment"
            assets = self.index.assets_at(element_id)
            target = self._element_targets[element_id] = _Target(
                id=element_id, kind="element", elements=(element_id,), zone=element.zone, assets=assets,
                asset_ids=tuple([a.id for a in assets]),
                profile=tuple(sorted(self.reaching.get(element_id, {}).items())),
                controls=(*[(c, "target") for c in self._own_controls(element_id)],
                          *self._front_controls(element_id), *self._platform_controls(element)),
                location=self.locate(f"{section}/{element_id}"), names={"target": element.name},
                read_only=bool(READ_ONLY_TAGS & set(element.tags)))
        return self._build(compiled, subject, target, audit=subject["audit_logging"], internet=subject["internet"])

    def _own_controls(self, element_id: str) -> list[Control]:
        """The controls recorded on a component or on a party of the environment."""
        element = self.index.elements[element_id]
        owner = element.component or element.party
        return self.index.controls_of(owner.controls) if owner is not None else []

    def _platform_controls(self, element: Element) -> list[Placed]:
        """Controls on the cloud accounts and container platforms the element runs in (one in its zone or
        an enclosing one): organisation guardrails and cluster policies cover every workload there."""
        hosts = self._platforms.get(element.zone or "", ())
        return [(c, "platform") for host in hosts if host != element.id for c in self._own_controls(host)]

    def _front_controls(self, element_id: str) -> list[Placed]:
        return [(c, "front") for front in self._in_front(element_id) for c in self._own_controls(front)]

    def _in_front(self, element_id: str) -> tuple[str, ...]:
        """The pass-through elements (gateway, WAF, load balancer, reverse proxy) requests cross to reach the
        element: those with a flow into it, and those in front of them; computed once per element."""
        found = self._fronts.get(element_id)
        if found is not None:
            return found
        seen: list[str] = []
        stack = [element_id]
        while stack:
            current = stack.pop()
            for flow in self.index.incoming.get(current, ()):
                source = self.index.components.get(flow.source)
                if source is not None and source.kind.value in PASS_THROUGH and flow.source not in seen \
                        and flow.source != element_id:
                    seen.append(flow.source)
                    stack.append(flow.source)
        found = tuple(sorted(seen))
        self._fronts[element_id] = found
        return found

    def _flow_threat(self, compiled: CompiledRule, flow_id: str, subject: Interaction) -> Threat:
        target = self._flow_targets.get(flow_id)
        if target is None:
            target = self._flow_targets[flow_id] = self._flow_target(flow_id)
        return self._build(compiled, subject, target, audit=subject.destination["audit_logging"],
                           internet=subject.flow["from_internet"])

    def _flow_target(self, flow_id: str) -> _Target:
        index = self.index
        flow = index.flows[flow_id]
        assets = tuple([index.assets[a] for a in flow.data if a in index.assets]) or index.assets_at(flow.destination)
        reaching = dict(self.reaching.get(flow.destination, {}))
        for actor_id, hops in self.reaching.get(flow.source, {}).items():
            reaching[actor_id] = min(hops, reaching.get(actor_id, hops))
        destination = index.elements[flow.destination]
        source = index.elements[flow.source]
        controls: list[Placed] = [(c, "target") for c in index.controls_of(flow.controls)]
        controls += [(c, "target") for c in self._own_controls(flow.destination)]
        controls += [(c, "source") for c in self._own_controls(flow.source)]
        controls += self._front_controls(flow.destination)
        return _Target(
            id=flow_id, kind="flow", elements=(flow.source, flow.destination), zone=destination.zone,
            assets=assets, asset_ids=tuple([a.id for a in assets]), profile=tuple(sorted(reaching.items())),
            controls=tuple(controls),
            location=self.locate(f"flows/{flow_id}"),
            names={"target": flow.name, "source": source.name, "destination": destination.name},
            read_only=bool(READ_ONLY_TAGS & (set(flow.tags) | set(destination.tags))))

    def _build(self, compiled: CompiledRule, subject: object, on: _Target, *, audit: bool | None,
               internet: bool) -> Threat:
        target, assets, controls = on.id, on.assets, on.controls
        rule = compiled.rule
        parts = self._rules.get(rule.id)
        if parts is None:
            parts = self._rules[rule.id] = _rule_parts(
                compiled, lambda c: "callers" in self.catalog.controls[c].counts_from)
        rule_factors: list[Factor] = []
        likelihood = float(rule.likelihood.base)
        for test, by, factor in parts.likelihood:
            if test(subject):
                likelihood += by
                rule_factors.append(factor)
        rule_likelihood = likelihood
        judged = self._actors(on.profile, rule.category, rule.actor_skill)
        capable, actor_factor = judged.capable, judged.factor
        likelihood += judged.delta
        impact_value, asset_factor = self._impact(on, rule, parts.attacker)
        impact = float(impact_value)
        impact_shift = 0.0
        for test, by, factor in parts.impact:
            if test(subject):
                impact_shift += by
                rule_factors.append(factor)
        impact += impact_shift
        kind = parts.kind
        if on.kind == "element" and parts.callers:
            controls = (*controls, *self._caller_controls(target, judged.capable, parts.callers))
        effects = self._effects((on.kind, target, judged.capable), controls, rule.controls)
        owasp = None
        if self.owasp:
            # the OWASP ratings stand in for the actor and asset factors of the matrix; the rule's own
            # adjustments move the ease and impact ratings, so they stay in the explanation
            actors = [self.index.actors[a] for a in capable]
            inputs = owasp_inputs(actors, internet, rule_likelihood, audit, assets, rule.category, impact_shift)
            owasp = (inputs.likelihood, inputs.impact)
            factors = [*inputs.factors, *rule_factors]
        else:
            factors = [f for f in rule_factors if f.part == "likelihood"]
            factors += [f for f in (actor_factor, asset_factor) if f is not None]
            factors += [f for f in rule_factors if f.part == "impact"]
        scored, cuts = self._score(likelihood, impact, factors, effects, owasp, kind)
        candidates = self._candidates(rule.controls, cuts.counted, likelihood, impact, effects, owasp, kind)
        title, description, detection = parts.title, parts.description, parts.detection
        for key in parts.names:
            value = on.names.get(key)
            if value is not None:
                title = title.replace("{" + key + "}", value)
                description = description.replace("{" + key + "}", value)
                detection = detection.replace("{" + key + "}", value)
        threat_id = f"{rule.id}@{target}"
        if self.record:
            self.inputs[threat_id] = ScoreInputs(likelihood, impact, tuple(factors), effects, owasp, kind)
        if self.refining is not None and self.refining.claims(threat_id):
            status, decision = ThreatStatus.OPEN, None  # decided once it is known whether it folds
        else:
            status, decision = self._decide(threat_id, scored.residual)
        return Threat(
            id=threat_id, origin="rule", rule_id=rule.id, title=title, description=description,
            category=rule.category, target=target, target_kind=on.kind, elements=on.elements, zone=on.zone,
            assets=on.asset_ids, actors=capable, reachable=judged.reachable,
            capec=rule.references.capec, cwe=rule.references.cwe, attack=rule.references.attack,
            detection=detection, controls=candidates,
            controls_in_place=tuple(sorted(cuts.controls)),
            inherent=scored.inherent, residual=scored.residual, status=status, decision=decision,
            location=on.location, tags=rule.tags, exposed=internet)

    # The helpers below are cached by what they depend on (the actors reaching a target with their hops,
    # the assets at stake, a few rule fields): a target meets several rules, and alike targets share them.

    def _actors(self, profile: tuple[tuple[str, int], ...], category: Category, skill: Skill) -> ActorJudgement:
        key = (profile, category, skill)
        cached = self._actor_cache.get(key)
        if cached is None:
            actors = self.index.actors
            cached = judge(category, skill, [(actors[a], hops) for a, hops in profile], bool(self.model.actors))
            self._actor_cache[key] = cached
        return cached

    def _score(self, likelihood: float, impact: float, factors: list[Factor], effects: tuple[ControlEffect, ...],
               owasp: tuple[float, float] | None, kind: ThreatKind) -> tuple[Scored, Cuts]:
        """The score and the controls that count; many threats share every input (a rule on many alike
        targets), and scores are immutable, so each set of inputs is scored once."""
        key = (likelihood, impact, tuple(factors), effects, owasp, kind)
        cached = self._score_cache.get(key)
        if cached is None:
            cached = (score(self.model.risk, likelihood, impact, factors, effects, owasp, kind),
                      combine(effects, kind, explain=False))
            self._score_cache[key] = cached
        return cached

    def _impact(self, on: _Target, rule: Rule, attacker: bool) -> tuple[int, Factor | None]:
        key = (on.asset_ids, on.read_only, rule.category, rule.impact.affects, rule.impact.base, attacker)
        cached = self._impact_cache.get(key)
        if cached is None:
            cached = asset_impact(on.assets, rule.category, rule.impact.affects, rule.impact.base, on.read_only,
                                  attacker)
            self._impact_cache[key] = cached
        return cached

    def _caller_controls(self, element_id: str, capable: tuple[str, ...], acting: tuple[str, ...]) -> list[Placed]:
        """Controls that act at the sender (rate limiting at the caller), on the callers of an element: those
        with a flow into it that a capable actor reaches (all of them when none is named), gateways and the
        like aside (they count in front). `acting` are the rule's candidate controls that count at the
        callers. Each flow from a caller is a path, with the caller's controls and the flow's own
        (minimisation applied to one export). A catalog control counts only when every such path has it,
        at the strength of the weakest: an attacker takes the path without it."""
        catalog = self.catalog.controls
        fronts = self._in_front(element_id)
        paths = [(*self._own_controls(f.source), *self.index.controls_of(f.controls))
                 for f in sorted(self.index.incoming.get(element_id, ()), key=lambda f: f.id)
                 if f.source not in fronts and (not capable or any(f.source in self.reach.hops[a] for a in capable))]
        if not paths:
            return []
        chosen: list[Placed] = []
        for catalog_id in acting:
            weakest: tuple[float, Control] | None = None
            for path in paths:
                held = [(control_effect(c, catalog[catalog_id]).amount, c) for c in path
                        if catalog_id in c.implements]
                best = max(held, key=lambda h: (h[0], h[1].id), default=None)
                if best is None or best[0] <= 0:
                    weakest = None
                    break
                if weakest is None or best[0] < weakest[0]:
                    weakest = best
            if weakest is not None:
                chosen.append((weakest[1], "callers"))
        return chosen

    def _effects(self, target: str | tuple[str, str, tuple[str, ...]], controls: Sequence[Placed],
                 candidates: tuple[str, ...]) -> tuple[ControlEffect, ...]:
        """The effects of the model controls that implement one of the candidate catalog controls, each
        where it acts (a control on the source or in front counts only if its catalog control acts there);
        :func:`~threatloom.risk.controls.combine` counts each catalog control once."""
        if not controls:
            return ()
        key = (target, candidates)
        cached = self._effects_cache.get(key)
        if cached is not None:
            return cached
        wanted = set(candidates)
        effects: list[ControlEffect] = []
        seen: set[tuple[str, str]] = set()
        for control, where in controls:
            for catalog_id in sorted(set(control.implements) & wanted):
                catalog = self.catalog.controls[catalog_id]
                if where != "target" and where not in catalog.counts_from:
                    continue
                if (control.id, catalog_id) in seen:
                    continue
                seen.add((control.id, catalog_id))
                effect = control_effect(control, catalog)
                if effect.amount:
                    effects.append(effect)
        cached = tuple(effects)
        self._effects_cache[key] = cached
        return cached

    def _candidates(self, ids: tuple[str, ...], in_place: frozenset[str], likelihood: float, impact: float,
                    effects: tuple[ControlEffect, ...], owasp: tuple[float, float] | None = None,
                    kind: ThreatKind | None = None) -> tuple[CandidateControl, ...]:
        """Candidate controls, each with the residual score it would remove if put in place fully
        (on the scale of the model's method), most useful first."""
        key = (ids, in_place, likelihood, impact, effects, owasp, kind)
        cached = self._candidate_cache.get(key)
        if cached is not None:
            return cached
        settings = self.model.risk
        matrix = settings.method is RiskMethod.MATRIX
        inputs = ScoreInputs(likelihood, impact, (), effects, owasp, kind)
        base = matrix_residual(likelihood, impact, effects, kind) if matrix else \
            inputs.residual_with(settings, ()).score
        ranked = []
        for order, cid in enumerate(ids):
            control = self.catalog.controls[cid]
            if cid in in_place:
                gain = 0
            elif matrix:
                gain = base - matrix_residual(likelihood, impact, (*effects, self._full_effect(cid)), kind)
            else:
                gain = base - inputs.residual_with(settings, (self._full_effect(cid),)).score
            ranked.append((-gain, cid in in_place, order, CandidateControl(cid, control.name, cid in in_place, gain)))
        cached = tuple(item[-1] for item in sorted(ranked, key=lambda r: r[:3]))
        self._candidate_cache[key] = cached
        return cached

    def _full_effect(self, control_id: str) -> ControlEffect:
        """One effect per catalog control for the whole analysis (each builds a model control)."""
        effect = self._full_effects.get(control_id)
        if effect is None:
            effect = self._full_effects[control_id] = full_effect(self.catalog.controls[control_id])
        return effect

    def _decided(self, threat: Threat) -> Threat:
        """`threat` with the decision that applies to it (a refined threat that stays listed)."""
        status, decision = self._decide(threat.id, threat.residual)
        return msgspec.structs.replace(threat, status=status, decision=decision)

    def _decide(self, threat_id: str, residual: RiskScore) -> tuple[ThreatStatus, AppliedDecision | None]:
        found = self.matcher.match(threat_id)
        if found is None:
            return ThreatStatus.OPEN, None
        decision = self.model.decisions[found]
        applied = apply_decision(decision, found, residual.level, self.model.system.risk_appetite,
                                 self.today)
        if applied.note:
            self.decision_notes[(found, applied.note, applied.valid)].append(threat_id)
        return applied.status, applied

    def _decision_problems(self) -> list[Problem]:
        """One warning per decision and reason (a wildcard decision may fail for many threats at once)."""
        problems = []
        for (index, note, valid), threat_ids in sorted(self.decision_notes.items()):
            problems.append(decision_problem(self.model, index, note, valid, sorted(threat_ids)))
        return problems

    def _manual(self, manual: ManualThreat) -> Threat:
        index = self.index
        assets = [index.assets[a] for a in manual.assets if a in index.assets]
        first = manual.elements[0]
        reaching = sorted({a for e in manual.elements for a in self.reaching.get(e, {})})
        # a manual threat starts at likelihood 3 and impact 2, like a rule with those bases; what the team
        # judged, the CVSS vector or the assets move it, each as a factor of the explanation
        factors: list[Factor] = []
        likelihood = float(manual.likelihood or MANUAL_LIKELIHOOD)
        if manual.likelihood is not None:
            factors.append(Factor("likelihood", manual.likelihood - MANUAL_LIKELIHOOD,
                                  f"likelihood judged by the team ({manual.likelihood})", "team"))
        cvss = self.cvss.get(manual.id)
        if manual.impact_rating is not None:
            impact = float(manual.impact_rating)
            factors.append(Factor("impact", manual.impact_rating - MANUAL_IMPACT,
                                  f"impact judged by the team ({manual.impact_rating})", "team"))
        elif cvss is not None:
            impact = float(cvss.impact)
            factors.append(Factor("impact", cvss.impact - MANUAL_IMPACT,
                                  f"CVSS {cvss.version} base score {cvss.base_score:g} ({cvss.severity})", "cvss"))
        else:
            value, asset_factor = asset_impact(assets, manual.category, manual.goals, MANUAL_IMPACT,
                                               attacker=needs_attacker(manual.category, Skill.LOW))
            impact = float(value)
            if asset_factor is not None:
                factors.append(asset_factor)
        controls: list[Control] = []
        for element_id in manual.elements:
            flow = index.flows.get(element_id)
            controls += index.controls_of(flow.controls) if flow else (
                self._own_controls(element_id) if element_id in index.elements else [])
        mitigations = index.controls_of(manual.mitigations)
        # a mitigation that realises catalog controls counts through them; one that realises none counts
        # as the team's own control of medium strength
        wanted = tuple(dict.fromkeys((*manual.controls, *(i for m in mitigations for i in m.implements))))
        # a control both on an element and among the mitigations counts once
        unique = list({c.id: c for c in (*controls, *mitigations)}.values())
        effects = self._effects(f"manual:{manual.id}", [(c, "target") for c in unique], wanted)
        own = tuple(e for e in (control_effect(m, TEAM_MITIGATION) for m in mitigations if not m.implements)
                    if e.amount)
        effects += own
        kind = ThreatKind(manual.category, affected(manual.category, manual.goals))
        cuts = combine(effects, kind, explain=False)
        owasp = None
        if self.owasp:
            # the team's 1-5 ratings on OWASP's 0-9 scale, so every threat of the model shares one scale
            owasp = ((clamp(likelihood) - 1) * OWASP_STEP, (clamp(impact) - 1) * OWASP_STEP)
        scored = score(self.model.risk, likelihood, impact, factors, effects, owasp, kind, MANUAL_BASE)
        candidates = self._candidates(manual.controls, cuts.counted, likelihood, impact, effects, owasp, kind)
        if self.record:
            self.inputs[manual.id] = ScoreInputs(likelihood, impact, tuple(factors), effects, owasp, kind,
                                                 MANUAL_BASE)
        title = manual.title or f"{manual.source} can {manual.action.rstrip('.')}"
        description = " ".join(part for part in (
            f"{manual.source}", f"{manual.prerequisites}".strip(), f"can {manual.action.rstrip('.')},",
            f"which leads to {manual.impact.rstrip('.')}.") if part)
        status, decision = self._decide(manual.id, scored.residual)
        element = index.elements.get(first)
        return Threat(
            id=manual.id, origin="manual", rule_id=None, title=title, description=description,
            category=manual.category, target=first, target_kind="element" if element else "flow",
            elements=tuple(manual.elements), zone=element.zone if element else None,
            assets=tuple(a.id for a in assets), actors=tuple([manual.actor] if manual.actor else reaching),
            reachable=bool(reaching) or not self.model.actors or not needs_attacker(manual.category, Skill.LOW),
            capec=manual.capec, cwe=manual.cwe,
            attack=manual.attack, detection="", controls=candidates,
            controls_in_place=tuple(sorted(cuts.controls)),
            inherent=scored.inherent, residual=scored.residual, status=status, decision=decision,
            location=self.model.locate(f"threats/{manual.id}"), cvss=manual.cvss,
            cvss_score=cvss.base_score if cvss is not None else None,
            exposed=any(index.is_internet(e) for e in manual.elements if e in index.elements))

