"""Check that every ID a model refers to exists, and that no ID is defined twice."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from threatloom.errors import Problem, SourceLocation
from threatloom.model.schema import Model
from threatloom.nearest import Suggester

Locator = Callable[..., SourceLocation]
# the IDs :mod:`threatloom.model.salvage` gives the items it repaired: never offered in a hint
REPAIR_PREFIX = "placeholder:"


class _Checker:
    def __init__(self, model: Model, locate: Locator) -> None:
        self.model = model
        self.locate = locate
        self.problems: list[Problem] = []
        self._suggesters: dict[int, tuple[set[str], Suggester]] = {}

    def unique(self, namespace: str, entries: Iterable[tuple[str, tuple[Any, ...]]]) -> set[str]:
        seen: dict[str, tuple[Any, ...]] = {}
        for ident, path in entries:
            if ident in seen:
                first = self.locate((*seen[ident], "id"))
                hint = f"first defined at {first}; IDs must be unique"
                if seen[ident][0] != path[0]:
                    hint = (f"first defined in `{seen[ident][0]}` at {first}; zones, components, environment "
                            "and flows share one set of IDs")
                self.problems.append(Problem(
                    self.locate((*path, "id")), f"duplicate {namespace} ID {ident!r}", hint, "duplicate-id",
                    path=_dotted(path)))
            else:
                seen[ident] = path
        return set(seen)

    def _suggester(self, known: set[str]) -> Suggester:
        """One per set of IDs (they live as long as the check), of the IDs the user wrote: a repaired
        item's placeholder is never offered."""
        found = self._suggesters.get(id(known))
        if found is None or found[0] is not known:
            found = self._suggesters[id(known)] = (
                known, Suggester(sorted(k for k in known if not k.startswith(REPAIR_PREFIX))))
        return found[1]

    def refer(self, kind: str, value: str, known: set[str], path: tuple[Any, ...]) -> None:
        if value in known:
            return
        suggester = self._suggester(known)
        close = suggester.closest(value)
        written = suggester.names  # sorted
        where = _SECTIONS.get(kind, f"`{kind}s`")
        if close:
            hint = f"did you mean {close!r}?"
        elif not written:
            hint = f"the model defines none yet: add it under {where}"
        elif len(written) <= 8:
            hint = f"known: {', '.join(written)}; or define it under {where}"
        else:
            hint = f"define it under {where}"
        self.problems.append(Problem(self.locate(path), f"unknown {kind} {value!r}", hint,
                                     "unknown-reference", path=_dotted(path)))

    def refer_all(self, kind: str, values: Iterable[str], known: set[str], path: tuple[Any, ...]) -> None:
        for i, value in enumerate(values):
            self.refer(kind, value, known, (*path, i))


_SECTIONS = {
    "element": "`components` or `environment`",
    "zone or element": "`zones`, `components` or `environment`",
    "element or flow": "`components`, `environment` or `flows`",
    "ID": "one of the sections",
}


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def check_references(model: Model, locate: Locator) -> list[Problem]:
    """Every problem with IDs and references in `model`, located through `locate`."""
    c = _Checker(model, locate)
    # Elements, flows and zones share one namespace: actors start in either, threats name them all.
    c.unique("element", [
        *((z.id, ("zones", i)) for i, z in enumerate(model.zones)),
        *((e.id, ("components", i)) for i, e in enumerate(model.components)),
        *((p.id, ("environment", i)) for i, p in enumerate(model.environment)),
        *((f.id, ("flows", i)) for i, f in enumerate(model.flows)),
    ])
    zones = {z.id for z in model.zones}
    elements = {e.id for e in model.components} | {p.id for p in model.environment}
    flows = {f.id for f in model.flows}
    assets = c.unique("asset", ((a.id, ("assets", i)) for i, a in enumerate(model.assets)))
    actors = c.unique("actor", ((a.id, ("actors", i)) for i, a in enumerate(model.actors)))
    controls = c.unique("control", ((x.id, ("controls", i)) for i, x in enumerate(model.controls)))
    c.unique("threat", ((t.id, ("threats", i)) for i, t in enumerate(model.threats)))
    c.unique("objective", ((o.id, ("system", "objectives", i))
                           for i, o in enumerate(model.system.objectives)))

    for i, zone in enumerate(model.zones):
        if zone.parent is not None:
            c.refer("zone", zone.parent, zones, ("zones", i, "parent"))
    _check_zone_cycles(c)
    for i, comp in enumerate(model.components):
        path = ("components", i)
        if comp.zone is not None:
            c.refer("zone", comp.zone, zones, (*path, "zone"))
        c.refer_all("asset", comp.stores, assets, (*path, "stores"))
        c.refer_all("asset", comp.processes, assets, (*path, "processes"))
        c.refer_all("control", comp.controls, controls, (*path, "controls"))
    for i, party in enumerate(model.environment):
        path = ("environment", i)
        if party.zone is not None:
            c.refer("zone", party.zone, zones, (*path, "zone"))
        c.refer_all("asset", party.receives, assets, (*path, "receives"))
        c.refer_all("element", party.access, elements, (*path, "access"))
        c.refer_all("control", party.controls, controls, (*path, "controls"))
    for i, flow in enumerate(model.flows):
        path = ("flows", i)
        c.refer("element", flow.source, elements, (*path, "source"))
        c.refer("element", flow.destination, elements, (*path, "destination"))
        if flow.source == flow.destination:
            c.problems.append(Problem(locate((*path, "destination")),
                                      f"flow {flow.id!r} goes from {flow.source!r} to itself",
                                      "a flow joins two different elements; model the internal step "
                                      "as a separate component", "self-flow", path=_dotted((*path, "destination"))))
        c.refer_all("asset", flow.data, assets, (*path, "data"))
        c.refer_all("control", flow.controls, controls, (*path, "controls"))
    starts = zones | elements  # unions built once: per item they would cost the model's size each time
    for i, actor in enumerate(model.actors):
        c.refer_all("zone or element", actor.starts_in, starts, ("actors", i, "starts_in"))
    concerned = elements | flows
    for i, threat in enumerate(model.threats):
        path = ("threats", i)
        if threat.actor is not None:
            c.refer("actor", threat.actor, actors, (*path, "actor"))
        c.refer_all("asset", threat.assets, assets, (*path, "assets"))
        c.refer_all("element or flow", threat.elements, concerned, (*path, "elements"))
        c.refer_all("control", threat.mitigations, controls, (*path, "mitigations"))
    known = zones | elements | flows | assets | actors | controls | {t.id for t in model.threats}
    for i, note in enumerate(model.notes):
        if note.about is not None:
            c.refer("ID", note.about, known, ("notes", i, "about"))
    return c.problems


def _check_zone_cycles(c: _Checker) -> None:
    parents = {z.id: z.parent for z in c.model.zones}
    for i, zone in enumerate(c.model.zones):
        chain = [zone.id]
        current = zone.parent
        while current is not None and current in parents:
            chain.append(current)
            if current == zone.id:
                path = ("zones", i, "parent")
                c.problems.append(Problem(c.locate(path), f"zone {zone.id!r} is nested inside itself: "
                                          f"{' → '.join(chain)}", "zone parents must form a tree; remove one "
                                          "`parent:` of the loop", "zone-cycle", path=_dotted(path)))
                break
            if current in chain[:-1]:  # a loop further up, reported at its own zones
                break
            current = parents[current]
