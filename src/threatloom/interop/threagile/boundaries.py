"""Threagile trust boundaries become zones (nested through `parent`), with an internet zone for what
sits on the internet outside them; shared runtimes become notes on the assets that share one."""

from __future__ import annotations

from typing import Any

import msgspec

from threatloom.interop.draft import long_text, short
from threatloom.interop.threagile.assets import TechnicalAsset
from threatloom.interop.threagile.source import Keys, Source, sentence_list
from threatloom.interop.threagile.vocabulary import BOUNDARY_TRUST, LOGICAL_BOUNDARY

BOUNDARY_KEYS = ("id", "description", "type", "tags", "technical_assets_inside", "trust_boundaries_nested")
RUNTIME_KEYS = ("id", "description", "tags", "technical_assets_running")
MAX_TRUST = 10


class Boundary(msgspec.Struct):
    name: str
    keys: Keys
    data: dict[str, Any]
    foreign_id: str
    ours: str
    type: str


def read_boundaries(src: Source, assets: list[TechnicalAsset]) -> dict[str, str]:
    """Add the zones; return the zone of each technical asset (by Threagile ID) that has one."""
    boundaries = _collect(src)
    zone_of: dict[str, str] = {}
    where: dict[str, Boundary] = {}
    for boundary in boundaries:
        keys = (*boundary.keys, "technical_assets_inside")
        for i, inside in enumerate(src.names(boundary.data, "technical_assets_inside", boundary.keys)):
            src.ours("technical", inside, (*keys, i), "technical asset")
            if inside in where:
                raise src.error((*keys, i), f"technical asset {inside!r} is already inside trust boundary "
                                f"{where[inside].name!r}", "an asset sits in one trust boundary; nest the "
                                "boundaries with trust_boundaries_nested instead")
            where[inside] = boundary
            zone_of[inside] = boundary.ours
    parents = _parents(src, boundaries)
    trust = _trust(src, boundaries, parents)
    outside = [a for a in assets if a.internet and a.foreign_id not in zone_of]
    if outside:
        internet = src.draft.new_id("internet", foreign=("zone", "internet"))
        src.draft.add("zones", {
            "id": internet, "name": "Internet",
            "description": "The public internet: where the Threagile model's assets marked `internet: true` "
                           "outside every trust boundary are.", "trust": 0, "internet": True})
        for asset in outside:
            zone_of[asset.foreign_id] = internet
        src.report.map("internet zone")
    for boundary in boundaries:
        parent = parents.get(boundary.foreign_id)
        description = src.text(boundary.data, "description", boundary.keys)
        src.draft.add("zones", {
            "id": boundary.ours, "name": short(boundary.name) or boundary.foreign_id,
            "description": long_text("\n\n".join(t for t in (description, f"Threagile trust boundary of type "
                                                                        f"{boundary.type}.") if t)),
            "trust": trust[boundary.foreign_id], "parent": parent.ours if parent else None})
        tags = src.names(boundary.data, "tags", boundary.keys)
        details = [f"tags {', '.join(tags)}" if tags else "", *src.extras(boundary.data, BOUNDARY_KEYS, boundary.keys)]
        if any(details):
            src.draft.note(boundary.ours, f"trust_boundaries.{boundary.name}",
                           "Threagile: " + sentence_list(details) + ".")
            src.report.keep_as_note("trust boundary details", boundary.name)
        src.report.map("trust boundaries")
    return zone_of


def read_shared_runtimes(src: Source, assets: list[TechnicalAsset]) -> None:
    """A shared runtime (a virtualisation host, a cluster) has no counterpart in our model: each asset
    running on it gets a note saying so and naming the others, who share its fate."""
    names = {a.foreign_id: a.name for a in assets}
    for name, raw in src.section("shared_runtimes").items():
        keys: Keys = ("shared_runtimes", name)
        obj = src.mapping(raw, keys)
        foreign = src.required_text(obj, "id", keys)
        running = src.names(obj, "technical_assets_running", keys)
        ours = [src.ours("technical", r, (*keys, "technical_assets_running", i), "technical asset")
                for i, r in enumerate(running)]
        description = src.text(obj, "description", keys)
        tags = src.names(obj, "tags", keys)
        about = f"Shared runtime {name} ({foreign})" + (f": {description}" if description else "")
        extra = sentence_list([f"tags {', '.join(tags)}" if tags else "", *src.extras(obj, RUNTIME_KEYS, keys)])
        for foreign_asset, asset in zip(running, ours, strict=True):
            others = [names[r] for r in running if r != foreign_asset]
            text = f"Runs on {about[0].lower()}{about[1:]}."
            if others:
                text += f" Shared with {', '.join(others)}: a compromise of the runtime reaches them all."
            src.draft.note(asset, f"shared_runtimes.{name}", text + (f" Threagile: {extra}." if extra else ""))
        if not running:
            src.draft.note(None, f"shared_runtimes.{name}", f"{about}; no technical asset runs on it."
                           + (f" Threagile: {extra}." if extra else ""))
        src.report.keep_as_note("shared runtimes", name)


def _collect(src: Source) -> list[Boundary]:
    found = []
    for name, raw in src.section("trust_boundaries").items():
        keys: Keys = ("trust_boundaries", name)
        obj = src.mapping(raw, keys)
        foreign = src.foreign_id(obj, keys, "boundary", "trust boundary")
        kind = src.choice(obj, "type", keys, BOUNDARY_TRUST)
        if not kind:
            raise src.document.error(keys, "missing `type`", f"use one of {', '.join(BOUNDARY_TRUST)}",
                                     "import-missing")
        ours = src.draft.new_id(foreign, "zone", foreign=("boundary", foreign))
        found.append(Boundary(name, keys, obj, foreign, ours, kind))
    return found


def _parents(src: Source, boundaries: list[Boundary]) -> dict[str, Boundary]:
    by_id = {b.foreign_id: b for b in boundaries}
    parents: dict[str, Boundary] = {}
    for boundary in boundaries:
        keys = (*boundary.keys, "trust_boundaries_nested")
        for i, nested in enumerate(src.names(boundary.data, "trust_boundaries_nested", boundary.keys)):
            if nested not in by_id:
                raise src.error((*keys, i), f"unknown trust boundary {nested!r}",
                                "use the `id` of one of the file's trust boundaries")
            if nested in parents or nested == boundary.foreign_id:
                raise src.error((*keys, i), f"trust boundary {nested!r} is nested twice, or in itself",
                                "a trust boundary sits directly inside at most one other")
            parents[nested] = boundary
    for boundary in boundaries:  # a boundary inside its own descendant would nest forever
        seen = {boundary.foreign_id}
        current = parents.get(boundary.foreign_id)
        while current is not None:
            if current.foreign_id in seen:
                raise src.error((*boundary.keys, "trust_boundaries_nested"), f"trust boundaries nest in a circle "
                                f"through {boundary.name!r}", "nest each boundary in one that encloses it")
            seen.add(current.foreign_id)
            current = parents.get(current.foreign_id)
    return parents


def _trust(src: Source, boundaries: list[Boundary], parents: dict[str, Boundary]) -> dict[str, int]:
    """Trust by type (vocabulary.BOUNDARY_TRUST); inside another boundary, one more than the parent at
    least, except a logical execution environment, which adds no protection and has its parent's."""
    trust: dict[str, int] = {}
    for boundary in boundaries:
        chain = [boundary]
        while chain[-1].foreign_id in parents and parents[chain[-1].foreign_id].foreign_id not in trust:
            chain.append(parents[chain[-1].foreign_id])
        for item in reversed(chain):
            if item.foreign_id in trust:
                continue
            parent = parents.get(item.foreign_id)
            if parent is None:
                trust[item.foreign_id] = BOUNDARY_TRUST[item.type]
            elif item.type == LOGICAL_BOUNDARY:
                trust[item.foreign_id] = trust[parent.foreign_id]
            else:
                trust[item.foreign_id] = min(MAX_TRUST, max(BOUNDARY_TRUST[item.type], trust[parent.foreign_id] + 1))
    return trust
