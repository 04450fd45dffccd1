"""Load a model: read YAML (with includes), validate against the schema, resolve references.

`load_model(path)` is the one function a Python caller needs. Every problem found is raised at once
as an :class:`InputError` whose problems carry `file:line:column` and a hint.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import msgspec
import yaml
from pydantic import ValidationError

from threatloom.collector import collector_paused
from threatloom.errors import InputError, Problem, SourceLocation
from threatloom.model.confinement import FilesRoot, files_root_for
from threatloom.model.pydantic_errors import describe_validation_error
from threatloom.model.references import check_references
from threatloom.model.salvage import covered, salvage
from threatloom.model.schema import FORMAT_VERSION, Model
from threatloom.model.yamlsource import YamlDocument, parse_yaml, read_yaml

LIST_SECTIONS = ("assets", "actors", "zones", "environment", "components", "flows", "controls",
                 "decisions", "threats", "reviews", "rules", "notes")
ROOT_ONLY = ("system", "risk")
MAX_INCLUDED_FILES = 200
# reading problems that leave every section's IDs readable, so references can still be checked
_LOCAL_PROBLEMS = frozenset({"duplicate-key", "yaml-tag", "yaml-merge", "yaml-key", "yaml-number", "version",
                             "include-section"})


class _Origin(msgspec.Struct):
    """Where each merged list item came from, so errors point into the right file."""

    root: YamlDocument
    items: dict[tuple[str, int], tuple[YamlDocument, tuple[str | int, ...]]] = msgspec.field(default_factory=dict)
    keys: dict[str, YamlDocument] = msgspec.field(default_factory=dict)  # sections first written in an include
    files: tuple[str, ...] = ()  # the real path of every file read: the model's and its includes'

    def local_starts(self) -> dict[str, tuple[tuple[int, int], ...]]:
        """Per list section, where each file's run of items starts in the merged list and the position
        there of the first one in its own file (each file's items stay together, in order)."""
        starts: dict[str, list[tuple[int, int]]] = {}
        for (section, merged), (_, local) in self.items.items():
            runs = starts.setdefault(section, [])
            shift = merged - int(local[1])
            if not runs or runs[-1][0] - runs[-1][1] != shift:
                runs.append((merged, int(local[1])))
        return {section: tuple(runs) for section, runs in starts.items()}

    def locate(self, path: tuple[str | int, ...], *, at_key: bool = False) -> SourceLocation:
        if len(path) >= 2 and isinstance(path[1], int) and (path[0], path[1]) in self.items:
            document, prefix = self.items[(str(path[0]), path[1])]
            return document.locate(prefix + path[2:], at_key=at_key)
        if path and isinstance(path[0], str) and path[0] in self.keys:
            return self.keys[path[0]].locate(path, at_key=at_key)
        return self.root.locate(path, at_key=at_key)

    def localise(self, problem: Problem) -> Problem:
        """`problem` with its path (and the path its message starts with) as written in its own file."""
        section, bracket, rest = problem.path.partition("[")
        index, close, tail = rest.partition("]")
        if not (bracket and close and index.isdigit()) or (section, int(index)) not in self.items:
            return problem
        _, prefix = self.items[(section, int(index))]
        merged, local = f"{section}[{index}]", f"{section}[{prefix[1]}]"
        if merged == local:
            return problem
        message = local + problem.message[len(merged):] if problem.message.startswith(merged) else problem.message
        return msgspec.structs.replace(problem, message=message, path=local + tail)


def load_model(path: str | Path, *, files_root: FilesRoot | None = None) -> Model:
    """Load, validate and resolve the model at `path` (and every file it includes).

    Included files must lie inside `files_root`: by default the git work tree that holds the model, or
    the model's own folder outside git (see :func:`threatloom.model.confinement.files_root_for`).
    """
    path = Path(path)
    bound = files_root or files_root_for(path)
    with collector_paused():
        model = _load(path, bound)
    model._files_root = bound
    return model


def _load(root_path: Path, files_root: FilesRoot) -> Model:
    # a function of its own so that the YAML node trees are freed on return, before the collector resumes:
    # otherwise its first pass would scan every node once more
    root = read_yaml(root_path, keep_problems=True)
    merged, origin, problems = _merge_includes(root, root_path, files_root)
    return build_model(merged, origin, problems)


def load_model_text(text: str, name: str = "<model>") -> Model:
    """Validate a model given as YAML text (no includes), e.g. from an importer or a test."""
    document = parse_yaml(text, name, keep_problems=True)
    merged, origin, problems = _merge_includes(document, None, None)
    return build_model(merged, origin, problems)


def build_model(merged: dict[str, Any], origin: _Origin, problems: list[Problem] | None = None) -> Model:
    """Validate merged model data; raise every problem (the earlier `problems` of reading included).

    Schema and reference problems are reported together: when the schema fails, the model is repaired
    just enough (:mod:`threatloom.model.salvage`) to check its references as well. References are not
    checked while reading problems remain (a missing include would make every ID in it look unknown).
    """
    found = list(problems or [])
    references = not any(p.code not in _LOCAL_PROBLEMS for p in found)
    model: Model | None = None
    checked: Model | None = None
    repaired: set[str] = set()
    try:
        model = checked = Model.model_validate(merged)
    except ValidationError as exc:
        described = describe_validation_error(exc, origin.locate)
        found.extend(_new_places(found, described))
        # a misspelt section of referenced items (`componets:`) leaves every reference to them unknown:
        # those would bury the one error that matters, so references wait until the section is right
        references = references and not any(_misspelt_section(p) for p in described)
        if references:
            checked, repaired = salvage(merged, exc)
    if checked is not None and references:
        found.extend(p for p in check_references(checked, origin.locate) if not covered(p, repaired))
    if found or model is None:
        raise InputError(_in_reading_order([origin.localise(p) for p in found], origin.root.path))
    model._sources.update(_element_sources(merged, origin))
    model._files = origin.files
    model._local_starts = origin.local_starts()
    return model


# the sections whose items other sections name by ID
REFERENCED_SECTIONS = ("zones", "components", "environment", "flows", "assets", "actors", "controls", "threats")


def _misspelt_section(problem: Problem) -> bool:
    """An unknown top-level key close to the name of a section whose items are referenced elsewhere."""
    key = problem.path
    if problem.code != "unknown-key" or not key or "." in key or "[" in key:
        return False
    return bool(difflib.get_close_matches(key, REFERENCED_SECTIONS, 1, 0.75))


def _new_places(earlier: list[Problem], later: list[Problem]) -> list[Problem]:
    """`later` without the problems at a place already reported (a bad tag, then a null where it was)."""
    taken = {(p.location.file, p.location.line, p.location.column) for p in earlier}
    return [p for p in later if (p.location.file, p.location.line, p.location.column) not in taken]


def _in_reading_order(problems: list[Problem], root: str) -> list[Problem]:
    """The main file first, then the others in the order they were first named; each top to bottom."""
    rank: dict[str, int] = {root: 0}
    for p in problems:
        rank.setdefault(p.location.file, len(rank))
    return sorted(problems, key=lambda p: (rank[p.location.file], p.location.line, p.location.column))


def _merge_includes(root: YamlDocument, root_path: Path | None, files_root: FilesRoot | None
                    ) -> tuple[dict[str, Any], _Origin, list[Problem]]:
    origin = _Origin(root)
    problems: list[Problem] = list(root.problems)
    merged: dict[str, Any] = {}
    if not isinstance(root.data, dict):
        raise InputError([*problems, Problem(root.locate(()), "a model must be a mapping of sections",
                                             "start the file with `threatloom: 1` and a `system:` section",
                                             "not-a-mapping")])
    _check_version(root, problems)
    seen: dict[Path, str] = {}  # each file read, and where it was first included
    if root_path is not None:
        seen[root_path.resolve()] = "it is the main model file"
    queue: list[tuple[YamlDocument, Path | None]] = [(root, root_path)]
    while queue:
        document, doc_path = queue.pop(0)
        data = document.data
        is_root = document is root
        for key, value in data.items():
            if key == "include":
                queue.extend(_included(document, doc_path, value, seen, problems, files_root))
            elif key in LIST_SECTIONS and isinstance(value, list):
                bucket = merged.setdefault(key, [])
                for i, item in enumerate(value):
                    origin.items[(key, len(bucket))] = (document, (key, i))
                    bucket.append(item)
            elif is_root:
                merged[key] = value
            elif key == "threatloom":
                continue
            elif key in ROOT_ONLY:
                problems.append(Problem(document.locate((key,), at_key=True),
                                        f"`{key}` may only appear in the main model file",
                                        "move it to the file you load", "include-section"))
            elif key not in merged:
                merged[key] = value  # the schema reports it (wrong type or unknown key)
                origin.keys[key] = document
        if len(seen) > MAX_INCLUDED_FILES:
            problems.append(Problem(root.locate(("include",), at_key=True),
                                    f"more than {MAX_INCLUDED_FILES} included files", "merge some files",
                                    "too-many-includes"))
            break
    origin.files = tuple(str(p) for p in seen)
    return merged, origin, problems


def _check_version(document: YamlDocument, problems: list[Problem]) -> bool:
    """Whether the document declares the format version this threatloom reads (a problem if not)."""
    version = document.data.get("threatloom") if isinstance(document.data, dict) else None
    if version is None:
        problems.append(Problem(document.locate(()), "missing `threatloom:` format version",
                                f"add `threatloom: {FORMAT_VERSION}` as the first line", "version"))
    elif version != FORMAT_VERSION:
        quoted = isinstance(version, str) and version.strip() == str(FORMAT_VERSION)
        hint = (f"write the number without quotes: `threatloom: {FORMAT_VERSION}`" if quoted
                else f"this threatloom reads version {FORMAT_VERSION}")
        problems.append(Problem(document.locate(("threatloom",)), f"unsupported format version {version!r}",
                                hint, "version"))
    else:
        return True
    return False


def _included(document: YamlDocument, doc_path: Path | None, value: Any, seen: dict[Path, str],
              problems: list[Problem], files_root: FilesRoot | None) -> list[tuple[YamlDocument, Path | None]]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(document.locate(("include",)), "`include` must be a list of file paths",
                                "write `include: [other.yaml]`", "include"))
        return []
    if doc_path is None:
        problems.append(Problem(document.locate(("include",)), "`include` needs a model read from a file",
                                "load the model with load_model(path)", "include"))
        return []
    found: list[tuple[YamlDocument, Path | None]] = []
    for i, name in enumerate(value):
        target = (doc_path.parent / name).resolve()
        where = document.locate(("include", i))
        if not name.strip():
            problems.append(Problem(where, "an empty path in `include`", "name a file, or remove the entry",
                                    "include-missing"))
            continue
        refusal = files_root.refusal(target) if files_root is not None else None
        if refusal is not None:
            problems.append(Problem(where, f"included file {name!r} {refusal}",
                                    "copy the file into the model's repository, or its folder outside git",
                                    "include-outside"))
            continue
        if target in seen:
            problems.append(Problem(where, f"{name!r} is already part of the model ({seen[target]})",
                                    "include each file once; includes must not form a cycle", "include-cycle"))
            continue
        if target.is_dir():
            problems.append(Problem(where, f"included path {name!r} is a folder", "include each file of it by "
                                    "name, e.g. `include: [parts/zones.yaml, parts/services.yaml]`",
                                    "include-missing"))
            continue
        if target.exists() and not target.is_file():
            problems.append(Problem(where, f"included path {name!r} is not a regular file (a pipe, a device or "
                                    "a socket)", "include files saved on disk", "include-missing"))
            continue
        if not target.is_file():
            # a suggestion only when it is close: any .yaml file beside it is no help
            close = difflib.get_close_matches(name, [p.name for p in doc_path.parent.glob("*.y*ml")], 1, 0.8)
            hint = f"did you mean {close[0]!r}?" if close else "paths are relative to the including file"
            problems.append(Problem(where, f"included file {name!r} not found", hint, "include-missing"))
            continue
        seen[target] = f"included at {where}"
        # shown as the user would write it from where they run: relative to the including file's folder
        display = os.path.normpath(Path(document.path).parent / name)
        try:
            included = read_yaml(target, keep_problems=True, display=display)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(included.problems)
        if not isinstance(included.data, dict):
            problems.append(Problem(included.locate(()), "an included file must be a mapping of sections",
                                    "start it with `threatloom: 1`", "not-a-mapping"))
            continue
        # a file that does not say it is part of a model (a wrong path, or a file that is no model at
        # all) is not read further: its keys would only be a list of errors, and its contents not ours
        if _check_version(included, problems):
            found.append((included, target))
    return found


def _element_sources(merged: dict[str, Any], origin: _Origin) -> dict[str, SourceLocation]:
    """Source location of every identified item, keyed `section/id` (or `section/index`)."""
    sources: dict[str, SourceLocation] = {"": origin.root.locate(())}
    item_nodes: dict[tuple[int, str], list[yaml.Node]] = {}  # each file's section list, found once
    for section in LIST_SECTIONS:
        for i, item in enumerate(merged.get(section) or ()):
            key = item.get("id", i) if isinstance(item, dict) else i
            document, (_, local) = origin.items.get((section, i), (origin.root, (section, i)))
            found = item_nodes.get((id(document), section))
            if found is None:
                node = document.root
                seq = next((v for k, v in node.value if k.value == section), None) if isinstance(
                    node, yaml.MappingNode) else None
                found = item_nodes[(id(document), section)] = seq.value if isinstance(seq, yaml.SequenceNode) else []
            if isinstance(local, int) and local < len(found):
                mark = found[local].start_mark
                sources[f"{section}/{key}"] = SourceLocation(document.path, mark.line + 1, mark.column + 1)
            else:
                sources[f"{section}/{key}"] = origin.locate((section, i))
    return sources
