"""The model-wide parts of a Threagile file: title, author, overviews, business criticality, and the
lists of questions, abuse cases, security requirements and tags."""

from __future__ import annotations

from typing import Any

from threatloom.interop.draft import long_text, short
from threatloom.interop.threagile.source import Keys, Source, sentence_list
from threatloom.interop.threagile.vocabulary import RISK_APPETITE

AUTHOR_KEYS = ("name", "contact", "homepage")
OVERVIEW_KEYS = ("description", "images")
OVERVIEWS = (("business_overview", "Business overview"), ("application_description", "Application"),
             ("technical_overview", "Technical overview"))


def read_overview(src: Source) -> None:
    root, draft, report = src.root, src.draft, src.report
    title = src.text(root, "title", ())
    if title:
        draft.system["name"] = short(title)
        report.map("title")
    texts: list[str] = []
    for key, heading in OVERVIEWS:
        description = _overview(src, key)
        if description:
            texts.append(description if not texts else f"{heading}: {description}")
            report.map("overviews")
    if texts:
        draft.system["description"] = long_text("\n\n".join(texts))
    criticality = src.choice(root, "business_criticality", (), RISK_APPETITE)
    if criticality:
        # the more the business depends on the system, the lower the risk left untreated (vocabulary.py)
        draft.system["risk_appetite"] = RISK_APPETITE[criticality]
        report.map("business criticality")
    team = [m for m in (_author(src, root.get("author"), ("author",)),
                        *(_author(src, a, ("contributors", i)) for i, a in enumerate(_list(src, "contributors"))))
            if m]
    if team:
        draft.system["team"] = [member for member, _ in team]
        report.map("authors", len(team))
    version, date = src.text(root, "threagile_version", ()), src.text(root, "date", ())
    details = [f"Threagile format {version}" if version else "", f"model dated {date}" if date else "",
               *(f"{member['name']}: {page}" for member, page in team if page)]
    if any(details):
        draft.note(None, "threagile_version, date, author", sentence_list(details) + ".")
        report.keep_as_note("model details", "version, date and author homepage")
    summary = src.text(root, "management_summary_comment", ())
    if summary:
        draft.note(None, "management_summary_comment", f"Management summary: {summary}")
        report.keep_as_note("management summary", "management_summary_comment")
    includes = src.names(root, "includes", ())
    if includes:
        draft.note(None, "includes", "This model includes other Threagile files, which were not imported: "
                   f"{', '.join(includes)}. Import each of them, or join them first.")
        report.keep_as_note("includes", ", ".join(includes))


def read_lists(src: Source) -> None:
    """Questions, abuse cases, security requirements and available tags: notes for people to read."""
    draft, report = src.draft, src.report
    for key, kind, label in (("questions", "questions", "Question"), ("abuse_cases", "abuse cases", "Abuse case"),
                             ("security_requirements", "security requirements", "Security requirement")):
        for name, value in src.section(key).items():
            answer = src.text({name: value}, name, (key,))
            if key == "questions":
                text = f"{label}: {name}\nAnswer: {answer or '(not answered yet)'}"
            else:
                text = f"{label} {name}: {answer}" if answer else f"{label}: {name}"
            draft.note(None, f"{key}.{name}", text)
            report.keep_as_note(kind, name)
    tags = src.names(src.root, "tags_available", ())
    if tags:
        draft.note(None, "tags_available", f"Tags the Threagile model defines: {', '.join(tags)}. Those in use "
                   "are on the components and flows.")
        report.keep_as_note("tags available", f"{len(tags)} tags")


def _overview(src: Source, key: str) -> str:
    obj = src.mapping(src.root.get(key), (key,))
    for extra in src.extras(obj, OVERVIEW_KEYS, (key,)):
        src.draft.note(None, key, extra)
        src.report.keep_as_note("overviews", f"{key}: {extra.split(':')[0]}")
    images = obj.get("images")
    if images is not None:
        for i, image in enumerate(src.document.expect(images, list, (key, "images"))):
            for name, caption in src.mapping(image, (key, "images", i)).items():
                src.report.skip("overview images", f"{name} ({caption}): embedded image files are not imported"
                                if caption else f"{name}: embedded image files are not imported")
    return src.text(obj, "description", (key,))


def _author(src: Source, value: Any, keys: Keys) -> tuple[dict[str, Any], str] | None:
    """A team member (a threat modeller) and their homepage, which the model has no field for."""
    obj = src.mapping(value, keys)
    name = src.text(obj, "name", keys)
    if not name:
        return None
    member: dict[str, Any] = {"name": short(name), "role": "threat-modeller"}
    contact = src.text(obj, "contact", keys)
    if contact:
        member["email"] = short(contact)
    page = src.text(obj, "homepage", keys)
    extra = src.extras(obj, AUTHOR_KEYS, keys)
    return member, sentence_list([page, *extra])


def _list(src: Source, key: str) -> list[Any]:
    value = src.root.get(key)
    if value is None:
        return []
    return src.document.expect(value, list, (key,))
