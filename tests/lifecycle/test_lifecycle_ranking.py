"""The clinic's risk ranking, read through `threatloom analyze` as a security lead would read it.

Scores worked out by hand from the built-in rules (likelihood base, adjustments, the actors) and the
model's asset ratings (impact: low 2, medium 3, high 4, critical 5):

- TL-I001@book, cleartext booking data from the internet: 3 + 1 (an end on the internet) + 1 (the
  fraudster, highly skilled and organised, reaches it) = 5, × 4 (bookings' confidentiality is high) = 20;
- TL-I001@lookup, the same rule on the clinic LAN: no internet step, 4 × 4 = 16;
- TL-T002@portal, SQL injection at the internet-facing portal: raised by the internet, unauthenticated
  input and the fraudster, lowered by the WAF in place: 5 × 4 = 20;
- TL-I003@db, readable disks: 3 × 5, because the staff credentials stored there are rated critical;
- MT-DESK-EXPORT, written by the team: their likelihood 3 × 3 (CVSS 4.0 6.8, medium) = 9, medium.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC


@pytest.fixture(scope="module")
def threats(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("ranking")
    result = run_cli("analyze", str(CLINIC), "-o", str(out))
    assert result.returncode == 0, result.stderr
    return list(json.loads((out / "threats.json").read_text(encoding="utf-8"))["threats"])


def reasons(threat: dict[str, Any], part: str = "likelihood") -> dict[str, float]:
    return {f["reason"]: f["delta"] for f in threat["residual"]["factors"] if f["part"] == part}


def test_threats_are_ranked_by_residual_then_inherent_risk(threats: list[dict[str, Any]]) -> None:
    keys = [(-t["residual"]["score"], -t["inherent"]["score"], t["id"]) for t in threats]
    assert keys == sorted(keys)
    levels = [t["residual"]["level"] for t in threats]
    order = ["critical", "high", "medium", "low"]
    assert [order.index(lv) for lv in levels] == sorted(order.index(lv) for lv in levels)
    assert [t["id"] for t in threats[:4]] == ["TL-D003@store", "TL-I001@book", "TL-T001@book", "TL-T002@portal"]
    assert [t["id"] for t in threats[-2:]] == ["TL-I005@portal", "MT-DESK-EXPORT"]  # the two mediums last


def test_exposure_to_the_internet_ranks_above_the_same_threat_on_the_lan(threats: list[dict[str, Any]]) -> None:
    by_id = {t["id"]: t for t in threats}
    book, lookup = by_id["TL-I001@book"], by_id["TL-I001@lookup"]
    assert (book["residual"]["likelihood"], book["residual"]["impact"], book["residual"]["score"]) == (5, 4, 20)
    assert (lookup["residual"]["likelihood"], lookup["residual"]["impact"], lookup["residual"]["score"]) == (4, 4, 16)
    internet = "one end sits on the internet, so the traffic crosses networks nobody here controls"
    assert reasons(book)[internet] == 1 and internet not in reasons(lookup)
    assert reasons(book)["a capable, well-resourced actor (fraudster, cybercriminal) can reach it"] == 1
    assert reasons(book, "impact") == {"bookings has confidentiality rated high": 1}
    assert [t["id"] for t in threats].index("TL-T001@book") < [t["id"] for t in threats].index("TL-T001@lookup")


def test_each_explanation_names_what_raised_and_what_lowered_the_score(threats: list[dict[str, Any]]) -> None:
    by_id = {t["id"]: t for t in threats}
    injection = reasons(by_id["TL-T002@portal"])
    assert injection == {"it faces the internet, so anyone can send it input": 1,
                         "some of its input arrives without authentication": 1,
                         "a capable, well-resourced actor (fraudster, cybercriminal) can reach it": 1,
                         "control 'waf' (C-WAF, high effectiveness)": -1.0}
    # the worst asset at stake sets the impact, and says which one
    disks = by_id["TL-I003@db"]
    assert (disks["residual"]["likelihood"], disks["residual"]["impact"]) == (3, 5)
    assert reasons(disks, "impact") == {"staff-creds has confidentiality rated critical": 2}
    # a threat written by the team is explained by the team's judgement and its CVSS vector
    desk = by_id["MT-DESK-EXPORT"]
    assert desk["residual"]["score"] == 9 and desk["residual"]["level"] == "medium"
    assert [f["reason"] for f in desk["residual"]["factors"]] == ["likelihood judged by the team (3)",
                                                                  "CVSS 4.0 base score 6.8 (medium)"]
    # every control in place shows in the explanation of the residual risk as a negative factor
    for threat in threats:
        lowering = [f["reason"] for f in threat["residual"]["factors"] if f["delta"] < 0]
        for control in threat["controls_in_place"]:
            assert any(reason.startswith(f"control {control!r}") for reason in lowering), threat["id"]
        assert threat["residual"]["factors"], threat["id"]


def test_check_and_plan_read_the_same_ranking(threats: list[dict[str, Any]], tmp_path: Path) -> None:
    untreated = [t["id"] for t in threats if t["status"] in ("open", "in-progress")]
    report = run_cli("check", str(CLINIC), "--fail-on", "low", "--format", "json")
    assert [t["id"] for t in json.loads(report.stdout)["failing"]] == untreated
    explained = json.loads(report.stdout)["failing"][0]
    assert explained["id"] == "TL-D003@store" and explained["residual"] == {"level": "critical", "score": 20}
