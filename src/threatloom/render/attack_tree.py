"""Attack trees as JSON, as a terminal tree and as Mermaid text."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from threatloom.engine.attack_tree import AttackTree
from threatloom.engine.threat import Analysis
from threatloom.model.schema import Model
from threatloom.render.words import counted

if TYPE_CHECKING:
    from rich.tree import Tree

LEVEL_STYLE = {"low": "green", "medium": "yellow", "high": "red", "critical": "bold magenta"}


def tree_dict(tree: AttackTree) -> dict[str, Any]:
    return {
        "asset": tree.asset,
        "goal": tree.goal,
        "worst_level": tree.worst.value if tree.worst else None,
        "holders": [{
            "id": h.id, "kind": h.kind, "threats": list(h.threats),
            "paths": [{"actor": p.actor, "steps": [{"element": s.element, "via_flow": s.via_flow,
                                                     "threats": list(s.threats)} for s in p.steps]}
                      for p in h.paths]} for h in tree.holders],
    }


def _name(model: Model, ident: str) -> str:
    index = model.index
    item = index.elements.get(ident) or index.flows.get(ident)
    return item.name if item is not None else ident


def tree_rich(model: Model, analysis: Analysis, tree: AttackTree) -> Tree:
    from rich.markup import escape
    from rich.tree import Tree

    worst = tree.worst.value if tree.worst else "none"
    root = Tree(f"[bold]{escape(tree.goal)}[/bold] [{LEVEL_STYLE.get(worst, 'dim')}]worst: {worst}[/]")
    for holder in tree.holders:
        verb = "carried by flow" if holder.kind == "flow" else "held by"
        branch = root.add(f"{verb} [bold]{escape(_name(model, holder.id))}[/bold] ({holder.id}): "
                          f"{counted(len(holder.threats), 'threat')}")
        for threat_id in holder.threats[:5]:
            threat = analysis.by_id[threat_id]
            level = threat.residual.level.value
            branch.add(f"[{LEVEL_STYLE[level]}]{level}[/] {escape(threat.title)} [dim]({threat_id})[/dim]")
        for path in holder.paths:
            actor = model.index.actors[path.actor]
            route = " → ".join(escape(_name(model, s.element)) for s in path.steps)
            branch.add(f"[cyan]{escape(actor.name)}[/cyan] ({actor.origin.value}): {route}")
        if not holder.paths:
            branch.add("[dim]no modelled actor reaches it[/dim]")
    return root


def _mermaid_id(text: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", text)


def _mermaid_label(text: str) -> str:
    # Mermaid labels in quotes: replace characters that would end or break the label
    return re.sub(r'["<>`{}\[\]|#;]', " ", text)


def trees_mermaid(model: Model, analysis: Analysis, trees: list[AttackTree]) -> str:
    """One Mermaid flowchart holding every tree (node IDs are qualified by asset, so trees never share one):
    a `.mmd` file holds one diagram."""
    lines = ["flowchart TD"]
    for tree in trees:
        lines += _tree_lines(model, tree)
    return "\n".join(lines) + "\n"


def _tree_lines(model: Model, tree: AttackTree) -> list[str]:
    lines = [f'  {_mermaid_id(tree.asset)}["{_mermaid_label(tree.goal)}"]']
    for holder in tree.holders:
        node = _mermaid_id(f"{tree.asset}__{holder.id}")
        lines.append(f'  {node}["{_mermaid_label(_name(model, holder.id))}: {counted(len(holder.threats), "threat")}"]')
        lines.append(f"  {node} --> {_mermaid_id(tree.asset)}")
        for path in holder.paths:
            actor = _mermaid_id(f"{tree.asset}__{holder.id}__{path.actor}")
            route = " to ".join(_name(model, s.element) for s in path.steps)
            lines.append(f'  {actor}(["{_mermaid_label(model.index.actors[path.actor].name)}: '
                         f'{_mermaid_label(route)}"])')
            lines.append(f"  {actor} --> {node}")
    return lines
