"""What the report templates show, gathered once from a :class:`ReportInput`.

Names instead of IDs, the digest's counts, and the plain-words executive summary. HTML, Markdown and
the spreadsheet all read this one context, so their figures agree.
"""

from __future__ import annotations

import msgspec

from threatloom import __version__
from threatloom.engine.threat import Factor, Threat
from threatloom.model.schema import Asset, Model
from threatloom.model.vocabulary import Category, Level, ThreatStatus
from threatloom.render import digest
from threatloom.render.digest import IN_PROGRESS, NO_DECISION, NOT_COUNTING, EntryPoint, Progress, RiskTally
from threatloom.render.report.interface import ReportInput
from threatloom.render.report.links import Link, references
from threatloom.render.words import counted
from threatloom.risk.scoring import level_for

GAPS_LISTED = 10

CATEGORY_LABELS = {
    Category.SPOOFING: "Spoofing", Category.TAMPERING: "Tampering", Category.REPUDIATION: "Repudiation",
    Category.INFORMATION_DISCLOSURE: "Information disclosure", Category.DENIAL_OF_SERVICE: "Denial of service",
    Category.ELEVATION_OF_PRIVILEGE: "Elevation of privilege", Category.LINKING: "Linking",
    Category.IDENTIFYING: "Identifying", Category.NON_REPUDIATION: "Non-repudiation",
    Category.DETECTING: "Detecting", Category.DATA_DISCLOSURE: "Data disclosure",
    Category.UNAWARENESS: "Unawareness", Category.NON_COMPLIANCE: "Non-compliance",
}
"""What a reader sees for each category; files and data attributes keep the machine value."""

STATUS_LABELS = {s: s.value.replace("-", " ") for s in ThreatStatus}


CATEGORY_BY_VALUE = {c.value: label for c, label in CATEGORY_LABELS.items()}
STATUS_BY_VALUE = {s.value: label for s, label in STATUS_LABELS.items()}


class ControlView(msgspec.Struct, frozen=True):
    id: str
    name: str
    in_place: bool
    risk_reduction: int
    nist: tuple[str, ...]
    asvs: tuple[str, ...]
    effort: str


class ThreatView(msgspec.Struct, frozen=True):
    """A threat with the names a reader needs next to it."""

    threat: Threat
    number: int  # position in the register, 1-based
    target: str  # the element's or flow's name
    target_kind: str  # "process", "data store", "external entity" or "flow"
    zone: str
    assets: tuple[str, ...]
    actors: tuple[str, ...]
    inherent_factors: tuple[Factor, ...]
    control_factors: tuple[Factor, ...]  # what the controls in place took off, for the residual score
    references: tuple[Link, ...]
    controls: tuple[ControlView, ...]
    above_appetite: bool  # untreated and above the risk appetite: a gap
    untreated: str | None  # why it is untreated (see digest.UNTREATED_KINDS); None when treated
    chosen_controls: tuple[str, ...]  # names of the controls the decision chose

    @property
    def anchor(self) -> str:
        return f"t-{self.threat.id}"

    @property
    def category(self) -> str:
        return CATEGORY_LABELS[self.threat.category]

    @property
    def status(self) -> str:
        return STATUS_LABELS[self.threat.status]

    @property
    def best_control(self) -> ControlView | None:
        """The candidate not yet in place that removes the most risk (the Analysis ranks them), offered only
        while the decision chose no controls of its own."""
        if self.chosen_controls:
            return None
        return next((c for c in self.controls if not c.in_place), None)

    @property
    def state(self) -> str:
        """Where the treatment stands, in a few words: for the gap tables."""
        d = self.threat.decision
        if self.untreated == NO_DECISION or d is None:
            return "no decision yet"
        if self.untreated == NOT_COUNTING:
            return f"{d.treatment.value}: does not count" + (f" ({d.note})" if d.note else "")
        parts = [f"{d.treatment.value}, {STATUS_LABELS[d.status]}"]
        parts += [p for p in (d.owner, d.ticket, f"due {d.due}" if d.due else None) if p]
        return " · ".join(parts)


class AssetView(msgspec.Struct, frozen=True):
    asset: Asset
    risk: RiskTally


class ReportContext(msgspec.Struct, frozen=True):
    model: Model
    generator: str
    threats: tuple[ThreatView, ...]
    total: RiskTally
    open_by_level: dict[Level, int]
    gaps: tuple[ThreatView, ...]
    top: tuple[ThreatView, ...]
    heat_map: list[list[int]]  # [likelihood - 1][impact - 1]
    heat_levels: list[list[Level]]
    by_category: dict[str, RiskTally]
    by_zone: dict[str, RiskTally]  # zone *name* -> tally
    assets: tuple[AssetView, ...]
    entry_points: tuple[EntryPoint, ...]
    progress: Progress | None
    previous_label: str
    summary: tuple[str, ...]
    categories: tuple[str, ...]
    statuses: tuple[str, ...]
    levels: tuple[str, ...]
    problems: tuple[str, ...]

    def name(self, ident: str | None) -> str:
        return name_of(self.model, ident)


def name_of(model: Model, ident: str | None) -> str:
    """The human name of anything the model gives an ID, else the ID itself."""
    if ident is None:
        return ""
    index = model.index
    for table in (index.elements, index.flows, index.zones, index.assets, index.actors, index.controls):
        item = table.get(ident)
        if item is not None:
            return item.name
    return ident


def _kind(model: Model, threat: Threat) -> str:
    if threat.target_kind == "flow":
        return "flow"
    element = model.index.elements.get(threat.target)
    return element.type.value.replace("-", " ") if element is not None else threat.target_kind


def _chosen(report: ReportInput, threat: Threat, candidates: tuple[ControlView, ...]) -> tuple[str, ...]:
    """Names of the controls a decision chose: candidate, catalog or model controls, else the ID as written."""
    if threat.decision is None:
        return ()
    known = {c.id: c.name for c in candidates}
    names = []
    for ident in threat.decision.controls:
        catalog = report.controls.get(ident)
        model_control = report.model.index.controls.get(ident)
        names.append(known.get(ident) or (catalog.name if catalog else None)
                     or (model_control.name if model_control else None) or ident)
    return tuple(names)


def _controls(report: ReportInput, threat: Threat) -> tuple[ControlView, ...]:
    views = []
    for c in threat.controls:
        catalog = report.controls.get(c.id)
        views.append(ControlView(c.id, c.name, c.in_place, c.risk_reduction,
                                 catalog.nist if catalog else (), catalog.asvs if catalog else (),
                                 catalog.effort if catalog else ""))
    return tuple(views)


def threat_views(report: ReportInput) -> tuple[ThreatView, ...]:
    model, analysis = report.model, report.analysis
    appetite = analysis.risk_appetite.rank
    names: dict[str, str] = {}

    def name(ident: str) -> str:
        if ident not in names:
            names[ident] = name_of(model, ident)
        return names[ident]

    views = []
    for number, t in enumerate(analysis.threats, start=1):
        inherent = t.inherent.factors
        # the residual score repeats the inherent factors, then adds one per control in place
        extra = t.residual.factors[len(inherent):] if t.residual.factors[:len(inherent)] == inherent else ()
        controls = _controls(report, t)
        views.append(ThreatView(
            t, number, name(t.target), _kind(model, t), name(t.zone) if t.zone else "",
            tuple(name(a) for a in t.assets), tuple(name(a) for a in t.actors), inherent, extra,
            tuple(references(t)), controls,
            not t.treated and t.residual.level.rank > appetite, digest.untreated_kind(t),
            _chosen(report, t, controls)))
    return tuple(views)


def _is(n: int) -> str:
    return "is" if n == 1 else "are"


def _scope_line(report: ReportInput) -> str:
    model, analysis = report.model, report.analysis
    outside = [e.name for e in model.index.elements.values() if e.component is not None and e.component.out_of_scope]
    analysed = analysis.elements_analysed or len(model.index.elements) - len(outside)
    line = (f"This threat model of {model.system.name} covers {counted(analysed, 'element')} and "
            f"{counted(analysis.flows_analysed or len(model.flows), 'flow')} in "
            f"{counted(len(model.zones), 'trust zone')}")
    if outside:
        line += (f"; {counted(len(outside), 'more element')} {_is(len(outside))} drawn but out of scope and not "
                 f"analysed ({', '.join(outside)})")
    return line + "."


def _split(threats: tuple[Threat, ...], subject: str) -> str:
    """'<subject>: 15 are decided and in progress, 1 has no decision yet…' over the untreated `threats`."""
    counts = digest.untreated_split(threats)
    notes = sorted({t.decision.note for t in threats
                    if t.decision is not None and digest.untreated_kind(t) == NOT_COUNTING and t.decision.note})
    why = "; ".join(notes[:2]) + ("; …" if len(notes) > 2 else "")
    words = {
        NO_DECISION: lambda n: f"{n} {'has' if n == 1 else 'have'} no decision yet",
        IN_PROGRESS: lambda n: f"{n} {_is(n)} decided and in progress",
        NOT_COUNTING: lambda n: (f"{n} {'has a decision that does' if n == 1 else 'have decisions that do'} "
                                 "not count" + (f" ({why})" if why else "")),
    }
    parts = [words[kind](n) for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n]
    if len(parts) > 1:
        parts[-2:] = [f"{parts[-2]}{',' if len(parts) > 2 else ''} and {parts[-1]}"]
    return f"{subject}: {', '.join(parts)}" if parts else subject


def _summary(report: ReportInput, ctx_total: RiskTally, by_level: dict[Level, int],
             gaps: tuple[ThreatView, ...], top: tuple[ThreatView, ...], progress: Progress | None) -> tuple[str, ...]:
    analysis = report.analysis
    appetite = analysis.risk_appetite.value
    treated = ctx_total.threats - ctx_total.open
    found = f"threatloom found {counted(ctx_total.threats, 'threat')}."
    if ctx_total.open:
        untreated = tuple(t for t in analysis.threats if not t.treated)
        found += (f" {treated} {_is(treated)} treated by a decision; "
                  + _split(untreated, f"{ctx_total.open} {_is(ctx_total.open)} not yet treated") + ".")
    elif ctx_total.threats:
        found += " Every one is treated by a decision."
    lines = [f"{_scope_line(report)} {found}"]
    if ctx_total.open:
        lines.append(
            "After the controls already in place, the untreated threats rate "
            f"{by_level[Level.CRITICAL]} critical, {by_level[Level.HIGH]} high, {by_level[Level.MEDIUM]} medium "
            f"and {by_level[Level.LOW]} low.")
    if gaps:
        subject = (f"{counted(len(gaps), 'threat')} {_is(len(gaps))} above the risk appetite ({appetite}) and not "
                   "yet treated")
        lines.append(
            _split(tuple(v.threat for v in gaps), subject)
            + ". Each stays a gap until its controls are in place and recorded in the model, or it is avoided, "
              "transferred or accepted by an approver.")
    else:
        lines.append(f"No untreated threat is above the risk appetite ({appetite}).")
    if top:
        first = top[0]
        lines.append(f"The highest untreated risk is “{first.threat.title}” on {first.target} "
                     f"({first.threat.residual.level.value}, score {first.threat.residual.score}).")
    if progress is not None:
        change = progress.change_percent
        trend = "" if change is None else f" ({change:+g} %)"
        lines.append(
            f"Since the previous version, the untreated residual risk went from {progress.residual_then} to "
            f"{progress.residual_now}{trend}: {counted(len(progress.new), 'new threat')}, "
            f"{progress.resolved} resolved ({len(progress.gone)} no longer found, "
            f"{len(progress.treated_since)} treated since)"
            + (f"; {len(progress.refined)} more now reported within the team's own threats that refine them."
               if progress.refined else "."))
    problems = len(analysis.unmatched_decisions) + len(analysis.decision_problems)
    if problems:
        lines.append(f"{counted(problems, 'decision')} {'needs' if problems == 1 else 'need'} attention: "
                     "matching no threat, overdue, or not counting (see Notes).")
    return tuple(lines)


def build_context(report: ReportInput) -> ReportContext:
    model, analysis = report.model, report.analysis
    views = threat_views(report)
    total = digest.total(analysis)
    by_level = digest.open_by_level(analysis)
    gaps = tuple(v for v in views if v.above_appetite)
    top_ids = {t.id for t in digest.top_risks(analysis)}
    top = tuple(v for v in views if v.threat.id in top_ids)
    progress = digest.progress(report.previous, analysis) if report.previous is not None else None
    by_asset = digest.risk_by_asset(analysis)
    zone_names = {z: name_of(model, z) if z != digest.NO_ZONE else z for z in digest.risk_by_zone(analysis)}
    by_zone = {zone_names[z]: tally for z, tally in digest.risk_by_zone(analysis).items()}
    problems = tuple(f"{p.location}: {p.message}" + (f" ({p.hint})" if p.hint else "")
                     for p in (*analysis.unmatched_decisions, *analysis.decision_problems))
    return ReportContext(
        model=model,
        generator=f"threatloom {__version__}",
        threats=views,
        total=total,
        open_by_level=by_level,
        gaps=gaps,
        top=top,
        heat_map=digest.heat_map(analysis),
        heat_levels=[[level_for(lik * imp, model.risk) for imp in range(1, 6)] for lik in range(1, 6)],
        by_category=digest.risk_by_category(analysis),
        by_zone=dict(sorted(by_zone.items())),
        assets=tuple(AssetView(a, by_asset.get(a.id, RiskTally())) for a in model.assets),
        entry_points=tuple(digest.entry_points(model, analysis)),
        progress=progress,
        previous_label=report.previous_label,
        summary=_summary(report, total, by_level, gaps, top, progress),
        categories=tuple(sorted({t.category.value for t in analysis.threats})),
        statuses=tuple(s.value for s in ThreatStatus if any(t.status is s for t in analysis.threats)),
        levels=tuple(lv.value for lv in digest.LEVELS_HIGH_FIRST),
        problems=problems,
    )
