"""Look-ups over a loaded model, built once so that analysis never scans lists in loops."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import msgspec

from threatloom.model.vocabulary import ElementType

if TYPE_CHECKING:
    from threatloom.model.schema import (
        Actor,
        Asset,
        Component,
        Control,
        Flow,
        ManualThreat,
        Model,
        Party,
        Zone,
    )


class Element(msgspec.Struct, frozen=True):
    """A node of the data-flow diagram: a component or a party of the environment, seen alike."""

    id: str
    name: str
    type: ElementType
    zone: str | None
    component: Component | None = None
    party: Party | None = None

    @property
    def tags(self) -> tuple[str, ...]:
        if self.component is not None:
            return self.component.tags
        assert self.party is not None
        return self.party.tags


class ModelIndex:
    """Dictionaries by ID and adjacency of the data-flow graph."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.assets: dict[str, Asset] = {a.id: a for a in model.assets}
        self.actors: dict[str, Actor] = {a.id: a for a in model.actors}
        self.zones: dict[str, Zone] = {z.id: z for z in model.zones}
        self.controls: dict[str, Control] = {c.id: c for c in model.controls}
        self.flows: dict[str, Flow] = {f.id: f for f in model.flows}
        self.manual_threats: dict[str, ManualThreat] = {t.id: t for t in model.threats}
        self.components: dict[str, Component] = {c.id: c for c in model.components}
        self.parties: dict[str, Party] = {p.id: p for p in model.environment}
        self.elements: dict[str, Element] = {}
        for c in model.components:
            self.elements[c.id] = Element(c.id, c.name, c.type, c.zone, component=c)
        for p in model.environment:
            self.elements[p.id] = Element(p.id, p.name, ElementType.EXTERNAL_ENTITY, p.zone, party=p)
        self.outgoing: dict[str, list[Flow]] = defaultdict(list)
        self.incoming: dict[str, list[Flow]] = defaultdict(list)
        for f in model.flows:
            self.outgoing[f.source].append(f)
            self.incoming[f.destination].append(f)
        self.zone_children: dict[str, list[str]] = defaultdict(list)
        for z in model.zones:
            if z.parent:
                self.zone_children[z.parent].append(z.id)
        self.elements_in_zone: dict[str, list[str]] = defaultdict(list)
        for e in self.elements.values():
            if e.zone:
                self.elements_in_zone[e.zone].append(e.id)
        # answers analysis asks for again and again (per element, per flow, per threat), kept once found
        self._internet: dict[str, bool] = {}
        self._assets_at: dict[str, tuple[Asset, ...]] = {}

    def trust_of(self, element_id: str) -> int:
        """Trust of an element: a party's own trust, else its zone's; 0 when it has no zone."""
        party = self.parties.get(element_id)
        if party is not None:
            return party.trust
        zone = self.elements[element_id].zone
        return self.zones[zone].trust if zone in self.zones else 0

    def zone_path(self, zone_id: str) -> list[str]:
        """The zone and its ancestors, innermost first (cycles are rejected at load time)."""
        path: list[str] = []
        current: str | None = zone_id
        while current is not None and current in self.zones and current not in path:
            path.append(current)
            current = self.zones[current].parent
        return path

    def is_internet(self, element_id: str) -> bool:
        """True when the element sits in an internet zone or is itself marked internet-facing."""
        found = self._internet.get(element_id)
        if found is None:
            element = self.elements[element_id]
            found = bool(element.zone and any(self.zones[z].internet for z in self.zone_path(element.zone))) \
                or (element.component is not None and element.component.internet_facing)
            self._internet[element_id] = found
        return found

    def assets_at(self, element_id: str) -> tuple[Asset, ...]:
        """Assets an element stores, processes or (for a party) receives."""
        found = self._assets_at.get(element_id)
        if found is None:
            element = self.elements[element_id]
            ids: tuple[str, ...] = ()
            if element.component is not None:
                ids = element.component.stores + element.component.processes
            elif element.party is not None:
                ids = element.party.receives
            found = self._assets_at[element_id] = tuple(self.assets[i] for i in dict.fromkeys(ids)
                                                        if i in self.assets)
        return found

    def controls_of(self, ids: tuple[str, ...]) -> list[Control]:
        return [self.controls[i] for i in ids if i in self.controls]
