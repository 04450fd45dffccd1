"""Threagile import: the public example and stub, our own edge cases, and malformed files.

Counts and names below were read from the sample files by hand (threagile-example.yaml: 12 data assets,
14 technical assets, 20 communication links, 5 trust boundaries, 1 shared runtime, 1 individual risk
category with 2 risks, 6 risk tracking entries, 3 questions, 11 abuse cases, 3 security requirements).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run_cli
from tests.interop.conftest import THREAGILE
from threatloom.errors import InputError
from threatloom.interop import import_file
from threatloom.interop.interface import ImportResult
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Model

EXAMPLE = THREAGILE / "threagile-example.yaml"
STUB = THREAGILE / "threagile-stub.yaml"
FIXTURES = Path(__file__).parent / "fixtures" / "threagile"


def imported(path: Path) -> tuple[Model, ImportResult]:
    result = import_file(path, "threagile")
    return load_model_text(result.text, "imported.yaml"), result


def by_id(items: Any) -> dict[str, Any]:
    return {item.id: item for item in items}


def test_example_through_the_cli_validates_and_analysis_finds_its_risks_and_ours(tmp_path: Path) -> None:
    out = tmp_path / "model.yaml"
    result = run_cli("import", str(EXAMPLE), "-o", str(out))  # the format is detected
    assert result.returncode == 0, result.stderr
    assert "import from threagile" in result.stdout and f"wrote {out}" in result.stdout
    validated = run_cli("validate", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "14 components, 20 flows, 12 assets, 6 zones" in validated.stdout
    analysed = run_cli("analyze", str(out), "-o", str(tmp_path / "analysis"))
    assert analysed.returncode == 0, analysed.stderr
    threats = json.loads((tmp_path / "analysis" / "threats.json").read_text())["threats"]
    manual = {t["id"]: t for t in threats if t["origin"] == "manual"}
    assert set(manual) == {"something-strange-sql-database", "something-strange-contract-file-server"}
    assert manual["something-strange-sql-database"]["title"] == "Example Individual Risk at Database"
    assert manual["something-strange-sql-database"]["category"] == "repudiation"
    assert manual["something-strange-contract-file-server"]["inherent"]["likelihood"] == 5  # frequent
    ruled = {t["target"] for t in threats if t["origin"] == "rule"}
    # our own rules fire on the build pipeline, the source repository, the internet entry point (the load
    # balancer the customers' browsers reach) and the web server behind it
    assert {"jenkins-build-server", "git-repo", "load-balancer", "apache-webserver"} <= ruled
    ids = {t["id"] for t in threats}
    assert "TL-D001@load-balancer" in ids  # traffic floods at the internet entry point
    assert any(i.startswith("TL-SC") and i.endswith("@jenkins-build-server") for i in ids)


def test_example_counts_and_report() -> None:
    model, result = imported(EXAMPLE)
    assert (len(model.assets), len(model.components), len(model.flows), len(model.zones)) == (12, 14, 20, 6)
    assert (len(model.threats), len(model.controls), len(model.decisions)) == (2, 1, 0)
    report = result.report
    assert report.mapped["data assets"] == 12
    assert report.mapped["technical assets"] == 14
    assert report.mapped["communication links"] == 20
    assert report.mapped["trust boundaries"] == 5
    assert report.mapped["risk categories"] == 1
    assert report.mapped["individual risks"] == 2
    assert len(report.noted["questions"]) == 3
    assert len(report.noted["abuse cases"]) == 11
    assert len(report.noted["security requirements"]) == 3
    assert report.noted["shared runtimes"] == ["WebApp and Backoffice Virtualization"]
    # every tracked risk of the example is one of Threagile's built-in risks: notes, counted
    assert report.noted["risk tracking without a threat"] == [
        "untrusted-deserialization@erp-system", "ldap-injection@*@ldap-auth-server@*", "unencrypted-asset@*",
        "missing-authentication-second-factor@*@*@*", "missing-hardening@*",
        "dos-risky-access-across-trust-boundary@*@*@*"]
    assert model.system.name == "Some Example Application"
    assert model.system.risk_appetite.value == "medium"  # business_criticality: important
    assert [m.name for m in model.system.team] == ["John Doe"]


def test_example_elements_zones_and_flows() -> None:
    model, _ = imported(EXAMPLE)
    comps = by_id(model.components)
    expected = {"jenkins-build-server": ("process", "ci-cd", "dev-network"),
                "git-repo": ("process", "source-repository", "dev-network"),
                "apache-webserver": ("process", "web-application", "web-dmz"),
                "load-balancer": ("process", "load-balancer", "application-network"),
                "identity-provider": ("process", "identity-provider", "auth-env"),
                "ldap-auth-server": ("data-store", "identity-provider", "auth-env"),
                "sql-database": ("data-store", "database", "erp-dmz"),
                "contract-file-server": ("data-store", "file-storage", "erp-dmz"),
                "customer-client": ("external-entity", "browser", "internet"),
                "external-dev-client": ("external-entity", "workstation", "internet")}
    for ident, (kind_of, kind, zone) in expected.items():
        comp = comps[ident]
        assert (comp.type.value, comp.kind.value, comp.zone) == (kind_of, kind, zone), ident
    assert comps["sql-database"].encryption_at_rest is True  # data-with-symmetric-shared-key
    assert comps["contract-file-server"].encryption_at_rest is False
    assert comps["customer-client"].out_of_scope
    assert comps["customer-client"].out_of_scope_reason == "Owned and managed by end-user customer"
    assert comps["apache-webserver"].tags == ("linux", "apache", "aws:ec2")
    assert "devops" in comps["jenkins-build-server"].tags
    assert comps["jenkins-build-server"].stores[0] == "build-job-config"
    zones = by_id(model.zones)
    assert zones["internet"].internet and zones["internet"].trust == 0
    assert zones["web-dmz"].parent == "application-network"
    assert zones["web-dmz"].trust > zones["application-network"].trust  # a security group inside the VPC
    assert zones["auth-env"].trust == zones["application-network"].trust  # a logical environment only
    flows = by_id(model.flows)
    traffic = flows["customer-traffic"]
    assert (traffic.source, traffic.destination, traffic.protocol) == ("customer-client", "load-balancer", "https")
    assert (traffic.encryption.value, traffic.authentication.value, traffic.authorization.value) == \
        ("tls", "session", "role-based")
    assert traffic.bidirectional and "marketing-material" in traffic.data
    assert flows["web-application-traffic"].encryption.value == "none"  # http
    assert flows["database-traffic"].encryption.value == "none"  # jdbc
    assert flows["db-update-access"].encryption.value == "ssh"
    assert flows["db-update-access"].authentication.value == "client-certificate"
    assert flows["user-management-access"].authentication.value == "password"  # credentials
    assert "vpn" in flows["erp-internal-access"].tags
    assert "readonly" in flows["git-repo-code-read-access"].tags
    assert not flows["application-deployment"].bidirectional  # nothing received back


def test_example_assets_risks_and_notes() -> None:
    model, _ = imported(EXAMPLE)
    assets = by_id(model.assets)
    accounts = assets["customer-accounts"]
    assert (accounts.classification.value, accounts.confidentiality.value) == ("restricted", "critical")
    assert assets["contract-summaries"].classification.value == "confidential"  # Threagile's restricted
    assert assets["contract-summaries"].owner == "Company XYZ"  # inherited through a YAML merge key
    assert assets["erp-logs"].integrity.value == "low"  # archive
    assert assets["server-application-code"].integrity.value == "critical"  # mission-critical
    assert assets["client-application-code"].classification.value == "public"
    assert assets["customer-contracts"].personal_data  # its justification speaks of PII
    assert not assets["erp-logs"].personal_data  # "should not contain PII"
    threat = by_id(model.threats)["something-strange-sql-database"]
    assert (threat.category.value, threat.elements, threat.likelihood, threat.impact_rating) == \
        ("repudiation", ("sql-database",), 3, 3)  # likely, medium
    assert threat.cwe == (693,) and threat.mitigations == ("something-strange-mitigation",)
    control = model.controls[0]
    assert control.name == "Some text describing the action..." and control.status.value == "planned"
    notes = [(n.about, n.text) for n in model.notes]
    assert sum(1 for about, text in notes if "WebApp and Backoffice Virtualization" in text) == 5
    assert any(about == "erp-system" and "untrusted-deserialization@erp-system: accepted" in text
               for about, text in notes)
    assert any("How are the admin clients managed/protected against compromise?" in text and
               "not answered" in text for _, text in notes)
    assert any(about == "jenkins-build-server" and "multi-tenant" in text for about, text in notes)


def test_stub() -> None:
    model, result = imported(STUB)
    assert (len(model.assets), len(model.components), len(model.flows), len(model.zones)) == (1, 2, 1, 1)
    comps = by_id(model.components)
    assert comps["some-component"].zone == "some-network"
    assert comps["some-other-component"].zone is None  # outside every boundary, not on the internet
    assert model.threats[0].id == "something-strange-some-component"
    assert result.report.mapped["individual risks"] == 1
    assert len(result.report.noted["abuse cases"]) == 1


def test_own_model_with_tracked_risks_decisions_and_nesting(tmp_path: Path) -> None:
    source = FIXTURES / "tracked-risks.yaml"
    model, result = imported(source)
    assert model.system.risk_appetite.value == "low"  # mission-critical
    assert model.system.team[0].email == "ada@example.com"
    assert result.report.skipped["overview images"] == [
        "gateway.png (The gateway in context): embedded image files are not imported"]
    zones = by_id(model.zones)
    assert (zones["dc"].trust, zones["app-zone"].trust, zones["vault-env"].trust) == (6, 7, 7)
    assert (zones["app-zone"].parent, zones["vault-env"].parent) == ("dc", "app-zone")
    comps = by_id(model.components)
    assert comps["waf"].internet_facing and comps["waf"].zone == "dc"  # on the internet, in a boundary
    assert comps["shop"].zone == "internet"
    assert comps["vault"].kind.value == "secrets-manager"
    assert by_id(model.assets)["api-keys"].kind.value == "credential"
    flows = by_id(model.flows)
    assert flows["forward"].encryption.value == "vpn"  # http inside a VPN
    assert flows["read-secrets"].encryption.value == "mutual-tls"  # a client certificate on https
    assert flows["read-secrets"].authorization.value == "coarse"  # technical user
    assert any(n.about == "payment-api" and "rack_position: B12" in n.text for n in model.notes)
    threats = by_id(model.threats)
    assert set(threats) == {"weak-crypto-vault", "weak-crypto-payment-api",
                            "secret-sprawl-payment-api-read-secrets-api-keys", "secret-sprawl-api-keys"}
    assert threats["secret-sprawl-api-keys"].elements == ("vault",)  # about data alone: where it is stored
    assert (threats["secret-sprawl-api-keys"].likelihood, threats["secret-sprawl-api-keys"].impact_rating) == (2, 2)
    assert result.report.noted["individual risks"] == ["secret-sprawl"]  # "Keys somewhere" names nothing
    assert threats["secret-sprawl-payment-api-read-secrets-api-keys"].elements == ("read-secrets",)
    assert threats["secret-sprawl-payment-api-read-secrets-api-keys"].assets == ("api-keys",)
    assert threats["secret-sprawl-payment-api-read-secrets-api-keys"].likelihood == 3  # from severity elevated
    decisions = {d.threat: d for d in model.decisions}
    assert decisions["weak-crypto-vault"].treatment.value == "accept"  # the exact ID wins over weak-crypto@*
    assert decisions["weak-crypto-vault"].approver == "Grace Example"
    assert decisions["weak-crypto-payment-api"].status.value == "mitigated"
    assert decisions["secret-sprawl-payment-api-read-secrets-api-keys"].status.value == "false-positive"
    assert result.report.noted["risk tracking without a threat"] == ["cross-site-scripting@payment-api"]
    assert by_id(model.controls)["weak-crypto-mitigation"].status.value == "partial"  # one of two mitigated

    out = tmp_path / "model.yaml"
    assert run_cli("import", str(source), "--from", "threagile", "-o", str(out)).returncode == 0
    analysed = run_cli("analyze", str(out), "-o", str(tmp_path / "analysis"))
    assert analysed.returncode == 0, analysed.stderr
    found = {t["id"]: t for t in json.loads((tmp_path / "analysis" / "threats.json").read_text())["threats"]}
    assert found["secret-sprawl-payment-api-read-secrets-api-keys"]["status"] == "false-positive"
    # the appetite is low: an acceptance without an expiry date and a "mitigated" whose residual risk is
    # still above it do not count, as for any model
    assert found["weak-crypto-vault"]["status"] == "open"
    assert found["weak-crypto-payment-api"]["status"] == "in-progress"
    assert "weak-crypto-mitigation" in found["weak-crypto-payment-api"]["controls_in_place"]
    assert any(t["origin"] == "rule" and t["target"] == "waf" for t in found.values())


@pytest.mark.parametrize(("fixture", "where", "message"), [
    ("link-to-unknown-asset.yaml", "11:17", "technical_assets.Web App.communication_links.Query.target: unknown "
     "technical asset 'missing-database'"),
    ("links-as-list.yaml", "9:7", "technical_assets.Web App.communication_links: expected a mapping (object), "
     "found a list (array)"),
    ("bad-values.yaml", "7:22", "data_assets.Orders.confidentiality: unknown confidentiality 'secret'"),
    ("flag-as-text.yaml", "8:15", "technical_assets.Web App.internet: expected true or false, found text"),
    ("boundary-cycle.yaml", "12:30", "trust boundaries nest in a circle through 'Outer'"),
    ("risk-on-unknown-asset.yaml", "16:40", "most_relevant_technical_asset: unknown technical asset 'database'"),
])
def test_malformed_files_are_located_errors(fixture: str, where: str, message: str, tmp_path: Path) -> None:
    path = FIXTURES / fixture
    with pytest.raises(InputError) as raised:
        import_file(path, "threagile")
    problem = raised.value.problems[0]
    assert f"{problem.location.line}:{problem.location.column}" == where
    assert message in problem.message and problem.hint
    out = tmp_path / "out.yaml"
    result = run_cli("import", str(path), "--from", "threagile", "-o", str(out))
    assert result.returncode == 2
    assert f"{path}:{where}: error: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def _paths(value: Any, keys: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [keys] if keys else []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        found += _paths(child, (*keys, key))
    return found


def test_any_value_of_the_wrong_kind_is_a_located_error_or_imports(tmp_path: Path) -> None:
    """Each value of our fixture in turn replaced by one of another kind (a mapping or list by text, text
    by a list, anything else by a mapping): never a traceback, never an invalid model, always located."""
    from threatloom.interop.reading import read_foreign

    base = read_foreign(FIXTURES / "tracked-risks.yaml").data
    paths = _paths(base)
    assert len(paths) > 150
    refused = 0
    for keys in paths:
        data = copy.deepcopy(base)
        holder = data
        for key in keys[:-1]:
            holder = holder[key]
        old = holder[keys[-1]]
        holder[keys[-1]] = "x" if isinstance(old, dict | list) else [] if isinstance(old, str) else {"a": 1}
        mutated = tmp_path / "mutated.yaml"
        mutated.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        try:
            import_file(mutated, "threagile")
        except InputError as exc:
            refused += 1
            assert all(p.code != "import-bug" for p in exc.problems), (keys, exc)
            assert all(p.location.line > 0 for p in exc.problems), (keys, exc)
    assert refused > len(paths) // 2
