"""Data-flow diagrams: a format-free view (:mod:`.view`), writers for DOT and Mermaid, Graphviz drawing.

The format follows the output file's extension: ``.svg`` and ``.png`` are drawn by Graphviz,
``.dot``/``.gv`` is the DOT text, ``.mmd`` the Mermaid text.
"""

from __future__ import annotations

from pathlib import Path

from threatloom.errors import ThreatloomError
from threatloom.render.diagram.view import Diagram

DIAGRAM_FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid"}


class UnknownDiagramFormatError(ThreatloomError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"cannot tell the diagram format from {path.name!r}: name the file "
                         f"{', '.join('*' + e for e in DIAGRAM_FORMATS)}")


def diagram_format(path: Path) -> str:
    """The format a diagram written to `path` gets, from its extension."""
    found = DIAGRAM_FORMATS.get(path.suffix.lower())
    if found is None:
        raise UnknownDiagramFormatError(path)
    return found


def render_diagram(diagram: Diagram, output_format: str) -> bytes:
    """The diagram in `output_format` (see :data:`DIAGRAM_FORMATS`)."""
    from threatloom.render.diagram.dot import render_dot

    if output_format == "mermaid":
        from threatloom.render.diagram.mermaid import render_mermaid

        return render_mermaid(diagram).encode("utf-8")
    if output_format == "dot":
        return render_dot(diagram).encode("utf-8")
    return draw(diagram, output_format)


def draw(diagram: Diagram, output_format: str = "svg", *, legend: bool = True) -> bytes:
    """The diagram drawn by Graphviz, in the first of :data:`~.dot.LAYOUTS` that Graphviz can lay out."""
    from threatloom.render.diagram.dot import LAYOUTS, render_dot
    from threatloom.render.diagram.graphviz import GraphvizFailedError, run_dot

    for rankdir, by_trust in LAYOUTS[:-1]:
        try:
            return run_dot(render_dot(diagram, rankdir=rankdir, by_trust=by_trust, legend=legend), output_format)
        except GraphvizFailedError as exc:
            if "trouble in init_rank" not in str(exc):
                raise
    rankdir, by_trust = LAYOUTS[-1]
    return run_dot(render_dot(diagram, rankdir=rankdir, by_trust=by_trust, legend=legend), output_format)
