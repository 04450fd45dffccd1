"""Graphviz DOT text of a :class:`~.view.Diagram`.

Every user string is untrusted. Labels are HTML-like (``<...>``), so names pass through
:func:`html_text` (entities for ``& < > "``, control characters dropped); IDs and tooltips are
double-quoted strings built by :func:`dot_string` (quotes escaped, line breaks as ``\\n``).
Graphviz expands ``\\N``, ``\\G`` and friends in every kind of string, even written as entities, so a
backslash in a name is drawn as the look-alike ``∖`` (U+2216 SET MINUS) and never reaches Graphviz.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator

from threatloom.model.vocabulary import Level
from threatloom.render import palette
from threatloom.render.diagram.view import Cluster, Diagram, Edge, Node

FONT = "Helvetica,Arial,Nimbus Sans,Liberation Sans,sans-serif"
"""Graphviz measures labels in Helvetica's metrics; a browser without Helvetica or Arial (Linux) would draw
them in its sans-serif, wider, so the list names the metric-compatible clones before falling back."""
BACKSLASH = "\u2216"  # drawn instead of "\\", which Graphviz would read as an escape
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\\": BACKSLASH}


def html_text(text: str) -> str:
    """Text safe inside a Graphviz HTML-like label (and as XML character data)."""
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return "".join(_HTML.get(ch, ch) for ch in text).replace("\n", "<BR/>")


def dot_string(text: str) -> str:
    """A DOT double-quoted string that Graphviz reads back literally, entities included."""
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n").replace("&", "&amp;")
    text = text.replace("\\", BACKSLASH).replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width, break_long_words=True, break_on_hyphens=False) or [""]


def _name_html(name: str, width: int = 22) -> str:
    return "<BR/>".join(f"<B>{html_text(line)}</B>" for line in _lines(name, width))


def _small(text: str, colour: str = "#333333", size: int = 9) -> str:
    return f'<FONT POINT-SIZE="{size}" COLOR="{colour}">{text}</FONT>'


def _risk_line(node: Node) -> str:
    if node.out_of_scope:
        return "out of scope"
    risk = node.risk
    if not risk.threats:
        return "no threats"
    text = f"{risk.threats} threat{'s' if risk.threats != 1 else ''}"
    if risk.worst is None:
        return text + ", all treated"
    return f"{text} · worst {risk.worst.value}"


def _node(node: Node) -> str:
    level = None if node.out_of_scope else node.risk.worst
    fill = palette.OUT_OF_SCOPE_FILL if node.out_of_scope else palette.fill(level)
    stroke = palette.stroke(level)
    dashed = node.out_of_scope or node.neighbour
    if node.neighbour:  # context around a zone: its name is enough, and keeps the drawing small
        body = _name_html(node.name)
    else:
        body = "<BR/>".join([_name_html(node.name), _small(html_text(node.detail), "#444444"),
                             _small(html_text(_risk_line(node)))])
    tooltip = dot_string(f"{node.name} ({node.id})\n{node.detail}\n{_risk_line(node)}")
    if node.shape == "data-store":
        style = ' STYLE="dashed"' if dashed else ""
        label = (f'<<TABLE BORDER="0" CELLBORDER="2" CELLSPACING="0" CELLPADDING="7" COLOR="{stroke}">'
                 f'<TR><TD SIDES="TB" BGCOLOR="{fill}"{style}>{body}</TD></TR></TABLE>>')
        return f"{dot_string(node.id)} [shape=plain, label={label}, tooltip={tooltip}];"
    shape = {"process": "ellipse", "external-entity": "box", "zone": "box"}[node.shape]
    styles = ["filled"] + (["rounded"] if node.shape == "zone" else []) + (["dashed"] if dashed else [])
    width = ', penwidth=2.2' if node.shape == "zone" else ', penwidth=1.6'
    return (f'{dot_string(node.id)} [shape={shape}, style="{",".join(styles)}", fillcolor="{fill}", '
            f'color="{stroke}"{width}, label=<{body}>, tooltip={tooltip}];')


def _edge(edge: Edge, overview: bool, nodes: dict[str, Node], by_trust: bool) -> str:
    colour = (palette.PLAINTEXT if edge.encrypted is False
              else palette.UNKNOWN if edge.encrypted is None else "#333333")
    style = "dashed" if edge.authenticated is False else ("dotted" if edge.authenticated is None else "solid")

    def marked(text: str, bad: bool | None) -> str:
        if bad is False:
            return f'<FONT COLOR="{palette.PLAINTEXT}"><B>{html_text(text)}</B></FONT>'
        if bad is None:
            return f'<FONT COLOR="{palette.UNKNOWN}">{html_text(text)}</FONT>'
        return html_text(text)

    parts = [html_text(edge.protocol)] if edge.protocol else []
    parts += [marked(text, ok) for text, ok in ((edge.authentication, edge.authenticated),
                                                (edge.encryption, edge.encrypted)) if text]
    names = [line for part in edge.name.split("\n") for line in _lines(part, 28)[:3]]
    lines = [html_text(line) for line in names] + ([" · ".join(parts)] if parts else [])
    if edge.risk.threats:
        lines.append(f"{edge.risk.threats} threat{'s' if edge.risk.threats != 1 else ''}")
    label = _small("<BR/>".join(lines), "#222222")
    width = 1.3 + (math.log2(edge.flows) * 0.6 if overview else 0)
    attrs = [f"label=<{label}>", f'color="{colour}"', f"style={style}", f"penwidth={width:.1f}",
             f"tooltip={dot_string(f'{edge.name} ({edge.id})')}"]
    source, destination = edge.source, edge.destination
    if by_trust and nodes[source].trust > nodes[destination].trust:
        # written from low to high trust, so ranks follow trust (internet on top) whatever way data
        # flows; without this dot turns some edges round itself and routes them, and their labels, far
        # from both ends. The arrow still points where the data goes.
        source, destination = destination, source
        if not edge.bidirectional:
            attrs.append("dir=back")
    if edge.bidirectional:
        attrs.append("dir=both")
    return f"{dot_string(source)} -> {dot_string(destination)} [{', '.join(attrs)}];"


def _legend(title: str, overview: bool, zone_view: bool) -> str:
    """The graph's label: title and legend in one table, drawn under the diagram."""
    red, orange = palette.PLAINTEXT, palette.UNKNOWN
    swatches = [f'<TD BGCOLOR="{palette.FILL[lv]}" COLOR="{palette.STROKE[lv]}" BORDER="1">{lv.value}</TD>'
                for lv in (Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW)]
    swatches.append(f'<TD BGCOLOR="{palette.NO_RISK_FILL}" COLOR="{palette.NO_RISK_STROKE}" BORDER="1">'
                    "none open</TD>")
    styles = ["━━ encrypted", f'<FONT COLOR="{red}">━━ plaintext</FONT>',
              f'<FONT COLOR="{orange}">━━ encryption?</FONT>', "╍╍ no authentication", "┄┄ authentication?"]
    what = "zone" if overview else "element"
    rows = [
        f'<TR><TD ALIGN="LEFT" COLSPAN="6"><FONT POINT-SIZE="16"><B>{html_text(title)}</B></FONT></TD></TR>',
        f'<TR><TD ALIGN="LEFT">{what} colour: worst open residual risk</TD>{"".join(swatches)}</TR>',
        '<TR><TD ALIGN="LEFT">flows: colour encryption, line authentication</TD>'
        + "".join(f"<TD>{s}</TD>" for s in styles) + "</TR>",
    ]
    if not overview:
        outside = " · dashed outline: outside the zone shown" if zone_view else ""
        rows.append('<TR><TD ALIGN="LEFT" COLSPAN="6">ellipse: process · box: external entity · '
                    f"open rectangle: data store · dashed box: trust zone{outside} · ?: not recorded</TD></TR>")
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2">' + "".join(rows) + "</TABLE>>")


def _cluster(cluster: Cluster, diagram: Diagram, counter: Iterator[int], depth: int) -> Iterator[str]:
    pad = "  " * depth
    yield f"{pad}subgraph cluster_{next(counter)} {{"
    label = f"<B>{html_text(cluster.name)}</B>  ·  trust {cluster.trust}" + (" · internet" if cluster.internet
                                                                            else "")
    background = "#fbf1f1" if cluster.internet else ("#f6f8fb" if depth % 2 else "#ffffff")
    yield (f'{pad}  graph [label=<{label}>, labelloc=t, style="dashed,rounded,filled", fillcolor="{background}", '
           f'color="{palette.ZONE}", fontcolor="{palette.ZONE}", penwidth=1.6, fontsize=12, labeljust=l, margin=14, '
           f"tooltip={dot_string(f'{cluster.name} ({cluster.id}), trust {cluster.trust}')}];")
    for node_id in cluster.nodes:
        yield pad + "  " + _node(diagram.nodes[node_id])
    if cluster.id in diagram.empty_zones:
        yield (f"{pad}  {dot_string('empty:' + cluster.id)} [shape=plaintext, fontsize=9, fontcolor=\"#777777\", "
               'label="no elements"];')
    for child in cluster.children:
        yield from _cluster(child, diagram, counter, depth + 1)
    yield f"{pad}}}"


LAYOUTS = (("TB", True), ("LR", True), ("TB", False))
"""Rank direction and trust ordering to try in turn: Graphviz 2.4x sometimes gives up on a graph with
nested clusters ("trouble in init_rank"), and another ordering of the same graph usually works."""


def render_dot(diagram: Diagram, *, rankdir: str = "TB", by_trust: bool = True, legend: bool = True) -> str:
    """The diagram as DOT text, deterministic for a given diagram.

    Ranks run top to bottom (`rankdir`) and, with `by_trust`, from the least trusted zone to the most
    trusted: each edge is written from its lower-trust end, with the arrow drawn the way the data flows.
    Without `legend` the drawing has no title or key (a report that shows several says them once).
    """
    overview = diagram.mode == "overview"
    counter = iter(range(1, 1_000_000))
    key = f", label={_legend(diagram.title, overview, diagram.mode == 'zone')}" if legend else ""
    lines = [
        "digraph threatloom {",
        f'  graph [rankdir={rankdir}, fontname="{FONT}", labeljust=l, '
        f'nodesep=0.3, ranksep=0.55, pad=0.3, bgcolor="white", charset="UTF-8", fontsize=10, '
        f"labelloc=b{key}];",
        f'  node [fontname="{FONT}", fontsize=11, margin="0.12,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7];',
    ]
    for cluster in diagram.clusters:
        lines.extend(_cluster(cluster, diagram, counter, 1))
    lines.extend("  " + _node(diagram.nodes[node_id]) for node_id in diagram.loose)
    lines.extend("  " + _edge(edge, overview, diagram.nodes, by_trust) for edge in diagram.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"
