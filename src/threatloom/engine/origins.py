"""Where the requests an element receives start, who the parties are, and what a flow is, computed once per model.

Rules about "input from the internet" or "from people" must see through the elements that only pass
requests on: a load balancer, reverse proxy, API gateway or WAF forwards requests unchanged, and a queue
hands its producers' messages to its consumers (also to workers that poll it, drawn as a bidirectional
flow from the worker to the queue). Everything here is computed in one pass over the flows, each relay's
upstream origins once (memoised, iteratively, so a long chain of relays cannot exhaust the stack), and
kept per model index so that every element and flow fact is a dictionary look-up.
"""

from __future__ import annotations

import weakref
from functools import reduce
from typing import TYPE_CHECKING

import msgspec

from threatloom.model.index import Element, ModelIndex
from threatloom.model.schema import Flow
from threatloom.model.vocabulary import AssetKind, Authentication, ComponentKind, PartyKind

if TYPE_CHECKING:  # facts builds on this module: the type only, for checkers
    from threatloom.engine.facts import AssetSummary

PASS_THROUGH = frozenset({"load-balancer", "reverse-proxy", "api-gateway", "waf"})
RELAYS = PASS_THROUGH | {"queue"}
CLIENTS = frozenset({"browser", "mobile-app", "desktop-app", "workstation"})
DEVICES = frozenset({"iot-device", "medical-device", "gateway-device"})
IN_FRONT_OF_PEOPLE = CLIENTS | DEVICES  # what a person works at directly
# how people prove who they are, and how only systems do (a bearer token can be either)
INTERACTIVE = frozenset({Authentication.PASSWORD, Authentication.SSO, Authentication.MULTI_FACTOR,
                         Authentication.SESSION})
MACHINE = frozenset({Authentication.API_KEY, Authentication.CLIENT_CERTIFICATE})
SIGN_IN = frozenset({Authentication.PASSWORD, Authentication.MULTI_FACTOR})
PERSON_TAGS = frozenset({"person", "people"})
SYSTEM_TAGS = frozenset({"system", "machine"})
THIRD_PARTY_TAGS = frozenset({"saas", "third-party", "vendor"})
URL_FETCH_TAGS = frozenset({"url-fetch", "webhooks", "webhook", "link-preview", "import", "proxy", "crawler"})
REMOTE_PROTOCOLS = ("rdp", "vnc", "telnet", "winrm", "teamviewer", "anydesk", "remote desktop")
# protocols that deliver messages to a listener rather than calls to functions
MESSAGE_PROTOCOLS = ("hl7", "mllp", "amqp", "mqtt", "kafka", "syslog", "smtp", "snmp", "multicast", "sqs",
                     "sns", "stomp", "nats", "coap")
CLOUD_KINDS = frozenset({"cloud-account", "container-platform"})
INTERNET_TRUST = 0
USER = ComponentKind.USER.value  # the kind of an element that is no component (a party of the environment)


class Origins(msgspec.Struct, frozen=True):
    """What is known about the places where requests start: the internet, people, the lowest trust, the
    parties and element kinds there, and how people among them sign in (with the parties they belong to)."""

    internet: bool = False
    people: bool = False
    trust: int | None = None
    parties: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    sign_ins: frozenset[str] = frozenset()
    sign_in_parties: frozenset[str] = frozenset()

    def __or__(self, other: Origins) -> Origins:
        if other is NOWHERE or other is self:
            return self
        if self is NOWHERE:  # most elements have one input: the union starts from nowhere
            return other
        trusts = [t for t in (self.trust, other.trust) if t is not None]
        return Origins(self.internet or other.internet, self.people or other.people,
                       min(trusts) if trusts else None, self.parties | other.parties, self.kinds | other.kinds,
                       self.sign_ins | other.sign_ins, self.sign_in_parties | other.sign_in_parties)

    def without_sign_ins(self) -> Origins:
        return Origins(self.internet, self.people, self.trust, self.parties, self.kinds)


NOWHERE = Origins()


class FlowNature(msgspec.Struct, frozen=True):
    sign_in: bool
    local: bool
    administrative: bool
    remote_session: bool


class Topology(msgspec.Struct):
    """Per-model answers for the element and flow facts (see :mod:`threatloom.engine.facts`)."""

    index: ModelIndex
    internet_zone: dict[str, bool] = msgspec.field(default_factory=dict)
    person: dict[str, bool] = msgspec.field(default_factory=dict)
    nature: dict[str, FlowNature] = msgspec.field(default_factory=dict)
    base: dict[str, Origins] = msgspec.field(default_factory=dict)
    relay: dict[str, Origins] = msgspec.field(default_factory=dict)
    reached: dict[str, Origins] = msgspec.field(default_factory=dict)
    cloud_zones: frozenset[str] = frozenset()
    anonymous_inbound: frozenset[str] = frozenset()  # elements that receive a flow without authentication
    kinds: dict[str, str] = msgspec.field(default_factory=dict)  # component ID -> kind (facts ask for it often)
    # asset IDs -> what the facts say of those assets (see threatloom.engine.facts.asset_summary)
    asset_summaries: dict[tuple[str, ...], AssetSummary] = msgspec.field(default_factory=dict)

    def kind(self, element_id: str) -> str:
        return self.kinds.get(element_id, USER)

    def is_relay(self, element_id: str) -> bool:
        return self.kind(element_id) in RELAYS

    def flow_origin(self, flow: Flow) -> Origins:
        """Where the requests on `flow` start: its source, or what reaches the source if it is a relay;
        with the flow's own authentication as a sign-in when it is one."""
        source = self.relay[flow.source] if self.is_relay(flow.source) else self.base[flow.source]
        if self.nature[flow.id].sign_in:
            return source | Origins(sign_ins=frozenset({flow.authentication.value}),
                                    sign_in_parties=self.base[flow.source].parties)
        return source

    def in_internet_zone(self, element_id: str) -> bool:
        zone = self.index.elements[element_id].zone
        return bool(zone) and self.internet_zone.get(zone or "", False)

    def in_cloud(self, element_id: str) -> bool:
        zone = self.index.elements[element_id].zone
        return bool(zone) and any(z in self.cloud_zones for z in self.index.zone_path(zone or ""))


_CACHE: weakref.WeakKeyDictionary[ModelIndex, Topology] = weakref.WeakKeyDictionary()


def topology_of(index: ModelIndex) -> Topology:
    """The topology of `index`, computed on first use and kept as long as the index lives."""
    found = _CACHE.get(index)
    if found is None:
        found = _build(index)
        _CACHE[index] = found
    return found


def _build(index: ModelIndex) -> Topology:
    top = Topology(index)
    top.kinds = {c.id: c.kind.value for c in index.components.values()}
    top.internet_zone = {z: any(index.zones[p].internet for p in index.zone_path(z)) for z in index.zones}
    top.cloud_zones = frozenset(c.zone for c in index.components.values() if c.kind.value in CLOUD_KINDS and c.zone)
    top.anonymous_inbound = frozenset(f.destination for f in index.model.flows
                                      if f.authentication is Authentication.NONE)
    for element in index.elements.values():
        top.person[element.id] = _is_person(index, top, element)
    for flow in index.model.flows:
        top.nature[flow.id] = _nature(index, top, flow)
    for element in index.elements.values():
        top.base[element.id] = _base_origin(index, top, element)
    _resolve_relays(top)
    for element_id in index.elements:
        top.reached[element_id] = _reached(top, element_id)
    return top


def _is_person(index: ModelIndex, top: Topology, element: Element) -> bool:
    """A client a person drives, or a party of people: said by its tags, else shown by how it signs in
    (or that it uses a client), else by whom it only serves, else by its kind."""
    if element.component is not None:
        return element.component.kind.value in CLIENTS
    party = element.party
    assert party is not None
    tags = {t.lower() for t in party.tags}
    if tags & PERSON_TAGS:
        return True
    if tags & SYSTEM_TAGS:
        return False
    outgoing = index.outgoing.get(element.id, [])
    if any(f.authentication in INTERACTIVE or top.kind(f.destination) in CLIENTS for f in outgoing):
        return True
    if any(f.authentication in MACHINE for f in outgoing):
        return False
    incoming = index.incoming.get(element.id, [])
    if not outgoing and incoming and all(f.authentication in MACHINE for f in incoming):
        return False
    if party.kind in (PartyKind.EMPLOYEE, PartyKind.CUSTOMER, PartyKind.PUBLIC):
        return True
    return bool(party.access)


def _protocol_has(protocol: str, needles: tuple[str, ...]) -> bool:
    return any(n in protocol for n in needles)


def _nature(index: ModelIndex, top: Topology, flow: Flow) -> FlowNature:
    source, destination = index.elements[flow.source], index.elements[flow.destination]
    data = [index.assets[a] for a in flow.data if a in index.assets]
    dest_kind = top.kind(flow.destination)
    only_credentials = bool(data) and all(a.kind is AssetKind.CREDENTIAL for a in data)
    sign_in = (top.person[flow.source] and flow.authentication in SIGN_IN
               and (dest_kind == ComponentKind.IDENTITY_PROVIDER.value or only_credentials))
    local = source.party is not None and top.person[flow.source] and dest_kind in IN_FRONT_OF_PEOPLE
    protocol = (flow.protocol or "").lower()
    remote = _protocol_has(protocol, REMOTE_PROTOCOLS) or (
        "ssh" in protocol and destination.type.value == "process")
    dest_admin = destination.component is not None and (
        destination.component.admin or destination.component.kind is ComponentKind.ADMIN_CONSOLE)
    source_kind = top.kind(flow.source)
    administrative = dest_admin and source_kind not in DEVICES and source_kind != "queue" and (
        remote or not _protocol_has(protocol, MESSAGE_PROTOCOLS))
    return FlowNature(sign_in, local, administrative, remote)


def _base_origin(index: ModelIndex, top: Topology, element: Element) -> Origins:
    """What a request says about its origin when it starts at `element` (a person's client counts with the
    parties that use it)."""
    if element.party is not None:
        parties = frozenset({element.party.kind.value})
    elif top.kind(element.id) in CLIENTS:
        parties = frozenset(p.kind.value for f in index.incoming.get(element.id, [])
                            if (p := index.parties.get(f.source)) is not None)
    else:
        parties = frozenset()
    return Origins(internet=top.in_internet_zone(element.id), people=top.person[element.id],
                   trust=index.trust_of(element.id), parties=parties, kinds=frozenset({top.kind(element.id)}))


def _application_inputs(top: Topology, element_id: str) -> list[Flow]:
    """Flows that bring requests or messages into the element (remote desktop and shell sessions are
    access to the host, not input to the application)."""
    return [f for f in top.index.incoming.get(element_id, []) if not top.nature[f.id].remote_session]


def _own_relay_origin(top: Topology, element_id: str, has_inputs: bool) -> Origins:
    comp = top.index.components[element_id]
    if top.in_internet_zone(element_id) or comp.internet_facing:
        return Origins(internet=True, trust=INTERNET_TRUST)
    if not has_inputs:
        # nobody drawn sends to it: what reaches it is what reaches its own zone
        return top.base[element_id].without_sign_ins()
    return NOWHERE


def _resolve_relays(top: Topology) -> None:
    """The origins of everything each relay passes on. Relays that pass requests round in a cycle share
    what enters the cycle from outside; upstream relays are resolved first (strongly connected
    components in dependency order, found iteratively so that a long chain cannot exhaust the stack)."""
    relays = [e for e in top.index.elements if top.is_relay(e)]
    inputs = {r: _application_inputs(top, r) for r in relays}
    for component in _components(relays, {r: [f.source for f in inputs[r] if top.is_relay(f.source)]
                                          for r in relays}):
        members = set(component)
        parts = [_own_relay_origin(top, r, bool(inputs[r])) for r in component]
        for relay in component:
            for flow in inputs[relay]:
                if flow.source not in members:
                    parts.append(top.flow_origin(flow))
        origins = reduce(Origins.__or__, parts, NOWHERE)
        for relay in component:
            top.relay[relay] = origins


def _components(nodes: list[str], depends: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of `depends` (node -> the nodes it depends on), each after the
    components it depends on (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = depends[node]
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def _reached(top: Topology, element_id: str) -> Origins:
    """Everything that reaches the element: direct callers, what its relays pass on, and the producers of
    the queues it polls. Sign-ins count where they are checked: at the element they are sent to, and, past
    relays, at an identity provider."""
    index = top.index
    is_idp = top.kind(element_id) == ComponentKind.IDENTITY_PROVIDER.value
    is_relay = top.is_relay(element_id)  # a relay passes sign-ins on; they are checked behind it
    parts = []
    for flow in _application_inputs(top, element_id):
        origin = top.flow_origin(flow)
        if is_relay or (top.is_relay(flow.source) and not is_idp):
            origin = origin.without_sign_ins()
        parts.append(origin)
    for flow in index.outgoing.get(element_id, []):
        if flow.bidirectional and top.kind(flow.destination) == "queue" and not top.nature[flow.id].remote_session:
            parts.append(top.relay[flow.destination].without_sign_ins())
    return reduce(Origins.__or__, parts, NOWHERE)

