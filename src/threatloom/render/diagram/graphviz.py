"""Run Graphviz's `dot` binary on DOT text: an argument list, no shell, a time limit, typed errors."""

from __future__ import annotations

import re
import shutil
import subprocess

from threatloom.errors import ThreatloomError

OUTPUT_FORMATS = ("svg", "png")
TIMEOUT_SECONDS = 300.0


class GraphvizMissingError(ThreatloomError):
    """The `dot` binary is not on PATH."""

    def __init__(self) -> None:
        super().__init__("Graphviz is not installed: run scripts/setup.sh or apt-get install graphviz")


class GraphvizFailedError(ThreatloomError):
    """`dot` ran but did not produce a drawing."""


def dot_available() -> bool:
    return shutil.which("dot") is not None


def run_dot(source: str, output_format: str, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """Lay out and draw `source` with `dot -T<format>`; the drawing's bytes."""
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"unsupported Graphviz output {output_format!r}")
    executable = shutil.which("dot")
    if executable is None:
        raise GraphvizMissingError()
    try:
        result = subprocess.run([executable, f"-T{output_format}"], input=source.encode("utf-8"),
                                capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphvizFailedError(f"Graphviz took longer than {timeout:g} s: draw one zone with --zone, "
                             "or the zones only with --overview") from None
    except OSError as exc:
        raise GraphvizFailedError(f"could not run Graphviz ({executable}): {exc.strerror}") from None
    if result.returncode != 0 or not result.stdout:
        message = result.stderr.decode("utf-8", "replace").strip()[:500] or f"exit status {result.returncode}"
        raise GraphvizFailedError(f"Graphviz failed: {message}")
    return result.stdout


_PROLOGUE = re.compile(r"\A(?:\s*<\?xml[^>]*\?>|\s*<!DOCTYPE[^>]*>|\s*<!--.*?-->)*\s*", re.DOTALL)


def inline_svg(svg: bytes) -> str:
    """An SVG document from Graphviz as markup to place inside HTML (no XML prologue or doctype)."""
    return _PROLOGUE.sub("", svg.decode("utf-8"))
