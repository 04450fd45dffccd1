"""Facts: the typed attributes rule conditions may test, computed once per element and per flow.

Each fact has a kind that says which operators and values a condition may use with it; the registry
below is the whole vocabulary of the rule language, so a rule naming anything else fails to load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from threatloom.engine.origins import (
    CLIENTS,
    DEVICES,
    PASS_THROUGH,
    THIRD_PARTY_TAGS,
    URL_FETCH_TAGS,
    Topology,
    topology_of,
)
from threatloom.engine.releases import end_of_life, runs_windows
from threatloom.model.index import Element, ModelIndex
from threatloom.model.schema import Flow
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


@dataclass(frozen=True, slots=True)
class FactKind:
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


def _highest(values: list[Any], order: type[Enum]) -> str | None:
    members = list(order)
    ranked = [members.index(v) for v in values]
    return str(members[max(ranked)].value) if ranked else None


def _implemented(index: ModelIndex, control_ids: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for control in index.controls_of(control_ids):
        if control.status is not ControlStatus.PLANNED:
            out.update(control.implements)
    return frozenset(out)


def element_facts(index: ModelIndex, element: Element, reach: Callable[[str, str], bool]) -> Facts:
    """All element facts for `element`; `reach(origin, element_id)` tells actor reachability."""
    comp, party = element.component, element.party
    top = topology_of(index)
    assets = index.assets_at(element.id)
    stored = [index.assets[a] for a in comp.stores if a in index.assets] if comp else []
    incoming, outgoing = index.incoming.get(element.id, []), index.outgoing.get(element.id, [])
    own_trust = index.trust_of(element.id)
    technology = ""
    if comp is not None and comp.technology is not None:
        technology = f"{comp.technology.name} {comp.technology.version or ''}".strip()
    kind = comp.kind.value if comp else ComponentKind.USER.value
    reached = top.reached[element.id]
    third_party = _third_party(top, element)
    return {
        "type": element.type.value,
        "kind": kind,
        "party": party.kind.value if party else None,
        "trust": own_trust,
        "internet": index.is_internet(element.id),
        "internet_facing": bool(comp and comp.internet_facing),
        "admin": bool(comp and (comp.admin or comp.kind is ComponentKind.ADMIN_CONSOLE)),
        "encryption_at_rest": comp.encryption_at_rest if comp else None,
        "audit_logging": comp.audit_logging if comp else None,
        "tags": frozenset(element.tags),
        "technology": technology,
        "classification": _highest([a.classification for a in assets], Classification),
        "stores_classification": _highest([a.classification for a in stored], Classification),
        "confidentiality": _highest([a.confidentiality for a in assets], Level),
        "integrity": _highest([a.integrity for a in assets], Level),
        "availability": _highest([a.availability for a in assets], Level),
        "personal_data": any(a.personal_data for a in assets),
        "asset_kinds": frozenset(a.kind.value for a in assets),
        "assurance": party.assurance.value if party else None,
        "receives_data": bool(party and party.receives),
        "holds_access": bool(party and party.access),
        "inbound_from_internet": any(index.is_internet(f.source) for f in incoming),
        "inbound_from_lower_trust": any(index.trust_of(f.source) < own_trust for f in incoming),
        "inbound_unauthenticated": any(f.authentication is Authentication.NONE for f in incoming),
        "outbound_kinds": frozenset(_kind(index, f.destination) for f in outgoing),
        "inbound_kinds": frozenset(_kind(index, f.source) for f in incoming),
        "flows_in": len(incoming),
        "flows_out": len(outgoing),
        "controls": _implemented(index, comp.controls) if comp else frozenset(),
        "reachable_by_external": reach("external", element.id),
        "reachable_by_internal": reach("internal", element.id),
        "person": top.person[element.id],
        "third_party": third_party,
        "vendor_hosted": _vendor_hosted(top, element),
        "entry_point": _entry_point(top, element),
        "reached_from_internet": reached.internet or bool(comp and comp.internet_facing),
        "reached_from_lower_trust": reached.trust is not None and reached.trust < own_trust,
        "reached_by_people": reached.people,
        "reached_parties": reached.parties,
        "reached_kinds": reached.kinds,
        "inbound_people": any(top.person[f.source] for f in incoming),
        "sign_ins": reached.sign_ins,
        "sign_in_parties": reached.sign_in_parties,
        "admin_reached_from_lower_trust": _admin_reached_from_lower_trust(top, element.id, own_trust),
        "callers_reached_from_internet": _callers_reached_from_internet(top, incoming),
        "callers_take_anonymous_requests": any(
            f.source in top.anonymous_inbound for f in incoming if not top.nature[f.id].remote_session),
        "logs_to_third_party": any(top.kind(f.destination) in ("log-store", "monitoring")
                                   and _vendor_hosted(top, index.elements[f.destination]) for f in outgoing),
        "stores_personal_data": any(a.personal_data for a in stored),
        "receives_personal_data": (any(a.personal_data for a in assets) if party is not None else
                                   any(index.assets[a].personal_data for f in incoming for a in f.data
                                       if a in index.assets)),
        "holds_secrets": any(a.kind is AssetKind.CREDENTIAL and not a.personal_data for a in assets),
        "fetches_urls": comp is not None and _fetches_urls(top, element, outgoing),
        "in_cloud": comp is not None and top.in_cloud(element.id),
        "windows": comp is not None and runs_windows(comp.technology),
        "end_of_life": comp is not None and end_of_life(comp.technology),
    }


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
    if comp is None or _third_party(top, element):
        return _third_party(top, element)
    return comp.kind.value not in CLIENTS | DEVICES and top.in_internet_zone(element.id) and not comp.internet_facing


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


def _admin_reached_from_lower_trust(top: Topology, element_id: str, own_trust: int) -> bool:
    for flow in top.index.incoming.get(element_id, []):
        nature = top.nature[flow.id]
        if not nature.administrative:
            continue
        origin = top.flow_origin(flow)
        lower = origin.trust is not None and origin.trust < own_trust
        if lower and (origin.people or origin.internet or nature.remote_session):
            return True
    return False


def _kind(index: ModelIndex, element_id: str) -> str:
    comp = index.components.get(element_id)
    return comp.kind.value if comp else ComponentKind.USER.value


def flow_facts(index: ModelIndex, flow: Flow) -> Facts:
    top = topology_of(index)
    source, destination = index.elements[flow.source], index.elements[flow.destination]
    s_trust, d_trust = index.trust_of(flow.source), index.trust_of(flow.destination)
    data = [index.assets[a] for a in flow.data if a in index.assets]
    origin, nature = top.flow_origin(flow), top.nature[flow.id]
    return {
        "authentication": flow.authentication.value,
        "authorization": flow.authorization.value,
        "encryption": flow.encryption.value,
        "protocol": flow.protocol or "",
        "port": flow.port or 0,
        "tags": frozenset(flow.tags),
        "bidirectional": flow.bidirectional,
        "crosses_boundary": source.zone != destination.zone,
        "trust_increases": s_trust < d_trust,
        "trust_decreases": s_trust > d_trust,
        "from_internet": index.is_internet(flow.source),
        "classification": _highest([a.classification for a in data], Classification),
        "confidentiality": _highest([a.confidentiality for a in data], Level),
        "integrity": _highest([a.integrity for a in data], Level),
        "personal_data": any(a.personal_data for a in data),
        "asset_kinds": frozenset(a.kind.value for a in data),
        "carries_data": bool(data),
        "controls": _implemented(index, flow.controls),
        "origin_internet": origin.internet,
        "origin_person": origin.people,
        "origin_parties": origin.parties,
        "origin_kinds": origin.kinds,
        "sign_in": nature.sign_in,
        "local": nature.local,
        "administrative": nature.administrative,
        "remote_session": nature.remote_session,
    }
