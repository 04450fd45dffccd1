"""The data-flow diagram as a graph to draw, whatever the format: nodes, trust-zone clusters, flows.

Three views of one model:

- ``full``: every element in its zone, zones nested as they are in the model;
- ``zone``: one zone (with the zones inside it) and the elements that exchange flows with it;
- ``overview``: each zone collapsed into one node, flows between zones counted.

Writers (:mod:`.dot`, :mod:`.mermaid`) turn a :class:`Diagram` into text; they add no facts of their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from threatloom.engine.threat import Analysis, Threat
from threatloom.errors import ThreatloomError
from threatloom.model.schema import Flow, Model
from threatloom.model.vocabulary import Authentication, ElementType, Encryption
from threatloom.render.digest import NO_ZONE, RiskTally, risk_by_target, risk_by_zone, tally

OVERVIEW_ABOVE = 60
"""Reports draw the overview instead of every element when a model has more elements than this."""

AUTH_SHORT = {
    Authentication.NONE: "no auth", Authentication.API_KEY: "API key", Authentication.PASSWORD: "password",
    Authentication.SESSION: "session", Authentication.TOKEN: "token", Authentication.SSO: "SSO",
    Authentication.CLIENT_CERTIFICATE: "client cert", Authentication.MULTI_FACTOR: "MFA",
    Authentication.UNKNOWN: "auth?",
}
ENCRYPTION_SHORT = {
    Encryption.NONE: "plaintext", Encryption.TLS: "TLS", Encryption.MUTUAL_TLS: "mTLS", Encryption.SSH: "SSH",
    Encryption.VPN: "VPN", Encryption.APPLICATION: "app-encrypted", Encryption.UNKNOWN: "enc?",
}


class UnknownZoneError(ThreatloomError):
    """The zone asked for is not in the model."""

    def __init__(self, zone: str, known: list[str]) -> None:
        import difflib

        close = difflib.get_close_matches(zone, known, 1)
        hint = f"did you mean {close[0]!r}?" if close else "zones: " + ", ".join(known[:20])
        super().__init__(f"no zone {zone!r} in the model ({hint})")
        self.zone = zone


@dataclass(frozen=True, slots=True)
class Node:
    id: str  # element ID, or zone ID in the overview
    name: str
    shape: str  # "process", "data-store", "external-entity" or "zone"
    detail: str  # second line: technology or kind; the zone's content in the overview
    risk: RiskTally
    out_of_scope: bool = False
    neighbour: bool = False  # outside the focused zone, shown because it exchanges flows with it


@dataclass(frozen=True, slots=True)
class Edge:
    id: str
    source: str
    destination: str
    name: str
    protocol: str  # "HTTPS:443"; empty when not recorded
    authentication: str  # short form, see AUTH_SHORT
    encryption: str  # short form, see ENCRYPTION_SHORT
    encrypted: bool | None  # None: not recorded
    authenticated: bool | None
    bidirectional: bool
    risk: RiskTally
    flows: int = 1  # overview: flows folded into this edge
    plaintext: int = 0  # overview: of which unencrypted
    unauthenticated: int = 0  # overview: of which unauthenticated


@dataclass(frozen=True, slots=True)
class Cluster:
    """A trust zone drawn as a box around its elements and the zones inside it."""

    id: str
    name: str
    trust: int
    nodes: tuple[str, ...]
    children: tuple[Cluster, ...]
    internet: bool = False


@dataclass(frozen=True)
class Diagram:
    title: str
    mode: str  # "full", "zone" or "overview"
    nodes: dict[str, Node]
    clusters: tuple[Cluster, ...]
    loose: tuple[str, ...]  # nodes outside every zone
    edges: tuple[Edge, ...]
    empty_zones: frozenset[str] = field(default_factory=frozenset)


def build_diagram(model: Model, analysis: Analysis, *, zone: str | None = None,
                  overview: bool = False) -> Diagram:
    """The diagram of `model`: everything, one zone and its neighbours, or the zone overview."""
    if zone is not None and zone not in model.index.zones:
        raise UnknownZoneError(zone, sorted(model.index.zones))
    if overview:
        return _overview(model, analysis)
    return _elements(model, analysis, zone)


def auto_overview(model: Model) -> bool:
    """True when a report should draw the overview: the full diagram would be unreadable."""
    return len(model.index.elements) > OVERVIEW_ABOVE


def _flow_edge(flow: Flow, risk: RiskTally) -> Edge:
    protocol = flow.protocol or ""
    if flow.port is not None:
        protocol = f"{protocol}:{flow.port}" if protocol else f"port {flow.port}"
    encrypted = None if flow.encryption is Encryption.UNKNOWN else flow.encryption is not Encryption.NONE
    authenticated = (None if flow.authentication is Authentication.UNKNOWN
                     else flow.authentication is not Authentication.NONE)
    return Edge(flow.id, flow.source, flow.destination, flow.name, protocol, AUTH_SHORT[flow.authentication],
                ENCRYPTION_SHORT[flow.encryption], encrypted, authenticated, flow.bidirectional, risk,
                plaintext=int(encrypted is False), unauthenticated=int(authenticated is False))


def _elements(model: Model, analysis: Analysis, focus: str | None) -> Diagram:
    index = model.index
    by_target = risk_by_target(analysis)
    inside: set[str] = set(index.elements)
    neighbours: set[str] = set()
    title = model.system.name
    if focus is not None:
        zones = _descendants(model, focus)
        inside = {e for e in index.elements if index.elements[e].zone in zones}
        for flow in model.flows:
            if flow.source in inside and flow.destination not in inside:
                neighbours.add(flow.destination)
            elif flow.destination in inside and flow.source not in inside:
                neighbours.add(flow.source)
        title = f"{model.system.name}: {index.zones[focus].name}"
    shown = inside | neighbours
    nodes: dict[str, Node] = {}
    for element in index.elements.values():
        if element.id not in shown:
            continue
        comp = element.component
        if comp is not None:
            detail = comp.technology.name if comp.technology is not None else comp.kind.value.replace("-", " ")
            if comp.technology is not None and comp.technology.version:
                detail += f" {comp.technology.version}"
        else:
            assert element.party is not None
            detail = f"{element.party.kind.value} · trust {element.party.trust}"
        shape = {ElementType.PROCESS: "process", ElementType.DATA_STORE: "data-store"}.get(
            element.type, "external-entity")
        nodes[element.id] = Node(element.id, element.name, shape, detail, by_target.get(element.id, RiskTally()),
                                 out_of_scope=comp is not None and comp.out_of_scope,
                                 neighbour=element.id in neighbours)
    edges = tuple(_flow_edge(f, by_target.get(f.id, RiskTally())) for f in model.flows
                  if f.source in nodes and f.destination in nodes
                  and (f.source in inside or f.destination in inside))
    members: dict[str, list[str]] = defaultdict(list)
    loose = []
    for node_id in nodes:
        zone_id = index.elements[node_id].zone
        if zone_id in index.zones:
            members[zone_id].append(node_id)
        else:
            loose.append(node_id)
    keep_empty = set(index.zones) if focus is None else _descendants(model, focus)
    clusters = _clusters(model, members, keep_empty)
    empty = frozenset(z for z in keep_empty if not members.get(z) and not index.zone_children.get(z))
    return Diagram(title, "full" if focus is None else "zone", nodes, clusters, tuple(loose), edges, empty)


def _descendants(model: Model, zone: str) -> set[str]:
    found, stack = set(), [zone]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(model.index.zone_children.get(current, ()))
    return found


def _clusters(model: Model, members: dict[str, list[str]], keep: set[str]) -> tuple[Cluster, ...]:
    """Zone clusters, nested as in the model, keeping zones with members (or in `keep`)."""
    index = model.index

    def build(zone_id: str, seen: frozenset[str]) -> Cluster | None:
        children = tuple(c for child in index.zone_children.get(zone_id, ()) if child not in seen
                         for c in [build(child, seen | {child})] if c is not None)
        if not children and not members.get(zone_id) and zone_id not in keep:
            return None
        zone = index.zones[zone_id]
        return Cluster(zone.id, zone.name, zone.trust, tuple(members.get(zone_id, ())), children, zone.internet)

    roots = [z for z in model.zones if not z.parent or z.parent not in index.zones]
    return tuple(c for z in roots for c in [build(z.id, frozenset({z.id}))] if c is not None)


def _overview(model: Model, analysis: Analysis) -> Diagram:
    index = model.index
    zone_of = {e.id: (e.zone if e.zone in index.zones else NO_ZONE) for e in index.elements.values()}
    counts: dict[str, int] = defaultdict(int)
    for zone_id in zone_of.values():
        counts[zone_id] += 1
    threats_by_flow: dict[str, list[Threat]] = defaultdict(list)
    for t in analysis.threats:
        if t.target_kind == "flow":
            threats_by_flow[t.target].append(t)
    internal: dict[str, int] = defaultdict(int)
    between: dict[tuple[str, str], list[Flow]] = defaultdict(list)
    for flow in model.flows:
        if flow.source not in zone_of or flow.destination not in zone_of:
            continue
        pair = (zone_of[flow.source], zone_of[flow.destination])
        if pair[0] == pair[1]:
            internal[pair[0]] += 1
        else:
            between[pair].append(flow)
    by_zone = risk_by_zone(analysis)
    nodes: dict[str, Node] = {}
    for zone in model.zones:
        nodes[zone.id] = Node(zone.id, zone.name, "zone", _zone_detail(zone.trust, counts[zone.id],
                                                                    internal[zone.id]),
                              by_zone.get(zone.id, RiskTally()))
    loose: list[str] = []
    if counts.get(NO_ZONE):
        nodes[NO_ZONE] = Node(NO_ZONE, "Outside every zone", "zone",
                              _zone_detail(None, counts[NO_ZONE], internal[NO_ZONE]),
                              by_zone.get(NO_ZONE, RiskTally()))
        loose.append(NO_ZONE)
    edges = []
    for (src, dst), flows in sorted(between.items()):
        encrypted = [f.encryption for f in flows]
        plaintext = sum(1 for e in encrypted if e is Encryption.NONE)
        unauth = sum(1 for f in flows if f.authentication is Authentication.NONE)
        unknown_enc = any(e is Encryption.UNKNOWN for e in encrypted)
        unknown_auth = any(f.authentication is Authentication.UNKNOWN for f in flows)
        edges.append(Edge(
            f"{src}->{dst}", src, dst, f"{len(flows)} flow{'s' if len(flows) != 1 else ''}", "",
            f"{unauth} no auth" if unauth else ("auth?" if unknown_auth else "authenticated"),
            f"{plaintext} plaintext" if plaintext else ("enc?" if unknown_enc else "encrypted"),
            None if unknown_enc and not plaintext else not plaintext,
            None if unknown_auth and not unauth else not unauth, False,
            tally(t for f in flows for t in threats_by_flow.get(f.id, ())),
            flows=len(flows), plaintext=plaintext, unauthenticated=unauth))
    # every zone is a node; a zone with zones inside also becomes a cluster holding its own node
    roots = [z.id for z in model.zones if not z.parent or z.parent not in index.zones]
    clusters = tuple(_overview_cluster(model, z, frozenset({z})) for z in roots if index.zone_children.get(z))
    loose = [z for z in roots if not index.zone_children.get(z)] + loose
    return Diagram(f"{model.system.name}: trust zones", "overview", nodes, clusters, tuple(loose), tuple(edges))


def _overview_cluster(model: Model, zone_id: str, seen: frozenset[str]) -> Cluster:
    """A zone with zones inside it: a cluster of its own node, its leaf zones and its nested clusters."""
    index = model.index
    zone = index.zones[zone_id]
    nested = [c for c in index.zone_children.get(zone_id, ()) if c not in seen]
    children = tuple(_overview_cluster(model, c, seen | {c}) for c in nested if index.zone_children.get(c))
    leaves = tuple(c for c in nested if not index.zone_children.get(c))
    return Cluster(zone.id, zone.name, zone.trust, (zone_id, *leaves), children, zone.internet)


def _zone_detail(trust: int | None, elements: int, internal: int) -> str:
    parts = [] if trust is None else [f"trust {trust}"]
    parts.append(f"{elements} element{'s' if elements != 1 else ''}")
    if internal:
        parts.append(f"{internal} internal flow{'s' if internal != 1 else ''}")
    return " · ".join(parts)
