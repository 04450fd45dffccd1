"""Mermaid ``flowchart`` text of a :class:`~.view.Diagram`, as GitHub renders it in Markdown.

Labels are untrusted: every character that could end a label or start markup is written as a
Mermaid entity (``#34;`` for ``"``), and line breaks as ``<br>``. IDs are generated (``n_`` plus the
model ID reduced to letters, digits and ``_``), never taken raw from the model.
"""

from __future__ import annotations

import re

from threatloom.model.vocabulary import Level
from threatloom.render import palette
from threatloom.render.diagram.view import Cluster, Diagram, Edge, Node

_ENTITIES = {ord(ch): f"#{ord(ch)};" for ch in "\"#&<>`|;[]{}%"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def mermaid_text(text: str) -> str:
    """Text safe inside a double-quoted Mermaid label."""
    return _CONTROL.sub(" ", " ".join(text.split())).translate(_ENTITIES)


class _Ids:
    def __init__(self) -> None:
        self.taken: dict[tuple[str, str], str] = {}
        self.used: set[str] = set()

    def __call__(self, prefix: str, key: str) -> str:
        if (prefix, key) in self.taken:
            return self.taken[prefix, key]
        base = prefix + re.sub(r"[^A-Za-z0-9_]", "_", key)
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        self.taken[prefix, key] = candidate
        return candidate

    def __getitem__(self, key: tuple[str, str]) -> str:
        return self.taken[key]


def _risk(node: Node) -> str:
    if node.out_of_scope:
        return "out of scope"
    if not node.risk.threats:
        return "no threats"
    text = f"{node.risk.threats} threat{'s' if node.risk.threats != 1 else ''}"
    return text + (f" · {node.risk.worst.value}" if node.risk.worst else ", all treated")


def _node(node_id: str, node: Node) -> str:
    label = f"<b>{mermaid_text(node.name)}</b><br>{mermaid_text(node.detail)}<br>{_risk(node)}"
    open_, close = {"process": ('(["', '"])'), "data-store": ('[("', '")]'),
                    "external-entity": ('["', '"]'), "zone": ('["', '"]')}[node.shape]
    return f"{node_id}{open_}{label}{close}"


def _edge_label(edge: Edge) -> str:
    parts = [p for p in (edge.protocol, edge.authentication, edge.encryption) if p]
    lines = [mermaid_text(line) for line in edge.name.split("\n")]
    if parts:
        lines.append(mermaid_text(" · ".join(parts)))
    return "<br>".join(lines)


def render_mermaid(diagram: Diagram) -> str:
    """``flowchart LR`` text: zones as subgraphs, nodes coloured by level, risky flows styled."""
    ids = _Ids()
    for node_id in diagram.nodes:
        ids("n_", node_id)
    lines = ["flowchart LR"]

    def cluster(c: Cluster, depth: int) -> None:
        pad = "  " * depth
        zone_id = ids("z_", c.id)
        lines.append(f'{pad}subgraph {zone_id}["{mermaid_text(c.name)} · trust {c.trust}"]')
        for node_id in c.nodes:
            lines.append(f"{pad}  {_node(ids['n_', node_id], diagram.nodes[node_id])}")
        if c.id in diagram.empty_zones:
            lines.append(f'{pad}  {ids("e_", c.id)}["no elements"]')
        for child in c.children:
            cluster(child, depth + 1)
        lines.append(f"{pad}end")

    for c in diagram.clusters:
        cluster(c, 1)
    lines.extend(f"  {_node(ids['n_', node_id], diagram.nodes[node_id])}" for node_id in diagram.loose)
    styles: dict[str, list[int]] = {"plaintext": [], "unauthenticated": [], "both": [], "unknown": []}
    for position, edge in enumerate(diagram.edges):
        arrow = "<-->" if edge.bidirectional else "-->"
        lines.append(f'  {ids["n_", edge.source]} {arrow}|"{_edge_label(edge)}"| {ids["n_", edge.destination]}')
        if edge.encrypted is False and edge.authenticated is False:
            styles["both"].append(position)
        elif edge.encrypted is False:
            styles["plaintext"].append(position)
        elif edge.authenticated is False:
            styles["unauthenticated"].append(position)
        elif edge.encrypted is None or edge.authenticated is None:
            styles["unknown"].append(position)
    for level in (Level.CRITICAL, Level.HIGH, Level.MEDIUM, Level.LOW):
        lines.append(f"  classDef {level.value} fill:{palette.FILL[level]},stroke:{palette.STROKE[level]},"
                     "color:#000")
    lines.append(f"  classDef norisk fill:{palette.NO_RISK_FILL},stroke:{palette.NO_RISK_STROKE},color:#000")
    lines.append(f"  classDef outofscope fill:{palette.OUT_OF_SCOPE_FILL},stroke:{palette.NO_RISK_STROKE},"
                 "stroke-dasharray:4 3,color:#555")
    by_class: dict[str, list[str]] = {}
    for node_id, node in diagram.nodes.items():
        name = "outofscope" if node.out_of_scope else (node.risk.worst.value if node.risk.worst else "norisk")
        by_class.setdefault(name, []).append(ids["n_", node_id])
    for name, members in sorted(by_class.items()):
        lines.append(f"  class {','.join(members)} {name}")
    zone_ids = [ids["z_", key[1]] for key in ids.taken if key[0] == "z_"]
    for zone_id in zone_ids:
        lines.append(f"  style {zone_id} fill:none,stroke:{palette.ZONE},stroke-dasharray:6 4")
    edge_styles = {
        "plaintext": f"stroke:{palette.PLAINTEXT},stroke-width:2px",
        "unauthenticated": "stroke-dasharray:6 4",
        "both": f"stroke:{palette.PLAINTEXT},stroke-width:2px,stroke-dasharray:6 4",
        "unknown": f"stroke:{palette.UNKNOWN}",
    }
    for name, positions in styles.items():
        if positions:
            lines.append(f"  linkStyle {','.join(map(str, positions))} {edge_styles[name]}")
    return "\n".join(lines) + "\n"
