"""Threagile data assets become our assets; technical assets become components."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from threatloom.interop.draft import long_text, short
from threatloom.interop.threagile.source import Keys, Source, sentence_list
from threatloom.interop.threagile.vocabulary import (
    ASSET_TYPE,
    CLASSIFICATION,
    CONFIDENTIALITY_LEVEL,
    CRITICALITY_LEVEL,
    ENCRYPTION,
    MACHINE,
    QUANTITY,
    SIZE,
    TECHNOLOGY_KIND,
    USAGE,
)

DATA_KEYS = ("id", "description", "usage", "tags", "origin", "owner", "quantity", "confidentiality",
             "integrity", "availability", "justification_cia_rating")
TECHNICAL_KEYS = ("id", "description", "type", "usage", "used_as_client_by_human", "out_of_scope",
                  "justification_out_of_scope", "size", "technology", "technologies", "tags", "internet",
                  "machine", "encryption", "owner", "confidentiality", "integrity", "availability",
                  "justification_cia_rating", "multi_tenant", "redundant", "custom_developed_parts",
                  "data_assets_processed", "data_assets_stored", "data_formats_accepted", "communication_links")

# Threagile has no kinds of data or personal-data flag; its texts often say. These read them, and a
# note on the asset says that the kind or the flag was inferred.
_PERSONAL = re.compile(r"\bPII\b|\bpersonal(ly)?[ -](identifiable|data|information)|\bGDPR\b|\bDSGVO\b",
                       re.IGNORECASE)
_CREDENTIAL = re.compile(r"\b(credentials?|passwords?|passphrases?|secrets?|private keys?|api keys?)\b",
                         re.IGNORECASE)
_NEGATION = re.compile(r"\b(no|not|never|without|free of)\b", re.IGNORECASE)
_CODE = re.compile(r"\b(code|binaries|executables?|artifacts?|images?)\b", re.IGNORECASE)


def _says_personal(text: str) -> bool:
    """The text speaks of personal data, and not to say there is none ("should not contain PII")."""
    return any(not _NEGATION.search(text[max(0, m.start() - 30):m.start()]) for m in _PERSONAL.finditer(text))


class TechnicalAsset(msgspec.Struct):
    """A technical asset read once, before trust boundaries decide its zone."""

    name: str
    keys: Keys
    data: dict[str, Any]
    foreign_id: str
    ours: str
    internet: bool


def read_data_assets(src: Source) -> None:
    for name, raw in src.section("data_assets").items():
        keys: Keys = ("data_assets", name)
        obj = src.mapping(raw, keys)
        foreign = src.foreign_id(obj, keys, "data", "data asset")
        ours = src.draft.new_id(foreign, "data", foreign=("data", foreign))
        description = src.text(obj, "description", keys)
        justification = src.text(obj, "justification_cia_rating", keys)
        confidentiality = src.choice(obj, "confidentiality", keys, CONFIDENTIALITY_LEVEL)
        integrity = src.choice(obj, "integrity", keys, CRITICALITY_LEVEL)
        availability = src.choice(obj, "availability", keys, CRITICALITY_LEVEL)
        usage = src.choice(obj, "usage", keys, USAGE)
        tags = src.names(obj, "tags", keys)
        words = " ".join([name, description, justification, *tags])
        kind = "data"
        if _CREDENTIAL.search(f"{name} {description}"):
            kind = "credential"
        elif usage == "devops" and _CODE.search(f"{name} {description}"):
            kind = "software"
        personal = _says_personal(words) or any(t.lower() in ("pii", "personal-data", "gdpr") for t in tags)
        src.draft.add("assets", {
            "id": ours, "name": short(name) or foreign,
            "description": long_text("\n\n".join(t for t in (description, justification and
                                                             f"Why rated so: {justification}") if t)),
            "kind": kind if kind != "data" else None,
            "classification": CLASSIFICATION.get(confidentiality),
            "confidentiality": CONFIDENTIALITY_LEVEL.get(confidentiality),
            "integrity": CRITICALITY_LEVEL.get(integrity), "availability": CRITICALITY_LEVEL.get(availability),
            "personal_data": True if personal else None,
            "owner": short(src.text(obj, "owner", keys)) or None,
        })
        details = [
            "Threagile ratings: " + ", ".join(f"{k} {v}" for k, v in (("confidentiality", confidentiality),
                                                                       ("integrity", integrity),
                                                                       ("availability", availability)) if v)
            if confidentiality or integrity or availability else "",
            f"usage {usage}" if usage else "",
            f"origin {src.text(obj, 'origin', keys)}" if src.text(obj, "origin", keys) else "",
            f"quantity {src.choice(obj, 'quantity', keys, QUANTITY)}" if obj.get("quantity") else "",
            f"tags {', '.join(tags)}" if tags else "",
            f"kind {kind} inferred from its name and description" if kind != "data" else "",
            "personal data inferred from its texts or tags" if personal else "",
            *src.extras(obj, DATA_KEYS, keys),
        ]
        if any(details):
            src.draft.note(ours, f"data_assets.{name}", sentence_list(details) + ".")
            src.report.keep_as_note("data asset details", name)
        src.report.map("data assets")


def collect_technical_assets(src: Source) -> list[TechnicalAsset]:
    """Every technical asset with its ID allocated, so links, boundaries and risks can refer to it."""
    found = []
    for name, raw in src.section("technical_assets").items():
        keys: Keys = ("technical_assets", name)
        obj = src.mapping(raw, keys)
        foreign = src.foreign_id(obj, keys, "technical", "technical asset")
        ours = src.draft.new_id(foreign, "component", foreign=("technical", foreign))
        found.append(TechnicalAsset(name, keys, obj, foreign, ours, src.flag(obj, "internet", keys)))
    return found


def add_component(src: Source, asset: TechnicalAsset, zone: str | None, in_boundary: bool) -> None:
    obj, keys = asset.data, asset.keys
    kind_of = src.choice(obj, "type", keys, ASSET_TYPE)
    if not kind_of:
        raise src.document.error(keys, "missing `type`", "use external-entity, process or datastore",
                                 "import-missing")
    technologies = [t.lower() for t in (src.names(obj, "technologies", keys) or
                                        [src.text(obj, "technology", keys)]) if t]
    kinds = [TECHNOLOGY_KIND[t] for t in technologies if t in TECHNOLOGY_KIND]
    kind = next((k for k in kinds if k != "other"), "other")
    human = src.flag(obj, "used_as_client_by_human", keys)
    if kind == "other" and human:
        kind = "user"
    out_of_scope = src.flag(obj, "out_of_scope", keys)
    reason = src.text(obj, "justification_out_of_scope", keys)
    encryption = src.choice(obj, "encryption", keys, ENCRYPTION)
    usage = src.choice(obj, "usage", keys, USAGE)
    stored = [src.ours("data", d, (*keys, "data_assets_stored"), "data asset")
              for d in src.names(obj, "data_assets_stored", keys)]
    processed = [src.ours("data", d, (*keys, "data_assets_processed"), "data asset")
                 for d in src.names(obj, "data_assets_processed", keys)]
    tags = src.names(obj, "tags", keys)
    src.draft.add("components", {
        "id": asset.ours, "name": short(asset.name) or asset.foreign_id,
        "description": long_text(src.text(obj, "description", keys)),
        "type": ASSET_TYPE[kind_of], "kind": kind,
        "technology": short(", ".join(technologies)) or None, "zone": zone,
        # on the internet outside every boundary: the component sits in the internet zone instead
        "internet_facing": True if asset.internet and in_boundary else None,
        "stores": stored, "processes": processed,
        "encryption_at_rest": None if not encryption else encryption != "none",
        "out_of_scope": True if out_of_scope else None,
        "out_of_scope_reason": (long_text(reason) or "marked out of scope in Threagile, without a justification")
        if out_of_scope else None,
        "tags": [short(t) for t in ([*tags, "devops"] if usage == "devops" and "devops" not in tags else tags)],
    })
    unknown = [t for t in technologies if t not in TECHNOLOGY_KIND]
    details = [_ratings(src, obj, keys),
               f"owner {src.text(obj, 'owner', keys)}" if src.text(obj, "owner", keys) else "",
               f"size {src.choice(obj, 'size', keys, SIZE)}" if obj.get("size") else "",
               f"machine {src.choice(obj, 'machine', keys, MACHINE)}" if obj.get("machine") else "",
               f"encryption at rest {encryption}" if encryption not in ("", "none") else "",
               "multi-tenant" if src.flag(obj, "multi_tenant", keys) else "",
               "redundant" if src.flag(obj, "redundant", keys) else "",
               "has custom-developed parts" if src.flag(obj, "custom_developed_parts", keys) else "",
               "used as a client by people" if human else "",
               f"accepts data formats {', '.join(src.names(obj, 'data_formats_accepted', keys))}"
               if src.names(obj, "data_formats_accepted", keys) else "",
               f"technology {', '.join(unknown)} is not one threatloom knows; kind set to {kind}" if unknown else "",
               *src.extras(obj, TECHNICAL_KEYS, keys)]
    if any(details):
        src.draft.note(asset.ours, f"technical_assets.{asset.name}", "Threagile: " + sentence_list(details) + ".")
        src.report.keep_as_note("technical asset details", asset.name)
    src.report.map("technical assets")


def _ratings(src: Source, obj: dict[str, Any], keys: Keys) -> str:
    """The asset's own CIA ratings: components have none in our model; the data they hold carries them."""
    parts = [f"{k} {v}" for k, v in (("confidentiality", src.choice(obj, "confidentiality", keys, CLASSIFICATION)),
                                      ("integrity", src.choice(obj, "integrity", keys, CRITICALITY_LEVEL)),
                                      ("availability", src.choice(obj, "availability", keys, CRITICALITY_LEVEL)))
             if v]
    why = src.text(obj, "justification_cia_rating", keys)
    if not parts and not why:
        return ""
    return f"rated {', '.join(parts)}" + (f" ({why})" if why else "")
