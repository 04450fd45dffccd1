"""Treatment rules as the CI gate applies them: decisions written in the model, `threatloom check` run on it.

The clinic's decisions (see fixtures/clinic.yaml) already hold an expired acceptance (MT-DESK-EXPORT,
medium), two wildcards (TL-D*@portal transferred, TL-P* accepted) and a decision for a threat that is
gone (MT-GONE). Each test edits a copy and runs the real command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import analysed, clinic_text, failing_ids, line_of, untreated, write_model

EXPIRED = "    expires: 2020-06-30\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The clinic as `threatloom analyze` sees it: what the gate fails on before any edit."""
    return analysed(CLINIC, tmp_path_factory.mktemp("clinic"))


def check(model: Path, *args: str) -> tuple[int, list[str], str, str]:
    result = run_cli("check", str(model), *args)
    return result.returncode, failing_ids(result.stdout), result.stdout, result.stderr


def with_decisions(tmp_path: Path, *lines: str, replace: tuple[tuple[str, str], ...] = ()) -> Path:
    extra = "".join(f"  - {line}\n" for line in lines)
    return write_model(tmp_path / "clinic.yaml", clinic_text(*replace, extra=extra))


def test_an_expired_acceptance_counts_as_untreated(tmp_path: Path, base: list[dict[str, Any]]) -> None:
    rc, ids, out, err = check(CLINIC, "--fail-on", "medium")
    assert rc == 1 and "MT-DESK-EXPORT" in ids
    line = next(x for x in out.splitlines() if " MT-DESK-EXPORT " in x)
    assert line.endswith("(residual 9, open; acceptance expired on 2020-06-30)")
    assert f"clinic.yaml:{line_of(CLINIC, '- threat: MT-DESK-EXPORT')}:5: warning: decision for 'MT-DESK-EXPORT' " \
           "does not count: acceptance expired on 2020-06-30" in err
    renewed = with_decisions(tmp_path, replace=((EXPIRED, "    expires: 2099-06-30\n"),))
    rc, ids, _, err = check(renewed, "--fail-on", "medium")
    assert "MT-DESK-EXPORT" not in ids and "acceptance expired" not in err
    assert ids == [i for i in untreated(base, "medium") if i != "MT-DESK-EXPORT"]


def test_a_wildcard_decision_settles_every_threat_it_matches(tmp_path: Path, base: list[dict[str, Any]]) -> None:
    # without the clinic's TL-D*@portal transfer, the two denial-of-service threats on the portal fail the gate
    model = write_model(tmp_path / "no-transfer.yaml",
                        clinic_text(('  - threat: "TL-D*@portal"', '  - threat: "X-D*"')))
    rc, ids, _, err = check(model, "--fail-on", "high")
    assert rc == 1 and {"TL-D001@portal", "TL-D002@portal"} <= set(ids)
    assert "decision for 'X-D*' matches no threat (the threats it covered may be gone" in err
    # one wildcard, with an approver and an expiry, accepts the three flow threats of the booking flow
    accepted = with_decisions(tmp_path, '{threat: "TL-???1@book", treatment: accept, approver: Clinic director, '
                              'expires: 2099-01-31, justification: Until the HTTPS migration}')
    rc, ids, _, err = check(accepted, "--fail-on", "high")
    assert rc == 1
    settled = {"TL-I001@book", "TL-T001@book", "TL-S001@book"}
    assert settled <= set(untreated(base, "high"))
    assert ids == [i for i in untreated(base, "high") if i not in settled]
    assert "TL-???1@book" not in err  # it matched, and counts
    report = json.loads(run_cli("check", str(accepted), "--format", "json").stdout)
    assert {t["id"] for t in report["failing"]} == set(ids)


def test_decisions_that_match_nothing_are_reported_with_a_hint(tmp_path: Path) -> None:
    _, _, _, err = check(CLINIC)
    assert f"clinic.yaml:{line_of(CLINIC, '- threat: MT-GONE')}:5: warning: decision for 'MT-GONE' matches no " \
           "threat (no threat under `threats:` has the ID 'MT-GONE': it was removed or renamed; remove or update " \
           "it)" in err
    misspelt = with_decisions(tmp_path, "{threat: TL-T002@portl, treatment: avoid, justification: no SQL}")
    rc, ids, _, err = check(misspelt, "--fail-on", "high")
    assert "decision for 'TL-T002@portl' matches no threat (no element or flow 'portl' is in the model; did you " \
           "mean 'TL-T002@portal'?)" in err
    assert rc == 1 and "TL-T002@portal" in ids  # a misspelt decision treats nothing
    report = json.loads(run_cli("check", str(misspelt), "--format", "json").stdout)
    unmatched = [p for p in report["problems"] if p["code"] == "unmatched-decision"]
    assert [p["hint"] for p in unmatched] == [
        "no threat under `threats:` has the ID 'MT-GONE': it was removed or renamed; remove or update it",
        "no element or flow 'portl' is in the model; did you mean 'TL-T002@portal'?"]
    assert unmatched[1]["line"] == len(misspelt.read_text().splitlines())  # the decision added last


def test_accepting_a_risk_above_the_appetite_needs_an_approver_and_an_expiry(
        tmp_path: Path, base: list[dict[str, Any]]) -> None:
    bare = with_decisions(tmp_path, "{threat: TL-T002@portal, treatment: accept, justification: legacy portal}")
    rc, ids, out, err = check(bare, "--fail-on", "high")
    assert rc == 1 and "TL-T002@portal" in ids
    line = next(x for x in out.splitlines() if " TL-T002@portal " in x)
    level = next(t["residual"]["level"] for t in base if t["id"] == "TL-T002@portal")
    assert f"accepting a {level} risk (above the medium appetite) needs an approver and an expiry date" in line
    assert "decision for 'TL-T002@portal' does not count" in err
    no_expiry = with_decisions(tmp_path, "{threat: TL-T002@portal, treatment: accept, approver: CISO}")
    assert "TL-T002@portal" in check(no_expiry, "--fail-on", "high")[1]
    approved = with_decisions(tmp_path, "{threat: TL-T002@portal, treatment: accept, approver: CISO, "
                              "expires: 2099-01-31, justification: portal replaced next year}")
    _, ids, _, err = check(approved, "--fail-on", "high")
    assert "does not count" not in err.replace("'MT-DESK-EXPORT' does not count", "")
    assert "TL-T002@portal" not in ids and ids == [i for i in untreated(base, "high") if i != "TL-T002@portal"]
    # within the appetite an acceptance needs no approver: a medium risk is accepted as written
    medium = next(i for i in untreated(base, "medium") if i not in untreated(base, "high"))
    within = with_decisions(tmp_path, f"{{threat: {medium}, treatment: accept, justification: within appetite}}")
    rc, ids, _, err = check(within, "--fail-on", "medium")
    assert medium not in ids and f"decision for '{medium}' does not count" not in err


def test_mitigated_while_still_above_the_appetite_does_not_count(tmp_path: Path) -> None:
    claimed = with_decisions(tmp_path, "{threat: TL-S001@book, treatment: reduce, status: mitigated}")
    rc, ids, out, _ = check(claimed, "--fail-on", "high")
    assert rc == 1 and "TL-S001@book" in ids
    line = next(x for x in out.splitlines() if " TL-S001@book " in x)
    assert "(residual 16, in-progress; marked mitigated but the residual risk is still high" in line
