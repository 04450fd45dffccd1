"""The threatloom model format (version 1) as typed, immutable pydantic models.

Field descriptions here are the source of the JSON Schema (`threatloom schema`) and are checked
against docs/model.md by a test, so the reference and the code cannot drift apart.
"""

from __future__ import annotations

import bisect
import datetime as dt
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from threatloom.errors import SourceLocation
from threatloom.model.vocabulary import (
    ActorKind,
    ActorOrigin,
    AssetKind,
    Assurance,
    Authentication,
    Authorization,
    Category,
    Classification,
    ComponentKind,
    ControlStatus,
    Effectiveness,
    ElementType,
    Encryption,
    Level,
    Motivation,
    PartyKind,
    Resources,
    RiskMethod,
    SecurityProperty,
    Skill,
    TeamRole,
    ThreatStatus,
    Treatment,
)

if TYPE_CHECKING:
    from threatloom.model.confinement import FilesRoot
    from threatloom.model.index import ModelIndex

FORMAT_VERSION = 1

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$"
THREAT_PATTERN = r"^[A-Za-z0-9_.:@*?-]{1,400}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
RESULT_PATTERN = r"^(pass|fail|partial)$"

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""An ID others refer to: starts with a letter; letters, digits, `_ . : -`; at most 128 characters."""

ThreatPattern = Annotated[str, StringConstraints(pattern=THREAT_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]


def _misplaced(key: str, message: str, hint: str) -> PydanticCustomError:
    """A check across fields, reported at `key` of the section (with a hint) rather than at the section."""
    return PydanticCustomError("cross_field", "{message}", {"message": message, "key": key, "hint": hint})


class Strict(BaseModel):
    """Base of every section: unknown keys are errors and loaded models never change."""

    # validators are built on first use: the model's own includes every section's, so building each
    # section's at import was 30 ms of start-up spent on validators nothing calls
    # numbers are finite: `1e999` (text to YAML, a float to pydantic) would otherwise become infinity
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              use_enum_values=False, defer_build=True, allow_inf_nan=False)


class Objective(Strict):
    id: Identifier = Field(description="Stable ID of the objective.")
    description: Text = Field(description="What must hold, in plain words.")
    property: SecurityProperty = Field(
        description="The security property it protects: confidentiality, integrity, availability, "
        "compliance or privacy.")
    compliance: ShortText | None = Field(None, description="The regulation or standard behind it, if any.")


class TeamMember(Strict):
    name: ShortText = Field(description="Person's name.")
    role: TeamRole = Field(description="Role in the exercise: threat-modeller, engineer, business-owner, "
                           "security, architect, product, operations or compliance.")
    email: ShortText | None = Field(None, description="Contact address.")


class Scope(Strict):
    in_scope: tuple[Text, ...] = Field((), description="What this model covers.")
    out_of_scope: tuple[Text, ...] = Field((), description="What it deliberately leaves out, and why.")
    assumptions: tuple[Text, ...] = Field((), description="Assumptions the analysis rests on.")


class System(Strict):
    name: ShortText = Field(description="Name of the system modelled.")
    description: Text = Field("", description="What the system does and for whom.")
    owner: ShortText | None = Field(None, description="Accountable owner of the system.")
    version: ShortText | None = Field(None, description="Version or release of the system modelled.")
    scope: Scope = Field(default_factory=Scope, description="What is in and out of scope.")
    objectives: tuple[Objective, ...] = Field((), description="Security objectives.")
    risk_appetite: Level = Field(
        Level.MEDIUM,
        description="Risks above this level must be treated (reduced, avoided, transferred, or accepted "
        "by an approver).")
    team: tuple[TeamMember, ...] = Field((), description="People taking part in the exercise.")


class RiskBands(Strict):
    """Lowest score (1-25 on the matrix) that reaches each band; below `medium` is low."""

    medium: int = Field(6, ge=1, le=25, description="Lowest score rated medium.")
    high: int = Field(12, ge=1, le=25, description="Lowest score rated high.")
    critical: int = Field(20, ge=1, le=25, description="Lowest score rated critical.")

    @model_validator(mode="after")
    def _ordered(self) -> RiskBands:
        hint = "the lowest score of each band must be above the one before: medium < high < critical"
        if self.high <= self.medium:
            raise _misplaced("high", f"bands must increase: high ({self.high}) is not above medium "
                             f"({self.medium})", hint)
        if self.critical <= self.high:
            raise _misplaced("critical", f"bands must increase: critical ({self.critical}) is not above high "
                             f"({self.high})", hint)
        return self


class RiskSettings(Strict):
    method: RiskMethod = Field(RiskMethod.MATRIX, description="Scoring method: `matrix` (5×5 likelihood × "
                               "impact) or `owasp` (OWASP Risk Rating Methodology).")
    bands: RiskBands = Field(default_factory=RiskBands, description="Score thresholds of the levels.")


class Money(Strict):
    amount: float = Field(ge=0, description="Monetary value.")
    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)] = Field(
        "EUR", description="ISO 4217 currency code.")


class Asset(Strict):
    id: Identifier = Field(description="Stable ID.")
    name: ShortText = Field(description="Human name.")
    description: Text = Field("", description="What it is.")
    kind: AssetKind = Field(AssetKind.DATA, description="data, service, credential, hardware, software, "
                            "intellectual-property, people, reputation or infrastructure.")
    classification: Classification = Field(
        Classification.INTERNAL, description="public, internal, confidential or restricted.")
    confidentiality: Level = Field(Level.MEDIUM, description="Harm if disclosed: low to critical.")
    integrity: Level = Field(Level.MEDIUM, description="Harm if altered: low to critical.")
    availability: Level = Field(Level.MEDIUM, description="Harm if unavailable: low to critical.")
    personal_data: bool = Field(False, description="Holds personal data (drives LINDDUN privacy rules).")
    owner: ShortText | None = Field(None, description="Who is accountable for it.")
    value: Money | None = Field(None, description="Optional monetary value.")


class Capability(Strict):
    skill: Skill = Field(Skill.MEDIUM, description="none, low, medium, high or expert.")
    resources: Resources = Field(Resources.INDIVIDUAL, description="individual, group, organisation or "
                                 "government.")


class Actor(Strict):
    id: Identifier = Field(description="Stable ID.")
    name: ShortText = Field(description="Human name.")
    description: Text = Field("", description="Who they are.")
    origin: ActorOrigin = Field(description="internal or external.")
    kind: ActorKind = Field(description="cybercriminal, nation-state, insider, competitor, hacktivist, "
                            "opportunist, vendor, terrorist or researcher.")
    motivation: tuple[Motivation, ...] = Field((), description="Why they attack.")
    capability: Capability = Field(default_factory=Capability, description="Skill and resources.")
    starts_in: tuple[Identifier, ...] = Field(
        description="Zones or elements the actor can reach to begin with.", min_length=1)
    social_engineering: bool | None = Field(
        None, description="Reaches people by e-mail, phone or message (phishing, pretexting), whatever the "
        "flows say; when absent, external actors do and internal ones do not.")
    intelligence: Text = Field("", description="Threat intelligence: who attacks systems like this one.")

    @property
    def phishes(self) -> bool:
        """Whether the actor reaches people directly, by e-mail, phone or message."""
        if self.social_engineering is not None:
            return self.social_engineering
        return self.origin is ActorOrigin.EXTERNAL


class Zone(Strict):
    id: Identifier = Field(description="Stable ID.")
    name: ShortText = Field(description="Human name.")
    description: Text = Field("", description="What lives here.")
    trust: int = Field(ge=0, le=10, description="Trust level from 0 (hostile, e.g. the internet) to 10.")
    parent: Identifier | None = Field(None, description="Enclosing zone, for nesting.")
    internet: bool = Field(False, description="This zone is the public internet.")


class Technology(Strict):
    name: ShortText = Field(description="Product or framework.")
    version: ShortText | None = Field(None, description="Version in use.")
    purl: ShortText | None = Field(None, description="Package URL.")
    cpe: ShortText | None = Field(None, description="CPE 2.3 name.")


def _technology_from_text(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class Party(Strict):
    """A customer, employee group, partner or vendor: an external entity of the environment."""

    id: Identifier = Field(description="Stable ID.")
    name: ShortText = Field(description="Human name.")
    description: Text = Field("", description="Who they are.")
    kind: PartyKind = Field(description="customer, employee, partner, vendor, regulator or public.")
    trust: int = Field(ge=0, le=10, description="How far the system trusts them, 0 to 10.")
    zone: Identifier | None = Field(None, description="Zone they act from.")
    assurance: Assurance = Field(Assurance.NONE, description="For vendors and partners: none, self-assessed, "
                                 "contractual, audited or certified.")
    receives: tuple[Identifier, ...] = Field((), description="Assets they receive.")
    access: tuple[Identifier, ...] = Field((), description="Elements they hold access to.")
    controls: tuple[Identifier, ...] = Field((), description="Controls in place for them (IDs in `controls`), "
                                             "such as staff MFA or a vendor's audited assurance.")
    tags: tuple[ShortText, ...] = Field((), description="Free labels.")


class Component(Strict):
    id: Identifier = Field(description="Stable ID.")
    name: ShortText = Field(description="Human name.")
    description: Text = Field("", description="What it does.")
    type: ElementType = Field(description="process, data-store or external-entity.")
    kind: ComponentKind = Field(ComponentKind.OTHER, description="What it is, so rules can target it.")
    technology: Technology | None = Field(None, description="Technology: text, or name/version/purl/cpe.")
    zone: Identifier | None = Field(None, description="Zone it runs in.")
    internet_facing: bool = Field(False, description="Reachable from the internet.")
    stores: tuple[Identifier, ...] = Field((), description="Assets it stores.")
    processes: tuple[Identifier, ...] = Field((), description="Assets it processes.")
    controls: tuple[Identifier, ...] = Field((), description="Controls in place (IDs in `controls`).")
    encryption_at_rest: bool | None = Field(None, description="Stored data is encrypted at rest "
                                            "(null: not recorded).")
    audit_logging: bool | None = Field(None, description="Security-relevant actions are logged to a "
                                       "place the actor cannot alter (null: not recorded).")
    admin: bool = Field(False, description="Offers an administrative interface. Tag the component "
                        "`customer-admin` when that is the administration your customers' own "
                        "administrators use (TL-E014), not your staff's (TL-E001).")
    out_of_scope: bool = Field(False, description="Shown but not analysed.")
    out_of_scope_reason: Text = Field("", description="Why it is out of scope.")
    tags: tuple[ShortText, ...] = Field((), description="Free labels rules can test.")

    @model_validator(mode="before")
    @classmethod
    def _technology_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "technology" in data:
            data = {**data, "technology": _technology_from_text(data["technology"])}
        return data

    @model_validator(mode="after")
    def _reason_for_out_of_scope(self) -> Component:
        if self.out_of_scope and not self.out_of_scope_reason:
            raise _misplaced("out_of_scope", f"component {self.id!r} is out of scope but gives no reason",
                             "add `out_of_scope_reason:` saying why it is not analysed")
        return self


class Flow(Strict):
    id: Identifier = Field(description="Stable ID.")
    name: ShortText = Field(description="What moves, in a few words.")
    description: Text = Field("", description="Details.")
    source: Identifier = Field(description="Element that initiates the flow.")
    destination: Identifier = Field(description="Element that receives it.")
    protocol: ShortText | None = Field(None, description="Protocol, e.g. HTTPS, SQL, AMQP.")
    port: int | None = Field(None, ge=0, le=65535, description="Destination port.")
    authentication: Authentication = Field(
        Authentication.UNKNOWN, description="How the source proves its identity: none, api-key, password, "
        "session, token, sso, client-certificate, multi-factor or unknown.")
    authorization: Authorization = Field(
        Authorization.UNKNOWN, description="none, coarse, role-based, attribute-based, owner-check or unknown.")
    encryption: Encryption = Field(
        Encryption.UNKNOWN, description="In transit: none, tls, mutual-tls, ssh, vpn, application or unknown.")
    data: tuple[Identifier, ...] = Field((), description="Assets carried.")
    bidirectional: bool = Field(False, description="Data also flows back.")
    controls: tuple[Identifier, ...] = Field((), description="Controls in place on this flow.")
    tags: tuple[ShortText, ...] = Field((), description="Free labels rules can test.")


class ControlValidation(Strict):
    date: dt.date = Field(description="When the control was checked.")
    method: ShortText = Field(description="How: test, pentest, review, scan, audit…")
    result: Annotated[str, StringConstraints(pattern=RESULT_PATTERN)] = Field(
        description="pass, fail or partial.")
    notes: Text = Field("", description="Evidence or findings.")


class Control(Strict):
    id: Identifier = Field(description="Stable ID.")
    name: ShortText = Field(description="Human name.")
    description: Text = Field("", description="What it does.")
    implements: tuple[Identifier, ...] = Field(
        (), description="Catalog control IDs this control realises (see `threatloom rules show`).")
    status: ControlStatus = Field(ControlStatus.IMPLEMENTED, description="implemented, partial or planned.")
    effectiveness: Effectiveness = Field(Effectiveness.MEDIUM, description="low, medium or high.")
    owner: ShortText | None = Field(None, description="Who runs it.")
    validations: tuple[ControlValidation, ...] = Field((), description="Checks that it works.")


class Decision(Strict):
    threat: ThreatPattern = Field(description="Threat ID, with `*` and `?` wildcards.")
    treatment: Treatment = Field(description="avoid, transfer, reduce or accept.")
    status: ThreatStatus | None = Field(None, description="open, in-progress, mitigated, accepted, "
                                        "transferred, avoided or false-positive; defaults from treatment.")
    owner: ShortText | None = Field(None, description="Who carries it out.")
    ticket: ShortText | None = Field(None, description="Tracker reference.")
    due: dt.date | None = Field(None, description="Due date.")
    justification: Text = Field("", description="Why this treatment.")
    approver: ShortText | None = Field(None, description="Who approved it (required to accept a risk "
                                       "above the appetite).")
    expires: dt.date | None = Field(None, description="When an acceptance lapses.")
    controls: tuple[Identifier, ...] = Field((), description="Catalog control IDs chosen to treat it.")


class ManualThreat(Strict):
    """A threat written by people with the threat grammar: source, prerequisites, action, impact."""

    id: Identifier = Field(description="Stable ID.")
    title: ShortText | None = Field(None, description="Short title; built from the grammar when absent.")
    category: Category = Field(description="STRIDE or LINDDUN category.")
    source: ShortText = Field(description="Who: the threat source.")
    actor: Identifier | None = Field(None, description="Threat actor ID, when one fits.")
    prerequisites: Text = Field("", description="What the source needs first.")
    action: Text = Field(description="What they can do.")
    impact: Text = Field(description="What follows.")
    goals: tuple[SecurityProperty, ...] = Field((), description="Properties harmed.")
    assets: tuple[Identifier, ...] = Field((), description="Assets at stake.")
    elements: tuple[Identifier, ...] = Field(min_length=1, description="Elements concerned.")
    likelihood: int | None = Field(None, ge=1, le=5, description="Likelihood 1-5, when judged by hand.")
    impact_rating: int | None = Field(None, ge=1, le=5, description="Impact 1-5, when judged by hand.")
    cvss: ShortText | None = Field(None, description="CVSS v3.1 or v4.0 vector.")
    controls: tuple[Identifier, ...] = Field((), description="Candidate catalog control IDs.")
    mitigations: tuple[Identifier, ...] = Field(
        (), description="Controls of this model (IDs in `controls`) that address this threat; each one in "
        "place lowers its residual risk, as its status and effectiveness say.")
    capec: tuple[int, ...] = Field((), description="CAPEC IDs.")
    cwe: tuple[int, ...] = Field((), description="CWE IDs.")
    attack: tuple[ShortText, ...] = Field((), description="MITRE ATT&CK technique IDs.")
    refines: tuple[ThreatPattern, ...] = Field(
        (), description="Generated threats this one describes in the team's words (IDs, with `*` and `?` "
        "wildcards): they are not listed on their own, and this threat carries their elements, assets, "
        "actors, references, tags and detection hints; a generated threat it rates lower stays listed.")


class Review(Strict):
    date: dt.date = Field(description="When.")
    participants: tuple[ShortText, ...] = Field(min_length=1, description="Who took part.")
    outcome: Text = Field(description="What was concluded.")
    fixes: tuple[Text, ...] = Field((), description="Fixes applied since the last review.")
    successes: tuple[Text, ...] = Field((), description="What went well.")
    lessons: tuple[Text, ...] = Field((), description="Lessons learned.")


class Note(Strict):
    """Something the model keeps without a field of its own, e.g. what an import could not map."""

    about: Identifier | None = Field(None, description="ID of the element, flow, zone, asset, actor, control or "
                                     "threat it concerns; none for the model as a whole.")
    source: ShortText = Field(description="Where it comes from, e.g. the tool and the place in its file.")
    text: Text = Field(description="The content, kept as written.")


class Model(Strict):
    """A whole threat model: what people write, after includes are joined."""

    threatloom: int = Field(description="Format version; must be 1.")
    system: System = Field(description="The system and its scope.")
    risk: RiskSettings = Field(default_factory=RiskSettings, description="How risk is scored.")
    rules: tuple[ShortText, ...] = Field((), description="Files or folders of your own rules, relative to "
                                         "this file.")
    assets: tuple[Asset, ...] = Field((), description="What is worth protecting.")
    actors: tuple[Actor, ...] = Field((), description="Threat actors.")
    zones: tuple[Zone, ...] = Field((), description="Trust zones.")
    environment: tuple[Party, ...] = Field((), description="Customers, employees, partners and vendors.")
    components: tuple[Component, ...] = Field((), description="Processes, data stores, external systems.")
    flows: tuple[Flow, ...] = Field((), description="Data flows between elements.")
    controls: tuple[Control, ...] = Field((), description="Controls in place or planned.")
    decisions: tuple[Decision, ...] = Field((), description="Decisions on threats, by threat ID.")
    threats: tuple[ManualThreat, ...] = Field((), description="Threats written by hand.")
    reviews: tuple[Review, ...] = Field((), description="Review history.")
    notes: tuple[Note, ...] = Field((), description="Notes kept with the model (imports keep here what they "
                                    "could not map).")

    _sources: dict[str, SourceLocation] = PrivateAttr(default_factory=dict)
    _index: ModelIndex | None = PrivateAttr(default=None)
    _files_root: FilesRoot | None = PrivateAttr(default=None)
    _files: tuple[str, ...] = PrivateAttr(default=())
    _local_starts: dict[str, tuple[tuple[int, int], ...]] = PrivateAttr(default_factory=dict)

    @property
    def files_root(self) -> FilesRoot | None:
        """Where the files this model names (includes, rule files) must lie; None for a model not read
        from a file."""
        return self._files_root

    def locate(self, key: str) -> SourceLocation:
        """Where an element, decision or section was written (`"components/web"`, `"decisions/3"`)."""
        return self._sources.get(key) or self._sources.get("", SourceLocation("<model>"))

    def source_files(self) -> tuple[str, ...]:
        """The real paths of the files the model was read from: its own and every file it includes, those
        that only include others too (none for a model given as text)."""
        return self._files

    def local_path(self, section: str, index: int) -> str:
        """The path of item `index` of a merged list section as written in its own file
        (`components[1]` of an included file rather than `components[7]` of the merged model)."""
        runs = self._local_starts.get(section, ())
        at = bisect.bisect_right(runs, (index, sys.maxsize)) - 1
        return f"{section}[{index - runs[at][0] + runs[at][1] if at >= 0 else index}]"

    def locator(self) -> Callable[[str], SourceLocation]:
        """:meth:`locate` for callers that ask for thousands of places (a private attribute costs a
        look-up through pydantic each time it is read)."""
        sources = self._sources
        fallback = sources.get("", SourceLocation("<model>"))
        return lambda key: sources.get(key) or fallback

    @property
    def index(self) -> ModelIndex:
        """Look-ups by ID (a :class:`threatloom.model.index.ModelIndex`), built once."""
        if self._index is None:
            from threatloom.model.index import ModelIndex

            self._index = ModelIndex(self)
        return self._index
