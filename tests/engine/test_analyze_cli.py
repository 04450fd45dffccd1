"""`threatloom analyze` and `threatloom rules` run as a user would run them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"


def test_analyze_writes_identical_files_on_rerun(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = run_cli("analyze", str(FIXTURES / "shop.yaml"), "-o", str(out))
        assert result.returncode == 0, result.stderr
    for name in ("threats.json", "threats.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    document = json.loads((first / "threats.json").read_text())
    assert document["format"] == "threatloom-analysis"
    assert document["version"] == 1
    assert document["summary"]["threats"] == len(document["threats"]) > 0
    rows = list(csv.DictReader((first / "threats.csv").open()))
    assert [r["id"] for r in rows] == [t["id"] for t in document["threats"]]
    assert "MT-REFUND" in {r["id"] for r in rows}
    assert "threats on" in result.stdout and "by category" in result.stdout


def test_analyze_with_extra_rules_and_a_bad_rule_file(tmp_path: Path) -> None:
    result = run_cli("analyze", str(FIXTURES / "shop.yaml"), "-o", str(tmp_path / "o"),
                     "--rules", str(FIXTURES / "rules"))
    assert result.returncode == 0, result.stderr
    ids = {t["id"] for t in json.loads((tmp_path / "o" / "threats.json").read_text())["threats"]}
    assert "T-STORE-1@db" in ids
    bad = tmp_path / "bad.yaml"
    bad.write_text((FIXTURES / "rules" / "test-rules.yaml").read_text().replace("T-", "B-")
                   .replace("{encryption: none}", "{encryptoin: none}"))
    result = run_cli("analyze", str(FIXTURES / "shop.yaml"), "-o", str(tmp_path / "p"), "--rules", str(bad))
    assert result.returncode == 2
    assert f"{bad}:9:12: error: unknown flow fact 'encryptoin'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "p").exists()


def test_rules_list_and_show() -> None:
    listed = run_cli("rules", "list")
    assert listed.returncode == 0
    assert "TL-S001" in listed.stdout
    shown = run_cli("rules", "show", "TL-S001")
    assert shown.returncode == 0
    assert "CWE-306" in shown.stdout and "C-STRONG-AUTHN" in shown.stdout and "NIST" in shown.stdout
    control = run_cli("rules", "show", "C-MFA")
    assert "IA-2(1)" in control.stdout
    missing = run_cli("rules", "show", "TL-S0001")
    assert missing.returncode == 2
    assert "did you mean 'TL-S001'" in missing.stderr


def test_rules_list_by_category_counts_what_it_lists_and_refuses_an_unknown_category() -> None:
    tampering = run_cli("rules", "list", "--category", "tampering")
    assert tampering.returncode == 0
    rows = [line for line in tampering.stdout.splitlines() if line.startswith("│ TL-")]
    assert rows and all("│ tampering " in row for row in rows)
    assert f"{len(rows)} rules in tampering; the catalog has " in tampering.stdout
    typo = run_cli("rules", "list", "--category", "tamper")
    assert typo.returncode == 2
    assert "unknown category 'tamper'" in typo.stderr and "did you mean 'tampering'" in typo.stderr
    assert typo.stdout == ""
