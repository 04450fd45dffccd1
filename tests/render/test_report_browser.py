"""The HTML report in a real browser: filtering, sorting, expanding, and no script errors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import run_cli
from tests.render.conftest import Renders
from tests.render.models import CLINIC, HOSPITAL, HOSTILE, PHARMACY, SAAS, example_id, loaded
from threatloom.render.report.context import CATEGORY_LABELS

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")]


@pytest.fixture(scope="module")
def report_url(renders: Renders) -> str:
    return renders(CLINIC)["html"].as_uri()


def _open(page: Any, url: str) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return errors


def visible_rows(page: Any) -> int:
    return int(page.locator("#register > tbody:not([hidden])").count())


def test_filter_sort_and_expand(page: Any, report_url: str) -> None:
    errors = _open(page, report_url)
    total = visible_rows(page)
    assert total > 5
    assert page.locator("#f-count").inner_text() == f"{total} of {total} threats"

    count = page.locator("#f-count")
    page.fill("#f-text", "infusion")
    expect(count).not_to_have_text(f"{total} of {total} threats")  # the filter runs just after typing
    shown = visible_rows(page)
    assert 0 < shown < total
    assert page.locator("#f-count").inner_text() == f"{shown} of {total} threats"
    for text in page.locator("#register > tbody:not([hidden])").all_inner_texts():
        assert "infusion" in text.lower() or "pump" in text.lower()
    page.fill("#f-text", "")
    expect(count).to_have_text(f"{total} of {total} threats")
    assert visible_rows(page) == total

    page.select_option("#f-level", "critical")
    critical = visible_rows(page)
    assert 0 < critical < total
    levels = page.locator("#register > tbody:not([hidden])").evaluate_all(
        "groups => groups.map(g => g.dataset.level)")
    assert set(levels) == {"critical"}
    page.select_option("#f-level", "")

    page.click("#register thead th:nth-child(8) button")  # Residual, ascending
    scores = [int(s) for s in page.locator("#register > tbody > tr.row > td:nth-child(8)").evaluate_all(
        "cells => cells.map(c => c.dataset.sort)")]
    assert scores == sorted(scores) and scores[0] < scores[-1]
    page.click("#register thead th:nth-child(8) button")  # and descending
    scores = [int(s) for s in page.locator("#register > tbody > tr.row > td:nth-child(8)").evaluate_all(
        "cells => cells.map(c => c.dataset.sort)")]
    assert scores == sorted(scores, reverse=True)
    assert page.get_attribute("#register thead th:nth-child(8)", "aria-sort") == "descending"

    page.click("#register thead th:nth-child(3) button")  # Threat title, A to Z
    titles = page.locator("#register > tbody > tr.row > td:nth-child(3)").all_inner_texts()
    assert titles == sorted(titles, key=str.lower)

    first = page.locator("#register > tbody").first
    assert not first.locator("tr.detail").is_visible()
    first.locator("button.toggle").click()
    assert first.locator("tr.detail").is_visible()
    assert first.locator("button.toggle").get_attribute("aria-expanded") == "true"
    assert errors == []


def test_top_risk_link_opens_the_threat(page: Any, report_url: str) -> None:
    errors = _open(page, report_url)
    link = page.locator("#summary a[href^='#t-']").first
    target = link.get_attribute("href")
    link.click()
    group = page.locator(f"tbody[id='{target[1:]}']")
    expect(group.locator("tr.detail")).to_be_visible()
    assert errors == []


def test_hostile_report_runs_no_injected_script(page: Any, tmp_path: Path) -> None:
    out = tmp_path / "hostile.html"
    assert run_cli("report", str(HOSTILE), "-o", str(out)).returncode == 0  # this one through the command
    dialogs: list[str] = []

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    errors = _open(page, out.as_uri())
    page.click("#f-expand")
    assert dialogs == []
    assert errors == []
    assert page.locator("h1").inner_text() == "Evil <script>alert('sys')</script> & \"co\""


@pytest.mark.parametrize("path", [PHARMACY, HOSPITAL, SAAS], ids=example_id)
def test_example_reports_filter_by_category_and_sort(page: Any, path: Path, renders: Renders) -> None:
    _, analysis = loaded(path)
    errors = _open(page, renders(path)["html"].as_uri())
    total = len(analysis.threats)
    assert page.locator("#f-count").inner_text() == f"{total} of {total} threats"
    category = max({t.category for t in analysis.threats}, key=lambda c: (sum(t.category is c for t in
                                                                           analysis.threats), c.value))
    option = page.locator(f"#f-category option[value='{category.value}']")
    assert option.inner_text() == CATEGORY_LABELS[category]
    page.select_option("#f-category", category.value)
    expected = sum(1 for t in analysis.threats if t.category is category)
    assert visible_rows(page) == expected
    cells = page.locator("#register > tbody:not([hidden]) > tr.row > td:nth-child(4)").all_inner_texts()
    assert set(cells) == {CATEGORY_LABELS[category]}
    page.select_option("#f-category", "")
    page.click("#register thead th:nth-child(7) button")  # Inherent, ascending
    scores = [int(s) for s in page.locator("#register > tbody > tr.row > td:nth-child(7)").evaluate_all(
        "cells => cells.map(c => c.dataset.sort)")]
    assert scores == sorted(scores)
    assert page.locator("figure#diagram svg").count() == 1
    zones = page.locator("figure.zone svg").count()
    assert zones == 0 or page.locator("nav.toc a[href='#zone-diagrams']").count() == 1
    assert errors == []
