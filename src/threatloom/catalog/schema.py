"""Formats of the catalog files: threat rules and controls. Built-in and users' files are alike."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from threatloom.model.schema import Identifier, ShortText, Strict, Text
from threatloom.model.vocabulary import Category, ElementType, SecurityProperty, Skill

ControlId = Annotated[str, StringConstraints(pattern=r"^C-[A-Z0-9-]{1,60}$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,15}-[A-Z0-9-]{1,40}$")]
AttackId = Annotated[str, StringConstraints(pattern=r"^T\d{4}(\.\d{3})?$")]


class Adjustment(Strict):
    """A change to likelihood or impact when a condition holds, with the reason shown to readers."""

    when: dict[str, Any] = Field(description="Condition (same language as the rule's `when`).")
    by: int = Field(ge=-4, le=4, description="Points added (negative lowers it).")
    because: ShortText = Field(description="Why, in words a reader understands.")


class LikelihoodSpec(Strict):
    base: int = Field(3, ge=1, le=5, description="Likelihood 1-5 before adjustments.")
    adjust: tuple[Adjustment, ...] = Field((), description="Conditional adjustments.")


class ImpactSpec(Strict):
    affects: tuple[SecurityProperty, ...] = Field(
        (), description="Properties harmed; impact follows the assets' ratings for them. Defaults from "
        "the category.")
    base: int = Field(2, ge=1, le=5, description="Impact when no asset is at stake.")
    adjust: tuple[Adjustment, ...] = Field((), description="Conditional adjustments.")


class References(Strict):
    capec: tuple[int, ...] = Field((), description="CAPEC attack pattern IDs.")
    cwe: tuple[int, ...] = Field((), description="CWE weakness IDs.")
    attack: tuple[AttackId, ...] = Field((), description="MITRE ATT&CK technique IDs.")


class Rule(Strict):
    id: RuleId = Field(description="ID that never changes, e.g. TL-S001.")
    title: ShortText = Field(description="One line; may use {target}, {source}, {destination}.")
    description: Text = Field(description="What can happen and why, in plain words.")
    category: Category = Field(description="STRIDE or LINDDUN category.")
    applies_to: Literal["element", "interaction"] = Field(
        description="`element`: per element; `interaction`: per flow with its two ends.")
    element_types: tuple[ElementType, ...] = Field(
        (), description="For element rules: element types it concerns (all when empty).")
    when: dict[str, Any] = Field(description="Condition over the model (see docs/rules.md).")
    likelihood: LikelihoodSpec = Field(default_factory=LikelihoodSpec, description="How likely.")
    impact: ImpactSpec = Field(default_factory=ImpactSpec, description="How harmful.")
    actor_skill: Skill = Field(Skill.LOW, description="Least skill an actor needs to carry it out.")
    references: References = Field(default_factory=References, description="CAPEC, CWE, ATT&CK.")
    detection: Text = Field(description="How to detect or monitor attempts.")
    controls: tuple[ControlId, ...] = Field(min_length=3, max_length=6,
                                            description="Three to six candidate controls.")
    false_positives: Text = Field("", description="When it fires but does not apply.")
    tags: tuple[ShortText, ...] = Field((), description="Families: supply-chain, cloud, third-party…")
    override: bool = Field(False, description="Replaces a rule of the same ID loaded earlier.")

    @model_validator(mode="after")
    def _types_only_for_elements(self) -> Rule:
        if self.element_types and self.applies_to != "element":
            raise ValueError("element_types only applies to element rules")
        return self


class RuleFile(Strict):
    threatloom_rules: Literal[1] = Field(alias="threatloom-rules", description="Format version: 1.")
    rules: tuple[Rule, ...] = Field((), description="Rules.")
    disable: tuple[RuleId, ...] = Field((), description="IDs of rules loaded earlier to switch off.")


class CatalogControl(Strict):
    id: ControlId = Field(description="Stable ID, e.g. C-MFA.")
    name: ShortText = Field(description="Name.")
    description: Text = Field(description="What to do.")
    reduces: Literal["likelihood", "impact"] = Field("likelihood", description="What it lowers.")
    strength: int = Field(2, ge=1, le=3, description="How much it lowers it when fully effective (1-3).")
    function: Literal["prevent", "detect", "recover"] = Field(
        "prevent", description="What it does: `prevent` lowers what `reduces` says; `detect` (logs, "
        "recording, monitoring) lowers the likelihood of repudiation threats only and otherwise the impact, "
        "at half strength; `recover` (backups, recovery plans) lowers the impact of threats that make data "
        "or a service unavailable, and nothing else.")
    counts_from: tuple[Literal["source", "callers", "front", "platform"], ...] = Field(
        (), description="Where else it counts besides the element or flow it is on: `source`, on the sender "
        "of a flow (data minimisation, signing, staff MFA); `callers`, on the callers of an element when every "
        "caller an attacker can use has it (rate limits, minimisation, signing: what callers send it); "
        "`front`, on a gateway, WAF, load balancer or reverse proxy in front of the element (WAF rules, rate "
        "limits, authentication); `platform`, on a cloud account or container platform in the element's zone "
        "or an enclosing one (organisation guardrails, cluster policies).")
    effort: Literal["low", "medium", "high"] = Field("medium", description="Cost to put in place.")
    nist: tuple[ShortText, ...] = Field(min_length=1, description="NIST SP 800-53 Rev. 5 controls.")
    asvs: tuple[ShortText, ...] = Field((), description="OWASP ASVS 4.0.3 requirements or chapters.")

    @model_validator(mode="after")
    def _recovery_lowers_impact(self) -> CatalogControl:
        if self.function == "recover" and self.reduces != "impact":
            raise ValueError("a recover control lowers the impact: set `reduces: impact`")
        return self


class ControlFile(Strict):
    threatloom_controls: Literal[1] = Field(alias="threatloom-controls", description="Format version: 1.")
    controls: tuple[CatalogControl, ...] = Field(description="Controls.")


__all__ = ["CatalogControl", "ControlFile", "Identifier", "Rule", "RuleFile"]
