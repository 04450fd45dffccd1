"""Attack trees: for each valuable asset, how each threat actor can get to it and what threatens each step.

The root of a tree is the goal "compromise the asset"; under it, one branch per element (or flow) that
holds or carries the asset; under each, the threats there that put the asset at stake (those whose assets
include it, as the report counts them) and the actors that can reach it along their shortest path, each
step listing the threats found on the element or flow it passes. Built on demand from an Analysis, so
analysis itself stays linear.
"""

from __future__ import annotations

from collections import defaultdict

import msgspec

from threatloom.engine.reach import Reach, compute_reach
from threatloom.engine.threat import Analysis, Threat
from threatloom.model.schema import Asset, Model
from threatloom.model.vocabulary import Classification, Level


class Step(msgspec.Struct, frozen=True):
    element: str
    via_flow: str | None  # the flow taken to get here (None at the start)
    threats: tuple[str, ...]  # threat IDs on the element and on the flow, worst first


class ActorPath(msgspec.Struct, frozen=True):
    actor: str
    steps: tuple[Step, ...]


class Holder(msgspec.Struct, frozen=True):
    """An element that stores, processes or receives the asset, or a flow that carries it."""

    id: str
    kind: str  # "element" or "flow"
    threats: tuple[str, ...]
    paths: tuple[ActorPath, ...]


class AttackTree(msgspec.Struct, frozen=True):
    asset: str
    goal: str
    holders: tuple[Holder, ...]
    worst: Level | None  # worst residual level among the threats in the tree


def valuable(asset: Asset) -> bool:
    """Assets worth a tree: confidential or restricted, or any CIA rating high or critical."""
    ratings = (asset.confidentiality, asset.integrity, asset.availability)
    return asset.classification.rank >= Classification.CONFIDENTIAL.rank or any(
        r.rank >= Level.HIGH.rank for r in ratings)


def attack_trees(model: Model, analysis: Analysis, *, assets: list[str] | None = None,
                 reach: Reach | None = None) -> list[AttackTree]:
    """One tree per valuable asset (or per asset named), most threatened first."""
    index = model.index
    reach = reach or compute_reach(index)
    on_target: dict[str, list[Threat]] = defaultdict(list)
    for threat in analysis.threats:  # already ranked worst first
        on_target[threat.target].append(threat)
    holders_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for element_id in sorted(index.elements):
        for asset in index.assets_at(element_id):
            holders_of[asset.id].append((element_id, "element"))
    for flow in sorted(model.flows, key=lambda f: f.id):
        for asset_id in dict.fromkeys(flow.data):
            holders_of[asset_id].append((flow.id, "flow"))
    wanted = assets if assets is not None else [a.id for a in model.assets if valuable(a)]
    trees = [_tree(model, index.assets[a], holders_of.get(a, []), on_target, reach) for a in wanted
             if a in index.assets]
    return sorted(trees, key=lambda t: (-(t.worst.rank if t.worst else 0), t.asset))


def _tree(model: Model, asset: Asset, holders: list[tuple[str, str]], on_target: dict[str, list[Threat]],
          reach: Reach) -> AttackTree:
    index = model.index
    built: list[Holder] = []
    levels: list[Level] = []
    for holder_id, kind in holders:
        ends = [holder_id] if kind == "element" else [index.flows[holder_id].source]
        paths: list[ActorPath] = []
        for actor in sorted(reach.hops):
            target = next((e for e in ends if e in reach.hops[actor]), None)
            if target is None:
                continue
            steps = [Step(element, flow, _threat_ids(on_target, element, flow))
                     for element, flow in reach.path(actor, target)]
            paths.append(ActorPath(actor, tuple(steps)))
        # the threats that put this asset at stake (as the report counts them), not every threat on the holder
        threats = [t for t in on_target.get(holder_id, []) if asset.id in t.assets]
        levels += [t.residual.level for t in threats]
        built.append(Holder(holder_id, kind, tuple(t.id for t in threats), tuple(paths)))
    built.sort(key=lambda h: (-len(h.paths), -len(h.threats), h.id))
    worst = max(levels, key=lambda lv: lv.rank) if levels else None
    return AttackTree(asset.id, f"Compromise {asset.name}", tuple(built), worst)


def _threat_ids(on_target: dict[str, list[Threat]], element: str, flow: str | None) -> tuple[str, ...]:
    found = list(on_target.get(flow, [])) if flow else []
    found += on_target.get(element, [])
    found.sort(key=lambda t: (-t.residual.score, t.id))
    return tuple(t.id for t in found)
