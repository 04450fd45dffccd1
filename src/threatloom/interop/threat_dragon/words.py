"""Threat Dragon's words and threatloom's: threat types, statuses, severities, element kinds and roles.

Threat Dragon spells its threat types as its English interface shows them ("Information disclosure",
"Denial of service"); files written by other versions or by hand vary in case and spacing, so
look-ups compare a folded form (letters and digits only, lower case).
"""

from __future__ import annotations

import re
from functools import lru_cache

from threatloom.model.vocabulary import (
    Category,
    ComponentKind,
    Level,
    PartyKind,
    SecurityProperty,
    TeamRole,
    ThreatStatus,
    Treatment,
)

# Export: the type name Threat Dragon shows for each category, and the methodology it belongs to.
STRIDE_NAMES = {
    Category.SPOOFING: "Spoofing",
    Category.TAMPERING: "Tampering",
    Category.REPUDIATION: "Repudiation",
    Category.INFORMATION_DISCLOSURE: "Information disclosure",
    Category.DENIAL_OF_SERVICE: "Denial of service",
    Category.ELEVATION_OF_PRIVILEGE: "Elevation of privilege",
}
LINDDUN_NAMES = {
    Category.LINKING: "Linkability",
    Category.IDENTIFYING: "Identifiability",
    Category.NON_REPUDIATION: "Non-repudiation",
    Category.DETECTING: "Detectability",
    Category.DATA_DISCLOSURE: "Disclosure of information",
    Category.UNAWARENESS: "Unawareness",
    Category.NON_COMPLIANCE: "Non-compliance",
}
TYPE_NAMES = {**STRIDE_NAMES, **LINDDUN_NAMES}


def fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_C, _I, _A = SecurityProperty.CONFIDENTIALITY, SecurityProperty.INTEGRITY, SecurityProperty.AVAILABILITY
# Import: folded type -> (category, goals). CIA and CIA-DIE types name a property, not a category: each
# becomes the STRIDE category that harms that property (DIE pairs Distributed with availability,
# Immutable with integrity, Ephemeral with confidentiality). EoP card suits map where one category fits.
_TYPES: dict[str, tuple[Category, tuple[SecurityProperty, ...]]] = {
    **{fold(name): (category, ()) for category, name in TYPE_NAMES.items()},
    **{fold(category.value): (category, ()) for category in Category},
    "linking": (Category.LINKING, ()),
    "datadisclosure": (Category.DATA_DISCLOSURE, ()),
    "confidentiality": (Category.INFORMATION_DISCLOSURE, (_C,)),
    "integrity": (Category.TAMPERING, (_I,)),
    "availability": (Category.DENIAL_OF_SERVICE, (_A,)),
    "ephemeral": (Category.INFORMATION_DISCLOSURE, (_C,)),
    "immutable": (Category.TAMPERING, (_I,)),
    "distributed": (Category.DENIAL_OF_SERVICE, (_A,)),
    "identifiabilitylinkability": (Category.IDENTIFYING, ()),  # PLOT4ai
    "authentication": (Category.SPOOFING, ()),  # EoP suits
    "sessionmanagement": (Category.SPOOFING, ()),
    "authorization": (Category.ELEVATION_OF_PRIVILEGE, ()),
    "cryptography": (Category.INFORMATION_DISCLOSURE, ()),
    "datavalidationencoding": (Category.TAMPERING, ()),
}


def threat_category(type_name: str) -> tuple[Category, tuple[SecurityProperty, ...]] | None:
    """The category (and harmed properties, for CIA types) of a Threat Dragon threat type."""
    return _TYPES.get(fold(type_name))


def fallback_category(element_kind: str) -> Category:
    """What Threat Dragon itself proposes for a new threat: spoofing on actors and processes, else tampering."""
    return Category.SPOOFING if element_kind in ("actor", "process") else Category.TAMPERING


# Import: folded status -> (treatment, status) of the decision; None for an open threat (no decision).
_STATUSES: dict[str, tuple[Treatment, ThreatStatus] | None] = {
    "open": None,
    "mitigated": (Treatment.REDUCE, ThreatStatus.MITIGATED),
    "na": (Treatment.AVOID, ThreatStatus.FALSE_POSITIVE),
    "notapplicable": (Treatment.AVOID, ThreatStatus.FALSE_POSITIVE),
    "accepted": (Treatment.ACCEPT, ThreatStatus.ACCEPTED),
    "transferred": (Treatment.TRANSFER, ThreatStatus.TRANSFERRED),
    "avoided": (Treatment.AVOID, ThreatStatus.AVOIDED),
    "eliminated": (Treatment.AVOID, ThreatStatus.AVOIDED),
}


def decision_for(status: str) -> tuple[bool, tuple[Treatment, ThreatStatus] | None]:
    """(known, decision) for a Threat Dragon status; unknown statuses are (False, None)."""
    key = fold(status)
    return key in _STATUSES, _STATUSES.get(key)


# Export: the status people decided -> Threat Dragon's status.
EXPORT_STATUS = {
    ThreatStatus.OPEN: "Open",
    ThreatStatus.IN_PROGRESS: "Open",
    ThreatStatus.MITIGATED: "Mitigated",
    ThreatStatus.FALSE_POSITIVE: "NA",
    ThreatStatus.ACCEPTED: "Accepted",
    ThreatStatus.TRANSFERRED: "Transferred",
    ThreatStatus.AVOIDED: "Avoided",
}

# Severity -> likelihood and impact (1-5, both alike: Threat Dragon rates risk on one scale); TBD -> none.
_SEVERITY = {"low": 2, "medium": 3, "high": 4, "critical": 5, "tbd": None, "": None}
EXPORT_SEVERITY = {Level.LOW: "Low", Level.MEDIUM: "Medium", Level.HIGH: "High", Level.CRITICAL: "Critical"}


def severity_rating(severity: str) -> tuple[bool, int | None]:
    """(known, rating 1-5 or None) for a Threat Dragon severity."""
    key = fold(severity)
    return key in _SEVERITY, _SEVERITY.get(key)


@lru_cache(maxsize=4096)
def _words_of(name: str) -> tuple[str, frozenset[str]]:
    """The name as lower-case words joined by spaces, and its words with their plural `s` also dropped."""
    tokens = re.findall(r"[a-z0-9]+", name.lower())
    singular = {t[:-1] for t in tokens if t.endswith("s") and len(t) > 3}
    return " ".join(tokens), frozenset(tokens) | singular


def _mentions(name: str, words: tuple[str, ...]) -> bool:
    """True when `name` holds one of `words`: words under seven letters as whole words (or their
    plural), longer ones and phrases anywhere ("PostgresSQL" mentions "postgres"; "Debug" does not
    mention "db")."""
    text, tokens = _words_of(name)
    return any(word in text if " " in word or len(word) >= 7 else word in tokens for word in words)


K = ComponentKind
# Kinds read from names, first match wins; each list is for one Threat Dragon element type.
PROCESS_KINDS: tuple[tuple[ComponentKind, tuple[str, ...]], ...] = (
    (K.API_GATEWAY, ("api gateway", "gateway")),
    (K.LOAD_BALANCER, ("load balancer", "balancer")),
    (K.REVERSE_PROXY, ("reverse proxy", "proxy", "nginx")),
    (K.WAF, ("waf", "firewall")),
    (K.IDENTITY_PROVIDER, ("identity", "idp", "sso", "oauth", "login", "keycloak", "okta")),
    (K.WEB_APPLICATION, ("web application", "web app", "webapp", "website", "web site", "web ui", "web server",
                         "frontend", "front end", "portal")),
    (K.API, ("api", "web service", "rest", "graphql", "endpoint")),
    (K.WORKER, ("worker", "background", "job", "batch", "scheduler", "cron")),
    (K.FUNCTION, ("lambda", "function", "serverless")),
    (K.DATABASE, ("database", "postgres", "mysql", "mariadb", "mongodb", "oracle", "sql", "db")),
    (K.QUEUE, ("queue", "kafka", "rabbitmq", "broker")),
    (K.CACHE, ("cache", "redis", "memcache")),
    (K.MOBILE_APP, ("mobile", "android", "ios", "iphone")),
    (K.BROWSER, ("browser",)),
    (K.DESKTOP_APP, ("desktop",)),
    (K.MONITORING, ("monitoring", "siem", "metrics")),
    (K.EMAIL, ("email", "e mail", "smtp", "mail")),
)
STORE_KINDS: tuple[tuple[ComponentKind, tuple[str, ...]], ...] = (
    (K.QUEUE, ("queue", "topic", "kafka", "rabbitmq", "sqs", "bus", "broker", "stream")),
    (K.CACHE, ("cache", "redis", "memcache")),
    (K.SECRETS_MANAGER, ("secret", "vault", "keystore", "key store")),
    (K.KEY_MANAGEMENT, ("kms", "key management")),
    (K.BACKUP, ("backup",)),
    (K.OBJECT_STORAGE, ("bucket", "s3", "blob", "object storage")),
    (K.LOG_STORE, ("log", "audit")),
    (K.FILE_STORAGE, ("file", "config", "configuration", "share", "disk", "filesystem")),
    (K.DATABASE, ("database", "postgres", "mysql", "mariadb", "mongo", "mongodb", "oracle", "dynamodb", "cosmos",
                  "sql", "db", "table")),
)
EXTERNAL_KINDS: tuple[tuple[ComponentKind, tuple[str, ...]], ...] = (
    (K.BROWSER, ("browser",)),
    (K.MOBILE_APP, ("mobile", "android", "ios", "iphone")),
    (K.IDENTITY_PROVIDER, ("identity", "idp", "sso", "oauth")),
    (K.EMAIL, ("email", "e mail", "smtp", "mail")),
    (K.THIRD_PARTY_SERVICE, ("api", "service", "provider", "saas", "bank", "partner system", "third party")),
)


def kind_from_name(name: str, table: tuple[tuple[ComponentKind, tuple[str, ...]], ...],
                   default: ComponentKind) -> ComponentKind:
    for kind, words in table:
        if _mentions(name, words):
            return kind
    return default


# Actors that name people become parties of the environment; their kind and how far they are trusted.
_PEOPLE: tuple[tuple[PartyKind, tuple[str, ...]], ...] = (
    (PartyKind.EMPLOYEE, ("employee", "staff", "admin", "administrator", "operator", "clerk", "nurse", "doctor",
                          "clinician", "developer", "engineer", "support", "analyst", "teller", "cashier",
                          "technician", "moderator", "agent")),
    (PartyKind.VENDOR, ("vendor", "supplier", "contractor")),
    (PartyKind.PARTNER, ("partner", "merchant", "reseller", "affiliate")),
    (PartyKind.REGULATOR, ("regulator", "auditor")),
    (PartyKind.CUSTOMER, ("customer", "user", "patient", "shopper", "buyer", "consumer", "member", "citizen",
                          "student", "player", "subscriber")),
    (PartyKind.PUBLIC, ("public", "anonymous", "guest", "visitor", "person", "people", "human", "attacker",
                        "anyone")),
)
PARTY_TRUST = {PartyKind.CUSTOMER: 1, PartyKind.PUBLIC: 0, PartyKind.PARTNER: 3, PartyKind.VENDOR: 3,
               PartyKind.REGULATOR: 3, PartyKind.EMPLOYEE: 5}


def party_kind(name: str) -> PartyKind | None:
    """The kind of party an actor's name says it is, or None when it names no person."""
    if _mentions(name, ("browser", "app", "application", "system", "service", "server", "api", "device")):
        return None  # "Customer browser", "User app": software acting for people, not the people
    for kind, words in _PEOPLE:
        if _mentions(name, words):
            return kind
    return None


_ROLES: tuple[tuple[TeamRole, tuple[str, ...]], ...] = (
    (TeamRole.SECURITY, ("security", "secops", "pentester", "ciso")),
    (TeamRole.ARCHITECT, ("architect",)),
    (TeamRole.PRODUCT, ("product",)),
    (TeamRole.OPERATIONS, ("operations", "ops", "sre", "devops")),
    (TeamRole.COMPLIANCE, ("compliance", "legal", "privacy", "audit")),
    (TeamRole.BUSINESS_OWNER, ("owner", "business")),
    (TeamRole.ENGINEER, ("engineer", "developer", "dev", "programmer")),
)


def team_role(name: str, default: TeamRole) -> TeamRole:
    for role, words in _ROLES:
        if _mentions(name, words):
            return role
    return default


def internet_name(name: str) -> bool:
    """A trust boundary box named for the internet holds internet elements."""
    return _mentions(name, ("internet", "www"))
