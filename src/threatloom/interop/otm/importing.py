"""Import an Open Threat Model (OTM 0.1 / 0.2) file, JSON or YAML, into a model draft.

What goes where: `project` → `system` (name, description, owner with ownerContact; its ID, tags and
attributes → notes); `representations` → diagrams are layout (skipped), code repositories and others
are notes; `trustZones` → zones (trustRating 0-100 → trust 0-10; `type: internet` → an internet zone);
`assets`, `components`, `dataflows` → :mod:`import_elements`; `threats`, `mitigations` and the
instances on components and dataflows → :mod:`import_threats`. A file threatloom wrote carries, under
`attributes.threatloom`, what OTM has no field for, and comes back as the model it was.
"""

from __future__ import annotations

from typing import Any

from threatloom.interop.draft import ModelDraft, long_text, reserve_id, short
from threatloom.interop.interface import Importer, ImportReport
from threatloom.interop.otm.carry import FORMAT, restore
from threatloom.interop.otm.carry import carried as carried_of
from threatloom.interop.otm.context import KNOWN_KEYS, ImportContext
from threatloom.interop.otm.import_elements import read_assets, read_components, read_flows, read_zones
from threatloom.interop.otm.import_threats import read_threats
from threatloom.interop.otm.repair import repair
from threatloom.interop.reading import ForeignDocument
from threatloom.model.schema import Actor, Decision, Note, Review, RiskSettings, System

_SECTIONS = (("actors", Actor), ("decisions", Decision), ("reviews", Review), ("notes", Note))


class OtmImporter(Importer):
    name = "otm"
    title = "Open Threat Model"

    def sniff(self, document: ForeignDocument) -> bool:
        data = document.data  # a file that forgot its otmVersion is still told by its sections
        return isinstance(data, dict) and "project" in data and (
            "otmVersion" in data or any(k in data for k in ("trustZones", "components", "dataflows")))

    def read(self, document: ForeignDocument, draft: ModelDraft, report: ImportReport) -> None:
        root = document.expect(document.data, dict, (), "an OTM file is a JSON or YAML object")
        version = document.required(root, "otmVersion", str, ())
        project = document.required(root, "project", dict, ())
        ctx = ImportContext(document, draft, report, carried_of(document, project, ("project",)))
        if not version.startswith(("0.1", "0.2")):
            ctx.note("project", None, "otmVersion", f"OTM version {version}: read as version 0.2")
        _project(ctx, project)
        _representations(ctx, root)
        read_zones(ctx, root)
        read_assets(ctx, root)
        read_components(ctx, root)
        read_flows(ctx, root)
        make_control = read_threats(ctx, root)
        _carried_sections(ctx)
        repair(ctx, make_control)  # only restored threatloom attributes can point nowhere
        ctx.extras(root, KNOWN_KEYS["root"], None, "the file")


def _project(ctx: ImportContext, project: dict[str, Any]) -> None:
    doc, keys = ctx.document, ("project",)
    name = doc.required(project, "name", str, keys)
    otm_id = doc.required(project, "id", str, keys)
    owner = ctx.text(project, "owner", keys)
    contact = ctx.text(project, "ownerContact", keys)
    system: dict[str, Any] = {"name": short(name) or "Imported model",
                              "description": long_text(ctx.text(project, "description", keys)),
                              "owner": short(f"{owner} <{contact}>" if owner and contact else owner or contact)}
    carry = ctx.carried_project
    if carry is not None:
        if carry.get("format") != FORMAT:
            raise doc.error((*keys, "attributes", "threatloom", "format"), f"threatloom attributes of format "
                            f"{carry.get('format')!r}; this version reads format {FORMAT}",
                            "export the model again with this version", "import-format")
        extra = doc.expect(carry.get("system") or {}, dict, (*keys, "attributes", "threatloom", "system"))
        system = {k: v for k, v in {**system, **extra}.items() if v not in ("", None)}
        at = (*keys, "attributes", "threatloom")
        ctx.draft.system = restore(doc, keys, System, system, at=(*at, "system"))
        if carry.get("risk"):
            risk = doc.expect(carry["risk"], dict, (*at, "risk"))
            ctx.draft.risk = restore(doc, keys, RiskSettings, dict(risk), at=(*at, "risk"))
    else:
        ctx.draft.system = {k: v for k, v in system.items() if v}
        ctx.note("project", None, "project.id", f"OTM project ID: {otm_id}")
    ctx.report.map("project")
    tags = ctx.strings(project, "tags", keys)
    if tags:
        ctx.note("project", None, "project.tags", f"tags: {', '.join(tags)}")
    ctx.attributes(project, keys, None, "project")
    ctx.extras(project, KNOWN_KEYS["project"], None, "project")


def _representations(ctx: ImportContext, root: dict[str, Any]) -> None:
    doc = ctx.document
    for i, rep in enumerate(ctx.items(root, "representations", ())):
        keys = ("representations", i)
        otm_id = doc.required(rep, "id", str, keys)
        name = doc.required(rep, "name", str, keys)
        kind = doc.required(rep, "type", str, keys)
        ctx.representations[otm_id] = kind
        where = f"representations[{i}] ({name})"
        if kind == "diagram":
            size = doc.member(rep, "size", dict, keys) or {}
            shown = f" {size.get('width')}×{size.get('height')}" if size else ""
            ctx.report.skip("representation", f"{name}: diagram{shown} (layout)")
            continue
        repository = doc.member(rep, "repository", dict, keys) or {}
        url = doc.member(repository, "url", str, (*keys, "repository"))
        description = ctx.text(rep, "description", keys)
        what = "code repository" if kind == "code" else f"{kind} representation"
        text = f"{what} {name!r}" + (f" at {url}" if url else "") + (f": {description}" if description else "")
        ctx.note("representation", None, where, text)
        ctx.attributes(rep, keys, None, where)


def _carried_sections(ctx: ImportContext) -> None:
    """Actors, decisions, reviews, notes and rule files of a model threatloom wrote."""
    carry = ctx.carried_project
    if carry is None:
        return
    doc, base = ctx.document, ("project", "attributes", "threatloom")
    rules = doc.expect(carry.get("rules") or [], list, (*base, "rules"))
    # `rules:` is a list of paths, not of mappings like the other sections
    paths: list[Any] = ctx.draft.sections["rules"]
    paths.extend(short(doc.expect(r, str, (*base, "rules", i))) for i, r in enumerate(rules))
    for section, schema in _SECTIONS:
        values = doc.expect(carry.get(section) or [], list, (*base, section))
        for i, value in enumerate(values):
            item = dict(doc.expect(value, dict, (*base, section, i)))
            if section == "actors" and "id" in item:
                reserve_id(ctx.draft, str(item["id"]))
            ctx.draft.sections[section].append(restore(doc, (), schema, item, at=(*base, section, i)))
            ctx.report.map(section[:-1])
