"""Which threat actors can reach which elements, from where they start, through zones and flows.

An actor reaches every element in the zones it starts in (nested zones included) and the elements it
names, then whatever those can send data to: a flow is a path from its source to its destination, and
a bidirectional flow is a path both ways. One breadth-first search per actor: O(actors × (V + E)).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from threatloom.model.index import ModelIndex
from threatloom.model.schema import Actor


@dataclass(frozen=True, slots=True)
class Reach:
    """For each actor, the elements it can reach and how many hops away each is."""

    hops: dict[str, dict[str, int]]  # actor ID -> element ID -> hops from its start

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


def compute_reach(index: ModelIndex) -> Reach:
    neighbours: dict[str, list[str]] = {e: [] for e in index.elements}
    for flow in index.model.flows:
        neighbours[flow.source].append(flow.destination)
        if flow.bidirectional:
            neighbours[flow.destination].append(flow.source)
    hops: dict[str, dict[str, int]] = {}
    for actor in index.model.actors:
        reached = dict.fromkeys(_start_elements(index, actor), 0)
        queue = deque(reached)
        while queue:
            current = queue.popleft()
            for nxt in neighbours[current]:
                if nxt not in reached:
                    reached[nxt] = reached[current] + 1
                    queue.append(nxt)
        hops[actor.id] = reached
    return Reach(hops)
