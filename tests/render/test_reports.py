"""Reports: every example in every format through the command, then what each file must hold."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import run_cli
from tests.render.conftest import Renders
from tests.render.models import CLINIC, CLINIC_PREVIOUS, EXAMPLE_MODELS, HOSTILE, PDF_MODELS, example_id, loaded
from threatloom.engine.threat import Analysis
from threatloom.model.schema import Model
from threatloom.render.digest import progress
from threatloom.render.palette import PLAINTEXT, UNKNOWN
from threatloom.render.report import UnknownReportFormatError, report_format
from threatloom.render.report.links import attack, capec, cwe
from threatloom.render.report.markdown import md_escape
from threatloom.render.report.xlsx import put, sheet_title


@pytest.fixture(params=EXAMPLE_MODELS, ids=example_id)
def rendered(request: pytest.FixtureRequest, renders: Renders) -> dict[str, Path]:
    """The model in HTML, Markdown and Excel (rendered once per session, shared); its PDF: :class:`Renders`."""
    return renders(request.param)


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        for name, value in attrs:
            if name == "src" or (name in ("href", "xlink:href") and not (value or "").startswith(("#", "https://"))):
                self.external.append(value or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(path: Path) -> _Html:
    parser = _Html()
    parser.feed(path.read_text("utf-8"))
    return parser


def test_html_is_one_self_contained_file(rendered: dict[str, Path]) -> None:
    model, analysis = loaded(rendered["model"])
    page = parse_html(rendered["html"])
    assert page.tags.count("script") == 1 and page.tags.count("style") == 1
    assert page.external == [], "the report must not fetch anything"
    assert page.tags.count("link") == 0
    text = " ".join(page.text)
    assert model.system.name in text
    for threat in analysis.threats:
        assert threat.id in text
    for section in ("Executive summary", "Assets", "Threat actors", "Attack surface", "Threat register",
                    "Reviews, successes and lessons learned"):
        assert section in text
    if analysis.threats:
        assert page.tags.count("tbody") >= len(analysis.threats)


@pytest.mark.parametrize("model", PDF_MODELS, ids=example_id)
def test_pdf_comes_from_the_command_and_page_1_is_not_blank(model: Path, pdfs: Renders, tmp_path: Path) -> None:
    run = pdfs.pdf(model)
    assert run.returncode == 0, run.stderr
    assert f"wrote {run.path} (" in run.stdout and ", pdf)" in run.stdout
    pdf = run.path
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=120)
    width, height, pixels = read_pgm(tmp_path / "page.pgm")
    assert width > 100 and height > 100
    mean = sum(pixels) / len(pixels)
    variance = sum((p - mean) ** 2 for p in pixels) / len(pixels)
    assert variance > 100, "page 1 looks blank"
    assert sum(1 for p in pixels if p < 128) > len(pixels) // 1000, "page 1 has almost no dark pixels"


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    """A binary PGM (P5) image: width, height and 8-bit grey pixels."""
    data = path.read_bytes()
    fields: list[bytes] = []
    position = 0
    while len(fields) < 4:
        while data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        end = position
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    assert magic == b"P5" and maxval < 256
    pixels = data[position + 1: position + 1 + width * height]
    assert len(pixels) == width * height
    return width, height, pixels


def test_xlsx_register_reopens_with_frozen_header_filter_and_colours(rendered: dict[str, Path]) -> None:
    _, analysis = loaded(rendered["model"])
    workbook = openpyxl.load_workbook(rendered["xlsx"])
    assert workbook.sheetnames == ["Summary", "Register", "Assets"]
    ws = workbook["Register"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["#", "ID", "Threat"]
    assert ws.max_row == len(analysis.threats) + 1
    level = headers.index("Residual level") + 1
    for row, threat in enumerate(analysis.threats, start=2):
        assert ws.cell(row=row, column=2).value == threat.id
        assert ws.cell(row=row, column=level).value == threat.residual.level.value
        assert ws.cell(row=row, column=level).fill.fill_type == "solid"


def test_markdown_has_a_mermaid_block_and_the_register(rendered: dict[str, Path]) -> None:
    _, analysis = loaded(rendered["model"])
    text = rendered["md"].read_text("utf-8")
    block = re.search(r"^```mermaid\n(flowchart LR\n.*?)^```$", text, re.MULTILINE | re.DOTALL)
    assert block is not None
    assert "## Threat register" in text
    for threat in analysis.threats:
        assert f"| `{threat.id}` |" in text
    # the legend under the diagram names every way its links are drawn
    legend = text[block.end():].split("\n\n", 2)[1].lower()
    links = "\n".join(line for line in block.group(1).splitlines() if line.lstrip().startswith("linkStyle"))
    for word, drawn in (("red", PLAINTEXT in links), ("dashed", "stroke-dasharray" in links),
                        ("orange", UNKNOWN in links)):
        assert not drawn or re.search(rf"\b{word}\b", legend), (word, legend)


def test_the_command_writes_every_format_and_the_same_bytes(tmp_path: Path, renders: Renders) -> None:
    """One run of `threatloom report` per format (the PDF of every model goes through it already); HTML and
    Markdown come out byte for byte as this process renders them (another process, another hash seed)."""
    for ext, name in (("html", "html"), ("md", "markdown"), ("xlsx", "xlsx")):
        target = tmp_path / f"report.{ext}"
        result = run_cli("report", str(CLINIC), "-o", str(target))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"wrote {target} ({len(loaded(CLINIC)[1].threats)} threats, {name})"
        if ext == "xlsx":
            assert openpyxl.load_workbook(target).sheetnames == ["Summary", "Register", "Assets"]
        else:
            assert target.read_bytes() == renders(CLINIC)[ext].read_bytes(), ext


def test_unknown_extension_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("report", str(CLINIC), "-o", str(tmp_path / "report.docx"))
    assert result.returncode == 2
    assert "cannot tell the report format from 'report.docx'" in result.stderr
    assert not (tmp_path / "report.docx").exists()
    with pytest.raises(UnknownReportFormatError):
        report_format(Path("x.txt"))


def test_hostile_names_are_escaped_in_html(renders: Renders) -> None:
    out = renders(HOSTILE)["html"]
    html = out.read_text("utf-8")
    page = parse_html(out)
    assert page.tags.count("script") == 1
    assert "img" not in page.tags
    assert not any(name.startswith("on") for name, _ in page.attrs)
    assert "<script>alert(1)</script>" not in html
    text = " ".join(page.text)
    assert "<script>alert(1)</script>" in text  # shown as text
    assert '"]; evil' in text
    assert "javascript:" not in " ".join(v or "" for _, v in page.attrs)


def test_hostile_names_are_escaped_in_markdown(renders: Renders) -> None:
    text = renders(HOSTILE)["md"].read_text("utf-8")
    assert "<script>" not in text and "<img" not in text
    assert "[link](javascript" not in text
    # every row of a table has as many unescaped pipes as its header: no cell broke out
    for table in text.split("\n\n"):
        rows = [r for r in table.splitlines() if r.startswith("|")]
        if rows:
            counts = {len(re.findall(r"(?<!\\)\|", r)) for r in rows}
            assert len(counts) == 1, rows


def test_markdown_escaping() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("<script>") == "&lt;script&gt;"
    assert md_escape("[x](javascript:y)") == "\\[x\\](javascript:y)"
    assert md_escape("# title") == "\\# title"
    assert md_escape("1. item") == "1\\. item"
    assert md_escape("line\nbreak") == "line break"


def test_spreadsheet_cells_are_never_formulas(renders: Renders) -> None:
    workbook = openpyxl.load_workbook(renders(HOSTILE)["xlsx"])
    starts = ("=", "+", "-", "@")
    seen = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(starts):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
                    seen += 1
    assert seen >= 2  # the "=cmd" flow on the register, "-cmd|..." store, "@SUM" actor…


def test_sheet_titles_follow_excel_rules() -> None:
    assert sheet_title("Summary") == "Summary"
    title = sheet_title("[Risk]: a/b\\c*d?e " + "x" * 40)
    assert len(title) <= 31 and not set(title) & set("[]:*?/\\")
    assert sheet_title("", ()) == "Sheet"
    assert sheet_title("Register", ["register"]) == "Register (2)"
    assert sheet_title("'quoted'") == "quoted"


def test_put_keeps_text_as_text() -> None:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    cell = put(ws, 1, 1, "=1+1")
    assert cell.data_type == "s" and cell.quotePrefix and cell.value == "=1+1"
    assert put(ws, 1, 2, 5).value == 5
    assert put(ws, 1, 3, "bell\x07").value == "bell"


def test_reference_links() -> None:
    assert capec(66).url == "https://capec.mitre.org/data/definitions/66.html"
    assert cwe(89).url == "https://cwe.mitre.org/data/definitions/89.html"
    assert attack("T1190").url == "https://attack.mitre.org/techniques/T1190/"
    assert attack("T1498.001").url == "https://attack.mitre.org/techniques/T1498/001/"
    assert attack("bogus").url is None


def test_progress_against_a_previous_version(clinic: tuple[Model, Analysis], tmp_path: Path) -> None:
    _, now = clinic
    _, then = loaded(CLINIC_PREVIOUS)
    found = progress(then, now)
    assert {t.id for t in found.new} == {t.id for t in now.threats} - {t.id for t in then.threats}
    assert {t.id for t in found.gone} == {t.id for t in then.threats} - {t.id for t in now.threats}
    assert found.new and found.treated_since
    out = tmp_path / "r.html"
    result = run_cli("report", str(CLINIC), "--previous", str(CLINIC_PREVIOUS), "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = " ".join(parse_html(out).text)
    assert "Progress since clinic-previous.yaml" in text
    assert f"went from {found.residual_then} to {found.residual_now}" in text


def test_large_models_get_the_zone_overview(tmp_path: Path) -> None:
    import yaml

    components = [{"id": f"c{i}", "name": f"Component {i}", "type": "process", "zone": f"z{i % 7}"}
                  for i in range(70)]
    flows = [{"id": f"f{i}", "name": f"Flow {i}", "source": f"c{i}", "destination": f"c{(i + 1) % 70}"}
             for i in range(70)]
    model = {"threatloom": 1, "system": {"name": "Big"},
             "zones": [{"id": f"z{i}", "name": f"Zone {i}", "trust": i} for i in range(7)],
             "components": components, "flows": flows}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(model))
    out = tmp_path / "big.html"
    assert run_cli("report", str(path), "-o", str(out)).returncode == 0, "report failed"
    text = " ".join(parse_html(out).text)
    assert "Data-flow diagram: trust zones" in text
    assert "70 elements, too many to read in one drawing" in text
    # then each zone on its own, with the elements it exchanges flows with
    html = out.read_text("utf-8")
    assert "Diagrams per trust zone" in text
    assert [f"<h3>Zone {i}</h3>" in html for i in range(7)] == [True] * 7
