"""Read a foreign file safely: bounded size, JSON, YAML or XML, and errors located in the file.

Foreign files are untrusted like model files: YAML goes through the same bounded safe reader as
models, XML through defusedxml (no entities, no DTD), JSON through the standard parser with its
nesting bounded. Importers check the shapes they read with :meth:`ForeignDocument.expect` and friends,
so a wrong type is an :class:`InputError` naming the file, the place and what was expected, never a
traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar
from xml.etree.ElementTree import Element, ParseError

import msgspec
import yaml

from threatloom.errors import InputError, Problem, SourceLocation, line_and_column, single_problem
from threatloom.model.yamlsource import (
    CONTROL_CHARACTER,
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_NUMBER_CHARS,
    YamlDocument,
    parse_yaml,
    read_bounded,
)

MAX_IMPORT_BYTES = 32 * 1024 * 1024
Syntax = Literal["json", "yaml", "xml"]
Key = str | int
T = TypeVar("T")

_TYPE_NAMES = {dict: "a mapping (object)", list: "a list (array)", str: "text", int: "a whole number",
               float: "a number", bool: "true or false"}


class ForeignDocument(msgspec.Struct):
    """A parsed foreign file: plain data (JSON, YAML) or an XML element tree, with a way to locate."""

    path: Path
    syntax: Syntax
    data: Any  # dicts, lists and scalars; for XML, the root Element
    text: str
    _positions: YamlDocument | None = None

    @property
    def display(self) -> str:
        return str(self.path)

    @property
    def xml(self) -> Element:
        if not isinstance(self.data, Element):
            raise self.error((), "expected an XML document", "give the file the tool saved")
        return self.data

    def locate(self, keys: tuple[Key, ...] = ()) -> SourceLocation:
        """Line and column of the value at `keys` (JSON and YAML); the file alone for XML."""
        if self.syntax == "xml":
            return SourceLocation(self.display)
        if self._positions is None:
            # positions are only needed for messages: compose the text as YAML (JSON is nearly a
            # subset) on the first error rather than tracking them for every value
            try:
                self._positions = parse_foreign_yaml(self.text, self.display)
            except InputError:
                try:  # the node tree is all a position needs, whatever the values hold
                    self._positions = parse_yaml(self.text, self.display, keep_problems=True)
                except InputError:
                    return SourceLocation(self.display)
        return self._positions.locate(keys)

    def problem(self, keys: tuple[Key, ...], message: str, hint: str = "", code: str = "import") -> Problem:
        where = _dotted(keys)
        text = f"{where}: {message}" if where else message
        return Problem(self.locate(keys), text, hint, code, path=where)

    def error(self, keys: tuple[Key, ...], message: str, hint: str = "", code: str = "import") -> InputError:
        return InputError([self.problem(keys, message, hint, code)])

    def expect(self, value: Any, kind: type[T], keys: tuple[Key, ...], hint: str = "") -> T:
        """`value` if it is of `kind` (an int is no bool, an int passes as float), else a located error."""
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # type: ignore[return-value]
        if not ok:
            raise self.error(keys, f"expected {_TYPE_NAMES.get(kind, kind.__name__)}, found "
                             f"{_describe(value)}", hint or "the file does not follow the format; was it edited "
                             "by hand?", "import-type")
        return value  # type: ignore[no-any-return]

    def member(self, obj: dict[str, Any], key: str, kind: type[T], keys: tuple[Key, ...],
               default: T | None = None) -> T | None:
        """`obj[key]` checked against `kind`; `default` when absent or null."""
        value = obj.get(key)
        if value is None:
            return default
        return self.expect(value, kind, (*keys, key))

    def required(self, obj: dict[str, Any], key: str, kind: type[T], keys: tuple[Key, ...]) -> T:
        """`obj[key]` checked against `kind`; a located error when it is missing."""
        if obj.get(key) is None:
            raise self.error(keys, f"missing `{key}`", "the file does not follow the format", "import-missing")
        return self.expect(obj[key], kind, (*keys, key))


def read_foreign(path: Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> ForeignDocument:
    """Read and parse the file at `path`; its syntax is told by its first characters."""
    display = str(path)
    raw = read_bounded(path, display, max_bytes, "is this the right file? threat models are far smaller",
                       "give the path of the file to import", "the import limit")
    text = _decode(raw, display)
    start = text.lstrip()[:1]
    if start == "<":
        root = _parse_xml(raw, display)
        for element in root.iter():  # XML 1.0 admits C1 controls, written as character references
            for value in (element.text, element.tail, *element.attrib.values()):
                found = CONTROL_CHARACTER.search(value) if value else None
                if found:
                    raise single_problem(display, f"text in <{element.tag.rpartition('}')[2]}> holds the control "
                                         f"character U+{ord(found.group()):04X}", _CONTROL_HINT,
                                         code="import-control")
        return ForeignDocument(path, "xml", root, text)
    if start in ("{", "["):
        document = ForeignDocument(path, "json", _parse_json(text, display), text)
        control = _first_control_character(document.data)
        if control is not None:  # YAML text is checked by its reader; JSON escapes can hide them too
            keys, character = control
            raise document.error(keys, f"text holds the control character U+{ord(character):04X}", _CONTROL_HINT,
                                 "import-control")
        return document
    parsed = parse_foreign_yaml(text, display)
    return ForeignDocument(path, "yaml", parsed.data, text, parsed)


def _decode(raw: bytes, display: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # the Microsoft tool may save UTF-16
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise single_problem(display, "not valid UTF-16 text", "save the file again from its tool",
                                 code="encoding") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise single_problem(display, f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8",
                             code="encoding") from exc


def _parse_json(text: str, display: str) -> Any:
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_int=_bounded_int)
    except _NumberTooLongError as exc:
        line, column = line_and_column(text, text.find(exc.digits))
        raise single_problem(display, f"a number of {len(exc.digits):,} digits, too large for any field",
                             "the file does not follow the format; export it again from its tool", line, column,
                             code="json-number") from exc
    except json.JSONDecodeError as exc:
        raise single_problem(display, f"JSON syntax error: {exc.msg}",
                             "the file is truncated or not JSON; export it again from its tool",
                             exc.lineno, exc.colno, code="json-syntax") from exc
    except RecursionError as exc:
        raise single_problem(display, "JSON nested too deeply", f"keep nesting under {MAX_DEPTH} levels",
                             code="too-deep") from exc
    except ValueError as exc:  # NaN and Infinity
        raise single_problem(display, str(exc), "write ordinary numbers", code="json-number") from exc
    if _depth(data) > MAX_DEPTH:
        raise single_problem(display, f"JSON nested deeper than {MAX_DEPTH} levels", "flatten the structure",
                             code="too-deep")
    return data


class _NumberTooLongError(ValueError):
    def __init__(self, digits: str) -> None:
        super().__init__(digits[:20])
        self.digits = digits


def _bounded_int(digits: str) -> int:
    """A whole number of JSON; one longer than any field takes is refused before Python converts it (past
    4,300 digits the conversion itself fails, and it grows quadratically before that)."""
    if len(digits) > MAX_NUMBER_CHARS:
        raise _NumberTooLongError(digits)
    return int(digits)


_CONTROL_HINT = ("remove it from the file: imported text is shown in terminals and reports, where such "
                 "characters can rewrite the screen")


def _first_control_character(data: Any) -> tuple[tuple[Key, ...], str] | None:
    """The path to the first string (key or value, in the file's order) holding a control character, and
    that character."""
    # each entry: a value and its path, or (for a key, checked just before its value) the key itself
    stack: list[tuple[Any, tuple[Key, ...], bool]] = [(data, (), False)]
    while stack:
        value, keys, is_key = stack.pop()
        if isinstance(value, str):
            found = CONTROL_CHARACTER.search(value)
            if found:
                return keys, found.group()
        elif is_key:
            continue
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                stack.append((item, (*keys, key), False))
                stack.append((key, (*keys, key), True))
        elif isinstance(value, list):
            stack.extend(reversed([(item, (*keys, i), False) for i, item in enumerate(value)]))
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number threatloom accepts")


def _depth(value: Any) -> int:
    """Nesting depth, without recursion (a hostile file cannot exhaust the stack here)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items: list[Any] = list(item.values())
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in items)
    return deepest


def _parse_xml(raw: bytes, display: str) -> Element:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise single_problem(display, f"XML refused: {type(exc).__name__}",
                             "threat model files declare no DTD or entities; this file may be hostile",
                             code="xml-unsafe") from exc
    except ParseError as exc:
        line, column = exc.position
        raise single_problem(display, f"XML syntax error: {exc}", "the file is truncated or not XML",
                             line, column + 1, code="xml-syntax") from exc


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, Element):
        return "an XML document"
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return name
    return type(value).__name__


def _dotted(keys: tuple[Key, ...]) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")


_MERGE = "tag:yaml.org,2002:merge"


def parse_foreign_yaml(text: str, display: str) -> YamlDocument:
    """Like :func:`parse_yaml`, but resolving YAML merge keys (`<<: *base`), which foreign tools write.

    Model files refuse merge keys; Threagile's own examples rely on them, so foreign files may use
    them. They are resolved in the node tree before conversion, which keeps every bound of the model
    reader: an inherited value is the very node it came from, so reading it again counts as an alias.
    """
    try:
        return parse_yaml(text, display)
    except InputError as exc:
        if not exc.problems or any(p.code != "yaml-merge" for p in exc.problems):
            raise
    from threatloom.model.yamlsource import _Converter  # the bounded node-to-data step models use

    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # parsed above
    document = YamlDocument(display, None, root)
    if root is not None:
        _resolve_merges(root, display)
        document.data = _Converter(document).convert(root, 0)
    if document.problems:
        raise InputError(document.problems)
    return document


def _resolve_merges(root: yaml.Node, display: str) -> None:
    """Replace merge keys by the pairs they bring in, innermost mappings first, without recursion.

    A mapping's own keys win over merged ones, and earlier merge sources over later ones (the YAML
    merge-key rules); at most MAX_ALIAS_VALUES pairs may be brought in, so chains cannot blow up."""
    done: set[int] = set()
    open_nodes: set[int] = set()
    added = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, yaml.CollectionNode) or id(node) in done:
            continue
        if not children_done:
            if id(node) in open_nodes:  # an alias to an enclosing node: the converter reports it
                continue
            open_nodes.add(id(node))
            stack.append((node, True))
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
            stack.extend((child, False) for child in reversed(children))
            continue
        open_nodes.discard(id(node))
        done.add(id(node))
        if isinstance(node, yaml.MappingNode):
            added += _merge_pairs(node, display)
            if added > MAX_ALIAS_VALUES:
                mark = node.start_mark
                raise single_problem(display, f"merge keys (`<<`) bring in more than {MAX_ALIAS_VALUES:,} values",
                                     "remove merge chains that multiply content", mark.line + 1, mark.column + 1,
                                     code="too-large")


def _merge_pairs(node: yaml.MappingNode, display: str) -> int:
    own = [(k, v) for k, v in node.value if k.tag != _MERGE]
    if len(own) == len(node.value):
        return 0
    sources: list[yaml.Node] = []
    for key, value in node.value:
        if key.tag == _MERGE:
            sources.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
    seen = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
    inherited = []
    for source in sources:
        if not isinstance(source, yaml.MappingNode):
            mark = source.start_mark
            raise single_problem(display, "a merge key (`<<`) takes a mapping or a list of mappings",
                                 "merge with `<<: *name`, where `&name` marks a mapping", mark.line + 1,
                                 mark.column + 1, code="yaml-merge")
        for key, value in source.value:
            if key.tag != _MERGE and isinstance(key, yaml.ScalarNode) and key.value not in seen:
                seen.add(key.value)
                inherited.append((key, value))
    node.value = own + inherited
    return len(inherited)
