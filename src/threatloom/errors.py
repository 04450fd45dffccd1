"""Typed errors that carry where in which file the problem is.

Library code raises these; only the CLI turns them into messages and exit codes.
"""

from __future__ import annotations

from pathlib import Path

import msgspec


class SourceLocation(msgspec.Struct, frozen=True):
    """A place in a source file: 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong (or smelly) in an input, with a hint on how to fix it."""

    location: SourceLocation
    message: str
    hint: str = ""
    code: str = "invalid"
    severity: str = "error"  # "error" or "warning"
    path: str = ""  # dotted path in the document, e.g. components[3].zone

    def render(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "severity": self.severity,
            "code": self.code,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


class ThreatloomError(Exception):
    """Base of every error threatloom raises on purpose."""


class InputError(ThreatloomError):
    """An input file is invalid; holds every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | None = None) -> None:
        self.problems: list[Problem] = [] if problems is None else problems
        super().__init__(self.summary())

    def __reduce__(self) -> tuple[type[InputError], tuple[list[Problem]]]:
        # the base class would rebuild it from its message, the summary, and lose the problems
        return type(self), (self.problems,)

    def summary(self) -> str:
        return "\n".join(p.render() for p in self.problems)

    def __str__(self) -> str:
        return self.summary()


def single_problem(file: str | Path, message: str, hint: str = "", line: int = 0, column: int = 0,
                   code: str = "invalid") -> InputError:
    """An InputError with a single problem, for failures that stop reading at once."""
    return InputError([Problem(SourceLocation(str(file), line, column), message, hint, code)])


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of the character at `offset` in `text`."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1
