"""The printed report: drawings on pages that fit them, words whole in the register, zones drawn one by one."""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pytest

from tests.render.conftest import Renders
from tests.render.models import HOSPITAL, PHARMACY, SAAS, TREATMENTS, example_id, loaded
from threatloom.render.diagram.view import PRINT_FULL_UP_TO, zone_sections
from threatloom.render.report import ReportInput
from threatloom.render.report.context import CATEGORY_LABELS, STATUS_LABELS
from threatloom.render.report.html import LANDSCAPE, PORTRAIT, PRINT_DETAILS, SMALL, diagrams


@functools.cache
def pages(pdf: Path) -> list[tuple[float, float, str]]:
    """Each page's width, height (points) and text (read once per file)."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    sizes = [(float(w), float(h)) for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info, re.M)]
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    texts = text.split("\f")
    return [(w, h, texts[i]) for i, (w, h) in enumerate(sizes)]


def _page_of(found: list[tuple[float, float, str]], heading: str) -> tuple[float, float, str]:
    return next(p for p in found if p[2].lstrip().startswith(heading))


@pytest.mark.parametrize("path", [PHARMACY, HOSPITAL], ids=example_id)
def test_the_whole_diagram_gets_a_landscape_page_and_each_zone_its_own_drawing(path: Path,
                                                                               pdfs: Renders) -> None:
    model, _ = loaded(path)
    assert len(model.index.elements) <= PRINT_FULL_UP_TO
    found = pages(pdfs.pdf(path).path)
    width, height, _ = _page_of(found, "Data-flow diagram\n")
    assert width > height, "the diagram of every element is on a landscape page"
    drawings = diagrams(ReportInput(*loaded(path)), for_print=True)
    assert drawings.main.scale(LANDSCAPE) >= 0.9 * drawings.main.scale(PORTRAIT)
    assert not drawings.main.legible  # too big to read at once: hence the zones, drawn one by one
    zone_pages = found[found.index(_page_of(found, "Diagrams per trust zone")):]
    for figure in drawings.zones:
        # the printed page is the one the figure asks for: landscape when wide, portrait otherwise (a small
        # one shares it with another, shrunk a little at most)
        width, height, _ = next(p for p in zone_pages if f"\n{figure.title}\n" in f"\n{p[2]}")
        assert (width > height) == (figure.page == "wide"), figure.title
        if figure.page == "small":
            assert figure.scale(SMALL) >= 0.8
        else:
            assert figure.scale(LANDSCAPE if figure.page == "wide" else PORTRAIT) >= 0.9 * max(
                figure.scale(LANDSCAPE), figure.scale(PORTRAIT))
    zones_text = "\n".join(text for _, _, text in zone_pages)
    for section in zone_sections(model):
        assert f"\n{model.index.zones[section.zone].name}\n" in zones_text


def test_a_large_model_prints_the_overview_and_then_every_zone(pdfs: Renders) -> None:
    model, _ = loaded(SAAS)
    assert len(model.index.elements) > PRINT_FULL_UP_TO
    found = pages(pdfs.pdf(SAAS).path)
    _page_of(found, "Data-flow diagram: trust zones")
    start = found.index(_page_of(found, "Diagrams per trust zone"))
    end = found.index(_page_of(found, "Attack surface"))
    lines = {line.strip() for _, _, text in found[start:end] for line in text.splitlines()}
    sections = zone_sections(model)
    assert len(sections) > 5
    for section in sections:
        assert model.index.zones[section.zone].name in lines, section.zone


@pytest.mark.parametrize("path", [PHARMACY, HOSPITAL, TREATMENTS], ids=example_id)
def test_register_words_are_whole_and_readable(path: Path, pdfs: Renders) -> None:
    _, analysis = loaded(path)
    found = pages(pdfs.pdf(path).path)
    first = found.index(_page_of(found, "Threat register"))
    last = next(i for i, (_, _, text) in enumerate(found) if "\nDecisions\n" in f"\n{text}" and i >= first)
    register = "\n".join(text for _, _, text in found[first:last + 1])
    for fragment in ("informatio\n", "repudiatio\n", "Prescriptio\n", "disclosur\n", "accepte\n", "in-\nprogress"):
        assert fragment not in register
    # table cells come out of pdftotext in no useful order, but each word of a cell comes out whole (a line
    # may break after a hyphen, as in "Non-" "compliance")
    words = set(register.split())
    for label in {CATEGORY_LABELS[t.category] for t in analysis.threats} | {STATUS_LABELS[t.status]
                                                                             for t in analysis.threats}:
        assert set(label.split()) <= words or set(re.split(r"\s|(?<=-)", label)) <= words, label
    assert not words & {"information-disclosure", "in-progress", "false-positive", "denial-of-service"}
    for threat in analysis.threats:
        assert threat.id in words


@pytest.mark.parametrize("path", [SAAS, TREATMENTS], ids=example_id)
def test_the_gaps_are_described_in_full_after_the_decisions(path: Path, pdfs: Renders) -> None:
    _, analysis = loaded(path)
    gaps = analysis.gaps()
    assert 0 < len(gaps) <= PRINT_DETAILS
    found = pages(pdfs.pdf(path).path)
    start = found.index(_page_of(found, "Gaps in detail"))
    end = found.index(_page_of(found, "Controls in place"))
    details = "\n".join(text for _, _, text in found[start:end])
    words = set(details.split())
    assert [t.id for t in analysis.threats if t.id in words] == [t.id for t in gaps]
    decisions = "\n".join(text for _, _, text in found[:start])
    decisions = decisions[decisions.rindex("\nDecisions\n"):]
    for threat in analysis.threats:
        if threat.decision is not None:
            assert threat.id in decisions.split()
            if threat.decision.justification:
                assert " ".join(threat.decision.justification.split()[:3]) in " ".join(decisions.split())
