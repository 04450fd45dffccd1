"""Hostile or broken input found by a review, run as a user runs the command: each is refused with exit 2,
a message naming the file (and line and column where there is one) and a hint, never a traceback, a hang
or a file half-written."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI, EXAMPLES, run_cli
from threatloom.errors import InputError
from threatloom.model.yamlsource import MAX_FILE_BYTES, read_bounded

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


def test_a_pipe_is_read_within_the_bound_and_never_waited_for(tmp_path: Path) -> None:
    pipe = tmp_path / "model.yaml"
    os.mkfifo(pipe)  # no writer: reading ends at once instead of hanging
    refused(run_cli("validate", str(pipe)), f"{pipe}: error: a model must be a mapping of sections")
    model = (EXAMPLES / "online-pharmacy" / "model.yaml").read_text(encoding="utf-8")
    piped = subprocess.run([CLI, "validate", "/dev/stdin"], input=model, capture_output=True, text=True,
                           timeout=120, check=False)
    assert piped.returncode == 0 and "/dev/stdin: valid (20 components" in piped.stdout, piped.stderr
    pipeline = f"yes a | head -c {MAX_FILE_BYTES + 10} | {shlex.quote(CLI)} validate /dev/stdin"
    endless = subprocess.run(pipeline, shell=True, capture_output=True, text=True, timeout=300, check=False)
    refused(endless, f"/dev/stdin: error: more than {MAX_FILE_BYTES:,} bytes to read, over the limit")


def test_the_bound_holds_for_a_file_larger_than_its_size_says() -> None:
    # /proc files report a size of 0 whatever they hold
    with pytest.raises(InputError) as caught:
        read_bounded(Path("/proc/self/status"), "status", 10, "keep it short")
    assert caught.value.problems[0].message == "more than 10 bytes to read, over the limit"


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


def misspelt_rule_file(version: int, applies_to: str) -> str:
    """A user rule file with a mistyped placeholder in its title and an unknown one in its description."""
    return (f"threatloom-rules: {version}\nrules:\n  - id: ACME-X001\n    title: Data sent to {{destinaton}} can leak\n"
            f"    description: '{{source}} sends data to {{whom}}.'\n    category: tampering\n"
            f"    applies_to: {applies_to}\n    when: {{encryption: none}}\n    detection: d\n"
            "    controls: [C-TLS, C-MTLS, C-AUDIT-LOG]\n")


def test_user_rule_files_get_their_own_wording(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    model = shutil.copy(EXAMPLES / "online-pharmacy" / "model.yaml", tmp_path / "model.yaml")
    (rules / "r.yaml").write_text("threatloom_rules: 1\nrules: []\n")
    err = refused(run_cli("analyze", str(model), "--rules", str(rules), "-o", str(tmp_path / "out")))
    assert "the file is missing required key 'threatloom-rules'" in err
    assert "did you mean 'threatloom-rules'?" in err and "the model" not in err
    (rules / "r.yaml").write_text(misspelt_rule_file(2, "flow"))
    err = refused(run_cli("analyze", str(model), "--rules", str(rules), "-o", str(tmp_path / "out")))
    assert "r.yaml:1:19: error: threatloom-rules: 2 is not an allowed value (allowed: 1)" in err
    assert "r.yaml:7:17: error: rules[0].applies_to: 'flow' is not an allowed value" in err
    (rules / "r.yaml").write_text(misspelt_rule_file(1, "interaction"))
    err = refused(run_cli("analyze", str(model), "--rules", str(rules), "-o", str(tmp_path / "out")))
    assert "r.yaml:4:12: error: unknown placeholder {destinaton} in the title (did you mean {destination}?)" in err
    assert ("r.yaml:5:18: error: unknown placeholder {whom} in the description (interaction rules may use "
            "{target}, {source} or {destination})") in err
    assert not (tmp_path / "out").exists()


def test_hints_for_a_quoted_version_and_yaml_booleans(tmp_path: Path) -> None:
    (tmp_path / "q.yaml").write_text('threatloom: "1"\nsystem: {name: yes}\n')
    err = refused(run_cli("validate", "q.yaml", cwd=tmp_path))
    assert "unsupported format version '1' (write the number without quotes: `threatloom: 1`)" in err
    (tmp_path / "b.yaml").write_text("threatloom: 1\nsystem: {name: yes, owner: 123}\n")
    err = refused(run_cli("validate", "b.yaml", cwd=tmp_path))
    assert 'system.name: expected text, got `true` (quote it, e.g. "yes" or "on")' in err
    assert 'system.owner: expected text, got the number 123 (quote it, e.g. "5.1")' in err
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
    # a quote that is closed, escaped or inside single quotes is not blamed for an error after a quote
    for name, value in {"escaped.yaml": '"C:\\\\"', "single.yaml": "'a 5\" disk'",
                        "spanning.yaml": '"Shop\n    front"'}.items():
        (tmp_path / name).write_text(f'threatloom: 1\nsystem:\n  name: {value}\n  owner: "me" x\n')
        err = refused(run_cli("validate", name, cwd=tmp_path), "error: YAML syntax error: did not find expected key")
        assert "double quote opened" not in err and "check indentation, quoting" in err, (name, err)


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


def test_control_characters_in_an_imported_xml_file_are_refused(tmp_path: Path) -> None:
    source = (Path(__file__).parent / "interop" / "fixtures" / "mtmt" / "payments.tm7").read_text(encoding="utf-8")
    text = source.replace("<a:Value>Spoofing</a:Value>", "<a:Value>Spoo&#x9b;fing</a:Value>", 1)
    assert text != source
    (tmp_path / "m.tm7").write_text(text, encoding="utf-8")
    refused(run_cli("import", "m.tm7", "-o", "out.yaml", cwd=tmp_path),
            "m.tm7: error: text in <Value> holds the control character U+009B")


def test_a_model_rules_folder_without_rule_files_is_located_with_the_other_problems(tmp_path: Path) -> None:
    (tmp_path / "emptyrules").mkdir()
    (tmp_path / "model.yaml").write_text(SMALL + "rules: [emptyrules, missing.yaml]\n")
    err = refused(run_cli("analyze", "model.yaml", "-o", "out", cwd=tmp_path))
    assert "model.yaml:3:9: error: no rule files (*.yaml, *.yml) in the folder 'emptyrules'" in err
    assert "model.yaml:3:21: error: rule file or folder 'missing.yaml' not found" in err


def test_analyze_writes_nothing_when_one_output_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "model.yaml").write_text(SMALL)
    (tmp_path / "out" / "threats.csv").mkdir(parents=True)
    refused(run_cli("analyze", "model.yaml", "-o", "out", cwd=tmp_path), "out/threats.csv is a folder, not a file")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["threats.csv"]


def test_an_unrelated_unknown_key_keeps_the_reference_errors(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(SMALL + "owner: Ana\ncomponents:\n  - {id: web, name: W, type: process}\n"
                                     "flows:\n  - {id: f, name: F, source: web, destination: databse}\n")
    err = refused(run_cli("validate", "m.yaml", cwd=tmp_path), "m.yaml:3:1: error: unknown key 'owner'")
    assert "m.yaml:7:48: error: unknown element 'databse'" in err


def test_braces_that_are_no_placeholder_are_text_and_detection_names_the_target(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(
        "threatloom-rules: 1\nrules:\n  - id: ACME-L001\n    title: '${jndi:ldap://x/a} in a header reaches {target}'\n"
        "    description: 'Templates such as {{7*7}} or {\"role\": \"admin\"} and {} reach {target}.'\n"
        "    category: tampering\n    applies_to: element\n    when: {kind: web-application}\n"
        "    detection: 'Alert on JNDI lookups in the logs of {target}.'\n"
        "    controls: [C-INPUT-VALIDATION, C-WAF, C-PATCH-MGMT]\n")
    (tmp_path / "model.yaml").write_text(SMALL + "components:\n  - {id: shop, name: Shop front, type: process, "
                                         "kind: web-application}\n")
    result = run_cli("analyze", "model.yaml", "--rules", "rules", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    threat = next(t for t in json.loads((tmp_path / "out" / "threats.json").read_text())["threats"]
                  if t["rule"] == "ACME-L001")
    assert threat["title"] == "${jndi:ldap://x/a} in a header reaches Shop front"
    assert threat["description"] == 'Templates such as {{7*7}} or {"role": "admin"} and {} reach Shop front.'
    assert threat["detection"] == "Alert on JNDI lookups in the logs of Shop front."


def test_a_decision_naming_two_targets_is_warned_of(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(SMALL + "components:\n  - {id: a, name: A, type: process}\n"
                                     "  - {id: b, name: B, type: process}\n"
                                     "decisions:\n  - {threat: TL-T002@a@b, treatment: reduce}\n")
    result = run_cli("validate", "--strict", "m.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "decision for 'TL-T002@a@b' names more than one target, so it can match no threat" in result.stderr
