"""Safe YAML reading that keeps source positions.

YAML is composed into nodes (libyaml when available, never a constructor that builds arbitrary
objects), then turned into plain data with bounds on size, depth and alias expansion. The node tree
is kept so that any later error can be located by its path without storing a position per value.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import msgspec
import yaml

from threatloom.errors import InputError, Problem, SourceLocation, line_and_column, single_problem

try:  # libyaml's composer is an order of magnitude faster; fall back to pure Python where absent
    _Loader: Any = yaml.CSafeLoader
    _LIBYAML = True
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader
    _LIBYAML = False

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 8_000_000
MAX_ALIAS_VALUES = 100_000  # values reached again through aliases: stops "billion laughs" early
MAX_NUMBER_CHARS = 64  # no field takes a longer number; Python's int() fails past 4,300 digits anyway

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_KNOWN_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ}
_ScalarNode, _MappingNode = yaml.ScalarNode, yaml.MappingNode

_scalar_constructor = yaml.constructor.SafeConstructor()
# C0 and C1 controls and DEL; tabs and line breaks (NEL, YAML's `\N`, too) are ordinary text
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


class YamlDocument(msgspec.Struct):
    """Plain data read from one file, with its node tree kept for locating errors."""

    path: str
    data: Any
    root: yaml.Node | None
    problems: list[Problem] = msgspec.field(default_factory=list)

    def locate(self, keys: tuple[str | int, ...], *, at_key: bool = False) -> SourceLocation:
        """Where the value at `keys` was written; with `at_key`, where its key was."""
        node = self.root
        mark = node.start_mark if node is not None else None
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                found = next(((k, v) for k, v in node.value if k.value == key), None)
                if found is None:
                    break
                key_node, node = found
                mark = key_node.start_mark if at_key else node.start_mark
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                mark = node.start_mark
            else:
                break
        if mark is None:
            return SourceLocation(self.path)
        return SourceLocation(self.path, mark.line + 1, mark.column + 1)


def read_yaml(path: Path, *, max_bytes: int = MAX_FILE_BYTES, keep_problems: bool = False,
              display: str | None = None) -> YamlDocument:
    """Read one YAML file into plain data; raise InputError with a location when it is not usable.

    With `keep_problems`, problems that still leave usable data (a duplicate key, a tag, a merge key)
    are kept in `document.problems` instead of raised, so a caller can report them with later ones.
    """
    display = str(path) if display is None else display
    raw = read_bounded(path, display, max_bytes, "split the model with `include:`")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        raise single_problem(display, f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded",
                             "save the file as UTF-8", line, column, code="encoding") from exc
    return parse_yaml(text, display, keep_problems=keep_problems)


_NOT_READ = ((stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device"))


def read_bounded(path: Path, display: str, max_bytes: int, too_large_hint: str,
                 not_a_file_hint: str = "give the path of a file saved on disk", limit: str = "the limit") -> bytes:
    """The bytes of the file or pipe at `path`, at most `max_bytes` of them; InputError otherwise.

    A device, a socket or a folder is refused before anything is read (`/dev/zero` never ends). A pipe
    (`<(cat model.yaml)`, `/dev/stdin`) is read, and the bound holds while reading, for it and for a
    file that grows after its size was checked.
    """
    try:
        # non-blocking, so that opening a named pipe with no writer returns instead of waiting forever
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise single_problem(display, f"cannot read the file: {exc.strerror}",
                             "check the path and its permissions", code="io") from exc
    found = os.fstat(fd)
    if not stat.S_ISREG(found.st_mode) and not stat.S_ISFIFO(found.st_mode):
        os.close(fd)
        kind = next((name for test, name in _NOT_READ if test(found.st_mode)), "not a regular file")
        raise single_problem(display, f"not a file: it is {kind}", not_a_file_hint, code="io")
    os.set_blocking(fd, True)  # a pipe's writer may not have written yet; with none, reading ends at once
    with os.fdopen(fd, "rb") as handle:
        if found.st_size > max_bytes:
            raise single_problem(display, f"file is {found.st_size:,} bytes, over {limit} of {max_bytes:,}",
                                 too_large_hint, code="too-large")
        try:
            raw = handle.read(max_bytes + 1)
        except OSError as exc:
            raise single_problem(display, f"cannot read the file: {exc.strerror}",
                                 "check the path and its permissions", code="io") from exc
    if len(raw) > max_bytes:
        raise single_problem(display, f"more than {max_bytes:,} bytes to read, over {limit}", too_large_hint,
                             code="too-large")
    return raw


def parse_yaml(text: str, display: str, *, keep_problems: bool = False) -> YamlDocument:
    """Parse YAML text (one document) into plain data, keeping its node tree.

    Problems that stop reading (syntax, bounds, several documents) are always raised; the others are
    raised too unless `keep_problems` is set, in which case they stay in `document.problems`.
    """
    try:
        nodes = list(_compose_all(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = str(exc.problem or exc.context)
        if "nesting depth" in problem:  # libyaml's own bound, far above ours
            raise single_problem(display, "YAML nested too deeply", f"keep nesting under {MAX_DEPTH} levels",
                                 line, column, code="too-deep") from exc
        message, hint = _syntax_wording(problem, exc.context, exc.context_mark, _char_at(text, line, column))
        opened = _unclosed_quote(text, line, column)
        if opened is not None and "quoted scalar" not in str(exc.context):
            hint = (f"the double quote opened at line {opened[0]}, column {opened[1]} is not closed on its "
                    "line, so the text runs on to here: close it")
        raise single_problem(display, message, hint, line, column, code="yaml-syntax") from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, written raw
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        # libyaml counts bytes of UTF-8, the pure-Python reader characters
        before = text.encode("utf-8")[:exc.position].decode("utf-8", "ignore") if _LIBYAML else \
            text[:exc.position]
        line, column = line_and_column(before, len(before))
        raise single_problem(display, f"the character U+{code:04X} is not allowed in YAML",
                             "remove it; in double quotes, write `\\t` for a tab and `\\n` for a line break",
                             line, column, code="yaml-syntax") from exc
    except yaml.YAMLError as exc:
        raise single_problem(display, f"YAML error: {exc}", code="yaml-syntax") from exc
    except RecursionError as exc:
        raise single_problem(display, "YAML nested too deeply", f"keep nesting under {MAX_DEPTH} levels",
                             code="too-deep") from exc
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        raise single_problem(display, "more than one YAML document in the file",
                             "use one document per file and join files with `include:`",
                             mark.line + 1, mark.column + 1, code="multiple-documents")
    root = nodes[0] if nodes else None
    document = YamlDocument(display, None, root)
    if root is not None:
        # control characters can only come from escapes in double quotes: without a backslash in the
        # text, no value needs looking at
        document.data = _Converter(document, escapes="\\" in text).convert(root, 0)
    if document.problems and not keep_problems:
        raise InputError(document.problems)
    return document


def _syntax_wording(problem: str, context: str | None, context_mark: Any, char: str) -> tuple[str, str]:
    """Message and hint of a YAML syntax error, naming where the unfinished construct began."""
    message = f"YAML syntax error: {problem}"
    start = ""
    if context and context_mark is not None:
        start = f"line {context_mark.line + 1}, column {context_mark.column + 1}"
        message += f" ({context} that starts at {start})"
    if char == "\t":
        return message, "indent with spaces: YAML does not allow tabs"
    if context and "quoted scalar" in context:
        return message, f"close the quote opened at {start}"
    if context and "flow sequence" in context:
        return message, f"close the `[` at {start} with `]`, or add the missing `,`"
    if context and "flow mapping" in context:
        return message, f"close the `{{` at {start} with `}}`, or add the missing `,`"
    if "mapping values are not allowed" in problem:
        return message, "a `: ` starts a new key here: check the indentation, or quote text that contains `: `"
    return message, "check indentation, quoting and the `:` after each key"


def _unclosed_quote(text: str, line: int, column: int, look_back: int = 400,
                    tries: int = 8) -> tuple[int, int] | None:
    """Line and column of a double quote before `line` left open on its own line and whose closing there
    moves the syntax error at `line` past it: the runaway quoted text YAML reports only where it ends,
    at the quote meant to open the next value.

    Said only when it is so: each candidate (a line with an odd number of unescaped double quotes, the
    nearest first) is tried by closing it and parsing again, which happens only on this error path."""
    rows = text.split("\n")
    if line > len(rows) or '"' not in rows[line - 1][:max(0, column - 1)]:
        return None
    tried = 0
    for number in range(line - 1, max(0, line - 1 - look_back), -1):
        quotes = _unescaped_quotes(rows[number - 1])
        if len(quotes) % 2 == 0:
            continue
        closed = [*rows[:number - 1], rows[number - 1] + '"', *rows[number:]]
        if _error_line("\n".join(closed)) in (None, *range(line + 1, len(rows) + 2)):
            return number, quotes[-1] + 1
        tried += 1
        if tried == tries:
            break
    return None


def _unescaped_quotes(row: str) -> list[int]:
    """Positions of the double quotes of a line that are not escaped (an even run of backslashes before a
    quote escapes nothing), before a comment."""
    found = []
    backslashes = 0
    for i, ch in enumerate(row):
        if ch == '"' and backslashes % 2 == 0:
            found.append(i)
        elif ch == "#" and i > 0 and row[i - 1] == " " and len(found) % 2 == 0:
            break  # a comment, outside quotes
        backslashes = backslashes + 1 if ch == "\\" else 0
    return found


def _error_line(text: str) -> int | None:
    """The line of the first syntax error in `text`, None if it composes."""
    try:
        for _ in _compose_all(text):
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark.line + 1 if mark else 0
    except yaml.YAMLError:
        return 0
    return None


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line)
    if not 1 <= line <= len(lines) or column < 1:
        return ""
    row = lines[line - 1]
    return row[column - 1] if column <= len(row) else ""


class _ComposingLoader(_Loader):  # type: ignore[misc]
    """The safe loader, with tag resolution made cheap: the composer asks it once per value.

    The safe schema has no path resolvers, so a plain scalar's tag depends on its text alone (and is
    remembered per text), a quoted one is always a string, and nothing needs tracking per level.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[str, str] = {}
        no_paths: dict[Any, Any] = {}
        self.descend_resolver = no_paths.get  # (parent, index): ignored, in a C call instead of a Python one
        self.ascend_resolver = tuple

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is _ScalarNode:
            if not implicit[0]:
                return _STR
            tag = self._tags.get(value)
            if tag is None:
                tag = self._tags[value] = self._plain_tag(value) if _PLAIN_ONLY else \
                    super().resolve(kind, value, implicit)
            return tag
        return _SEQ if kind is yaml.SequenceNode else _MAP

    @staticmethod
    def _plain_tag(value: str) -> str:
        """What the safe resolver answers for a plain scalar, without its set-up on every call: the
        patterns registered for the scalar's first character, in order, else a string."""
        for tag, pattern in _IMPLICIT.get(value[:1], ()):
            if pattern.match(value):
                return str(tag)
        return _STR


_IMPLICIT: dict[str | None, Any] = _Loader.yaml_implicit_resolvers
# the shortcut holds while no resolver applies to every first character or to a path (the safe schema's)
_PLAIN_ONLY = None not in _IMPLICIT and not _Loader.yaml_path_resolvers


def _compose_all(text: str) -> Iterator[yaml.Node]:
    loader = _ComposingLoader(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()


class _Converter:
    """Turns composed nodes into dicts, lists and scalars, enforcing the bounds.

    Written for speed (it visits every value of a model): scalars, most values, are converted in the
    loops of their collection rather than through a call of `convert` each.
    """

    def __init__(self, document: YamlDocument, *, escapes: bool = True) -> None:
        self.document = document
        self.escapes = escapes
        self.visits = 0
        self.alias_values = 0
        self.seen: set[int] = set()

    def _problem(self, node: yaml.Node, message: str, hint: str, code: str) -> None:
        mark = node.start_mark
        self.document.problems.append(Problem(
            SourceLocation(self.document.path, mark.line + 1, mark.column + 1), message, hint, code))

    def _stop(self, node: yaml.Node, message: str, hint: str, code: str) -> NoReturn:
        self._problem(node, message, hint, code)
        raise InputError(self.document.problems)

    def convert(self, node: yaml.Node, depth: int, aliased: bool = False) -> Any:
        kind = type(node)
        if kind is _ScalarNode:
            return self._item(node, depth, aliased)  # type: ignore[arg-type]
        self.visits += 1
        if id(node) in self.seen:  # the same node again: reached through an alias
            aliased = True
        else:
            self.seen.add(id(node))
        self._bound(node, depth, aliased)
        if node.tag not in _KNOWN_TAGS:
            self._unsupported_tag(node)
            return None
        if kind is _MappingNode:
            return self._mapping(node, depth, aliased)  # type: ignore[arg-type]
        return [self._item(item, depth + 1, aliased) if type(item) is _ScalarNode
                else self.convert(item, depth + 1, aliased) for item in node.value]

    def _bound(self, node: yaml.Node, depth: int, aliased: bool) -> None:
        """Stop at the first value past a bound: alias expansion, document size, nesting depth."""
        if aliased:
            self.alias_values += 1
            if self.alias_values > MAX_ALIAS_VALUES:
                self._stop(node, f"aliases expand to more than {MAX_ALIAS_VALUES:,} values",
                           "remove alias chains (`*name`) that multiply content", "too-large")
        if self.visits > MAX_NODES:
            self._stop(node, f"document expands to more than {MAX_NODES:,} values",
                       "remove alias chains (`*name`) that multiply content", "too-large")
        if depth > MAX_DEPTH:
            self._stop(node, f"nested deeper than {MAX_DEPTH} levels", "flatten the structure", "too-deep")

    def _item(self, node: yaml.ScalarNode, depth: int, aliased: bool) -> Any:
        """A scalar inside a collection: counted and bounded like any value."""
        self.visits += 1
        self._bound(node, depth, aliased)
        tag = node.tag
        if tag == _STR:
            if self.escapes and CONTROL_CHARACTER.search(node.value):
                self._control_character(node)
            return node.value
        return self._scalar(node)

    def _control_character(self, node: yaml.ScalarNode) -> None:
        found = CONTROL_CHARACTER.search(node.value)
        assert found is not None
        self._problem(node, f"text holds the control character U+{ord(found.group()):04X}",
                      "remove the escape (`\\e`, `\\x..`, `\\u....`): model text is shown in terminals and "
                      "reports, where such characters can rewrite the screen", "yaml-control")

    def _unsupported_tag(self, node: yaml.Node) -> None:
        shown = node.tag.replace("tag:yaml.org,2002:", "!!", 1)
        self._problem(node, f"unsupported YAML tag {shown!r}",
                      "remove the `!tag`; model files hold plain values only", "yaml-tag")

    def _mapping(self, node: yaml.MappingNode, depth: int, aliased: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        depth += 1
        for key_node, value_node in node.value:
            if type(key_node) is not _ScalarNode:
                self._problem(key_node, "a key must be plain text", "write `name: value`", "yaml-key")
                continue
            key = key_node.value
            if key_node.tag != _STR:
                if key_node.tag == _MERGE:
                    self._problem(key_node, "merge keys (`<<`) are not supported",
                                  "write the keys out, or use `include:` to share parts", "yaml-merge")
                    continue
                if key_node.tag not in _KNOWN_TAGS:
                    self._unsupported_tag(key_node)
                    continue
            if key in result:
                self._problem(key_node, f"duplicate key {key!r}",
                              "each key may appear once in a mapping; remove or merge the repeats",
                              "duplicate-key")
                continue
            if type(value_node) is _ScalarNode:
                result[key] = self._item(value_node, depth, aliased)
            else:
                result[key] = self.convert(value_node, depth, aliased)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):  # dates stay text; the schema parses them
            return node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _scalar_constructor.construct_yaml_bool(node)
        if tag == _INT:
            if len(node.value) > MAX_NUMBER_CHARS:
                self._problem(node, f"a number of {len(node.value):,} characters, too large for any field",
                              "write a smaller number, or quote it if it is text", "yaml-number")
                return None
            return _scalar_constructor.construct_yaml_int(node)
        if tag == _FLOAT:
            value = _scalar_constructor.construct_yaml_float(node)
            if math.isnan(value) or math.isinf(value):
                self._problem(node, "not a finite number", "write an ordinary number", "yaml-number")
            return value
        self._unsupported_tag(node)
        return None
