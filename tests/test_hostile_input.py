"""Hostile or broken input found by a review, run as a user runs the command: each is refused with exit 2,
a message naming the file (and line and column where there is one) and a hint, never a traceback, a hang
or a file half-written."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli

SMALL = "threatloom: 1\nsystem: {name: Shop}\n"
TD_FIXTURE = Path(__file__).parent / "interop" / "fixtures" / "threat-dragon" / "edge-cases.json"


def refused(result: object, *expected: str) -> str:
    """The error output of a command that must have been refused, checked for `expected` pieces."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)  # type: ignore[attr-defined]
    err: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err and "Traceback" not in result.stdout  # type: ignore[attr-defined]
    for piece in expected:
        assert piece in err, err
    return err


@pytest.mark.parametrize("command", [["validate"], ["analyze", "-o", "out"], ["import", "-o", "imported.yaml"]])
def test_a_device_is_refused_before_it_is_read(tmp_path: Path, command: list[str]) -> None:
    # /dev/zero never ends: reading it used all the machine's memory
    result = run_cli(command[0], "/dev/zero", *command[1:], cwd=tmp_path)
    refused(result, "/dev/zero: error: not a file: it is a device")


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    pipe = tmp_path / "model.yaml"
    os.mkfifo(pipe)
    refused(run_cli("validate", str(pipe)), f"{pipe}: error: not a file: it is a named pipe")


def test_rule_files_and_includes_must_be_files(tmp_path: Path) -> None:
    (tmp_path / "model.yaml").write_text(SMALL)
    refused(run_cli("analyze", "model.yaml", "--rules", "/dev/zero", "-o", "out", cwd=tmp_path),
            "/dev/zero: error: not a file: it is a device")
    os.mkfifo(tmp_path / "part.yaml")
    (tmp_path / "split.yaml").write_text(SMALL + "include: [part.yaml, '']\n")
    err = refused(run_cli("validate", "split.yaml", cwd=tmp_path))
    assert "split.yaml:3:11: error: included path 'part.yaml' is not a regular file" in err
    assert "split.yaml:3:22: error: an empty path in `include` (name a file, or remove the entry)" in err


def test_a_number_too_long_for_any_field_is_located(tmp_path: Path) -> None:
    digits = "9" * 5000  # past Python's 4,300-digit limit int() raised a traceback on
    (tmp_path / "m.yaml").write_text(SMALL + f"zones: [{{id: z, name: Z, trust: {digits}}}]\n")
    refused(run_cli("validate", "m.yaml", cwd=tmp_path),
            "m.yaml:3:33: error: a number of 5,000 characters, too large for any field")
    (tmp_path / "hex.yaml").write_text(SMALL + "zones: [{id: z, name: Z, trust: 0x" + "f" * 100_000 + "}]\n")
    refused(run_cli("validate", "hex.yaml", cwd=tmp_path), "hex.yaml:3:33: error: a number of 100,002 characters")
    (tmp_path / "big.json").write_text('{"otmVersion": "0.2.0",\n "project": {"name": "x", "id": ' + digits + "}}")
    refused(run_cli("import", "big.json", "-o", "out.yaml", cwd=tmp_path),
            "big.json:2:33: error: a number of 5,000 digits, too large for any field")
    assert not (tmp_path / "out.yaml").exists()


def test_infinity_is_no_amount(tmp_path: Path) -> None:
    # YAML reads 1e999 (no dot) as text, which pydantic turned into an infinite float
    (tmp_path / "m.yaml").write_text(SMALL + "assets: [{id: a, name: A, value: {amount: 1e999}}]\n")
    refused(run_cli("validate", "m.yaml", cwd=tmp_path),
            "m.yaml:3:43: error: assets[0].value.amount: '1e999' is not a finite number")


def test_control_characters_in_model_text_are_refused(tmp_path: Path) -> None:
    # an escape in double quotes could clear the terminal or retitle its window when the name is printed
    (tmp_path / "m.yaml").write_text('threatloom: 1\nsystem: {name: "\\e]0;pwned\\a\\e[2JRED"}\n')
    refused(run_cli("analyze", "m.yaml", "-o", "out", cwd=tmp_path),
            "m.yaml:2:16: error: text holds the control character U+001B")
    assert not (tmp_path / "out").exists()
    # tabs and line breaks are text
    (tmp_path / "ok.yaml").write_text('threatloom: 1\nsystem: {name: "Shop\\tfront", description: "a\\nb"}\n')
    assert run_cli("validate", "ok.yaml", cwd=tmp_path).returncode == 0


def test_a_raw_control_character_is_located_by_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_bytes('threatloom: 1\nsystem:\n  name: "ééé\x00"\n'.encode())
    refused(run_cli("validate", "m.yaml", cwd=tmp_path),
            "m.yaml:3:13: error: the character U+0000 is not allowed in YAML")


def test_control_characters_in_an_imported_file_are_refused_where_they_are(tmp_path: Path) -> None:
    text = TD_FIXTURE.read_text(encoding="utf-8")
    assert text.count("Admin portal") > 1
    (tmp_path / "td.json").write_text(text.replace("Admin portal", "Admin \\u001b[31mportal"), encoding="utf-8")
    err = refused(run_cli("import", "td.json", "-o", "out.yaml", cwd=tmp_path),
                  "text holds the control character U+001B")
    assert "\x1b" not in err
    first = next(n for n, row in enumerate(text.splitlines(), 1) if "Admin portal" in row)
    assert f"td.json:{first}:" in err  # the first one in the file
    assert not (tmp_path / "out.yaml").exists()


def test_analyze_writes_nothing_when_one_output_is_an_input(tmp_path: Path) -> None:
    (tmp_path / "threats.csv").write_text("threatloom: 1\n")
    (tmp_path / "model.yaml").write_text(SMALL + "include: [threats.csv]\n")
    refused(run_cli("analyze", "model.yaml", "-o", ".", cwd=tmp_path), "threats.csv is an input of this command")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.yaml", "threats.csv"]
    assert (tmp_path / "threats.csv").read_text() == "threatloom: 1\n"


def test_user_rule_files_get_their_own_wording(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    model = shutil.copy(EXAMPLES / "online-pharmacy" / "model.yaml", tmp_path / "model.yaml")
    (rules / "r.yaml").write_text("threatloom_rules: 1\nrules: []\n")
    err = refused(run_cli("analyze", str(model), "--rules", str(rules), "-o", str(tmp_path / "out")))
    assert "the file is missing required key 'threatloom-rules'" in err
    assert "did you mean 'threatloom-rules'?" in err and "the model" not in err
    (rules / "r.yaml").write_text(
        "threatloom-rules: 2\nrules:\n  - id: ACME-X001\n    title: Data sent to {destinaton} can leak\n"
        "    description: '{source} sends data to {whom}.'\n    category: tampering\n    applies_to: flow\n"
        "    when: {encryption: none}\n    detection: d\n    controls: [C-TLS, C-MTLS, C-AUDIT-LOG]\n")
    err = refused(run_cli("analyze", str(model), "--rules", str(rules), "-o", str(tmp_path / "out")))
    assert "r.yaml:1:19: error: threatloom-rules: 2 is not an allowed value (allowed: 1)" in err
    assert "r.yaml:7:17: error: rules[0].applies_to: 'flow' is not an allowed value" in err
    (rules / "r.yaml").write_text(
        "threatloom-rules: 1\nrules:\n  - id: ACME-X001\n    title: Data sent to {destinaton} can leak\n"
        "    description: '{source} sends data to {whom}.'\n    category: tampering\n    applies_to: interaction\n"
        "    when: {encryption: none}\n    detection: d\n    controls: [C-TLS, C-MTLS, C-AUDIT-LOG]\n")
    err = refused(run_cli("analyze", str(model), "--rules", str(rules), "-o", str(tmp_path / "out")))
    assert "r.yaml:4:12: error: unknown placeholder {destinaton} in the title (did you mean {destination}?)" in err
    assert ("r.yaml:5:18: error: unknown placeholder {whom} in the description (interaction rules may use "
            "{target}, {source} or {destination})") in err
    assert not (tmp_path / "out").exists()


def test_hints_name_what_was_written(tmp_path: Path) -> None:
    (tmp_path / "q.yaml").write_text('threatloom: "1"\nsystem: {name: yes}\n')
    err = refused(run_cli("validate", "q.yaml", cwd=tmp_path))
    assert "unsupported format version '1' (write the number without quotes: `threatloom: 1`)" in err
    (tmp_path / "b.yaml").write_text("threatloom: 1\nsystem: {name: yes, owner: 123}\n")
    err = refused(run_cli("validate", "b.yaml", cwd=tmp_path))
    assert 'system.name: expected text, got `true` (quote it, e.g. "yes" or "on")' in err
    assert 'system.owner: expected text, got the number 123 (quote it, e.g. "123")' in err
    json.loads(run_cli("schema").stdout)  # the schema still builds with the finite-number setting


def test_a_misspelt_section_is_the_only_error_reported(tmp_path: Path) -> None:
    # its items missing, every flow's ends were unknown too: 74 errors buried the one that mattered
    text = (EXAMPLES / "online-pharmacy" / "model.yaml").read_text(encoding="utf-8")
    line = text.splitlines().index("components:") + 1
    (tmp_path / "model.yaml").write_text(text.replace("\ncomponents:\n", "\ncomponets:\n"), encoding="utf-8")
    err = refused(run_cli("validate", "model.yaml", cwd=tmp_path))
    assert err.splitlines() == [
        f"model.yaml:{line}:1: error: unknown key 'componets' in the top level (did you mean 'components'?)",
        "1 error"]


def test_a_rules_folder_without_rule_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "model.yaml").write_text(SMALL)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "notes.txt").write_text("not a rule\n")
    refused(run_cli("analyze", "model.yaml", "--rules", "rules", "-o", "out", cwd=tmp_path),
            "rules: error: no rule files (*.yaml, *.yml) in this folder")
    assert not (tmp_path / "out").exists()


def test_an_unclosed_quote_is_named_where_it_was_opened(tmp_path: Path) -> None:
    # YAML reports the runaway text where it ends, at the next quote: here three lines below
    (tmp_path / "m.yaml").write_text('threatloom: 1\nsystem:\n  name: "Shop\n  owner: me\nzones:\n'
                                     '  - {id: z, name: "Z", trust: 1}\n')
    refused(run_cli("validate", "m.yaml", cwd=tmp_path),
            "m.yaml:6:20: error: YAML syntax error: did not find expected key",
            "(the double quote opened at line 3, column 9 is not closed on its line, so the text runs on to here")
    # a quoted value may span lines: an error elsewhere does not blame it
    (tmp_path / "ok.yaml").write_text('threatloom: 1\nsystem:\n  name: "Shop\n    front"\n  owner: me: you\n')
    err = refused(run_cli("validate", "ok.yaml", cwd=tmp_path), "ok.yaml:5:12: error: YAML syntax error")
    assert "double quote opened" not in err


def test_validate_warns_of_a_decision_that_can_match_nothing(tmp_path: Path) -> None:
    source = EXAMPLES / "online-pharmacy" / "model.yaml"
    assert run_cli("validate", "--strict", str(source)).returncode == 0
    text = source.read_text(encoding="utf-8")
    assert "threat: TL-R001@admin-console" in text
    (tmp_path / "model.yaml").write_text(text.replace("threat: TL-R001@admin-console", "threat: TL-R001@admin-consol")
                                         .replace("threat: MT-", "threat: MT-X", 1), encoding="utf-8")
    result = run_cli("validate", "--strict", "model.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert ("warning: decision for 'TL-R001@admin-consol' names 'admin-consol', which is no element or flow of "
            "the model, so it can match no threat (did you mean 'admin-console'?)") in result.stderr
    assert "names 'MT-X" in result.stderr and "which is no hand-written threat of the model" in result.stderr
