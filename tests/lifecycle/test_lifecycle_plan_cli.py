"""`threatloom plan`: which controls to put in place first, on the clinic, through the real CLI.

Worked by hand from the catalog (strengths) and the scores of test_lifecycle_ranking:
step 1 is least privilege (strength 2, on likelihood) over seven untreated threats: TL-T002@portal
5×4 → 3×4 (-8), TL-S008@store and TL-T003@db 4×4 → 2×4 (-8 each), TL-I003@db 3×5 → 1×5 (-10),
TL-E004@portal and TL-E010@store 3×4 → 1×4 (-8 each), MT-DESK-EXPORT 3×3 → 1×3 (-6): 56 points.
Step 2 is mutual TLS (strength 3) over the four unencrypted flow threats: 5×4 → 2×4 twice and
4×4 → 1×4 twice: 48 points.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import CRITICAL, HARDENED, cli_json


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return dict(cli_json("plan", str(CLINIC), "--format", "json"))


def test_the_plan_removes_the_most_risk_first(full: dict[str, Any]) -> None:
    assert full["threats_considered"] == 16 and full["only"] is None
    check = cli_json("check", str(CLINIC), "--format", "json", expect=1)
    assert full["residual_before"] == check["residual_risk_untreated"] == 241
    steps = full["steps"]
    first, second = steps[0], steps[1]
    assert first["control"]["id"] == "C-LEAST-PRIVILEGE" and first["removes"] == 56
    assert {t["id"]: (t["before"]["score"], t["after"]["score"]) for t in first["threats"]} == {
        "TL-T002@portal": (20, 12), "TL-S008@store": (16, 8), "TL-T003@db": (16, 8), "TL-I003@db": (15, 5),
        "TL-E004@portal": (12, 4), "TL-E010@store": (12, 4), "MT-DESK-EXPORT": (9, 3)}
    assert second["control"]["id"] == "C-MTLS" and second["removes"] == 48
    # what each step removes is what its threats lose, and the running total follows
    left = full["residual_before"]
    for step in steps:
        assert step["removes"] == sum(t["before"]["score"] - t["after"]["score"] for t in step["threats"]) > 0
        left -= step["removes"]
        assert step["residual_after"] == left
        # within a step, the most severe threat first
        scores = [t["before"]["score"] for t in step["threats"]]
        assert scores == sorted(scores, reverse=True)
    assert full["residual_after"] == left
    assert [s["removes"] for s in steps] == sorted((s["removes"] for s in steps), reverse=True)
    assert full["levels_before"] == {"critical": 4, "high": 10, "medium": 2, "low": 0}


def test_each_step_says_where_to_record_the_control(full: dict[str, Any]) -> None:
    where = {t["id"]: t["record_on"] for s in full["steps"] for t in s["threats"]}
    assert where["TL-T002@portal"] == ["portal"]  # an element threat: on the element
    assert where["TL-D003@store"] == ["store", "db"]  # a flow threat: on the flow or its destination
    assert where["MT-DESK-EXPORT"] == ["desk"]  # a threat written by hand: on its elements


def test_only_limits_to_the_most_severe_threats(full: dict[str, Any]) -> None:
    critical = cli_json("plan", str(CLINIC), "--only", "critical", "--format", "json")
    assert critical["only"] == "critical" and critical["threats_considered"] == 4
    assert {t["id"] for s in critical["steps"] for t in s["threats"]} == CRITICAL
    assert critical["residual_before"] == 80  # four times 5×4
    high = cli_json("plan", str(CLINIC), "--only", "high", "--format", "json")
    assert high["threats_considered"] == 14 and high["levels_before"]["medium"] == 0
    assert "MT-DESK-EXPORT" not in {t["id"] for s in high["steps"] for t in s["threats"]}
    # without the medium desk export, least privilege removes 6 points less
    assert high["steps"][0]["control"]["id"] == "C-LEAST-PRIVILEGE" and high["steps"][0]["removes"] == 50


def test_limit_keeps_the_first_steps(full: dict[str, Any]) -> None:
    limited = cli_json("plan", str(CLINIC), "--limit", "3", "--format", "json")
    assert limited["steps"] == full["steps"][:3]
    assert limited["residual_after"] == full["steps"][2]["residual_after"]


def test_markdown_and_text(tmp_path: Any) -> None:
    out = tmp_path / "plan.md"
    result = run_cli("plan", str(CLINIC), "--only", "high", "--limit", "2", "--format", "markdown", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("## Treatment plan: Clinic Booking\n")
    assert "Residual risk of the 14 untreated threats at high or above: **223** now, **125** after these 2 steps" \
        in text
    assert "| 1 | Least privilege for identities (`C-LEAST-PRIVILEGE`) | medium | 6 | critical | 50 | 173 |" in text
    assert "- `TL-D003@store`" not in text  # neither of the two steps reduces it
    one = run_cli("plan", str(CLINIC), "--limit", "1", "--format", "markdown")
    assert "**185** after this step (matrix scores)." in one.stdout
    assert "- `TL-I001@book` Confidential data from Patient to Booking portal crosses a trust boundary " \
           "unencrypted: critical (20) → medium (8); record it on `book` or `portal`" in text
    table = run_cli("plan", str(CLINIC), "--limit", "1")
    assert table.returncode == 0
    assert "Least privilege" in table.stdout and "residual risk 241 → 185 after 1 step (matrix" in table.stdout
    # the decision problems of the model are reported on the way
    assert "decision for 'MT-GONE' matches no threat" in table.stderr


def test_nothing_to_plan_and_usage_errors() -> None:
    none = cli_json("plan", str(HARDENED), "--only", "high", "--format", "json")
    assert none["threats_considered"] == 0 and none["steps"] == []
    bad = run_cli("plan", str(CLINIC), "--only", "urgent")
    assert bad.returncode == 2 and "unknown level 'urgent'" in bad.stderr
    text_out = run_cli("plan", str(CLINIC), "-o", "plan.txt")
    assert text_out.returncode == 2 and "--output needs --format json or markdown" in text_out.stderr
    zero = run_cli("plan", str(CLINIC), "--limit", "0")
    assert zero.returncode == 2
