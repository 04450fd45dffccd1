"""`threatloom plan`: which controls to put in place first, on the clinic, through the real CLI.

The plan is checked against the analysis twice over: its first step must be the control that the
analysis itself says removes the most (the sum of the candidates' `risk_reduction` in threats.json), and
when that control is written into the model where the plan says it counts, `threatloom analyze` must give
each threat exactly the "after" score the plan promised, and leave every other untreated threat alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import HARDENED, LEVELS, analysed, cli_json, untreated, write_model

EFFORT = {"low": 0, "medium": 1, "high": 2}


@pytest.fixture(scope="module")
def threats(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return analysed(CLINIC, tmp_path_factory.mktemp("clinic"))


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return dict(cli_json("plan", str(CLINIC), "--format", "json"))


def test_the_plan_removes_the_most_risk_first(full: dict[str, Any], threats: list[dict[str, Any]]) -> None:
    open_ids = untreated(threats)
    assert full["threats_considered"] == len(open_ids) and full["only"] is None
    check = cli_json("check", str(CLINIC), "--format", "json", expect=1)
    assert full["residual_before"] == check["residual_risk_untreated"]
    # step 1 is the control the analysis credits with the most risk removed over the untreated threats
    gains: dict[str, int] = defaultdict(int)
    for t in threats:
        if t["id"] in open_ids:
            for c in t["candidate_controls"]:
                gains[c["id"]] += c["risk_reduction"]
    first = full["steps"][0]
    assert first["removes"] == max(gains.values())
    assert first["control"]["id"] in {cid for cid, gain in gains.items() if gain == first["removes"]}
    # what each step removes is what its threats lose, and the running total follows
    left = full["residual_before"]
    for step in full["steps"]:
        assert step["removes"] == sum(t["before"]["score"] - t["after"]["score"] for t in step["threats"]) > 0
        left -= step["removes"]
        assert step["residual_after"] == left
        # within a step, the most severe threat first
        scores = [t["before"]["score"] for t in step["threats"]]
        assert scores == sorted(scores, reverse=True)
    assert full["residual_after"] == left < full["residual_before"] / 2
    levels = [t["residual"]["level"] for t in threats if t["id"] in open_ids]
    assert full["levels_before"] == {lv: levels.count(lv) for lv in reversed(LEVELS)}


def _with_control(text: str, catalog_id: str, on: set[str]) -> str:
    """The model text with a model control realising `catalog_id` in place on the elements/flows `on`."""
    mfa = "  - {id: mfa-rollout, name: MFA for staff, implements: [C-MFA], status: planned}\n"
    text = text.replace(mfa, mfa + f"  - {{id: plan-step, name: Plan step, implements: [{catalog_id}], "
                        "effectiveness: high}\n")
    for element in on:
        (line,) = [x for x in text.splitlines() if x.startswith(f"  - {{id: {element}, ")]
        if "controls: [" in line:
            new = line.replace("controls: [", "controls: [plan-step, ")
        else:
            new = re.sub(r"}$", ", controls: [plan-step]}", line)
        text = text.replace(line, new)
    return text


def test_a_step_comes_true_when_its_control_is_recorded_where_the_plan_says(
        full: dict[str, Any], threats: list[dict[str, Any]], tmp_path: Path) -> None:
    step = full["steps"][0]
    on = {t["record_on"][0] for t in step["threats"]}
    model = write_model(tmp_path / "clinic.yaml",
                        _with_control(CLINIC.read_text(encoding="utf-8"), step["control"]["id"], on))
    after = {t["id"]: t for t in analysed(model, tmp_path / "out")}
    promised = {t["id"]: t["after"] for t in step["threats"]}
    for tid in untreated(threats):
        now = after[tid]["residual"]
        if tid in promised:
            assert (now["score"], now["level"]) == (promised[tid]["score"], promised[tid]["level"]), tid
        else:
            assert now["score"] == next(t["residual"]["score"] for t in threats if t["id"] == tid), tid
    remaining = cli_json("plan", str(model), "--format", "json")
    assert remaining["residual_before"] == step["residual_after"]


def test_each_step_says_where_to_record_the_control(full: dict[str, Any]) -> None:
    where = {t["id"]: t["record_on"] for s in full["steps"] for t in s["threats"]}
    assert where["TL-T002@portal"] == ["portal"]  # an element threat: on the element
    assert where["TL-I001@book"] == ["book", "portal"]  # a flow threat: on the flow or its destination
    assert where["MT-DESK-EXPORT"] == ["desk"]  # a threat written by hand: on its elements


def test_only_limits_to_the_most_severe_threats(threats: list[dict[str, Any]]) -> None:
    for level in ("critical", "high"):
        scoped = cli_json("plan", str(CLINIC), "--only", level, "--format", "json")
        wanted = untreated(threats, level)
        assert scoped["only"] == level and scoped["threats_considered"] == len(wanted) > 0
        assert {t["id"] for s in scoped["steps"] for t in s["threats"]} <= set(wanted)
        assert scoped["residual_before"] == sum(t["residual"]["score"] for t in threats if t["id"] in wanted)
    high = cli_json("plan", str(CLINIC), "--only", "high", "--format", "json")
    assert "MT-DESK-EXPORT" not in {t["id"] for s in high["steps"] for t in s["threats"]}  # medium


def test_limit_keeps_the_first_steps(full: dict[str, Any]) -> None:
    limited = cli_json("plan", str(CLINIC), "--limit", "3", "--format", "json")
    assert limited["steps"] == full["steps"][:3]
    assert limited["residual_after"] == full["steps"][2]["residual_after"]


def test_markdown_and_text(tmp_path: Path) -> None:
    scoped = cli_json("plan", str(CLINIC), "--only", "high", "--limit", "2", "--format", "json")
    out = tmp_path / "plan.md"
    result = run_cli("plan", str(CLINIC), "--only", "high", "--limit", "2", "--format", "markdown", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("## Treatment plan: Clinic Booking\n")
    assert (f"Residual risk of the {scoped['threats_considered']} untreated threats at high or above: "
            f"**{scoped['residual_before']}** now, **{scoped['residual_after']}** after these 2 steps") in text
    first = scoped["steps"][0]
    worst = max((t["before"]["level"] for t in first["threats"]), key=LEVELS.index)
    assert (f"| 1 | {first['control']['name']} (`{first['control']['id']}`) | {first['control']['effort']} | "
            f"{len(first['threats'])} | {worst} | {first['removes']} | {first['residual_after']} |") in text
    for t in first["threats"]:
        where = " or ".join(f"`{e}`" for e in t["record_on"])
        assert (f"- `{t['id']}` {t['title']}: {t['before']['level']} ({t['before']['score']}) → "
                f"{t['after']['level']} ({t['after']['score']}); record it on {where}") in text
    one = run_cli("plan", str(CLINIC), "--limit", "1", "--format", "markdown")
    assert "** after this step (matrix scores)." in one.stdout
    table = run_cli("plan", str(CLINIC), "--limit", "1")
    assert table.returncode == 0
    full = cli_json("plan", str(CLINIC), "--limit", "1", "--format", "json")
    assert full["steps"][0]["control"]["id"] in table.stdout
    assert f"residual risk {full['residual_before']} → {full['residual_after']} after 1 step (matrix" in table.stdout
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
