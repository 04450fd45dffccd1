"""Load the controls catalog and rule files (built-in, then the user's), compiling every condition.

Errors anywhere (schema, unknown fact or value, unknown control, duplicate rule ID) are collected and
raised together as one InputError with file:line:column locations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec
from pydantic import BaseModel, ValidationError

from threatloom.catalog.schema import Adjustment, CatalogControl, ControlFile, Rule, RuleFile
from threatloom.catalog.snapshot import builtin_document, builtin_files, data_dir
from threatloom.collector import collector_paused
from threatloom.engine.conditions import ConditionError, Predicate, compile_condition
from threatloom.engine.guards import Guard, both, guard_of, types_guard
from threatloom.errors import InputError, Problem, SourceLocation
from threatloom.model.pydantic_errors import describe_validation_error
from threatloom.model.yamlsource import YamlDocument, parse_yaml, read_yaml

MAX_RULE_FILES = 500


class CompiledAdjustment(msgspec.Struct, frozen=True):
    spec: Adjustment
    test: Predicate


class CompiledRule(msgspec.Struct, frozen=True):
    """A rule with its conditions compiled, and where it came from."""

    rule: Rule
    when: Predicate
    likelihood: tuple[CompiledAdjustment, ...]
    impact: tuple[CompiledAdjustment, ...]
    where: Callable[[], SourceLocation]  # where its ID is written, worked out when asked (it may parse)
    builtin: bool
    # the targets where `when` can hold, derived from it and from `element_types` (None: every target);
    # the engine evaluates the rule on those only
    guard: Guard | None = None

    @property
    def origin(self) -> str:
        """file:line:column of the rule's ID."""
        return str(self.where())


class Catalog(msgspec.Struct):
    controls: dict[str, CatalogControl]
    rules: dict[str, CompiledRule] = msgspec.field(default_factory=dict)
    disabled: dict[str, str] = msgspec.field(default_factory=dict)  # rule ID -> file that disabled it
    files: tuple[Path, ...] = ()  # the user's rule files read (named in the model or given with --rules)

    def active_rules(self) -> list[CompiledRule]:
        return [r for rid, r in sorted(self.rules.items()) if rid not in self.disabled]


def _validate(document: YamlDocument, cls: type[BaseModel]) -> Any:
    try:
        return cls.model_validate(document.data)
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, document.locate, root=cls)) from None


def load_controls(path: Path | None = None) -> dict[str, CatalogControl]:
    document = read_yaml(path) if path is not None else builtin_document("controls.yaml")
    parsed: ControlFile = _validate(document, ControlFile)
    controls: dict[str, CatalogControl] = {}
    problems = []
    for i, control in enumerate(parsed.controls):
        if control.id in controls:
            problems.append(Problem(document.locate(("controls", i, "id")),
                                    f"duplicate control ID {control.id!r}", "IDs must be unique",
                                    "duplicate-id"))
        controls[control.id] = control
    if problems:
        raise InputError(problems)
    return controls


def rule_files_in(folder: Path) -> list[Path]:
    """The *.yaml and *.yml files under `folder`, sorted so that load order is stable."""
    return sorted(p for p in folder.rglob("*.y*ml") if p.is_file())


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their *.yaml files, sorted so that load order is stable."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = rule_files_in(path)
            if not inside:  # a wrong folder would otherwise add no rules without a word
                raise InputError([Problem(_loc(path), "no rule files (*.yaml, *.yml) in this folder",
                                          "give the folder that holds the rule files, or a file itself",
                                          "rules-missing")])
            found.extend(inside)
        else:
            found.append(path)
    if len(found) > MAX_RULE_FILES:
        raise InputError([Problem(_loc(found[0]), f"more than {MAX_RULE_FILES} rule files",
                                  "merge some of them", "too-many-files")])
    return found


def _loc(path: Path) -> Any:
    from threatloom.errors import SourceLocation

    return SourceLocation(str(path))


def load_catalog(user_rules: Iterable[Path] = (), *, builtin: bool = True) -> Catalog:
    """The built-in catalog plus the user's rule files or folders, in order."""
    with collector_paused():  # read once a model is loaded, whose objects full collections would walk
        return _load_catalog(user_rules, builtin)


def _load_catalog(user_rules: Iterable[Path], builtin: bool) -> Catalog:
    catalog = Catalog(controls=load_controls())
    sources: list[tuple[Path, bool]] = []
    if builtin:
        sources.extend((p, True) for p in rule_files([data_dir() / "rules"]))
    sources.extend((p, False) for p in rule_files(user_rules))
    problems: list[Problem] = []
    for path, is_builtin in sources:
        try:
            add_rule_file(catalog, builtin_files().document(path) if is_builtin else read_yaml(path), is_builtin)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    catalog.files = tuple(path for path, is_builtin in sources if not is_builtin)
    return catalog


def load_rules_text(catalog: Catalog, text: str, name: str = "<rules>") -> None:
    """Add rules given as YAML text to `catalog` (for tests and embedding)."""
    add_rule_file(catalog, parse_yaml(text, name), builtin=False)


def add_rule_file(catalog: Catalog, document: YamlDocument, builtin: bool) -> None:
    parsed: RuleFile = _validate(document, RuleFile)
    problems: list[Problem] = []
    for i, rid in enumerate(parsed.disable):
        if rid not in catalog.rules:
            problems.append(Problem(document.locate(("disable", i)), f"cannot disable unknown rule {rid!r}",
                                    "check the ID with `threatloom rules list`", "unknown-rule"))
        catalog.disabled[rid] = document.path
    for i, rule in enumerate(parsed.rules):
        path: tuple[Any, ...] = ("rules", i)
        compiled: CompiledRule | None = None
        try:
            compiled = _compile(rule, path, document, builtin)
        except ConditionError as exc:
            problems.extend(exc.problems)  # and on to the rule's other checks, so that one load reports all
        if not builtin:  # the built-in rules' texts are checked by a test, not on every run
            problems.extend(placeholder_problems(rule, path, document))
        for j, control in enumerate(rule.controls):
            if control not in catalog.controls:
                import difflib

                close = difflib.get_close_matches(control, list(catalog.controls), 1, 0.6)
                problems.append(Problem(document.locate((*path, "controls", j)),
                                        f"unknown control {control!r}",
                                        f"did you mean {close[0]!r}?" if close else "see the controls catalog",
                                        "unknown-control"))
        existing = catalog.rules.get(rule.id)
        if existing is not None and not rule.override:
            problems.append(Problem(document.locate((*path, "id")), f"rule {rule.id!r} is already defined",
                                    f"in {existing.origin}; set `override: true` to replace it",
                                    "duplicate-id"))
            continue
        if compiled is not None:
            catalog.rules[rule.id] = compiled
    if problems:
        raise InputError(problems)


# a placeholder is a lower-case word in braces: other braces (`${jndi:...}`, `{{7*7}}`, JSON) are text
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")
PLACEHOLDERS = {"element": ("target",), "interaction": ("target", "source", "destination")}


def placeholder_problems(rule: Rule, path: tuple[Any, ...], document: YamlDocument) -> list[Problem]:
    """A `{name}` in a title, description or detection hint that no threat fills in would be shown as it
    is written."""
    allowed = PLACEHOLDERS[rule.applies_to]
    braced = ["{" + a + "}" for a in allowed]
    offered = braced[0] if len(braced) == 1 else ", ".join(braced[:-1]) + " or " + braced[-1]
    problems = []
    for part in ("title", "description", "detection"):
        for name in _PLACEHOLDER.findall(getattr(rule, part)):
            if name not in allowed:
                import difflib

                close = difflib.get_close_matches(name, allowed, 1, 0.6)
                hint = f"did you mean {{{close[0]}}}?" if close else f"{rule.applies_to} rules may use {offered}"
                problems.append(Problem(document.locate((*path, part)), f"unknown placeholder {{{name}}} in the "
                                        f"{part}", hint, "unknown-placeholder"))
    return problems


def _compile(rule: Rule, path: tuple[Any, ...], document: YamlDocument, builtin: bool) -> CompiledRule:
    def locate(p: tuple[Any, ...], at_key: bool = False) -> Any:
        return document.locate(p, at_key=at_key)

    scope = rule.applies_to
    problems: list[Problem] = []  # the mistakes of every condition of the rule, reported together

    def condition(node: Any, at: tuple[Any, ...]) -> Predicate:
        try:
            return compile_condition(node, scope, at, locate)
        except ConditionError as exc:
            problems.extend(exc.problems)
            return lambda subject: False

    def adjustments(section: str, items: tuple[Adjustment, ...]) -> tuple[CompiledAdjustment, ...]:
        return tuple(CompiledAdjustment(a, condition(a.when, (*path, section, "adjust", k, "when")))
                     for k, a in enumerate(items))

    when = condition(rule.when, (*path, "when"))
    likelihood, impact = adjustments("likelihood", rule.likelihood.adjust), adjustments("impact", rule.impact.adjust)
    if problems:
        raise ConditionError(problems)
    types = types_guard(tuple(t.value for t in rule.element_types)) if rule.element_types else None
    return CompiledRule(
        rule=rule,
        when=when,
        likelihood=likelihood,
        impact=impact,
        where=lambda: document.locate((*path, "id")),
        builtin=builtin,
        guard=both(types, guard_of(rule.when, scope)),
    )
