"""The rule condition language: declarative, safe, compiled once into plain Python closures.

A condition is a mapping. Its keys are facts (see :mod:`threatloom.engine.facts`) or the combinators
`all`, `any` and `not`; several keys in one mapping must all hold. Interaction rules test the flow's
facts directly or under `flow:`, and the two ends under `source:` and `destination:`.

Fact tests, by the fact's kind:
- bool:           `admin: true`, `audit_logging: [false, null]`
- enum:           `authentication: none`, `kind: [database, cache]`
- set-valued:     `tags: pci` or `tags: [pci, pii]` (any of), `controls: {none_of: [C-MFA]}`,
                  `tags: {all_of: [a, b]}`
- ordered/int:    `classification: {at_least: confidential}`, `trust: {below: 5}`, also `at_most`, `above`
- text:           `technology: {contains: [postgres, mysql]}` (case-insensitive), `protocol: HTTP`

Anything else (an unknown fact, a value outside a fact's vocabulary, a wrong shape) is a
:class:`~threatloom.errors.Problem` raised when the rule loads, never a condition that is silently false.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import partial
from typing import Any

import msgspec

from threatloom.engine.facts import ELEMENT_FACTS, FLOW_FACTS, FactKind, Facts
from threatloom.errors import Problem, SourceLocation


class Interaction(msgspec.Struct, frozen=True):
    """What an interaction rule sees: the flow and both of its ends."""

    flow: Facts
    source: Facts
    destination: Facts


Predicate = Callable[[Any], bool]
Locator = Callable[..., SourceLocation]  # (path, at_key=False) -> location

_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    "at_least": lambda a, b: a >= b,
    "at_most": lambda a, b: a <= b,
    "above": lambda a, b: a > b,
    "below": lambda a, b: a < b,
}
MAX_CONDITION_DEPTH = 32


class ConditionError(Exception):
    """What is wrong with a condition: every mistake found in it, in the order written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.render() for p in problems))
        self.problems = problems
        self.problem = problems[0]


def _never(subject: Any) -> bool:
    return False


class _Compiler:
    """Compiles a condition, going on past a mistake so that one load reports every mistake: each key of a
    mapping and each value of a list is checked on its own."""

    def __init__(self, locate: Locator) -> None:
        self.locate = locate
        self.problems: list[Problem] = []

    def error(self, path: tuple[Any, ...], message: str, hint: str = "", at_key: bool = False) -> ConditionError:
        location = self.locate(path, at_key=True) if at_key else self.locate(path)
        return ConditionError([Problem(location, message, hint, "bad-condition")])

    def compile(self, node: Any, scope: str, path: tuple[Any, ...]) -> Predicate:
        if len(path) > MAX_CONDITION_DEPTH:
            raise self.error(path, "condition nested too deeply", "simplify it")
        if not isinstance(node, dict) or not node:
            raise self.error(path, "a condition must be a non-empty mapping",
                             "write e.g. `{authentication: none}` or `{all: [...]}`")
        parts = [self._kept(partial(self._entry, key, value, scope, (*path, key))) for key, value in node.items()]
        return parts[0] if len(parts) == 1 else _every(parts)

    def _kept(self, build: Callable[[], Any]) -> Any:
        """What `build` returns; if it finds a mistake, the mistake is kept and a placeholder returned (the
        condition is refused once compiled, so the placeholder never runs)."""
        try:
            return build()
        except ConditionError as exc:
            self.problems.extend(exc.problems)
            return _never

    def _entry(self, key: str, value: Any, scope: str, path: tuple[Any, ...]) -> Predicate:
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise self.error(path, f"`{key}` takes a non-empty list of conditions")
            parts = [self.compile(item, scope, (*path, i)) for i, item in enumerate(value)]
            if len(parts) == 1:
                return parts[0]
            return _every(parts) if key == "all" else _some(parts)
        if key == "not":
            inner = self.compile(value, scope, path)
            return lambda subject: not inner(subject)
        if scope == "interaction":
            if key in ("source", "destination"):
                inner = self.compile(value, "element", path)
                if key == "source":
                    return lambda subject: inner(subject.source)
                return lambda subject: inner(subject.destination)
            if key == "flow":
                inner = self.compile(value, "flow", path)
                return lambda subject: inner(subject.flow)
            test = self._fact(key, value, FLOW_FACTS, "flow", path)
            return lambda subject: test(subject.flow)
        registry = ELEMENT_FACTS if scope == "element" else FLOW_FACTS
        return self._fact(key, value, registry, scope, path)

    def _fact(self, name: str, value: Any, registry: dict[str, tuple[FactKind, str]], scope: str,
              path: tuple[Any, ...]) -> Predicate:
        if name not in registry:
            extra = ["all", "any", "not"] + (["flow", "source", "destination"] if scope != "element" else [])
            close = difflib.get_close_matches(name, [*registry, *extra], 1, 0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"{scope} facts: {', '.join(sorted(registry))}"
            raise self.error(path, f"unknown {scope} fact {name!r}", hint, at_key=True)
        kind = registry[name][0]
        return self._test(kind, value, path, name)

    def _check_value(self, kind: FactKind, value: Any, path: tuple[Any, ...], name: str) -> Any:
        if value is None:
            if kind.nullable:
                return None
            raise self.error(path, f"{name} is never null", "compare with a value")
        if kind.name == "bool":
            if not isinstance(value, bool):
                raise self.error(path, f"{name} is true or false, not {value!r}")
            return value
        if kind.name == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.error(path, f"{name} is a whole number, not {value!r}")
            return value
        if not isinstance(value, str):
            raise self.error(path, f"{name} takes text, not {value!r}")
        if kind.values and value not in kind.values:
            close = difflib.get_close_matches(value, kind.values, 1, 0.5)
            hint = f"did you mean {close[0]!r}?" if close else f"one of: {', '.join(kind.values)}"
            raise self.error(path, f"{value!r} is not a value of {name}", hint)
        return value

    def _test(self, kind: FactKind, spec: Any, path: tuple[Any, ...], name: str) -> Predicate:
        """The test of fact `name` against `spec`, as a predicate on a target's facts (the look-up is part
        of each test rather than a call of its own: conditions run on every candidate)."""
        if isinstance(spec, dict):
            return self._operator(kind, spec, path, name)
        values = spec if isinstance(spec, list) else [spec]
        if not values:
            raise self.error(path, f"{name}: an empty list matches nothing", "list at least one value")
        listed = isinstance(spec, list)
        checked = frozenset(self._kept(partial(self._check_value, kind, v, (*path, i) if listed else path, name))
                            for i, v in enumerate(values))
        if kind.name in ("enum-set", "text-set"):
            return lambda facts: not checked.isdisjoint(facts[name])
        if kind.name == "text":
            lowered = frozenset(str(v).lower() for v in checked)
            return lambda facts: str(facts[name]).lower() in lowered
        if len(checked) == 1:
            (only,) = checked
            if only is None:
                return lambda facts: facts[name] is None
            return lambda facts: facts[name] == only  # a null fact equals no value
        return lambda facts: facts[name] in checked

    def _operator(self, kind: FactKind, spec: dict[str, Any], path: tuple[Any, ...], name: str) -> Predicate:
        if len(spec) != 1:
            raise self.error(path, f"{name}: give one operator per test", "split it with `all:`")
        ((op, operand),) = spec.items()
        where = (*path, op)
        if op in _COMPARISONS and kind.name in ("ordered", "int"):
            compare = _COMPARISONS[op]
            if operand is None:  # null is below and above nothing
                raise self.error(where, f"{name}: `{op}` compares with a value, not null",
                                 f"test for null with `{name}: null`")
            if kind.name == "int":
                bound = self._check_value(kind, operand, where, name)
                return lambda facts: (actual := facts[name]) is not None and compare(actual, bound)
            # the levels that compare so, found once: null is none of them
            rank = kind.order.index(self._check_value(kind, operand, where, name))
            levels = frozenset(v for i, v in enumerate(kind.order) if compare(i, rank))
            return lambda facts: facts[name] in levels
        if (op in ("none_of", "all_of") and kind.name in ("enum-set", "text-set")) or \
                (op == "contains" and kind.name == "text"):
            items = self._operands(kind, operand, where, name, op)
            if op == "none_of":
                wanted = frozenset(items)
                return lambda facts: wanted.isdisjoint(facts[name])
            if op == "all_of":
                wanted = frozenset(items)
                return lambda facts: wanted <= facts[name]
            needles = tuple(str(v).lower() for v in items)
            return lambda facts: any(n in str(facts[name]).lower() for n in needles)
        allowed = {"ordered": "at_least, at_most, above, below", "int": "at_least, at_most, above, below",
                   "enum-set": "none_of, all_of", "text-set": "none_of, all_of", "text": "contains"}
        raise self.error(where, f"operator {op!r} does not apply to {name}",
                         f"{name} takes: {allowed.get(kind.name, 'a value or a list of values')}")

    def _operands(self, kind: FactKind, operand: Any, where: tuple[Any, ...], name: str, op: str) -> list[Any]:
        """The values an operator takes (one, or a list), each checked where it is written."""
        if isinstance(operand, list):
            if not operand:
                raise self.error(where, f"{name}: `{op}` with an empty list tests nothing", "list at least one value")
            return [self._kept(partial(self._check_value, kind, v, (*where, i), name)) for i, v in enumerate(operand)]
        return [self._check_value(kind, operand, where, name)]


def _every(parts: list[Predicate]) -> Predicate:
    """All of `parts`, in order, stopping at the first that fails (a loop, not a generator per call)."""
    if len(parts) == 2:
        first, second = parts
        return lambda subject: first(subject) and second(subject)

    def every(subject: Any) -> bool:
        for part in parts:  # noqa: SIM110 - all() would build a generator on every call
            if not part(subject):
                return False
        return True
    return every


def _some(parts: list[Predicate]) -> Predicate:
    """Any of `parts`, in order, stopping at the first that holds."""
    if len(parts) == 2:
        first, second = parts
        return lambda subject: first(subject) or second(subject)

    def some(subject: Any) -> bool:
        for part in parts:  # noqa: SIM110 - any() would build a generator on every call
            if part(subject):
                return True
        return False
    return some


def compile_condition(node: Any, scope: str, path: tuple[Any, ...], locate: Locator) -> Predicate:
    """Compile `node` for `scope` ("element" or "interaction"); raise ConditionError, with every mistake
    in it, when it is wrong."""
    compiler = _Compiler(locate)
    predicate = compiler._kept(partial(compiler.compile, node, scope, path))
    if compiler.problems:
        raise ConditionError(compiler.problems)
    return predicate  # type: ignore[no-any-return]
