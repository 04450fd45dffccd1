"""Malformed models: every problem is reported, each at its exact file:line:column, with its message and hint.

Each fixture in fixtures/malformed/ (and each folder in fixtures/includes/) is named for what it shows;
the table lists *every* problem the loader must report for it, in order, so a missing problem, an extra
one or a moved location all fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from threatloom.errors import InputError
from threatloom.model import load_model
from threatloom.model.loading import load_model_text
from threatloom.model.yamlsource import MAX_FILE_BYTES

FIXTURES = Path(__file__).parent / "fixtures"
Expected = tuple[str, int, int, str, str]  # file (relative to fixtures/), line, column, message, hint

IDS_HINT = "IDs start with a letter and use letters, digits, `_ . : -`, at most 128 characters"
SYNTAX_HINT = "check indentation, quoting and the `:` after each key"
INCLUDE_AGAIN = "include each file once; includes must not form a cycle"

CASES: dict[str, list[Expected]] = {
    # unknown keys, with "did you mean"
    "malformed/unknown_key_top_level.yaml": [
        ("malformed/unknown_key_top_level.yaml", 4, 1, "unknown key 'component' in the top level",
         "did you mean 'components'?")],
    "malformed/unknown_key_nested.yaml": [
        ("malformed/unknown_key_nested.yaml", 5, 5, "unknown key 'in_scop' in system.scope",
         "did you mean 'in_scope'?")],
    "malformed/unknown_key_in_list_item.yaml": [
        ("malformed/unknown_key_in_list_item.yaml", 9, 5, "unknown key 'zon' in components[0]",
         "did you mean 'zone'?")],
    # wrong types, naming what was written
    "malformed/wrong_type_whole_number.yaml": [
        ("malformed/wrong_type_whole_number.yaml", 6, 12,
         "zones[0].trust: expected a whole number, got the text 'high'", "write a whole number, e.g. 3")],
    "malformed/wrong_type_list.yaml": [
        ("malformed/wrong_type_list.yaml", 9, 13, "components[0].stores: expected a list, got the text 'orders'",
         "write a list, e.g. `[a, b]` or one `- item` per line")],
    "malformed/wrong_type_boolean.yaml": [
        ("malformed/wrong_type_boolean.yaml", 7, 22,
         "components[0].internet_facing: expected true or false, got the text 'sometimes'",
         "write true or false")],
    "malformed/wrong_type_number_for_text.yaml": [
        ("malformed/wrong_type_number_for_text.yaml", 7, 41,
         "components[0].technology.version: expected text, got the number 5.1", 'quote it, e.g. "5.1"')],
    "malformed/wrong_type_text_for_section.yaml": [
        ("malformed/wrong_type_text_for_section.yaml", 2, 9,
         "system: expected a mapping of keys, got the text 'My shop'",
         "write `key: value` lines indented under it")],
    "malformed/bad_date.yaml": [
        ("malformed/bad_date.yaml", 4, 11, "reviews[0].date: 'last tuesday' is not a date",
         "write a date as YYYY-MM-DD")],
    # closed vocabularies list the allowed values
    "malformed/bad_enum_value.yaml": [
        ("malformed/bad_enum_value.yaml", 6, 21, "assets[0].classification: 'secret' is not an allowed value",
         "allowed: public, internal, confidential, restricted")],
    "malformed/bad_enum_value_in_list.yaml": [
        ("malformed/bad_enum_value_in_list.yaml", 10, 29, "actors[0].motivation[1]: 'money' is not an allowed value",
         "allowed: financial, espionage, disruption, ideology, revenge, curiosity, negligence, "
         "competitive-advantage, notoriety")],
    # required keys and IDs
    "malformed/missing_required_field.yaml": [
        ("malformed/missing_required_field.yaml", 4, 5, "components[0] is missing required key 'type'",
         "add `type:`")],
    "malformed/missing_system.yaml": [
        ("malformed/missing_system.yaml", 1, 1, "the model is missing required key 'system'", "add `system:`")],
    "malformed/bad_id_pattern.yaml": [
        ("malformed/bad_id_pattern.yaml", 4, 9, "components[0].id: 'web server' is not a valid ID", IDS_HINT)],
    "malformed/duplicate_id.yaml": [
        ("malformed/duplicate_id.yaml", 6, 10, "duplicate element ID 'web'",
         f"first defined at {FIXTURES / 'malformed/duplicate_id.yaml'}:4:10; IDs must be unique")],
    "malformed/duplicate_id_zone_and_component.yaml": [
        ("malformed/duplicate_id_zone_and_component.yaml", 6, 10, "duplicate element ID 'web'",
         f"first defined in `zones` at {FIXTURES / 'malformed/duplicate_id_zone_and_component.yaml'}:4:10; "
         "zones, components, environment and flows share one set of IDs")],
    # references
    "malformed/unknown_zone.yaml": [
        ("malformed/unknown_zone.yaml", 7, 47, "unknown zone 'clod'", "did you mean 'cloud'?")],
    "malformed/unknown_asset.yaml": [
        ("malformed/unknown_asset.yaml", 9, 22, "unknown asset 'payments'",
         "known: orders; or define it under `assets`")],
    "malformed/unknown_control.yaml": [
        ("malformed/unknown_control.yaml", 6, 52, "unknown control 'wfa'", "did you mean 'waf'?")],
    "malformed/unknown_flow_element.yaml": [
        ("malformed/unknown_flow_element.yaml", 7, 56, "unknown element 'dbb'", "did you mean 'db'?")],
    "malformed/unknown_actor_start.yaml": [
        ("malformed/unknown_actor_start.yaml", 6, 81, "unknown zone or element 'internett'",
         "did you mean 'internet'?")],
    "malformed/unknown_threat_actor.yaml": [
        ("malformed/unknown_threat_actor.yaml", 10, 12, "unknown actor 'phisher'",
         "the model defines none yet: add it under `actors`")],
    "malformed/unknown_threat_mitigation.yaml": [
        ("malformed/unknown_threat_mitigation.yaml", 14, 24, "unknown control 'lockout'",
         "known: mfa; or define it under `controls`")],
    "malformed/unknown_note_about.yaml": [
        ("malformed/unknown_note_about.yaml", 7, 13, "unknown ID 'wbe'", "did you mean 'web'?")],
    # structure of the system
    "malformed/flow_to_itself.yaml": [
        ("malformed/flow_to_itself.yaml", 9, 18, "flow 'loop' goes from 'web' to itself",
         "a flow joins two different elements; model the internal step as a separate component")],
    "malformed/zone_cycle.yaml": [
        ("malformed/zone_cycle.yaml", 4, 48, "zone 'outer' is nested inside itself: outer → inner → outer",
         "zone parents must form a tree; remove one `parent:` of the loop"),
        ("malformed/zone_cycle.yaml", 5, 48, "zone 'inner' is nested inside itself: inner → outer → inner",
         "zone parents must form a tree; remove one `parent:` of the loop")],
    "malformed/out_of_scope_without_reason.yaml": [
        ("malformed/out_of_scope_without_reason.yaml", 7, 19, "component 'crm' is out of scope but gives no reason",
         "add `out_of_scope_reason:` saying why it is not analysed")],
    "malformed/risk_bands_not_increasing.yaml": [
        ("malformed/risk_bands_not_increasing.yaml", 4, 42,
         "bands must increase: critical (12) is not above high (12)",
         "the lowest score of each band must be above the one before: medium < high < critical")],
    "malformed/risk_bands_out_of_range.yaml": [
        ("malformed/risk_bands_out_of_range.yaml", 5, 13, "risk.bands.medium: 0 is below the minimum of 1",
         "use a number from 1 up"),
        ("malformed/risk_bands_out_of_range.yaml", 7, 15, "risk.bands.critical: 30 is above the maximum of 25",
         "use a number up to 25")],
    # the format version
    "malformed/format_version_unsupported.yaml": [
        ("malformed/format_version_unsupported.yaml", 1, 13, "unsupported format version 2",
         "this threatloom reads version 1")],
    "malformed/format_version_missing.yaml": [
        ("malformed/format_version_missing.yaml", 1, 1, "missing `threatloom:` format version",
         "add `threatloom: 1` as the first line")],
    "malformed/not_a_mapping.yaml": [
        ("malformed/not_a_mapping.yaml", 1, 1, "a model must be a mapping of sections",
         "start the file with `threatloom: 1` and a `system:` section")],
    # YAML itself
    "malformed/yaml_syntax_error.yaml": [
        ("malformed/yaml_syntax_error.yaml", 5, 1, "YAML syntax error: found unexpected end of stream (while "
         "scanning a quoted scalar that starts at line 4, column 16)", "close the quote opened at line 4, column 16")],
    "malformed/yaml_bad_indentation.yaml": [
        ("malformed/yaml_bad_indentation.yaml", 4, 9, "YAML syntax error: mapping values are not allowed in this "
         "context", "a `: ` starts a new key here: check the indentation, or quote text that contains `: `")],
    "malformed/yaml_tab_indentation.yaml": [
        ("malformed/yaml_tab_indentation.yaml", 3, 1, "YAML syntax error: found character that cannot start any "
         "token (while scanning for the next token that starts at line 3, column 1)",
         "indent with spaces: YAML does not allow tabs")],
    "malformed/yaml_duplicate_key.yaml": [
        ("malformed/yaml_duplicate_key.yaml", 7, 5, "duplicate key 'name'",
         "each key may appear once in a mapping; remove or merge the repeats")],
    "malformed/yaml_unsupported_tag.yaml": [
        ("malformed/yaml_unsupported_tag.yaml", 3, 9, "unsupported YAML tag '!!python/object/apply:os.system'",
         "remove the `!tag`; model files hold plain values only")],
    "malformed/yaml_merge_key.yaml": [
        ("malformed/yaml_merge_key.yaml", 5, 5, "merge keys (`<<`) are not supported",
         "write the keys out, or use `include:` to share parts")],
    "malformed/yaml_multiple_documents.yaml": [
        ("malformed/yaml_multiple_documents.yaml", 4, 1, "more than one YAML document in the file",
         "use one document per file and join files with `include:`")],
    "malformed/not_utf8.yaml": [
        ("malformed/not_utf8.yaml", 3, 12, "not UTF-8 text: byte 0xe9 cannot be decoded", "save the file as UTF-8")],
    "malformed/too_deep.yaml": [
        ("malformed/too_deep.yaml", 3, 72, "nested deeper than 64 levels", "flatten the structure")],
    "malformed/alias_expansion.yaml": [
        ("malformed/alias_expansion.yaml", 3, 22, "aliases expand to more than 100,000 values",
         "remove alias chains (`*name`) that multiply content")],
    # includes
    "includes/duplicate_across_files/model.yaml": [
        ("includes/duplicate_across_files/components.yaml", 4, 10, "duplicate element ID 'web'",
         f"first defined at {FIXTURES / 'includes/duplicate_across_files/model.yaml'}:5:10; IDs must be unique")],
    "includes/missing_file/model.yaml": [
        ("includes/missing_file/model.yaml", 3, 11, "included file 'zone.yaml' not found",
         "did you mean 'zones.yaml'?"),
        ("includes/missing_file/model.yaml", 3, 22, "included file 'nowhere/else.yaml' not found",
         "paths are relative to the including file")],
    "includes/cycle/model.yaml": [
        ("includes/cycle/b.yaml", 2, 11, "'a.yaml' is already part of the model (included at "
         f"{FIXTURES / 'includes/cycle/model.yaml'}:3:11)", INCLUDE_AGAIN),
        ("includes/cycle/b.yaml", 2, 19, "'model.yaml' is already part of the model (it is the main model file)",
         INCLUDE_AGAIN)],
    "includes/root_only_section/model.yaml": [
        ("includes/root_only_section/team.yaml", 2, 1, "`system` may only appear in the main model file",
         "move it to the file you load"),
        ("includes/root_only_section/team.yaml", 4, 1, "`risk` may only appear in the main model file",
         "move it to the file you load")],
    "includes/not_a_mapping/model.yaml": [
        ("includes/not_a_mapping/list.yaml", 1, 1, "an included file must be a mapping of sections",
         "start it with `threatloom: 1`")],
    # every error of one file in one run: schema errors and reference errors together
    "malformed/many_errors.yaml": [
        ("malformed/many_errors.yaml", 4, 3, "unknown key 'onwer' in system", "did you mean 'owner'?"),
        ("malformed/many_errors.yaml", 6, 37, "zones[0].trust: 11 is above the maximum of 10", "use a number up to 10"),
        ("malformed/many_errors.yaml", 8, 48, "assets[0].classification: 'secret' is not an allowed value",
         "allowed: public, internal, confidential, restricted"),
        ("malformed/many_errors.yaml", 10, 47, "unknown zone 'clod'", "did you mean 'cloud'?"),
        ("malformed/many_errors.yaml", 11, 70, "unknown asset 'order'", "did you mean 'orders'?"),
        ("malformed/many_errors.yaml", 13, 56, "unknown element 'dbb'", "did you mean 'db'?")],
}


def problems_of(path: Path) -> list[Expected]:
    with pytest.raises(InputError) as caught:
        load_model(path)
    found = []
    for p in caught.value.problems:
        assert p.severity == "error"
        found.append((os.path.relpath(p.location.file, FIXTURES), p.location.line, p.location.column,
                      p.message, p.hint))
    return found


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_malformed_model_reports_exact_problems(fixture: str) -> None:
    assert problems_of(FIXTURES / fixture) == CASES[fixture]


def test_every_malformed_fixture_is_in_the_table() -> None:
    on_disk = {str(p.relative_to(FIXTURES)) for p in (FIXTURES / "malformed").glob("*.yaml")}
    on_disk |= {f"includes/{d.name}/model.yaml" for d in (FIXTURES / "includes").iterdir()
                if d.name not in {"merged", "errors_in_parts"}}
    assert on_disk == set(CASES)
    assert len(CASES) >= 25


def test_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:  # sparse: the size check must come before any read
        handle.truncate(MAX_FILE_BYTES + 1)
    assert problems_of(big) == [
        (os.path.relpath(big, FIXTURES), 0, 0, f"file is {MAX_FILE_BYTES + 1:,} bytes, over the limit of "
         f"{MAX_FILE_BYTES:,}", "split the model with `include:`")]


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_model(tmp_path / "nope.yaml")
    [problem] = caught.value.problems
    assert problem.message == "cannot read the file: No such file or directory"
    assert problem.hint == "check the path and its permissions"


def test_yaml_problems_and_schema_problems_in_one_run() -> None:
    text = ("threatloom: 1\n"
            "system: {name: Shop, name: Again}\n"
            "zones:\n"
            "  - {id: cloud, name: Cloud, trust: 6, colour: blue}\n")
    with pytest.raises(InputError) as caught:
        load_model_text(text, "inline.yaml")
    assert [(str(p.location), p.message) for p in caught.value.problems] == [
        ("inline.yaml:2:22", "duplicate key 'name'"),
        ("inline.yaml:4:40", "unknown key 'colour' in zones[0]"),
    ]


def test_repaired_keys_do_not_echo_as_reference_errors() -> None:
    # `zone` is invalid (a list), so its reference is not checked again; `stores` still is.
    text = ("threatloom: 1\n"
            "system: {name: Shop}\n"
            "zones: [{id: cloud, name: Cloud, trust: 6}]\n"
            "components:\n"
            "  - {id: web, name: Web, type: process, zone: [cloud], stores: [nothing]}\n"
            "  - {id: 7db, name: DB, type: data-store}\n"
            "  - {id: api, name: API, type: process}\n"
            "  - {id: api, name: API 2, type: process}\n")
    with pytest.raises(InputError) as caught:
        load_model_text(text, "inline.yaml")
    assert [(str(p.location), p.code, p.message) for p in caught.value.problems] == [
        ("inline.yaml:5:47", "bad-value", "components[0].zone: expected text, got a list"),
        ("inline.yaml:5:65", "unknown-reference", "unknown asset 'nothing'"),
        ("inline.yaml:6:10", "bad-value", "components[1].id: '7db' is not a valid ID"),
        ("inline.yaml:8:10", "duplicate-id", "duplicate element ID 'api'"),
    ]


def test_enum_hint_names_the_close_value_and_all_allowed() -> None:
    text = "threatloom: 1\nsystem: {name: Shop}\ncomponents:\n  - {id: web, name: Web, type: proces}\n"
    with pytest.raises(InputError) as caught:
        load_model_text(text, "inline.yaml")
    [problem] = caught.value.problems
    assert (str(problem.location), problem.message, problem.hint) == (
        "inline.yaml:4:32", "components[0].type: 'proces' is not an allowed value",
        "did you mean 'process'? allowed: process, data-store, external-entity")


def test_an_item_repaired_to_check_references_is_never_offered_as_a_known_id() -> None:
    text = """threatloom: 1
system: {name: Shop}
components:
  - {id: web, name: Web, type: process, kind: web-application}
  - {id: db, name: DB, type: data-store, kind: database}
  - {id: 9billing, name: Billing, type: process, kind: service}
flows:
  - {id: f1, name: F1, source: web, destination: nowhere, protocol: HTTPS, authentication: none, encryption: tls}
"""
    with pytest.raises(InputError) as caught:
        load_model_text(text, "shop.yaml")
    problems = {p.message: p.hint for p in caught.value.problems}
    assert any(message.startswith("components[2].id") for message in problems), problems
    hint = problems["unknown element 'nowhere'"]
    assert hint == "known: db, web; or define it under `components` or `environment`"


def test_an_included_folder_and_a_missing_file_far_from_any_name(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "syn.yaml").write_text("threatloom: 1\n")
    model = tmp_path / "model.yaml"
    model.write_text("threatloom: 1\nsystem: {name: Shop}\ninclude: [parts, missing.yaml, syn.yml]\n")
    with pytest.raises(InputError) as caught:
        load_model(model)
    found = [(p.location.line, p.location.column, p.message, p.hint) for p in caught.value.problems]
    assert found == [
        (3, 11, "included path 'parts' is a folder",
         "include each file of it by name, e.g. `include: [parts/zones.yaml, parts/services.yaml]`"),
        (3, 18, "included file 'missing.yaml' not found", "paths are relative to the including file"),
        (3, 32, "included file 'syn.yml' not found", "did you mean 'syn.yaml'?"),
    ]


def test_a_reference_problem_under_a_repaired_key_is_not_repeated() -> None:
    from threatloom.errors import Problem, SourceLocation
    from threatloom.model.salvage import covered

    repaired = {"components[3]", "flows[0].source", "zones[1].id"}

    def at(path: str) -> Problem:
        return Problem(SourceLocation("m.yaml", 1, 1), "unknown zone", path=path)

    for path in ("components[3]", "components[3].zone", "components[3].stores[0]", "flows[0].source", "zones[1]"):
        assert covered(at(path), repaired), path
    for path in ("components[30].zone", "components[33]", "components", "flows[0].destination", "flows[0]",
                 "flows[0].sourced", "zones[1].parent"):
        assert not covered(at(path), repaired), path
