"""The clinic's risk ranking, read through `threatloom analyze` as a security lead would read it.

What a lead would defend, and what this checks:

- the worst risks include the internet edge: the booking flow from the patients (`book`, plain HTTP,
  no authentication, confidential bookings, critical) and the internet-facing portal (SQL injection, high
  once its WAF counts);
- the same rule ranks higher on the internet flow than on the clinic LAN (TL-I001@book above
  TL-I001@lookup), and the explanation says why: one end sits on the internet;
- impact follows the worst asset at stake: the disks of the database hold staff credentials rated
  critical, so TL-I003@db has impact 5 although the bookings are rated high;
- the team's own threat is scored from their judgement and its CVSS vector (MT-DESK-EXPORT: likelihood
  3, CVSS 4.0 6.8 medium so impact 3: 9, medium), below every high risk;
- every control in place shows in the explanation of the residual risk as the factor that lowered it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import LEVELS, analysed, untreated


@pytest.fixture(scope="module")
def threats(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return analysed(CLINIC, tmp_path_factory.mktemp("ranking"))


def reasons(threat: dict[str, Any], part: str = "likelihood") -> dict[str, float]:
    return {f["reason"]: f["delta"] for f in threat["residual"]["factors"] if f["part"] == part}


def test_threats_are_ranked_by_residual_then_inherent_risk(threats: list[dict[str, Any]]) -> None:
    # residual score, then its impact and likelihood, then exposure to the internet, reachability, inherent
    keys = [(-t["residual"]["score"], -t["residual"]["impact"], -t["residual"]["likelihood"], not t["exposed"],
             not t["reachable"], -t["inherent"]["score"], t["id"]) for t in threats]
    assert keys == sorted(keys)
    levels = [LEVELS.index(t["residual"]["level"]) for t in threats]
    assert levels == sorted(levels, reverse=True)
    # the clear-text booking flow from the internet and the SQL injection at the portal are among the
    # four worst: the flow critical, the injection high (its WAF takes a point off an almost certain 5)
    top = {t["id"]: t["residual"]["level"] for t in threats[:4]}
    assert top.get("TL-I001@book") == "critical" and top.get("TL-T002@portal") == "high", top
    # database exhaustion (availability rated medium) is no longer among them
    assert "TL-D003@db" not in top


def test_exposure_to_the_internet_ranks_above_the_same_threat_on_the_lan(threats: list[dict[str, Any]]) -> None:
    by_id = {t["id"]: t for t in threats}
    order = [t["id"] for t in threats]
    book, lookup = by_id["TL-I001@book"], by_id["TL-I001@lookup"]
    assert book["residual"]["score"] > lookup["residual"]["score"]
    assert book["residual"]["impact"] == lookup["residual"]["impact"] == 4  # bookings: confidentiality high
    # +1 for the internet, +1 for the fraudster who sends to the portal straight from there; on the LAN the
    # fraudster is two hops away (through the portal and the database), so no bonus
    assert book["residual"]["likelihood"] == lookup["residual"]["likelihood"] + 2
    internet = [r for r, d in reasons(book).items() if "internet" in r and d == 1]
    assert internet and not any("internet" in r for r in reasons(lookup))
    assert reasons(book)["a capable, well-resourced actor with a motive for information disclosure reaches it "
                         "directly (Online fraudster, cybercriminal)"] == 1
    assert not any("actor" in r for r in reasons(lookup))
    assert reasons(book, "impact") == {"bookings has confidentiality rated high": 1}
    assert order.index("TL-T001@book") < order.index("TL-T001@lookup")


def test_each_explanation_names_what_raised_and_what_lowered_the_score(threats: list[dict[str, Any]]) -> None:
    by_id = {t["id"]: t for t in threats}
    injection = reasons(by_id["TL-T002@portal"])
    raised = [r for r, d in injection.items() if d > 0]
    assert any("internet" in r for r in raised) and any("authentication" in r for r in raised)
    assert "a capable, well-resourced actor with a motive for tampering reaches it directly (Online fraudster, " \
           "cybercriminal)" in raised
    # 3 + 1 + 1 + 1 adds up to 6, kept at 5 by the scale, and the WAF then takes one point off
    assert injection["the scale stops at 5: 6 is kept at 5"] == -1
    assert injection["control 'waf' (C-WAF, high effectiveness)"] == -1.0
    assert by_id["TL-T002@portal"]["residual"]["likelihood"] == 4
    # the worst asset at stake sets the impact, and says which one
    disks = by_id["TL-I003@db"]
    assert disks["residual"]["impact"] == 5
    assert reasons(disks, "impact") == {"staff-creds has confidentiality rated critical": 2}
    # a threat written by the team is explained by the team's judgement and its CVSS vector
    desk = by_id["MT-DESK-EXPORT"]
    assert (desk["residual"]["likelihood"], desk["residual"]["impact"], desk["residual"]["score"]) == (3, 3, 9)
    assert desk["residual"]["level"] == "medium"
    assert [f["reason"] for f in desk["residual"]["factors"]] == ["likelihood judged by the team (3)",
                                                                  "CVSS 4.0 base score 6.8 (medium)"]
    assert all(LEVELS.index(t["residual"]["level"]) <= 1 for t in threats[[t["id"] for t in threats]
                                                                         .index("MT-DESK-EXPORT"):])
    # every control in place shows in the explanation of the residual risk as a negative factor
    for threat in threats:
        lowering = [f["reason"] for f in threat["residual"]["factors"] if f["delta"] < 0]
        for control in threat["controls_in_place"]:
            assert any(reason.startswith(f"control {control!r}") for reason in lowering), threat["id"]
        assert threat["residual"]["factors"], threat["id"]


def test_check_reads_the_same_ranking(threats: list[dict[str, Any]], tmp_path: Path) -> None:
    report = run_cli("check", str(CLINIC), "--fail-on", "low", "--format", "json")
    failing = json.loads(report.stdout)["failing"]
    assert [t["id"] for t in failing] == untreated(threats)
    assert failing[0]["residual"] == {"level": threats[0]["residual"]["level"],
                                      "score": threats[0]["residual"]["score"]}
