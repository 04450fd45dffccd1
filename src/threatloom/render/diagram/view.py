"""The data-flow diagram as a graph to draw, whatever the format: nodes, trust-zone clusters, flows.

Three views of one model:

- ``full``: every element in its zone, zones nested as they are in the model;
- ``zone``: one zone (with the zones inside it) and the elements that exchange flows with it;
- ``overview``: each zone collapsed into one node, flows between zones counted.

Writers (:mod:`.dot`, :mod:`.mermaid`) turn a :class:`Diagram` into text; they add no facts of their own.
"""

from __future__ import annotations

from collections import defaultdict

import msgspec

from threatloom.engine.threat import Analysis, Threat
from threatloom.errors import ThreatloomError
from threatloom.model.schema import Flow, Model
from threatloom.model.vocabulary import Authentication, ElementType, Encryption
from threatloom.render.digest import NO_ZONE, RiskTally, risk_by_target, risk_by_zone, tally

OVERVIEW_ABOVE = 60
"""Reports draw the overview instead of every element when a model has more elements than this."""

PRINT_FULL_UP_TO = 30
"""A printed report draws every element in one diagram up to this many elements; above, the overview."""

ZONE_DIAGRAM_LIMIT = 12
"""A zone is drawn with the zones inside it while that makes at most this many elements; past it, its
sub-zones get diagrams of their own."""

ZONE_DIAGRAMS_UP_TO = 400
"""Reports add one diagram per zone only for models up to this many elements (Graphviz time grows fast)."""

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


class Node(msgspec.Struct, frozen=True):
    id: str  # element ID, or zone ID in the overview
    name: str
    shape: str  # "process", "data-store", "external-entity" or "zone"
    detail: str  # second line: technology or kind; the zone's content in the overview
    risk: RiskTally
    out_of_scope: bool = False
    neighbour: bool = False  # outside the focused zone, shown because it exchanges flows with it
    trust: int = 0  # its zone's trust (a party without a zone: its own): drawings lay out low trust first


class Edge(msgspec.Struct, frozen=True):
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
    flows: int = 1  # overview: flows folded into this edge (both ways)
    plaintext: int = 0  # overview: of which unencrypted
    unauthenticated: int = 0  # overview: of which unauthenticated
    # `name` may hold several lines ("\n"): the overview writes one per direction


class Cluster(msgspec.Struct, frozen=True):
    """A trust zone drawn as a box around its elements and the zones inside it."""

    id: str
    name: str
    trust: int
    nodes: tuple[str, ...]
    children: tuple[Cluster, ...]
    internet: bool = False


class Diagram(msgspec.Struct, frozen=True):
    title: str
    mode: str  # "full", "zone" or "overview"
    nodes: dict[str, Node]
    clusters: tuple[Cluster, ...]
    loose: tuple[str, ...]  # nodes outside every zone
    edges: tuple[Edge, ...]
    empty_zones: frozenset[str] = msgspec.field(default_factory=frozenset)


def build_diagram(model: Model, analysis: Analysis, *, zone: str | None = None,
                  overview: bool = False, nested: bool = True) -> Diagram:
    """The diagram of `model`: everything, one zone and its neighbours, or the zone overview.

    A zone is drawn with the zones inside it unless `nested` is False; then elements of its sub-zones
    appear only as neighbours, when they exchange flows with it.
    """
    if zone is not None and zone not in model.index.zones:
        raise UnknownZoneError(zone, sorted(model.index.zones))
    if overview:
        return _overview(model, analysis)
    return _elements(model, analysis, zone, nested)


def auto_overview(model: Model) -> bool:
    """True when a report should draw the overview: the full diagram would be unreadable."""
    return len(model.index.elements) > OVERVIEW_ABOVE


class ZoneSection(msgspec.Struct, frozen=True):
    """One zone diagram of a report: the zone, with or without the zones inside it."""

    zone: str
    nested: bool
    elements: int  # elements inside (with the sub-zones' when nested)


def zone_sections(model: Model, limit: int = ZONE_DIAGRAM_LIMIT) -> list[ZoneSection]:
    """The zone diagrams that together show every element, in model order, each of readable size.

    A zone whose elements, with its sub-zones', number at most `limit` is one diagram; a bigger one is
    drawn without its sub-zones (if it holds elements itself), which are then chosen the same way.
    """
    index = model.index
    subtree: dict[str, int] = {}

    def count(zone_id: str, seen: frozenset[str]) -> int:
        if zone_id not in subtree:
            subtree[zone_id] = len(index.elements_in_zone.get(zone_id, ())) + sum(
                count(c, seen | {c}) for c in index.zone_children.get(zone_id, ()) if c not in seen)
        return subtree[zone_id]

    found: list[ZoneSection] = []

    def choose(zone_id: str, seen: frozenset[str]) -> None:
        total = count(zone_id, seen)
        children = [c for c in index.zone_children.get(zone_id, ()) if c not in seen]
        if total == 0:
            return
        if total <= limit or not children:
            found.append(ZoneSection(zone_id, bool(children), total))
            return
        own = len(index.elements_in_zone.get(zone_id, ()))
        if own:
            found.append(ZoneSection(zone_id, False, own))
        for child in children:
            choose(child, seen | {child})

    for zone in model.zones:
        if not zone.parent or zone.parent not in index.zones:
            choose(zone.id, frozenset({zone.id}))
    return found


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


def _trust(model: Model, element_id: str) -> int:
    """Where an element sits on the trust scale for the layout: its zone's trust, so a zone stays together."""
    index = model.index
    zone = index.elements[element_id].zone
    return index.zones[zone].trust if zone in index.zones else index.trust_of(element_id)


def _elements(model: Model, analysis: Analysis, focus: str | None, nested: bool = True) -> Diagram:
    index = model.index
    by_target = risk_by_target(analysis)
    inside: set[str] = set(index.elements)
    neighbours: set[str] = set()
    title = model.system.name
    zones: set[str] = set(index.zones)
    if focus is not None:
        zones = _descendants(model, focus) if nested else {focus}
        inside = {e for e in index.elements if index.elements[e].zone in zones}
        for flow in model.flows:
            if flow.source in inside and flow.destination not in inside:
                neighbours.add(flow.destination)
            elif flow.destination in inside and flow.source not in inside:
                neighbours.add(flow.source)
        title = f"{model.system.name}: {index.zones[focus].name}"
        if not nested and index.zone_children.get(focus):
            title += " (the zones inside it are drawn on their own)"
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
                                 neighbour=element.id in neighbours, trust=_trust(model, element.id))
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
    keep_empty = zones
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


OWN_ELEMENTS = "Directly in this zone"
"""The overview's name for the elements of a zone that holds other zones, when it has elements of its own."""


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
        parent = bool(index.zone_children.get(zone.id))
        if parent and not counts[zone.id]:
            continue  # its box says all there is: no node inside it for an empty remainder
        detail = _zone_detail(None if parent else zone.trust, counts[zone.id], internal[zone.id])
        nodes[zone.id] = Node(zone.id, OWN_ELEMENTS if parent else zone.name, "zone", detail,
                              by_zone.get(zone.id, RiskTally()), trust=zone.trust)
    loose: list[str] = []
    if counts.get(NO_ZONE):
        nodes[NO_ZONE] = Node(NO_ZONE, "Outside every zone", "zone",
                              _zone_detail(None, counts[NO_ZONE], internal[NO_ZONE]),
                              by_zone.get(NO_ZONE, RiskTally()), trust=-1)
        loose.append(NO_ZONE)
    names = {z: nodes[z].name if z == NO_ZONE else index.zones[z].name for z in nodes}
    edges = []
    done: set[tuple[str, str]] = set()
    for (src, dst), flows in sorted(between.items()):
        if (src, dst) in done:
            continue
        back = between.get((dst, src), [])
        done.update({(src, dst), (dst, src)})
        edges.append(_zone_edge(src, dst, flows, back, names, threats_by_flow))
    # a zone with zones inside it is a cluster around them (and around the node of its own elements)
    roots = [z.id for z in model.zones if not z.parent or z.parent not in index.zones]
    clusters = tuple(_overview_cluster(model, z, frozenset({z}), nodes) for z in roots
                     if index.zone_children.get(z))
    loose = [z for z in roots if not index.zone_children.get(z)] + loose
    return Diagram(f"{model.system.name}: trust zones", "overview", nodes, clusters, tuple(loose), tuple(edges))


def _flows(n: int) -> str:
    return f"{n} flow{'s' if n != 1 else ''}"


def _zone_edge(src: str, dst: str, flows: list[Flow], back: list[Flow], names: dict[str, str],
               threats_by_flow: dict[str, list[Threat]]) -> Edge:
    """The flows between two zones as one edge: both directions on one line, so their labels cannot collide."""
    every = flows + back
    plaintext = sum(1 for f in every if f.encryption is Encryption.NONE)
    unauth = sum(1 for f in every if f.authentication is Authentication.NONE)
    unknown_enc = any(f.encryption is Encryption.UNKNOWN for f in every)
    unknown_auth = any(f.authentication is Authentication.UNKNOWN for f in every)
    name = (f"{_flows(len(flows))} to {names[dst]}\n{_flows(len(back))} to {names[src]}" if back
            else _flows(len(flows)))
    return Edge(
        f"{src}->{dst}", src, dst, name, "",
        f"{unauth} no auth" if unauth else ("auth?" if unknown_auth else ""),
        f"{plaintext} plaintext" if plaintext else ("enc?" if unknown_enc else ""),
        None if unknown_enc and not plaintext else not plaintext,
        None if unknown_auth and not unauth else not unauth, bool(back),
        tally(t for f in every for t in threats_by_flow.get(f.id, ())),
        flows=len(every), plaintext=plaintext, unauthenticated=unauth)


def _overview_cluster(model: Model, zone_id: str, seen: frozenset[str], nodes: dict[str, Node]) -> Cluster:
    """A zone with zones inside it: a cluster of its own elements' node, its leaf zones and nested clusters."""
    index = model.index
    zone = index.zones[zone_id]
    nested = [c for c in index.zone_children.get(zone_id, ()) if c not in seen]
    children = tuple(_overview_cluster(model, c, seen | {c}, nodes) for c in nested if index.zone_children.get(c))
    leaves = tuple(c for c in nested if not index.zone_children.get(c))
    own = (zone_id,) if zone_id in nodes else ()
    return Cluster(zone.id, zone.name, zone.trust, own + leaves, children, zone.internet)


def _zone_detail(trust: int | None, elements: int, internal: int) -> str:
    parts = [] if trust is None else [f"trust {trust}"]
    parts.append(f"{elements} element{'s' if elements != 1 else ''}")
    if internal:
        parts.append(f"{internal} internal flow{'s' if internal != 1 else ''}")
    return " · ".join(parts)
