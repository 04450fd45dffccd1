"""Which threat actors can reach which elements, from where they start, through zones and flows.

An actor reaches every element in the zones it starts in (nested zones included) and the elements it
names, then whatever those can send data to: a flow is a path from its source to its destination, and
a bidirectional flow is a path both ways. Actors that phish (external ones, unless the model says
otherwise with `social_engineering`) also reach people (parties that are people: staff, customers) one
step away whatever the flows say, by e-mail, phone or message: phishing is not a flow. A flow into a
vendor or partner is no path: it hands data to another organisation, whose own systems its attackers
reach where they start (an insider who sends the courier its orders cannot breach the courier). Hops
count the elements an actor must get through: leaving a gateway, WAF, load balancer, reverse proxy or
queue costs none, since they pass its requests on unchanged. One 0-1 breadth-first search per actor:
O(actors × (V + E)).
"""

from __future__ import annotations

from collections import deque

import msgspec

from threatloom.model.index import ModelIndex
from threatloom.model.schema import Actor
from threatloom.model.vocabulary import PartyKind


class Reach(msgspec.Struct, frozen=True):
    """For each actor, the elements it can reach, how many hops away, and the way there."""

    hops: dict[str, dict[str, int]]  # actor ID -> element ID -> hops from its start (relays cost none)
    came_from: dict[str, dict[str, tuple[str, str]]]  # actor ID -> element ID -> (previous element, flow ID)

    def path(self, actor_id: str, element_id: str) -> list[tuple[str, str | None]]:
        """The (element, flow taken to reach it) steps from the actor's start to `element_id`."""
        steps: list[tuple[str, str | None]] = []
        previous = self.came_from[actor_id]
        current = element_id
        while current in previous:
            before, flow = previous[current]
            steps.append((current, flow))
            current = before
        steps.append((current, None))
        return steps[::-1]

    def actors_reaching(self, element_id: str) -> list[str]:
        return sorted(a for a, reached in self.hops.items() if element_id in reached)


def _start_elements(index: ModelIndex, actor: Actor) -> set[str]:
    start: set[str] = set()
    for place in actor.starts_in:
        if place in index.elements:
            start.add(place)
        elif place in index.zones:
            stack = [place]
            while stack:
                zone = stack.pop()
                start.update(index.elements_in_zone.get(zone, ()))
                stack.extend(index.zone_children.get(zone, ()))
    return start


def _people(index: ModelIndex) -> list[str]:
    """Parties of the environment that are people (see the `person` fact), whom e-mail and phone reach."""
    from threatloom.engine.origins import topology_of

    person = topology_of(index).person
    return sorted(p.id for p in index.model.environment if person.get(p.id))


def _organisations(index: ModelIndex) -> frozenset[str]:
    """Parties that are other organisations (vendors, partners): no flow leads an attacker into them."""
    return frozenset(p.id for p in index.model.environment if p.kind in (PartyKind.VENDOR, PartyKind.PARTNER))


def compute_reach(index: ModelIndex) -> Reach:
    neighbours: dict[str, list[tuple[str, str]]] = {e: [] for e in index.elements}
    outside = _organisations(index)
    for flow in sorted(index.model.flows, key=lambda f: f.id):
        if flow.destination not in outside:
            neighbours[flow.source].append((flow.destination, flow.id))
        if flow.bidirectional and flow.source not in outside:
            neighbours[flow.destination].append((flow.source, flow.id))
    from threatloom.engine.origins import RELAYS

    relays = {c.id for c in index.model.components if c.kind.value in RELAYS}
    hops: dict[str, dict[str, int]] = {}
    came_from: dict[str, dict[str, tuple[str, str]]] = {}
    people = _people(index) if any(a.phishes for a in index.model.actors) else []
    for actor in index.model.actors:
        reached = dict.fromkeys(sorted(_start_elements(index, actor)), 0)
        if actor.phishes:
            for person in people:
                reached.setdefault(person, 1)  # phished: one step from wherever the actor is
        previous: dict[str, tuple[str, str]] = {}
        queue = deque(reached)  # in order of hops (starts 0, people 1), kept so: a 0-cost step goes first
        done: set[str] = set()
        while queue:
            current = queue.popleft()
            if current in done:
                continue
            done.add(current)
            cost = 0 if current in relays else 1
            for nxt, flow_id in neighbours[current]:
                if nxt not in reached or reached[current] + cost < reached[nxt]:
                    reached[nxt] = reached[current] + cost
                    previous[nxt] = (current, flow_id)
                    if cost:
                        queue.append(nxt)
                    else:
                        queue.appendleft(nxt)
        hops[actor.id] = reached
        came_from[actor.id] = previous
    return Reach(hops, came_from)
