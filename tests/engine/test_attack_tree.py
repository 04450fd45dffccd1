"""Attack trees map threats to assets along the routes actors can take."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import run_cli
from tests.engine.test_generation import FIXTURES, SHOP, TODAY, rules_catalog
from threatloom.engine import analyse, catalog_for
from threatloom.engine.attack_tree import attack_trees
from threatloom.model import load_model


def trees() -> list:  # type: ignore[type-arg]
    model = load_model(SHOP)
    return attack_trees(model, analyse(model, rules_catalog(), today=TODAY))


def test_tree_per_valuable_asset_with_each_holder() -> None:
    (tree,) = trees()
    assert tree.asset == "orders"
    assert tree.goal == "Compromise Orders"
    assert {(h.id, h.kind) for h in tree.holders} == {("db", "element"), ("web", "element"),
                                                       ("order", "flow"), ("save", "flow")}


def test_paths_follow_flows_from_where_actors_start_with_threats_on_each_step() -> None:
    (tree,) = trees()
    db = next(h for h in tree.holders if h.id == "db")
    routes = {p.actor: [(s.element, s.via_flow) for s in p.steps] for p in db.paths}
    assert routes == {"crook": [("shopper", None), ("web", "order"), ("db", "save")],
                      "clerk": [("desk", None), ("db", "lookup")]}
    crook = next(p for p in db.paths if p.actor == "crook")
    assert "T-FLOW-1@order" in crook.steps[1].threats  # the plaintext order flow on the way in
    assert "T-PROC-1@web" in crook.steps[1].threats
    assert db.threats == ("T-STORE-1@db",)


def test_worst_level_orders_trees_and_cli_formats(tmp_path: Path) -> None:
    (tree,) = trees()
    assert tree.worst is not None and tree.worst.value == "critical"
    as_json = run_cli("attack-tree", str(SHOP), "--rules", str(FIXTURES / "rules"), "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document[0]["asset"] == "orders"
    mermaid = run_cli("attack-tree", str(SHOP), "--format", "mermaid")
    assert mermaid.stdout.startswith("flowchart TD")
    unknown = run_cli("attack-tree", str(SHOP), "--asset", "nope")
    assert unknown.returncode == 2 and "unknown asset 'nope'" in unknown.stderr


def test_several_trees_make_one_mermaid_flowchart() -> None:
    pharmacy = Path(__file__).parents[2] / "examples" / "online-pharmacy" / "model.yaml"
    trees_json = json.loads(run_cli("attack-tree", str(pharmacy), "--format", "json").stdout)
    assert len(trees_json) > 1
    mermaid = run_cli("attack-tree", str(pharmacy), "--format", "mermaid")
    assert mermaid.returncode == 0, mermaid.stderr
    lines = mermaid.stdout.splitlines()
    assert lines[0] == "flowchart TD" and lines.count("flowchart TD") == 1
    defined = [line.split("[", 1)[0].split("(", 1)[0].strip() for line in lines[1:] if "-->" not in line]
    assert len(defined) == len(set(defined))  # no node defined twice across trees
    for tree in trees_json:
        node = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", tree["asset"])
        assert any(line.strip().startswith(f"{node}[") for line in lines), tree["asset"]


def test_a_holder_lists_only_the_threats_that_put_its_asset_at_stake() -> None:
    pharmacy = load_model(Path(__file__).parents[2] / "examples" / "online-pharmacy" / "model.yaml")
    analysis = analyse(pharmacy, catalog_for(pharmacy, []), today=TODAY)
    assets_of = {t.id: t.assets for t in analysis.threats}
    by_asset = {tree.asset: tree for tree in attack_trees(pharmacy, analysis)}
    # the guest-order splitting threat is written against the web shop, about orders and reputation only
    assert "catalogue" not in assets_of["MT-SPLIT-ORDERS"]
    web_shop = {tree: next(h for h in by_asset[tree].holders if h.id == "web-shop") for tree in ("orders", "catalogue")}
    assert "MT-SPLIT-ORDERS" in web_shop["orders"].threats
    assert "MT-SPLIT-ORDERS" not in web_shop["catalogue"].threats
    assert web_shop["catalogue"].threats  # the web shop's own threats on the catalogue stay
    for tree in by_asset.values():
        for holder in tree.holders:
            assert all(tree.asset in assets_of[t] for t in holder.threats), (tree.asset, holder.id)
