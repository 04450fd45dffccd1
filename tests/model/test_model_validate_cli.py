"""`threatloom validate` through the installed command: exit codes, every error listed, JSON, lint under --strict."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, run_cli

FIXTURES = Path(__file__).parent / "fixtures"
LINT = FIXTURES / "lint"
STARTER = REPO / "src/threatloom/model/starter.yaml"

# fixture → (line, column, code, message, hint) of the one warning it must raise
WARNINGS = {
    "flow_crossing_without_authentication.yaml": (
        17, 5, "flow-no-authentication", "flow 'browse' crosses a trust boundary and records no authentication",
        "set `authentication:`, to `none` if there truly is none"),
    "crossing_flow_confidential_without_encryption.yaml": (
        17, 5, "flow-no-encryption",
        "flow 'browse' carries 'orders' across a boundary and records no encryption in transit",
        "set `encryption:`, to `none` if there truly is none"),
    "asset_without_owner.yaml": (
        5, 5, "asset-no-owner", "asset 'orders' has no owner", "set `owner:` so someone is accountable for it"),
    "component_in_no_zone.yaml": (
        15, 5, "no-zone", "component 'db' is in no trust zone", "set `zone:` so boundary crossings can be found"),
    "asset_unused.yaml": (
        5, 5, "asset-unused", "asset 'invoices' is not stored, processed or carried anywhere",
        "reference it from a component, flow or party, or remove it"),
    "actor_reaches_nothing.yaml": (
        8, 5, "actor-unused", "actor 'insider' starts only in empty zones, so it can reach nothing",
        "start it in a zone that holds elements, or remove it"),
    "store_restricted_without_encryption_at_rest.yaml": (
        15, 5, "store-unencrypted",
        "data store 'db' holds restricted data (orders) and records no encryption at rest",
        "set `encryption_at_rest: true` if it is, or fix it"),
    "acceptance_without_justification.yaml": (
        24, 5, "accept-no-justification", "acceptance of 'TL-D*@web' gives no justification",
        "say why the risk is acceptable"),
    "component_isolated.yaml": (
        16, 5, "isolated", "component 'batch' has no data flows", "connect it with a flow, or mark it out of scope"),
    "internet_facing_unreached.yaml": (
        16, 5, "internet-facing-unreached", "component 'mailer' is marked internet-facing but no flow reaches it",
        "add the inbound flow from the internet side, or set `internet_facing: false`"),
    "control_unused.yaml": (
        22, 5, "control-unused", "control 'siem' is applied to nothing, so it lowers no risk",
        "list it under `controls:` of the components, flows or parties it protects, or in a threat's "
        "`mitigations:`"),
    "party_control_on_flow.yaml": (
        17, 5, "party-control-on-flow",
        "flow 'send-mail' records 'vendor-review' (C-DPA-CONTRACT, C-VENDOR-ASSESSMENT), which is about 'mailer' "
        "itself: the threats on 'mailer' do not count it there",
        "list 'vendor-review' under `controls:` of 'mailer'; the flow's threats count it there too"),
    "zone_unused.yaml": (
        11, 5, "zone-unused", "zone 'office' holds no component or party and no actor starts in it",
        "place elements in it with `zone:`, or remove it"),
}


def test_valid_model_exits_0_and_says_what_it_holds() -> None:
    result = run_cli("validate", str(LINT / "clean.yaml"))
    assert result.returncode == 0, result.stderr
    assert f"{LINT / 'clean.yaml'}: valid (2 components, 2 flows, 1 asset, 2 zones; 0 warnings)" in result.stdout
    assert run_cli("validate", "--strict", str(LINT / "clean.yaml")).returncode == 0


def test_starter_is_valid_without_warnings() -> None:
    result = run_cli("validate", "--strict", "--format", "json", str(STARTER))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_every_lint_fixture_is_tested() -> None:
    assert {p.name for p in LINT.glob("*.yaml")} == {*WARNINGS, "clean.yaml"}


@pytest.mark.parametrize("fixture", sorted(WARNINGS))
def test_lint_warning(fixture: str) -> None:
    path = LINT / fixture
    result = run_cli("validate", "--strict", "--format", "json", str(path))
    assert result.returncode == 1, result.stderr  # --strict fails on warnings
    [warning] = json.loads(result.stdout)
    line, column, code, message, hint = WARNINGS[fixture]
    assert warning == {"file": str(path), "line": line, "column": column, "severity": "warning", "code": code,
                       "path": warning["path"], "message": message, "hint": hint}
    # the path leads, in the file, to the item the warning names
    section, position = re.fullmatch(r"([a-z]+)\[(\d+)\]", warning["path"]).groups()  # type: ignore[union-attr]
    item = yaml.safe_load(path.read_text())[section][int(position)]
    assert repr(item["threat"] if section == "decisions" else item["id"]) in message


def test_warnings_alone_pass_without_strict_and_are_printed() -> None:
    path = LINT / "zone_unused.yaml"
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    line, column, _, message, hint = WARNINGS["zone_unused.yaml"]
    assert f"{path}:{line}:{column}: warning: {message} ({hint})" in result.stderr
    assert result.stdout.strip().endswith("valid (2 components, 2 flows, 1 asset, 3 zones; 1 warning)")
    strict = run_cli("validate", "--strict", str(path))
    assert strict.returncode == 1
    assert strict.stdout.strip().endswith("valid (2 components, 2 flows, 1 asset, 3 zones; 1 warning, which --strict "
                                          "fails on)")


def test_invalid_model_exits_2_listing_every_error() -> None:
    path = FIXTURES / "malformed" / "many_errors.yaml"
    result = run_cli("validate", str(path))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert lines == [
        f"{path}:4:3: error: unknown key 'onwer' in system (did you mean 'owner'?)",
        f"{path}:6:37: error: zones[0].trust: 11 is above the maximum of 10 (use a number up to 10)",
        f"{path}:8:48: error: assets[0].classification: 'secret' is not an allowed value (allowed: public, "
        "internal, confidential, restricted)",
        f"{path}:10:47: error: unknown zone 'clod' (did you mean 'cloud'?)",
        f"{path}:11:70: error: unknown asset 'order' (did you mean 'orders'?)",
        f"{path}:13:56: error: unknown element 'dbb' (did you mean 'db'?)",
    ]
    assert result.stderr.rstrip().endswith("6 errors")


def test_invalid_model_as_json() -> None:
    path = FIXTURES / "malformed" / "many_errors.yaml"
    result = run_cli("validate", "--format", "json", str(path))
    assert result.returncode == 2
    problems = json.loads(result.stdout)
    assert [(p["line"], p["column"], p["code"], p["path"]) for p in problems] == [
        (4, 3, "unknown-key", "system.onwer"),
        (6, 37, "bad-value", "zones[0].trust"),
        (8, 48, "bad-value", "assets[0].classification"),
        (10, 47, "unknown-reference", "components[0].zone"),
        (11, 70, "unknown-reference", "components[1].stores[0]"),
        (13, 56, "unknown-reference", "flows[0].destination"),
    ]
    assert all(p["file"] == str(path) and p["severity"] == "error" for p in problems)
    assert problems[3]["message"] == "unknown zone 'clod'" and problems[3]["hint"] == "did you mean 'cloud'?"
    assert result.stderr == ""  # JSON mode keeps stderr clean for tools


def test_a_file_with_a_mistake_on_every_line_shows_the_first_ones_and_a_count(tmp_path: Path) -> None:
    # a generated model with 1,200 components of a misspelt type and an unknown zone each: the terminal
    # gets the first 200 problems and how many more there are; JSON gets every one
    from threatloom.cli.output import MAX_PROBLEMS_SHOWN

    rows = [f"  - {{id: c{i}, name: C{i}, type: proces, kind: service, zone: dmz}}" for i in range(1200)]
    model = tmp_path / "generated.yaml"
    model.write_text("threatloom: 1\nsystem: {name: Generated}\ncomponents:\n" + "\n".join(rows) + "\n")
    result = run_cli("validate", str(model))
    assert result.returncode == 2
    shown = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(shown) == MAX_PROBLEMS_SHOWN == 200
    assert shown[0] == (f"{model}:4:30: error: components[0].type: 'proces' is not an allowed value (did you mean "
                        "'process'? allowed: process, data-store, external-entity)")
    every = json.loads(run_cli("validate", "--format", "json", str(model)).stdout)
    assert len(every) == 2400  # the type and the zone of each component
    assert {p["line"] for p in every} == set(range(4, 1204))
    assert f"... and {len(every) - 200:,} more ({len(every) - 200:,} errors, in 1 file), not shown" in result.stderr
    assert result.stderr.rstrip().endswith("2400 errors")


def test_unknown_catalog_control_is_an_error(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text((LINT / "clean.yaml").read_text().replace(
        "name: Web application firewall}", "name: Web application firewall, implements: [C-WAFF]}"))
    result = run_cli("validate", "--format", "json", str(model))
    assert result.returncode == 2
    [problem] = json.loads(result.stdout)
    assert problem["line"] == 22 and "C-WAFF" in problem["message"]


def test_missing_file_and_bad_format_exit_2(tmp_path: Path) -> None:
    missing = run_cli("validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert "cannot read the file" in missing.stderr
    bad_format = run_cli("validate", "--format", "xml", str(LINT / "clean.yaml"))
    assert bad_format.returncode == 2
    assert "unknown format 'xml'" in bad_format.stderr


def test_validate_with_includes_names_each_file(tmp_path: Path) -> None:
    root = FIXTURES / "includes" / "errors_in_parts" / "model.yaml"
    result = run_cli("validate", "--format", "json", str(root))
    assert result.returncode == 2
    assert [Path(p["file"]).relative_to(root.parent).as_posix() for p in json.loads(result.stdout)] == [
        "model.yaml", "parts/zones.yaml", "parts/components.yaml"]


def test_a_control_used_by_a_party_or_a_mitigation_is_not_unused() -> None:
    from threatloom.model.lint import lint
    from threatloom.model.loading import load_model_text

    text = (LINT / "control_unused.yaml").read_text()
    assert [w.code for w in lint(load_model_text(text))] == ["control-unused"]
    on_party = text.replace("zone: internet}", "zone: internet, controls: [siem]}", 1)
    assert lint(load_model_text(on_party)) == []


def test_a_party_control_on_the_party_itself_is_no_warning() -> None:
    from threatloom.model.lint import lint
    from threatloom.model.loading import load_model_text

    text = (LINT / "party_control_on_flow.yaml").read_text()
    assert [w.code for w in lint(load_model_text(text))] == ["party-control-on-flow"]
    on_party = text.replace("receives: [orders]}", "receives: [orders], controls: [vendor-review]}")
    assert lint(load_model_text(on_party)) == []
    to_customers = text.replace("destination: mailer,", "destination: customers,")  # not a vendor or partner
    assert lint(load_model_text(to_customers)) == []
    party = "  - {id: mailer, name: Mail provider, kind: vendor, trust: 3, zone: internet, receives: [orders]}\n"
    component = "  - {id: mailer, name: Mailer, type: external-entity, kind: third-party-service, zone: internet}\n"
    service = text.replace(party, "").replace("processes: [orders]}\n", "processes: [orders]}\n" + component, 1)
    assert [w.code for w in lint(load_model_text(service))] == ["party-control-on-flow"]
    partner = text.replace("kind: vendor,", "kind: partner,")
    assert [w.code for w in lint(load_model_text(partner))] == ["party-control-on-flow"]
    # the vendor already implements both catalog controls through a control of its own: nothing to move
    soc2 = "  - {id: soc2, name: SOC 2 review, implements: [C-VENDOR-ASSESSMENT, C-DPA-CONTRACT]}\n"
    reviewed = text.replace("receives: [orders]}", "receives: [orders], controls: [soc2]}").replace(
        "controls:\n", "controls:\n" + soc2)
    assert lint(load_model_text(reviewed)) == []
    planned = reviewed.replace(soc2, soc2.replace("]}", "], status: planned}"))
    assert [w.code for w in lint(load_model_text(planned))] == ["party-control-on-flow"]  # counts for nothing yet
    half = reviewed.replace("implements: [C-VENDOR-ASSESSMENT, C-DPA-CONTRACT]}\n  - {id: vendor", "implements: "
                            "[C-VENDOR-ASSESSMENT]}\n  - {id: vendor")
    [warning] = lint(load_model_text(half))
    assert "(C-DPA-CONTRACT)" in warning.message


def test_a_warning_in_an_included_file_gives_its_path_in_that_file(tmp_path: Path) -> None:
    main, part = tmp_path / "model.yaml", tmp_path / "part.yaml"
    main.write_text("""threatloom: 1
system: {name: Shop}
include: [part.yaml]
zones:
  - {id: dmz, name: DMZ, trust: 5}
components:
  - {id: web, name: Web, type: process, kind: web-application, zone: dmz}
flows:
  - {id: query, name: Query, source: web, destination: db, protocol: HTTPS, authentication: token, encryption: tls}
""")
    part.write_text("""threatloom: 1
components:
  - {id: db, name: DB, type: data-store, kind: database, zone: dmz}
  - {id: batch, name: Batch, type: process, kind: worker, zone: dmz}
""")
    result = run_cli("validate", "--format", "json", str(main))
    assert result.returncode == 0, result.stderr
    [warning] = json.loads(result.stdout)
    assert (warning["file"], warning["line"], warning["code"]) == (str(part), 4, "isolated")
    assert warning["path"] == "components[1]"  # in part.yaml; components[2] of the merged model
