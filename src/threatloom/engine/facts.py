"""Facts: the typed attributes rule conditions may test, computed at most once per element and per flow.

Each fact has a kind that says which operators and values a condition may use with it; the registry
below is the whole vocabulary of the rule language, so a rule naming anything else fails to load. Each
fact's value is a small function of its element or flow, computed on first look-up (:class:`LazyFacts`)
or beforehand for the facts the rules' guards index (:meth:`LazyFacts.compute`); a fact no guard or
condition asks for on a target is never computed there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Generic, TypeVar

import msgspec

from threatloom.engine.origins import (
    CLIENTS,
    IN_FRONT_OF_PEOPLE,
    PASS_THROUGH,
    THIRD_PARTY_TAGS,
    URL_FETCH_TAGS,
    FlowNature,
    Origins,
    Topology,
    topology_of,
)
from threatloom.engine.releases import end_of_life, runs_windows
from threatloom.model.index import Element, ModelIndex
from threatloom.model.schema import Asset, Flow
from threatloom.model.vocabulary import (
    AssetKind,
    Assurance,
    Authentication,
    Authorization,
    Classification,
    ComponentKind,
    ControlStatus,
    ElementType,
    Encryption,
    Level,
    PartyKind,
)

Facts = dict[str, Any]


class FactKind(msgspec.Struct, frozen=True):
    """How a fact's values compare. `values` lists allowed values for enumerations."""

    name: str  # bool | enum | enum-set | ordered | int | text | text-set
    values: tuple[str, ...] = ()
    order: tuple[str, ...] = ()  # for ordered facts, weakest first
    nullable: bool = False


def _enum(cls: type[Enum]) -> tuple[str, ...]:
    return tuple(str(m.value) for m in cls)


BOOL = FactKind("bool")
NULLABLE_BOOL = FactKind("bool", nullable=True)
INT = FactKind("int")
TEXT = FactKind("text")
TEXT_SET = FactKind("text-set")
CLASSIFICATION = FactKind("ordered", _enum(Classification), _enum(Classification), nullable=True)
LEVEL = FactKind("ordered", _enum(Level), _enum(Level), nullable=True)
ASSURANCE = FactKind("ordered", _enum(Assurance), _enum(Assurance), nullable=True)
AUTHENTICATION = FactKind("enum", _enum(Authentication))
AUTHORIZATION = FactKind("enum", _enum(Authorization))
ENCRYPTION = FactKind("enum", _enum(Encryption))
ELEMENT_TYPE = FactKind("enum", _enum(ElementType))
COMPONENT_KIND = FactKind("enum", _enum(ComponentKind))
KIND_SET = FactKind("enum-set", _enum(ComponentKind))
ASSET_KIND_SET = FactKind("enum-set", _enum(AssetKind))
PARTY_KIND = FactKind("enum", _enum(PartyKind), nullable=True)
PARTY_KIND_SET = FactKind("enum-set", _enum(PartyKind))
AUTHENTICATION_SET = FactKind("enum-set", _enum(Authentication))

ELEMENT_FACTS: dict[str, tuple[FactKind, str]] = {
    "type": (ELEMENT_TYPE, "process, data-store or external-entity"),
    "kind": (COMPONENT_KIND, "component kind (`user` for parties of the environment)"),
    "party": (PARTY_KIND, "kind of party for environment entities (customer, vendor…); null otherwise"),
    "trust": (INT, "trust level 0-10 (a party's own, else its zone's)"),
    "internet": (BOOL, "in an internet zone or marked internet_facing"),
    "internet_facing": (BOOL, "marked internet_facing"),
    "admin": (BOOL, "offers an administrative interface (marked `admin`, or an admin console)"),
    "encryption_at_rest": (NULLABLE_BOOL, "encryption at rest recorded (null: not recorded)"),
    "audit_logging": (NULLABLE_BOOL, "audit logging recorded (null: not recorded)"),
    "tags": (TEXT_SET, "free labels"),
    "technology": (TEXT, "technology name and version"),
    "classification": (CLASSIFICATION, "highest classification of assets it stores, processes or receives"),
    "stores_classification": (CLASSIFICATION, "highest classification of assets it stores"),
    "confidentiality": (LEVEL, "highest confidentiality rating of its assets"),
    "integrity": (LEVEL, "highest integrity rating of its assets"),
    "availability": (LEVEL, "highest availability rating of its assets"),
    "personal_data": (BOOL, "holds or receives personal data"),
    "asset_kinds": (ASSET_KIND_SET, "kinds of assets it holds (data, credential…)"),
    "assurance": (ASSURANCE, "assurance a vendor or partner gives; null for components"),
    "receives_data": (BOOL, "a party that receives assets"),
    "holds_access": (BOOL, "a party that holds access to elements"),
    "inbound_from_internet": (BOOL, "receives a flow from an internet element"),
    "inbound_from_lower_trust": (BOOL, "receives a flow from an element of lower trust"),
    "inbound_unauthenticated": (BOOL, "receives a flow whose authentication is none"),
    "outbound_kinds": (KIND_SET, "kinds of the elements it sends flows to"),
    "inbound_kinds": (KIND_SET, "kinds of the elements it receives flows from"),
    "flows_in": (INT, "number of incoming flows"),
    "flows_out": (INT, "number of outgoing flows"),
    "controls": (TEXT_SET, "catalog control IDs implemented (or partly) on it"),
    "reachable_by_external": (BOOL, "an external threat actor can reach it"),
    "reachable_by_internal": (BOOL, "an internal threat actor can reach it"),
    "person": (BOOL, "a person or group of people (a party, judged by its tags, how it signs in and what it "
                     "uses, else its kind), or a client a person drives (browser, mobile or desktop app, "
                     "workstation)"),
    "third_party": (BOOL, "another organisation's: a vendor or partner, a third-party service, or an external "
                          "entity on the internet or tagged saas, third-party or vendor"),
    "vendor_hosted": (BOOL, "runs on another organisation's platform: a third party, or a component (not a "
                            "client or device) in an internet zone that is not marked internet_facing"),
    "entry_point": (BOOL, "where requests from the internet first reach the system: marked internet_facing, "
                          "or receiving flows straight from an internet zone and not placed behind a "
                          "load balancer, reverse proxy, API gateway or WAF"),
    "reached_from_internet": (BOOL, "requests or messages it receives can start on the internet, directly or "
                                    "through pass-through elements and queues (or it is internet_facing)"),
    "reached_from_lower_trust": (BOOL, "requests or messages it receives can start at lower trust, directly "
                                       "or through pass-through elements and queues (remote desktop and "
                                       "shell sessions do not count)"),
    "reached_by_people": (BOOL, "requests it receives can start with a person, directly or through "
                                "pass-through elements and queues"),
    "reached_parties": (PARTY_KIND_SET, "kinds of the parties where its requests start (a client counts "
                                        "with the parties that use it)"),
    "reached_kinds": (KIND_SET, "kinds of the elements where its requests start"),
    "inbound_people": (BOOL, "receives a flow straight from a person or a person's client"),
    "sign_ins": (AUTHENTICATION_SET, "how people sign in to it (password, multi-factor): sign-in flows sent "
                                     "to it, and for an identity provider those passed on by relays"),
    "sign_in_parties": (PARTY_KIND_SET, "kinds of the parties that sign in to it"),
    "admin_reached_from_lower_trust": (BOOL, "an administrative flow from a person, from the internet or over "
                                             "a remote session starts at lower trust than it"),
    "admin_reached_beyond_customers": (BOOL, "an administrative flow from lower trust (as for "
                                             "admin_reached_from_lower_trust) that does not start with customers "
                                             "alone: a remote session, or requests starting with other parties, "
                                             "or with no drawn party at all (a client, the internet at large)"),
    "callers_reached_from_internet": (BOOL, "an element that sends it flows is itself reached from the "
                                            "internet or sits in an internet zone"),
    "logs_to_third_party": (BOOL, "sends a flow to a log store or monitoring service run by a third party or "
                                  "hosted by a vendor"),
    "callers_take_anonymous_requests": (BOOL, "an element that sends it flows itself receives requests "
                                              "without authentication"),
    "stores_personal_data": (BOOL, "stores personal data"),
    "receives_personal_data": (BOOL, "personal data arrives on a flow into it (a party: receives it)"),
    "holds_secrets": (BOOL, "stores or processes credentials that are not personal data (keys, service "
                            "passwords, tokens of systems)"),
    "fetches_urls": (BOOL, "calls addresses its callers supply: tagged url-fetch, webhooks, webhook, "
                           "link-preview, import, proxy or crawler, or sends flows to customers' or the "
                           "public's endpoints on the internet"),
    "in_cloud": (BOOL, "runs inside a cloud account: a cloud account or container platform sits in its zone "
                       "or an enclosing one"),
    "windows": (BOOL, "its technology, version or CPE names Windows"),
    "end_of_life": (BOOL, "its technology names a release whose security support ended before the date of the "
                          "catalog's end-of-life list"),
}

FLOW_FACTS: dict[str, tuple[FactKind, str]] = {
    "authentication": (AUTHENTICATION, "how the source authenticates"),
    "authorization": (AUTHORIZATION, "how access is authorized"),
    "encryption": (ENCRYPTION, "protection in transit"),
    "protocol": (TEXT, "protocol text"),
    "port": (INT, "destination port (0 when not recorded)"),
    "tags": (TEXT_SET, "free labels"),
    "bidirectional": (BOOL, "data also flows back"),
    "crosses_boundary": (BOOL, "source and destination sit in different zones"),
    "trust_increases": (BOOL, "goes from lower to higher trust"),
    "trust_decreases": (BOOL, "goes from higher to lower trust"),
    "from_internet": (BOOL, "the source is an internet element"),
    "classification": (CLASSIFICATION, "highest classification of the data carried"),
    "confidentiality": (LEVEL, "highest confidentiality rating of the data carried"),
    "integrity": (LEVEL, "highest integrity rating of the data carried"),
    "personal_data": (BOOL, "carries personal data"),
    "asset_kinds": (ASSET_KIND_SET, "kinds of assets carried"),
    "carries_data": (BOOL, "carries at least one asset"),
    "controls": (TEXT_SET, "catalog control IDs implemented (or partly) on the flow"),
    "origin_internet": (BOOL, "the request starts on the internet: at the source, or upstream of a "
                              "pass-through source or queue"),
    "origin_person": (BOOL, "the request starts with a person (or a person's client), at the source or "
                            "upstream of a pass-through source or queue"),
    "origin_parties": (PARTY_KIND_SET, "kinds of the parties where the request starts"),
    "origin_kinds": (KIND_SET, "kinds of the elements where the request starts"),
    "sign_in": (BOOL, "a person signs in: the source is a person, it authenticates with a password or "
                      "multi-factor, and the flow goes to an identity provider or carries only credentials"),
    "local": (BOOL, "a person at a device or client in front of them (a party of people to a browser, app, "
                    "workstation or device): no network lies between them"),
    "administrative": (BOOL, "can reach the destination's administrative functions: the destination offers "
                             "them, and the flow is not a device's or a queue's, nor a message feed (HL7, "
                             "MLLP, AMQP, MQTT, syslog...)"),
    "remote_session": (BOOL, "a remote desktop or shell session (RDP, VNC, Telnet, WinRM, remote-support "
                             "tools; SSH into a process)"),
}


_RANKS: dict[type[Enum], dict[Any, int]] = {cls: {m: i for i, m in enumerate(cls)}
                                            for cls in (Classification, Level)}


def _highest(values: Iterable[Any], order: type[Enum]) -> str | None:
    rank = _RANKS[order]
    best = max(values, key=rank.__getitem__, default=None)
    return None if best is None else str(best.value)


class AssetSummary(msgspec.Struct, frozen=True):
    """What the facts say about a set of assets (an element's, the data of a flow)."""

    classification: str | None
    confidentiality: str | None
    integrity: str | None
    availability: str | None
    personal_data: bool
    kinds: frozenset[str]
    secrets: bool  # credentials that are no one's personal data


def asset_summary(assets: Sequence[Asset], known: dict[tuple[str, ...], AssetSummary]) -> AssetSummary:
    """The summary of `assets`, kept in `known` by their IDs: elements and flows share a few asset sets."""
    key = tuple([a.id for a in assets])
    found = known.get(key)
    if found is None:
        found = known[key] = AssetSummary(
            classification=_highest((a.classification for a in assets), Classification),
            confidentiality=_highest((a.confidentiality for a in assets), Level),
            integrity=_highest((a.integrity for a in assets), Level),
            availability=_highest((a.availability for a in assets), Level),
            personal_data=any(a.personal_data for a in assets),
            kinds=frozenset(a.kind.value for a in assets),
            secrets=any(a.kind is AssetKind.CREDENTIAL and not a.personal_data for a in assets))
    return found


def _implemented(index: ModelIndex, control_ids: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for control in index.controls_of(control_ids):
        if control.status is not ControlStatus.PLANNED:
            out.update(control.implements)
    return frozenset(out)


T = TypeVar("T")


class _once(Generic[T]):  # noqa: N801 - used as a decorator, like functools.cached_property
    """An attribute computed on first use and kept (functools.cached_property takes a lock each time)."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__

    def __get__(self, subject: Any, owner: Any = None) -> T:
        value = self.compute(subject)
        subject.__dict__[self.name] = value
        return value


class LazyFacts(dict[str, Any]):
    """Facts computed on first look-up and kept: a rule pays only for the facts it tests, once per target.

    It is a plain dictionary to conditions (`facts[name]`); a name that is no fact raises KeyError."""

    __slots__ = ("_subject", "_values")

    def __init__(self, subject: Any, values: Mapping[str, Callable[[Any], Any]]) -> None:
        super().__init__()
        self._subject = subject
        self._values = values

    def __missing__(self, name: str) -> Any:
        value = self._values[name](self._subject)
        self[name] = value
        return value

    def complete(self) -> LazyFacts:
        """Every fact computed now (for callers that want the whole set)."""
        self.compute(self._values)
        return self

    def compute(self, names: Iterable[str]) -> None:
        """These facts computed now, those not yet known (one call for many, rather than a look-up that
        misses for each)."""
        values, subject = self._values, self._subject
        for name in names:
            if name not in self:
                self[name] = values[name](subject)


class _ElementSubject:
    """What an element's facts are computed from, with the parts several facts share computed once."""

    def __init__(self, index: ModelIndex, top: Topology, element: Element, reach: Callable[[str, str], bool]) -> None:
        self.index, self.top, self.element, self.reach = index, top, element, reach
        self.id = element.id
        self.comp, self.party = element.component, element.party

    @_once
    def assets(self) -> tuple[Asset, ...]:
        return self.index.assets_at(self.id)

    @_once
    def stored(self) -> list[Asset]:
        comp = self.comp
        return [self.index.assets[a] for a in comp.stores if a in self.index.assets] if comp else []

    @_once
    def at(self) -> AssetSummary:
        return asset_summary(self.assets, self.top.asset_summaries)

    @_once
    def kept(self) -> AssetSummary:
        return asset_summary(self.stored, self.top.asset_summaries)

    @_once
    def incoming(self) -> list[Flow]:
        return self.index.incoming.get(self.id, [])

    @_once
    def outgoing(self) -> list[Flow]:
        return self.index.outgoing.get(self.id, [])

    @_once
    def trust(self) -> int:
        return self.index.trust_of(self.id)

    @_once
    def reached(self) -> Origins:
        return self.top.reached[self.id]


def _technology(s: _ElementSubject) -> str:
    comp = s.comp
    if comp is not None and comp.technology is not None:
        return f"{comp.technology.name} {comp.technology.version or ''}".strip()
    return ""


def _receives_personal_data(s: _ElementSubject) -> bool:
    if s.party is not None:
        return any(a.personal_data for a in s.assets)
    assets = s.index.assets
    return any(assets[a].personal_data for f in s.incoming for a in f.data if a in assets)


_ELEMENT_VALUES: dict[str, Callable[[_ElementSubject], Any]] = {
    "type": lambda s: s.element.type.value,
    "kind": lambda s: s.comp.kind.value if s.comp else ComponentKind.USER.value,
    "party": lambda s: s.party.kind.value if s.party else None,
    "trust": lambda s: s.trust,
    "internet": lambda s: s.index.is_internet(s.id),
    "internet_facing": lambda s: bool(s.comp and s.comp.internet_facing),
    "admin": lambda s: bool(s.comp and (s.comp.admin or s.comp.kind is ComponentKind.ADMIN_CONSOLE)),
    "encryption_at_rest": lambda s: s.comp.encryption_at_rest if s.comp else None,
    "audit_logging": lambda s: s.comp.audit_logging if s.comp else None,
    "tags": lambda s: frozenset(s.element.tags),
    "technology": _technology,
    "classification": lambda s: s.at.classification,
    "stores_classification": lambda s: s.kept.classification,
    "confidentiality": lambda s: s.at.confidentiality,
    "integrity": lambda s: s.at.integrity,
    "availability": lambda s: s.at.availability,
    "personal_data": lambda s: s.at.personal_data,
    "asset_kinds": lambda s: s.at.kinds,
    "assurance": lambda s: s.party.assurance.value if s.party else None,
    "receives_data": lambda s: bool(s.party and s.party.receives),
    "holds_access": lambda s: bool(s.party and s.party.access),
    "inbound_from_internet": lambda s: any(s.index.is_internet(f.source) for f in s.incoming),
    "inbound_from_lower_trust": lambda s: any(s.index.trust_of(f.source) < s.trust for f in s.incoming),
    "inbound_unauthenticated": lambda s: any(f.authentication is Authentication.NONE for f in s.incoming),
    "outbound_kinds": lambda s: frozenset(s.top.kind(f.destination) for f in s.outgoing),
    "inbound_kinds": lambda s: frozenset(s.top.kind(f.source) for f in s.incoming),
    "flows_in": lambda s: len(s.incoming),
    "flows_out": lambda s: len(s.outgoing),
    "controls": lambda s: _implemented(s.index, s.comp.controls) if s.comp else frozenset(),
    "reachable_by_external": lambda s: s.reach("external", s.id),
    "reachable_by_internal": lambda s: s.reach("internal", s.id),
    "person": lambda s: s.top.person[s.id],
    "third_party": lambda s: _third_party(s.top, s.element),
    "vendor_hosted": lambda s: _vendor_hosted(s.top, s.element),
    "entry_point": lambda s: _entry_point(s.top, s.element),
    "reached_from_internet": lambda s: s.reached.internet or bool(s.comp and s.comp.internet_facing),
    "reached_from_lower_trust": lambda s: s.reached.trust is not None and s.reached.trust < s.trust,
    "reached_by_people": lambda s: s.reached.people,
    "reached_parties": lambda s: s.reached.parties,
    "reached_kinds": lambda s: s.reached.kinds,
    "inbound_people": lambda s: any(s.top.person[f.source] for f in s.incoming),
    "sign_ins": lambda s: s.reached.sign_ins,
    "sign_in_parties": lambda s: s.reached.sign_in_parties,
    "admin_reached_from_lower_trust": lambda s: _admin_reached_from_lower_trust(s.top, s.id, s.trust),
    "admin_reached_beyond_customers": lambda s: _admin_reached_from_lower_trust(s.top, s.id, s.trust,
                                                                                customers_aside=True),
    "callers_reached_from_internet": lambda s: _callers_reached_from_internet(s.top, s.incoming),
    "callers_take_anonymous_requests": lambda s: any(
        f.source in s.top.anonymous_inbound for f in s.incoming if not s.top.nature[f.id].remote_session),
    "logs_to_third_party": lambda s: any(s.top.kind(f.destination) in ("log-store", "monitoring")
                                         and _vendor_hosted(s.top, s.index.elements[f.destination])
                                         for f in s.outgoing),
    "stores_personal_data": lambda s: s.kept.personal_data,
    "receives_personal_data": _receives_personal_data,
    "holds_secrets": lambda s: s.at.secrets,
    "fetches_urls": lambda s: s.comp is not None and _fetches_urls(s.top, s.element, s.outgoing),
    "in_cloud": lambda s: s.comp is not None and s.top.in_cloud(s.id),
    "windows": lambda s: s.comp is not None and runs_windows(s.comp.technology),
    "end_of_life": lambda s: s.comp is not None and end_of_life(s.comp.technology),
}
assert _ELEMENT_VALUES.keys() == ELEMENT_FACTS.keys(), "every element fact has a value, and only those"


def element_facts(index: ModelIndex, element: Element, reach: Callable[[str, str], bool],
                  top: Topology | None = None) -> LazyFacts:
    """The element facts of `element`, each computed on first look-up; `reach(origin, element_id)` tells
    actor reachability. `top` is the index's topology, when the caller has it at hand."""
    return LazyFacts(_ElementSubject(index, top or topology_of(index), element, reach), _ELEMENT_VALUES)


def _third_party(top: Topology, element: Element) -> bool:
    if element.party is not None:
        return element.party.kind in (PartyKind.VENDOR, PartyKind.PARTNER)
    comp = element.component
    assert comp is not None
    return (comp.kind is ComponentKind.THIRD_PARTY_SERVICE
            or bool({t.lower() for t in comp.tags} & THIRD_PARTY_TAGS)
            or (comp.type is ElementType.EXTERNAL_ENTITY and top.in_internet_zone(element.id)))


def _vendor_hosted(top: Topology, element: Element) -> bool:
    comp = element.component
    third_party = _third_party(top, element)
    if comp is None or third_party:
        return third_party
    return comp.kind.value not in IN_FRONT_OF_PEOPLE and top.in_internet_zone(element.id) and not comp.internet_facing


def _entry_point(top: Topology, element: Element) -> bool:
    comp = element.component
    if comp is None or comp.kind.value in CLIENTS:
        return False
    if comp.internet_facing:
        return True
    if top.in_internet_zone(element.id):
        return False
    incoming = top.index.incoming.get(element.id, [])
    return (any(top.in_internet_zone(f.source) for f in incoming)
            and not any(top.kind(f.source) in PASS_THROUGH for f in incoming))


def _callers_reached_from_internet(top: Topology, incoming: list[Flow]) -> bool:
    for flow in incoming:
        if top.nature[flow.id].remote_session:
            continue
        comp = top.index.components.get(flow.source)
        if top.in_internet_zone(flow.source) or top.reached[flow.source].internet or (comp and comp.internet_facing):
            return True
    return False


def _fetches_urls(top: Topology, element: Element, outgoing: list[Flow]) -> bool:
    """Tagged as fetching what callers name, or calling customers' or the public's own endpoints."""
    if {t.lower() for t in element.tags} & URL_FETCH_TAGS:
        return True
    for flow in outgoing:
        party = top.index.parties.get(flow.destination)
        if party is not None and party.kind in (PartyKind.CUSTOMER, PartyKind.PUBLIC) \
                and top.in_internet_zone(flow.destination):
            return True
    return False


def _admin_reached_from_lower_trust(top: Topology, element_id: str, own_trust: int,
                                    customers_aside: bool = False) -> bool:
    """An administrative flow from people, the internet or a remote session starts at lower trust; with
    `customers_aside`, not counting requests that start with customers alone (the administration a product
    offers its customers, which must answer them wherever they are)."""
    for flow in top.index.incoming.get(element_id, []):
        nature = top.nature[flow.id]
        if not nature.administrative:
            continue
        origin = top.flow_origin(flow)
        lower = origin.trust is not None and origin.trust < own_trust
        if not lower or not (origin.people or origin.internet or nature.remote_session):
            continue
        if customers_aside and not nature.remote_session and origin.parties \
                and origin.parties <= {PartyKind.CUSTOMER.value}:
            continue
        return True
    return False


class _FlowSubject:
    """What a flow's facts are computed from, with the parts several facts share computed once."""

    def __init__(self, index: ModelIndex, top: Topology, flow: Flow) -> None:
        self.index, self.top, self.flow = index, top, flow

    @_once
    def data(self) -> list[Asset]:
        assets = self.index.assets
        return [assets[a] for a in self.flow.data if a in assets]

    @_once
    def summary(self) -> AssetSummary:
        return asset_summary(self.data, self.top.asset_summaries)

    @_once
    def trusts(self) -> tuple[int, int]:
        return self.index.trust_of(self.flow.source), self.index.trust_of(self.flow.destination)

    @_once
    def origin(self) -> Origins:
        return self.top.flow_origin(self.flow)

    @_once
    def nature(self) -> FlowNature:
        return self.top.nature[self.flow.id]


_FLOW_VALUES: dict[str, Callable[[_FlowSubject], Any]] = {
    "authentication": lambda s: s.flow.authentication.value,
    "authorization": lambda s: s.flow.authorization.value,
    "encryption": lambda s: s.flow.encryption.value,
    "protocol": lambda s: s.flow.protocol or "",
    "port": lambda s: s.flow.port or 0,
    "tags": lambda s: frozenset(s.flow.tags),
    "bidirectional": lambda s: s.flow.bidirectional,
    "crosses_boundary": lambda s: (s.index.elements[s.flow.source].zone
                                   != s.index.elements[s.flow.destination].zone),
    "trust_increases": lambda s: s.trusts[0] < s.trusts[1],
    "trust_decreases": lambda s: s.trusts[0] > s.trusts[1],
    "from_internet": lambda s: s.index.is_internet(s.flow.source),
    "classification": lambda s: s.summary.classification,
    "confidentiality": lambda s: s.summary.confidentiality,
    "integrity": lambda s: s.summary.integrity,
    "personal_data": lambda s: s.summary.personal_data,
    "asset_kinds": lambda s: s.summary.kinds,
    "carries_data": lambda s: bool(s.data),
    "controls": lambda s: _implemented(s.index, s.flow.controls),
    "origin_internet": lambda s: s.origin.internet,
    "origin_person": lambda s: s.origin.people,
    "origin_parties": lambda s: s.origin.parties,
    "origin_kinds": lambda s: s.origin.kinds,
    "sign_in": lambda s: s.nature.sign_in,
    "local": lambda s: s.nature.local,
    "administrative": lambda s: s.nature.administrative,
    "remote_session": lambda s: s.nature.remote_session,
}
assert _FLOW_VALUES.keys() == FLOW_FACTS.keys(), "every flow fact has a value, and only those"


def flow_facts(index: ModelIndex, flow: Flow, top: Topology | None = None) -> LazyFacts:
    """The flow facts of `flow`, each computed on first look-up."""
    return LazyFacts(_FlowSubject(index, top or topology_of(index), flow), _FLOW_VALUES)
