"""Data-flow diagrams: what the views hold, DOT and Mermaid escaping, drawing with Graphviz."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from tests.conftest import CLI, run_cli
from tests.render.models import CLINIC, EXAMPLE_MODELS, HOSTILE, example_id, loaded
from threatloom.engine.threat import Analysis
from threatloom.model.schema import Model
from threatloom.render.diagram import UnknownDiagramFormatError, diagram_format, render_diagram
from threatloom.render.diagram.dot import BACKSLASH, dot_string, html_text, render_dot
from threatloom.render.diagram.graphviz import GraphvizMissingError, run_dot
from threatloom.render.diagram.mermaid import mermaid_text, render_mermaid
from threatloom.render.diagram.view import UnknownZoneError, build_diagram

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def svg_texts(svg: bytes) -> str:
    """All text a reader sees in a Graphviz SVG, each node's and cluster's lines joined by spaces."""
    root = SafeET.fromstring(svg)
    parts = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") in ("node", "cluster", "edge", "graph"):
            parts.append(" ".join((t.text or "") for t in group.iter(f"{SVG}text")))
    return "\n".join(parts)


def normalised(text: str) -> str:
    """Without any whitespace (Graphviz labels wrap long names over several lines), backslashes drawn as ∖."""
    return "".join(text.replace("\\", BACKSLASH).split())


# -- the views ---------------------------------------------------------------------------------------


def test_full_view_holds_every_element_zone_and_flow(clinic: tuple[Model, Analysis]) -> None:
    model, analysis = clinic
    diagram = build_diagram(model, analysis)
    assert set(diagram.nodes) == set(model.index.elements)
    assert {e.id for e in diagram.edges} == {f.id for f in model.flows}

    def zones(clusters: tuple) -> set[str]:  # type: ignore[type-arg]
        return {c.id for c in clusters} | {z for c in clusters for z in zones(c.children)}

    assert zones(diagram.clusters) == set(model.index.zones)
    core = next(c for c in diagram.clusters if c.id == "datacenter")
    assert {c.id for c in core.children} == {"core", "imaging"}


def test_node_colour_follows_worst_open_residual_and_counts_threats(clinic: tuple[Model, Analysis]) -> None:
    model, analysis = clinic
    node = build_diagram(model, analysis).nodes["ehr"]
    mine = [t for t in analysis.threats if t.target == "ehr"]
    assert node.risk.threats == len(mine)
    worst = max((t.residual.level for t in mine if not t.treated), key=lambda lv: lv.rank)
    assert node.risk.worst == worst


def test_zone_view_shows_the_zone_its_subzones_and_neighbours(clinic: tuple[Model, Analysis]) -> None:
    model, analysis = clinic
    diagram = build_diagram(model, analysis, zone="clinical-lan")
    inside = {"workstation", "nurse-app", "pump-server", "pumps", "monitor", "pump-gw"}
    assert inside <= set(diagram.nodes)
    neighbours = {n for n, node in diagram.nodes.items() if node.neighbour}
    assert neighbours == {"ehr", "idp", "pacs", "hl7"}
    assert all(e.source in inside or e.destination in inside for e in diagram.edges)
    assert "backup" not in diagram.nodes


def test_unknown_zone_is_a_typed_error_with_a_hint(clinic: tuple[Model, Analysis]) -> None:
    with pytest.raises(UnknownZoneError, match="did you mean 'clinical-lan'"):
        build_diagram(*clinic, zone="clinical")


def test_overview_collapses_zones_and_counts_flows_between_them(clinic: tuple[Model, Analysis]) -> None:
    model, analysis = clinic
    diagram = build_diagram(model, analysis, overview=True)
    assert set(diagram.nodes) == set(model.index.zones)
    index = model.index
    crossing = [f for f in model.flows if index.elements[f.source].zone != index.elements[f.destination].zone]
    assert sum(e.flows for e in diagram.edges) == len(crossing)
    to_core = next(e for e in diagram.edges if (e.source, e.destination) == ("device-vlan", "core"))
    assert to_core.flows == 1 and to_core.plaintext == 1 and to_core.encrypted is False


# -- DOT ---------------------------------------------------------------------------------------------


def test_dot_strings_read_back_literally() -> None:
    assert dot_string('a"b') == '"a\\"b"'
    assert dot_string("\\N\\G") == '"∖N∖G"'  # Graphviz would expand \N and \G, however escaped
    assert dot_string("x\ny") == '"x\\ny"'
    assert html_text("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"


def test_hostile_names_cannot_break_out_of_dot(hostile: tuple[Model, Analysis]) -> None:
    dot = render_dot(build_diagram(*hostile))
    # outside HTML-like labels, a user's quote is always escaped, so no quoted string ends early
    assert re.search(r'(?<!\\)"\]; evil', dot) is None
    # in HTML-like labels markup characters are entities; raw only inside quoted tooltips
    for label in re.findall(r"label=<(.*?)>(?:,|\])", dot):
        assert "<script" not in label.lower()


@needs_dot
def test_hostile_names_are_drawn_literally(hostile: tuple[Model, Analysis]) -> None:
    model, analysis = hostile
    text = normalised(svg_texts(render_diagram(build_diagram(model, analysis), "svg")))
    for element in model.index.elements.values():
        assert normalised(element.name) in text
    for zone in model.zones:
        assert normalised(zone.name) in text


@needs_dot
@pytest.mark.parametrize("path", EXAMPLE_MODELS, ids=example_id)
def test_svg_names_every_component_and_zone(path: Path) -> None:
    model, analysis = loaded(path)
    svg = render_diagram(build_diagram(model, analysis), "svg")
    text = normalised(svg_texts(svg))
    for element in model.index.elements.values():
        assert normalised(element.name) in text, element.id
    for zone in model.zones:
        assert normalised(zone.name) in text, zone.id


@needs_dot
def test_png_is_a_png(clinic: tuple[Model, Analysis]) -> None:
    png = render_diagram(build_diagram(*clinic, overview=True), "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_missing_graphviz_is_a_clear_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("threatloom.render.diagram.graphviz.shutil.which", lambda name: None)
    with pytest.raises(GraphvizMissingError, match=r"^Graphviz is not installed: run scripts/setup.sh or apt-get "
                                              r"install graphviz$"):
        run_dot("digraph {}", "svg")


def test_cli_without_graphviz_exits_2_with_the_hint(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "threatloom").symlink_to(CLI)
    result = subprocess.run([str(bin_dir / "threatloom"), "diagram", str(CLINIC), "-o", str(tmp_path / "d.svg")],
                            capture_output=True, text=True, env={"PATH": str(bin_dir)}, check=False)
    assert result.returncode == 2
    assert "Graphviz is not installed: run scripts/setup.sh or apt-get install graphviz" in result.stderr
    assert not (tmp_path / "d.svg").exists()


# -- Mermaid -----------------------------------------------------------------------------------------

_LINE = re.compile(
    r'^\s*(flowchart LR|end|subgraph z_\w+\["[^"]*"\]|[ne]_\w+(\(\["[^"]*"\]\)|\[\("[^"]*"\)\]|\["[^"]*"\])'
    r'|n_\w+ (-->|<-->)\|"[^"]*"\| n_\w+|classDef \w+ [^"]+|class [\w,]+ \w+|style z_\w+ [^"]+'
    r"|linkStyle [\d,]+ [^\"]+)$")


def test_mermaid_labels_cannot_break_out(hostile: tuple[Model, Analysis]) -> None:
    text = render_mermaid(build_diagram(*hostile))
    for line in text.splitlines():
        assert _LINE.match(line), line
    assert "<script>" not in text and '"]; evil' not in text
    assert mermaid_text('a"b<c>#;') == "a#34;b#60;c#62;#35;#59;"


@pytest.mark.parametrize("path", EXAMPLE_MODELS, ids=example_id)
def test_mermaid_is_a_flowchart_with_a_subgraph_per_zone(path: Path) -> None:
    model, analysis = loaded(path)
    text = render_mermaid(build_diagram(model, analysis))
    assert text.startswith("flowchart LR\n")
    assert len(re.findall(r"^\s*subgraph ", text, re.MULTILINE)) == len(model.zones)
    assert all(_LINE.match(line) for line in text.splitlines())


# -- formats and the command ---------------------------------------------------------------------------


def test_format_follows_the_extension() -> None:
    assert [diagram_format(Path(f"d.{e}")) for e in ("svg", "PNG", "dot", "gv", "mmd")] == [
        "svg", "png", "dot", "dot", "mermaid"]
    with pytest.raises(UnknownDiagramFormatError, match=r"\*\.svg"):
        diagram_format(Path("d.jpeg"))


@needs_dot
def test_same_model_same_bytes(tmp_path: Path) -> None:
    for ext in ("svg", "dot", "mmd"):
        first, second = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
        for out in (first, second):
            result = run_cli("diagram", str(CLINIC), "-o", str(out))
            assert result.returncode == 0, result.stderr
        assert first.read_bytes() == second.read_bytes(), ext


@needs_dot
def test_diagram_command_views(tmp_path: Path) -> None:
    out = tmp_path / "zone.svg"
    assert run_cli("diagram", str(CLINIC), "-o", str(out), "--zone", "imaging").returncode == 0
    text = svg_texts(out.read_bytes())
    assert "CT scanner" in text and "Infusion pumps" not in text
    out = tmp_path / "overview.dot"
    assert run_cli("diagram", str(CLINIC), "-o", str(out), "--overview").returncode == 0
    assert "Medical device VLAN" in out.read_text()
    bad = run_cli("diagram", str(CLINIC), "-o", str(tmp_path / "x.jpeg"))
    assert bad.returncode == 2 and "*.svg" in bad.stderr
    both = run_cli("diagram", str(CLINIC), "-o", str(out), "--zone", "core", "--overview")
    assert both.returncode == 2
    unknown = run_cli("diagram", str(HOSTILE), "-o", str(out), "--zone", "nope")
    assert unknown.returncode == 2 and "no zone 'nope'" in unknown.stderr
