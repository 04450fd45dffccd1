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
    source = render_dot(diagram)
    if output_format == "dot":
        return source.encode("utf-8")
    from threatloom.render.diagram.graphviz import run_dot

    return run_dot(source, output_format)
