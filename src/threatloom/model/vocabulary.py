"""Closed vocabularies of the model format.

Every enumerated value in a model file comes from here, so that a rule condition naming a value
outside these sets is an error when the rule loads, never a silent False.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """An ordinal rating used for CIA ratings, risk levels and the risk appetite."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3, Level.CRITICAL: 4}


class Classification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return _ORDINALS[type(self)][self.value]


class AssetKind(StrEnum):
    DATA = "data"
    SERVICE = "service"
    CREDENTIAL = "credential"
    HARDWARE = "hardware"
    SOFTWARE = "software"
    INTELLECTUAL_PROPERTY = "intellectual-property"
    PEOPLE = "people"
    REPUTATION = "reputation"
    INFRASTRUCTURE = "infrastructure"


class SecurityProperty(StrEnum):
    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"
    COMPLIANCE = "compliance"
    PRIVACY = "privacy"


class TeamRole(StrEnum):
    THREAT_MODELLER = "threat-modeller"
    ENGINEER = "engineer"
    BUSINESS_OWNER = "business-owner"
    SECURITY = "security"
    ARCHITECT = "architect"
    PRODUCT = "product"
    OPERATIONS = "operations"
    COMPLIANCE = "compliance"


class ActorOrigin(StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"


class ActorKind(StrEnum):
    CYBERCRIMINAL = "cybercriminal"
    NATION_STATE = "nation-state"
    INSIDER = "insider"
    COMPETITOR = "competitor"
    HACKTIVIST = "hacktivist"
    OPPORTUNIST = "opportunist"
    VENDOR = "vendor"
    TERRORIST = "terrorist"
    RESEARCHER = "researcher"


class Skill(StrEnum):
    """Actor skill, ordered from least to most capable."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    EXPERT = "expert"

    @property
    def rank(self) -> int:
        return _ORDINALS[type(self)][self.value] - 1


class Resources(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"
    ORGANISATION = "organisation"
    GOVERNMENT = "government"

    @property
    def rank(self) -> int:
        return _ORDINALS[type(self)][self.value]


class Motivation(StrEnum):
    FINANCIAL = "financial"
    ESPIONAGE = "espionage"
    DISRUPTION = "disruption"
    IDEOLOGY = "ideology"
    REVENGE = "revenge"
    CURIOSITY = "curiosity"
    NEGLIGENCE = "negligence"
    COMPETITIVE_ADVANTAGE = "competitive-advantage"
    NOTORIETY = "notoriety"


class PartyKind(StrEnum):
    """External entities of the environment: who interacts with the system from outside it."""

    CUSTOMER = "customer"
    EMPLOYEE = "employee"
    PARTNER = "partner"
    VENDOR = "vendor"
    REGULATOR = "regulator"
    PUBLIC = "public"


class Assurance(StrEnum):
    """What a vendor or partner gives as evidence of its own security, weakest first."""

    NONE = "none"
    SELF_ASSESSED = "self-assessed"
    CONTRACTUAL = "contractual"
    AUDITED = "audited"
    CERTIFIED = "certified"

    @property
    def rank(self) -> int:
        return _ORDINALS[type(self)][self.value] - 1


class ElementType(StrEnum):
    PROCESS = "process"
    DATA_STORE = "data-store"
    EXTERNAL_ENTITY = "external-entity"


class ComponentKind(StrEnum):
    """What a component is, so rules can target it; `other` when nothing fits."""

    WEB_APPLICATION = "web-application"
    API = "api"
    SERVICE = "service"
    FUNCTION = "function"
    WORKER = "worker"
    MOBILE_APP = "mobile-app"
    BROWSER = "browser"
    DESKTOP_APP = "desktop-app"
    ADMIN_CONSOLE = "admin-console"
    LOAD_BALANCER = "load-balancer"
    API_GATEWAY = "api-gateway"
    REVERSE_PROXY = "reverse-proxy"
    WAF = "waf"
    IDENTITY_PROVIDER = "identity-provider"
    DATABASE = "database"
    OBJECT_STORAGE = "object-storage"
    FILE_STORAGE = "file-storage"
    CACHE = "cache"
    QUEUE = "queue"
    LOG_STORE = "log-store"
    SECRETS_MANAGER = "secrets-manager"
    KEY_MANAGEMENT = "key-management"
    BACKUP = "backup"
    SOURCE_REPOSITORY = "source-repository"
    CI_CD = "ci-cd"
    BUILD_RUNNER = "build-runner"
    ARTIFACT_REGISTRY = "artifact-registry"
    CONTAINER_REGISTRY = "container-registry"
    CLOUD_ACCOUNT = "cloud-account"
    CONTAINER_PLATFORM = "container-platform"
    VIRTUAL_MACHINE = "virtual-machine"
    IOT_DEVICE = "iot-device"
    MEDICAL_DEVICE = "medical-device"
    GATEWAY_DEVICE = "gateway-device"
    WORKSTATION = "workstation"
    MONITORING = "monitoring"
    EMAIL = "email"
    THIRD_PARTY_SERVICE = "third-party-service"
    USER = "user"
    OTHER = "other"


class Authentication(StrEnum):
    """How the initiator of a flow proves who it is, weakest first."""

    NONE = "none"
    API_KEY = "api-key"
    PASSWORD = "password"
    SESSION = "session"
    TOKEN = "token"
    SSO = "sso"
    CLIENT_CERTIFICATE = "client-certificate"
    MULTI_FACTOR = "multi-factor"
    UNKNOWN = "unknown"


class Authorization(StrEnum):
    NONE = "none"
    COARSE = "coarse"
    ROLE_BASED = "role-based"
    ATTRIBUTE_BASED = "attribute-based"
    OWNER_CHECK = "owner-check"
    UNKNOWN = "unknown"


class Encryption(StrEnum):
    """Protection of a flow in transit."""

    NONE = "none"
    TLS = "tls"
    MUTUAL_TLS = "mutual-tls"
    SSH = "ssh"
    VPN = "vpn"
    APPLICATION = "application"
    UNKNOWN = "unknown"


class ControlStatus(StrEnum):
    IMPLEMENTED = "implemented"
    PARTIAL = "partial"
    PLANNED = "planned"


class Effectiveness(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Treatment(StrEnum):
    AVOID = "avoid"
    TRANSFER = "transfer"
    REDUCE = "reduce"
    ACCEPT = "accept"


class ThreatStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in-progress"
    MITIGATED = "mitigated"
    ACCEPTED = "accepted"
    TRANSFERRED = "transferred"
    AVOIDED = "avoided"
    FALSE_POSITIVE = "false-positive"


class Category(StrEnum):
    """STRIDE and LINDDUN categories a threat belongs to."""

    SPOOFING = "spoofing"
    TAMPERING = "tampering"
    REPUDIATION = "repudiation"
    INFORMATION_DISCLOSURE = "information-disclosure"
    DENIAL_OF_SERVICE = "denial-of-service"
    ELEVATION_OF_PRIVILEGE = "elevation-of-privilege"
    LINKING = "linking"
    IDENTIFYING = "identifying"
    NON_REPUDIATION = "non-repudiation"
    DETECTING = "detecting"
    DATA_DISCLOSURE = "data-disclosure"
    UNAWARENESS = "unawareness"
    NON_COMPLIANCE = "non-compliance"

    @property
    def framework(self) -> str:
        return "STRIDE" if self in STRIDE else "LINDDUN"

    @property
    def letter(self) -> str:
        return _CATEGORY_LETTER[self]


STRIDE = (
    Category.SPOOFING,
    Category.TAMPERING,
    Category.REPUDIATION,
    Category.INFORMATION_DISCLOSURE,
    Category.DENIAL_OF_SERVICE,
    Category.ELEVATION_OF_PRIVILEGE,
)
_CATEGORY_LETTER = {
    Category.SPOOFING: "S",
    Category.TAMPERING: "T",
    Category.REPUDIATION: "R",
    Category.INFORMATION_DISCLOSURE: "I",
    Category.DENIAL_OF_SERVICE: "D",
    Category.ELEVATION_OF_PRIVILEGE: "E",
    Category.LINKING: "L",
    Category.IDENTIFYING: "I",
    Category.NON_REPUDIATION: "N",
    Category.DETECTING: "D",
    Category.DATA_DISCLOSURE: "D",
    Category.UNAWARENESS: "U",
    Category.NON_COMPLIANCE: "N",
}


# 1-based position of each member of the ordered vocabularies, computed once (ranks are hot in analysis)
# keyed by class: members of different enums may share a value ("none") and so hash alike
_ORDINALS: dict[type[StrEnum], dict[str, int]] = {
    enum: {member.value: position for position, member in enumerate(enum, start=1)}
    for enum in (Classification, Skill, Resources, Assurance)
}


class RiskMethod(StrEnum):
    MATRIX = "matrix"
    OWASP = "owasp"
