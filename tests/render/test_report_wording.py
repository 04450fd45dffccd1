"""What the reports say about treatment: gaps split by why they are untreated, the controls a decision
chose, decision details in Markdown and Excel, readable category names, numbering, scope counts."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import run_cli
from tests.render.conftest import Renders
from tests.render.models import CLINIC, EXAMPLE_MODELS, HOSPITAL, PHARMACY, TREATMENTS, example_id, loaded
from tests.render.test_reports import parse_html
from threatloom.engine.threat import Threat
from threatloom.render.digest import untreated_kind


def _text(path: Path) -> str:
    return " ".join(" ".join(parse_html(path).text).split())


def _row(html: str, threat_id: str) -> str:
    """The text of the gap-table row that links to `threat_id`."""
    table = html[html.index('<table class="gaps">'):]
    table = table[:table.index("</table>")]
    row = next(r for r in table.split("<tr>") if f'href="#t-{threat_id}"' in r)
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


# -- the corner shop: one threat of each kind ------------------------------------------------------------


def _kinds(threats: list[Threat]) -> tuple[int, int, int]:
    """No decision, decided and in progress, decision that does not count: counted here from the analysis."""
    untreated = [t for t in threats if not t.treated]
    return (sum(t.decision is None for t in untreated), sum(t.decision is not None and t.decision.valid
                                                             for t in untreated),
            sum(t.decision is not None and not t.decision.valid for t in untreated))


def test_summary_splits_the_untreated_threats_by_why(renders: Renders) -> None:
    _, analysis = loaded(TREATMENTS)
    untreated = [t for t in analysis.threats if not t.treated]
    gaps = analysis.gaps()
    assert _kinds(list(analysis.threats))[1:] == (1, 1)  # the fixture's reduce in progress and expired acceptance
    none, _, _ = _kinds(list(analysis.threats))
    text = _text(renders(TREATMENTS)["html"])
    assert ("This threat model of Corner shop covers 3 elements and 3 flows in 3 trust zones; 1 more element is "
            "drawn but out of scope and not analysed (Old fax gateway).") in text
    assert (f"threatloom found {len(analysis.threats)} threats. 2 are treated by a decision; {len(untreated)} are "
            "not yet treated: ") in text
    assert f"{none} have no decision yet" in text
    assert "1 is decided and in progress" in text
    assert "1 has a decision that does not count (acceptance expired on 2025-01-31)" in text
    gap_none, gap_progress, gap_void = _kinds(gaps)
    assert (gap_progress, gap_void) == (1, 1) and gap_none > 1
    sentence = text[text.index(f"{len(gaps)} threats are above the risk appetite (low) and not yet treated: "):]
    sentence = sentence[:sentence.index(". Each stays a gap")]
    assert f"{gap_none} have no decision yet" in sentence
    assert "1 is decided and in progress" in sentence and "1 has a decision that does not count" in sentence
    assert "have no decision yet: each needs treatment" not in text  # the old, untrue wording
    markdown = renders(TREATMENTS)["md"].read_text("utf-8")
    assert f"{len(gaps)} threats are above the risk appetite (low) and not yet treated: " in markdown


def test_gaps_show_the_chosen_controls_and_suggest_only_when_none_was_chosen(renders: Renders) -> None:
    html = renders(TREATMENTS)["html"].read_text("utf-8")
    chosen = _row(html, "TL-T002@shop")
    assert "reduce, in progress · Dev team · SHOP-7 · due 2030-01-31" in chosen
    assert "chosen: Input validation at the trust boundary" in chosen
    assert "suggested" not in chosen and "Parameterised" not in chosen  # the best candidate, not chosen
    expired = _row(html, "TL-S001@browse")
    assert "accept: does not count (acceptance expired on 2025-01-31)" in expired
    _, analysis = loaded(TREATMENTS)
    best = next(c for c in analysis.by_id["TL-S001@browse"].controls if not c.in_place)
    assert f"suggested: {best.name} (−{best.risk_reduction})" in expired
    assert "no decision yet" in _row(html, "TL-S008@store")
    markdown = renders(TREATMENTS)["md"].read_text("utf-8")
    line = next(row for row in markdown.splitlines() if row.startswith("| Input from less trusted callers"))
    assert "| reduce, in progress · Dev team · SHOP-7 · due 2030-01-31 | chosen: Input validation" in line


def test_markdown_lists_every_decision_with_its_details(renders: Renders) -> None:
    _, analysis = loaded(TREATMENTS)
    markdown = renders(TREATMENTS)["md"].read_text("utf-8")
    section = markdown[markdown.index("## Decisions"):markdown.index("## Controls in place")]
    rows = [r for r in section.splitlines() if r.startswith("| ") and not r.startswith("| #")]
    assert len(rows) == 4 == sum(1 for t in analysis.threats if t.decision is not None)
    expired = next(r for r in rows if "`TL-S001@browse`" in r)
    cells = [c.strip() for c in expired.strip("|").split(" | ")]
    assert cells[2:] == ["accept", "open (does not count: acceptance expired on 2025-01-31)", "Shop owner", "",
                         "", "Jo Smith", "2025-01-31", "", "Guest checkout until the spring sale ends."]
    fp = next(r for r in rows if "`TL-D001@shop`" in r)
    assert "| avoid | false positive |" in fp and "behind the provider's DDoS protection" in fp


def test_excel_register_has_the_decision_columns(renders: Renders) -> None:
    ws = openpyxl.load_workbook(renders(TREATMENTS)["xlsx"])["Register"]
    headers = [c.value for c in ws[1]]
    for name in ("Treatment", "Owner", "Ticket", "Due", "Approver", "Expires", "Decision counts", "Decision note",
                 "Chosen controls", "Justification", "Untreated because"):
        assert name in headers, name
    rows = {ws.cell(row=r, column=2).value: {h: ws.cell(row=r, column=i).value for i, h in enumerate(headers, 1)}
            for r in range(2, ws.max_row + 1)}
    expired = rows["TL-S001@browse"]
    assert (expired["Treatment"], expired["Approver"], expired["Expires"], expired["Decision counts"]) == (
        "accept", "Jo Smith", "2025-01-31", "no")
    assert expired["Decision note"] == "acceptance expired on 2025-01-31"
    assert expired["Justification"] == "Guest checkout until the spring sale ends."
    assert expired["Untreated because"] == "does not count" and expired["Status"] == "open"
    reduce = rows["TL-T002@shop"]
    assert (reduce["Status"], reduce["Untreated because"], reduce["Chosen controls"]) == (
        "in progress", "in progress", "Input validation at the trust boundary")
    assert rows["TL-S008@store"]["Untreated because"] == "no decision"
    assert rows["TL-D001@shop"]["Status"] == "false positive" and rows["TL-D001@shop"]["Untreated because"] is None
    assert rows["TL-I003@db"]["Category"] == "Information disclosure"
    summary = [c for row in openpyxl.load_workbook(renders(TREATMENTS)["xlsx"])["Summary"].iter_rows(
        values_only=True) for c in row if isinstance(c, str)]
    assert "see Notes" in " ".join(summary)
    assert any("decision for 'TL-S001@browse' does not count: acceptance expired on 2025-01-31" in c
               for c in summary)


def test_analyze_summary_says_why_the_gaps_are_open(tmp_path: Path) -> None:
    result = run_cli("analyze", str(TREATMENTS), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("Corner shop: 14 threats on 3 elements and 3 flows (")
    assert first.endswith("rules); 1 more element out of scope, not analysed: Old fax gateway")
    _, analysis = loaded(TREATMENTS)
    gaps = analysis.gaps()
    none, _, _ = _kinds(gaps)
    assert (f"{len(gaps)} gaps: residual risk above the low appetite and not yet treated ({none} with no "
            "decision, 1 decided and in progress, 1 whose decision does not count)") in result.stdout
    levels = [sum(1 for t in analysis.threats if not t.treated and t.residual.level.value == lv)
              for lv in ("critical", "high", "medium", "low")]
    none, _, _ = _kinds(list(analysis.threats))
    assert (f"not yet treated: {none + 2} ({none} with no decision, 1 decided and in progress, 1 whose decision "
            f"does not count): {levels[0]} critical, {levels[1]} high, {levels[2]} medium, {levels[3]} low"
            ) in result.stdout
    assert "appetite with no decision" not in result.stdout  # the old, untrue wording


# -- every example -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PHARMACY, HOSPITAL, CLINIC], ids=example_id)
def test_summary_counts_match_the_analysis_and_name_what_is_out_of_scope(path: Path, renders: Renders) -> None:
    model, analysis = loaded(path)
    outside = [c.name for c in model.components if c.out_of_scope]
    text = _text(renders(path)["html"])
    start = f"This threat model of {model.system.name} covers {analysis.elements_analysed} elements and "
    assert start in text
    assert analysis.elements_analysed == len(model.index.elements) - len(outside)
    if outside:
        assert f"out of scope and not analysed ({', '.join(outside)})" in text
    untreated = [t for t in analysis.threats if not t.treated]
    kinds = [untreated_kind(t) for t in untreated]
    assert f"{len(untreated)} are not yet treated: " in text
    for kind, words in (("no decision", "no decision yet"), ("in progress", "decided and in progress")):
        n = kinds.count(kind)
        if n > 1:
            assert f"{n} {'have' if kind == 'no decision' else 'are'} {words}" in text


@pytest.mark.parametrize("path", EXAMPLE_MODELS, ids=example_id)
def test_top_risks_are_numbered_from_one_without_gaps(path: Path, renders: Renders) -> None:
    markdown = renders(path)["md"].read_text("utf-8")
    if "### Top risks" not in markdown or "No untreated threats." in markdown:
        return
    section = markdown[markdown.index("### Top risks"):markdown.index("### Heat map")]
    numbers = [int(r.split("|")[1]) for r in section.splitlines() if re.match(r"^\| \d+ \|", r)]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers


@pytest.mark.parametrize("path", [PHARMACY, HOSPITAL], ids=example_id)
def test_categories_read_as_words_and_keep_their_values_in_data(path: Path, renders: Renders) -> None:
    _, analysis = loaded(path)
    html = renders(path)["html"].read_text("utf-8")
    disclosing = [t for t in analysis.threats if t.category.value == "information-disclosure"]
    assert disclosing
    assert html.count('data-category="information-disclosure"') == len(disclosing)
    assert html.count("<td>Information disclosure</td>") == len(disclosing)
    assert '<option value="information-disclosure">Information disclosure</option>' in html
    assert "<td>information-disclosure</td>" not in html and "<td>in-progress</td>" not in html
    markdown = renders(path)["md"].read_text("utf-8")
    assert "| information-disclosure |" not in markdown and "| Information disclosure |" in markdown
