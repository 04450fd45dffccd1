"""Data-flow diagrams: what the views hold, DOT and Mermaid escaping, drawing with Graphviz."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from tests.conftest import CLI, run_cli
from tests.render.models import CLINIC, EXAMPLE_MODELS, HOSPITAL, HOSTILE, PHARMACY, SAAS, example_id, loaded
from threatloom.engine.threat import Analysis
from threatloom.model.schema import Model
from threatloom.render.diagram import UnknownDiagramFormatError, diagram_format, draw, render_diagram
from threatloom.render.diagram.dot import BACKSLASH, dot_string, html_text, render_dot
from threatloom.render.diagram.graphviz import GraphvizFailedError, GraphvizMissingError, run_dot
from threatloom.render.diagram.mermaid import mermaid_text, render_mermaid
from threatloom.render.diagram.view import (
    OWN_ELEMENTS,
    ZONE_DIAGRAM_LIMIT,
    UnknownZoneError,
    build_diagram,
    zone_sections,
)

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
    index = model.index
    diagram = build_diagram(model, analysis, overview=True)
    # a zone holding zones is a box; inside it, a node for its own elements only if it has any
    with_own = {z for z in index.zones if not index.zone_children.get(z) or index.elements_in_zone.get(z)}
    assert set(diagram.nodes) == with_own
    assert diagram.nodes["datacenter"].name == OWN_ELEMENTS  # the backup vault sits directly in it
    assert diagram.nodes["core"].name == "Core clinical systems"
    crossing = [f for f in model.flows if index.elements[f.source].zone != index.elements[f.destination].zone]
    assert sum(e.flows for e in diagram.edges) == len(crossing)
    # one edge per pair of zones, whichever way the flows go, so that two labels never compete
    pairs = [frozenset((e.source, e.destination)) for e in diagram.edges]
    assert len(pairs) == len(set(pairs))
    device = next(e for e in diagram.edges if {e.source, e.destination} == {"device-vlan", "core"})
    both = [f for f in crossing if {index.elements[f.source].zone, index.elements[f.destination].zone}
            == {"device-vlan", "core"}]
    assert device.flows == len(both) and device.plaintext == sum(f.encryption.value == "none" for f in both)
    if device.bidirectional:
        assert "to Core clinical systems" in device.name and "to Medical device VLAN" in device.name


def test_overview_of_nested_zones_names_each_zone_once() -> None:
    model, analysis = loaded(SAAS)
    diagram = build_diagram(model, analysis, overview=True)

    def boxes(clusters: tuple) -> list[str]:  # type: ignore[type-arg]
        return [name for c in clusters for name in (c.name, *boxes(c.children))]

    names = boxes(diagram.clusters)
    assert len(names) == sum(1 for z in model.zones if model.index.zone_children.get(z.id))
    # a zone is either a box or a node, never both; the node inside a box is its own elements
    assert not set(names) & {node.name for node in diagram.nodes.values()}
    assert "prod-vpc" not in diagram.nodes  # Production VPC holds only sub-zones: its box says it all
    assert diagram.nodes["prod-account"].name == OWN_ELEMENTS
    if shutil.which("dot"):
        text = normalised(svg_texts(render_diagram(diagram, "svg")))
        assert all(normalised(zone.name) in text for zone in model.zones)


def test_zone_sections_draw_every_element_once_in_readable_pieces(clinic: tuple[Model, Analysis]) -> None:
    for path in (CLINIC, SAAS, PHARMACY):
        model, _ = loaded(path)
        index = model.index
        seen: list[str] = []
        for section in zone_sections(model):
            zones = _subtree(model, section.zone) if section.nested else {section.zone}
            seen.extend(e for z in zones for e in index.elements_in_zone.get(z, ()))
            assert section.elements <= ZONE_DIAGRAM_LIMIT or not index.zone_children.get(section.zone) \
                or not section.nested
        assert sorted(seen) == sorted(e.id for e in index.elements.values() if e.zone in index.zones), path


def _subtree(model: Model, zone: str) -> set[str]:
    found = {zone}
    for child in model.index.zone_children.get(zone, ()):
        found |= _subtree(model, child)
    return found


def test_a_zone_without_its_sub_zones_shows_their_elements_as_neighbours(clinic: tuple[Model, Analysis]) -> None:
    model, analysis = clinic
    diagram = build_diagram(model, analysis, zone="datacenter", nested=False)
    inside = {n for n, node in diagram.nodes.items() if not node.neighbour}
    assert inside == {"backup", "legacy-fax"}  # the data centre's own; core and imaging have theirs
    assert {"ehr-db", "pacs-store", "ehr"} <= {n for n, node in diagram.nodes.items() if node.neighbour}
    assert "(the zones inside it are drawn on their own)" in diagram.title


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
def test_same_model_same_bytes(tmp_path: Path, clinic: tuple[Model, Analysis]) -> None:
    """The command's file equals this process's rendering: two processes, two hash seeds, same bytes."""
    for ext, output_format in (("svg", "svg"), ("dot", "dot"), ("mmd", "mermaid")):
        out = tmp_path / f"a.{ext}"
        result = run_cli("diagram", str(CLINIC), "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert out.read_bytes() == render_diagram(build_diagram(*clinic), output_format), ext


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


# -- layout ----------------------------------------------------------------------------------------------


def label_gaps(svg: bytes) -> list[tuple[str, float]]:
    """For each edge with a label: how far (points) the label's box is from the nearest point of its line."""
    root = SafeET.fromstring(svg)
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "edge":
            continue
        line: list[tuple[float, float]] = []
        for path in group.iter(f"{SVG}path"):
            numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", path.get("d") or "")]
            points = list(zip(numbers[0::2], numbers[1::2], strict=False))
            for i in range(0, len(points) - 3, 3):  # cubic Bézier segments, sampled
                (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[i:i + 4]
                for k in range(21):
                    t, u = k / 20, 1 - k / 20
                    line.append((u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                                 u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3))
        rows: dict[float, int] = {}
        xs = []
        for text in group.iter(f"{SVG}text"):
            y = float(text.get("y") or 0)
            rows[y] = rows.get(y, 0) + len("".join(text.itertext()))
            xs.append(float(text.get("x") or 0))
        if not rows or not line:
            continue
        half = max(rows.values()) * 4.4 / 2  # 9 pt Helvetica: about 4.4 pt a character
        centre = sum(xs) / len(xs)
        left, right, top, bottom = centre - half, centre + half, min(rows) - 9, max(rows)
        title = group.find(f"{SVG}title")
        found.append((title.text if title is not None and title.text else "?", min(
            math.hypot(max(left - x, 0, x - right), max(top - y, 0, y - bottom)) for x, y in line)))
    return found


@needs_dot
@pytest.mark.parametrize("path", [PHARMACY, HOSPITAL, CLINIC], ids=example_id)
def test_every_flow_label_touches_its_line(path: Path) -> None:
    model, analysis = loaded(path)
    gaps = label_gaps(render_diagram(build_diagram(model, analysis), "svg"))
    assert len(gaps) == len(model.flows)
    far = [(edge, round(gap)) for edge, gap in gaps if gap > 12]
    assert far == [], "labels away from their flows"


def test_flows_are_laid_out_from_low_to_high_trust_and_point_where_data_goes() -> None:
    model, analysis = loaded(PHARMACY)
    dot = render_dot(build_diagram(model, analysis))
    # "Account administration" goes from the admin console (internal services, trust 6) to the customer
    # sign-in (DMZ, trust 3): written from the DMZ end, its arrow drawn backwards
    line = next(row for row in dot.splitlines() if "Account administration" in row)
    assert line.lstrip().startswith('"customer-idp" -> "admin-console" [') and "dir=back" in line
    assert "rankdir=TB" in dot
    plain = render_dot(build_diagram(model, analysis), by_trust=False)
    line = next(row for row in plain.splitlines() if "Account administration" in row)
    assert line.lstrip().startswith('"admin-console" -> "customer-idp" [') and "dir=back" not in line


@needs_dot
def test_drawing_survives_graphviz_giving_up_on_a_layout() -> None:
    model, analysis = loaded(SAAS)
    diagram = build_diagram(model, analysis)
    try:  # Graphviz 2.4x cannot rank this one top to bottom by trust ("trouble in init_rank")
        run_dot(render_dot(diagram), "svg")
        first_fails = False
    except GraphvizFailedError as exc:
        assert "trouble in init_rank" in str(exc)
        first_fails = True
    text = normalised(svg_texts(draw(diagram)))
    assert all(normalised(e.name) in text for e in model.index.elements.values())
    assert first_fails or "rankdir=TB" in render_dot(diagram)


def test_mermaid_overview_joins_both_directions_in_one_link() -> None:
    model, analysis = loaded(SAAS)
    diagram = build_diagram(model, analysis, overview=True)
    text = render_mermaid(diagram)
    assert all(_LINE.match(line) for line in text.splitlines())
    links = [line for line in text.splitlines() if "-->|" in line]
    assert len(links) == len(diagram.edges)
    both = [e for e in diagram.edges if e.bidirectional]
    assert both and sum("<-->" in line for line in links) == len(both)
    edge = both[0]
    first, second = edge.name.split("\n")
    assert any(f"{mermaid_text(first)}<br>{mermaid_text(second)}" in line for line in links)
