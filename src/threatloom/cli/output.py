"""Console output and exit codes: the only place problems become text and statuses."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from threatloom.errors import Problem

# the arguments several commands share, written once
ModelArg = Annotated[Path, typer.Argument(help="The model file (YAML).", show_default=False)]
RulesOpt = Annotated[list[Path] | None, typer.Option("--rules", metavar="<path>",
                                                     help="Extra rule file or folder (repeatable).")]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2

_consoles: dict[bool, Console] = {}
UNCUT_WIDTH = 4096  # columns for output that is not a terminal's: wide enough that no table cuts an ID


def console(stderr: bool = False) -> Console:
    if stderr not in _consoles:
        from rich.console import Console

        # no emoji codes: `:100:` in `model.yaml:100:18` or a name holding `:fire:` is text, not a picture
        _consoles[stderr] = Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False,
                                    width=_width(sys.stderr if stderr else sys.stdout))
    return _consoles[stderr]


def _width(stream: object) -> int | None:
    """A terminal's own width; a pipe, a file or a CI log gets whole lines, where rich would lay tables out
    for 80 columns and cut the IDs people copy from them. `COLUMNS` still decides when it is set."""
    isatty = getattr(stream, "isatty", None)
    if "COLUMNS" in os.environ or (isatty is not None and isatty()):
        return None
    return UNCUT_WIDTH


MAX_PROBLEMS_SHOWN = 200  # a generated file can hold a mistake per line: past this, a terminal shows a count


MODEL_PROBLEMS = "`threatloom validate --format json` lists every problem of a model"


def print_problems(problems: Sequence[Problem], as_json: bool = False, every: str = MODEL_PROBLEMS) -> None:
    """Problems on stderr, one a line, the first MAX_PROBLEMS_SHOWN of them and how many more, with `every`
    saying where the command lists them all; in JSON on stdout, every one."""
    if as_json:
        sys.stdout.write(json.dumps([p.as_dict() for p in problems], indent=2) + "\n")
        return
    err = console(stderr=True)
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        colour = "red" if p.severity == "error" else "yellow"
        hint = f" [dim]({p.hint})[/dim]" if p.hint else ""
        err.print(f"[bold]{_escape(str(p.location))}[/bold]: [{colour}]{p.severity}[/{colour}]: {_escape(p.message)}"
                  f"{_escape_hint(hint)}")
    rest = problems[MAX_PROBLEMS_SHOWN:]
    if rest:
        errors = sum(1 for p in rest if p.severity == "error")
        files = len({p.location.file for p in rest})
        err.print(f"... and {len(rest):,} more ({errors:,} error{'s' if errors != 1 else ''}, in "
                  f"{files} file{'s' if files != 1 else ''}), not shown: fix these and run again ({every})")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _escape_hint(hint: str) -> str:
    # the hint wrapper is our markup; only its inner text needs escaping
    if not hint:
        return ""
    inner = hint[len(" [dim](") : -len(")[/dim]")]
    return f" [dim]({_escape(inner)})[/dim]"


def fail(message: str, hint: str = "", code: int = EXIT_BAD_INPUT) -> NoReturn:
    err = console(stderr=True)
    err.print(f"[red]error[/red]: {_escape(message)}" + (f" [dim]({_escape(hint)})[/dim]" if hint else ""))
    raise typer.Exit(code)


@contextmanager
def input_errors(as_json: bool = False) -> Iterator[None]:
    """Turn the library's typed errors into messages and exit status 2."""
    from threatloom.errors import InputError, ThreatloomError

    try:
        yield
    except InputError as exc:
        print_problems(exc.problems, as_json)
        if not as_json:
            n = sum(1 for p in exc.problems if p.severity == "error")
            console(stderr=True).print(f"[red]{n} error{'s' if n != 1 else ''}[/red]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ThreatloomError as exc:
        fail(str(exc))


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; yields a function that advances it."""
    from rich.progress import Progress

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """`command`, with the files it is given (all but its `output`) kept from being overwritten while it
    runs, and an output that cannot be written turned into an error message and exit status 2 rather
    than a traceback."""
    if getattr(command, "guarded", False):
        return command

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from threatloom import atomic

        atomic.release_inputs()
        try:
            atomic.keep_inputs(_input_files(kwargs))
            return command(*args, **kwargs)
        except atomic.OutputError as exc:
            fail(str(exc), exc.hint)
        except OSError as exc:
            if exc.errno not in atomic.OUT_OF_ROOM:
                raise
            # a scratch file a library writes on its way to the output (the Excel sheets do)
            import tempfile

            fail(f"ran out of room writing {exc.filename or 'a scratch file'}: {exc.strerror}",
                 f"make room in {tempfile.gettempdir()}, set TMPDIR to a folder with room or raise the file "
                 "size limit")
        finally:
            atomic.release_inputs()

    run.guarded = True  # type: ignore[attr-defined]
    return run


def _input_files(arguments: dict[str, Any]) -> Iterator[Path]:
    for name, value in arguments.items():
        if name == "output":
            continue
        for path in value if isinstance(value, list) else [value]:
            if isinstance(path, Path):
                yield path  # keep_inputs keeps only the regular files among them
