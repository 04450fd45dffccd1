"""Facts: the typed attributes rule conditions may test, computed once per element and per flow.

Each fact has a kind that says which operators and values a condition may use with it; the registry
below is the whole vocabulary of the rule language, so a rule naming anything else fails to load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

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

ELEMENT_FACTS: dict[str, tuple[FactKind, str]] = {
    "type": (ELEMENT_TYPE, "process, data-store or external-entity"),
    "kind": (COMPONENT_KIND, "component kind (`user` for parties of the environment)"),
    "party": (PARTY_KIND, "kind of party for environment entities (customer, vendor…); null otherwise"),
    "trust": (INT, "trust level 0-10 (a party's own, else its zone's)"),
    "internet": (BOOL, "in an internet zone or marked internet_facing"),
    "internet_facing": (BOOL, "marked internet_facing"),
    "admin": (BOOL, "offers an administrative interface"),
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
    assets = index.assets_at(element.id)
    stored = [index.assets[a] for a in comp.stores if a in index.assets] if comp else []
    incoming, outgoing = index.incoming.get(element.id, []), index.outgoing.get(element.id, [])
    own_trust = index.trust_of(element.id)
    technology = ""
    if comp is not None and comp.technology is not None:
        technology = f"{comp.technology.name} {comp.technology.version or ''}".strip()
    return {
        "type": element.type.value,
        "kind": comp.kind.value if comp else ComponentKind.USER.value,
        "party": party.kind.value if party else None,
        "trust": own_trust,
        "internet": index.is_internet(element.id),
        "internet_facing": bool(comp and comp.internet_facing),
        "admin": bool(comp and comp.admin),
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
    }


def _kind(index: ModelIndex, element_id: str) -> str:
    comp = index.components.get(element_id)
    return comp.kind.value if comp else ComponentKind.USER.value


def flow_facts(index: ModelIndex, flow: Flow) -> Facts:
    source, destination = index.elements[flow.source], index.elements[flow.destination]
    s_trust, d_trust = index.trust_of(flow.source), index.trust_of(flow.destination)
    data = [index.assets[a] for a in flow.data if a in index.assets]
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
    }
