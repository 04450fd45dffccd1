"""Threat generation on a small shop model, with a test-only catalog so expectations are exact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from threatloom.catalog.loading import Catalog, load_catalog
from threatloom.engine import analyse
from threatloom.engine.threat import Analysis
from threatloom.model import load_model, load_model_text
from threatloom.render.analysis_json import render_json

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = FIXTURES / "shop.yaml"
TODAY = dt.date(2026, 11, 24)


def rules_catalog() -> Catalog:
    return load_catalog([FIXTURES / "rules"], builtin=False)


def shop(extra: str = "", catalog: Catalog | None = None) -> Analysis:
    text = SHOP.read_text() + extra
    return analyse(load_model_text(text, "shop.yaml"), catalog or rules_catalog(), today=TODAY)


def test_threat_ids_are_rule_and_element() -> None:
    ids = {t.id for t in shop().threats}
    assert ids == {"T-FLOW-1@order", "T-FLOW-1@lookup", "T-STORE-1@db", "T-PROC-1@web", "T-PROC-1@desk",
                   "T-PROC-1@reports", "MT-REFUND"}


def test_placeholders_are_filled_from_names() -> None:
    threat = shop().by_id["T-FLOW-1@order"]
    assert threat.title == "Plaintext Place order from Shopper to Web app"
    assert threat.description == "Shopper sends data to Web app in the clear."
    assert threat.elements == ("shopper", "web")


def test_analysis_is_deterministic() -> None:
    assert render_json(shop()) == render_json(shop())


def test_actors_are_attributed_by_reach_and_skill() -> None:
    analysis = shop()
    # the crook reaches the database through the web app; the clerk reaches it from the office
    # but lacks the high skill the tampering rule needs
    store = analysis.by_id["T-STORE-1@db"]
    assert store.actors == ("crook",)
    assert store.reachable
    assert analysis.by_id["T-PROC-1@desk"].actors == ("clerk",)


def test_unreachable_threat_is_kept_and_marked() -> None:
    threat = shop().by_id["T-PROC-1@reports"]
    assert not threat.reachable
    assert threat.actors == ()
    assert "no modelled threat actor can reach it" in threat.inherent.explain()
    reachable = shop().by_id["T-PROC-1@web"]
    assert reachable.inherent.likelihood > threat.inherent.likelihood


def test_likelihood_adjustment_and_asset_impact_are_explained() -> None:
    threat = shop().by_id["T-FLOW-1@order"]
    reasons = [f.reason for f in threat.inherent.factors]
    assert "the flow crosses the internet" in reasons
    assert "orders has confidentiality rated high" in reasons
    assert (threat.inherent.likelihood, threat.inherent.impact) == (5, 4)  # 3 +1 internet +1 capable crook
    assert threat.inherent.score == 20


def test_controls_in_place_lower_residual_risk_only() -> None:
    threat = shop().by_id["T-STORE-1@db"]
    assert threat.controls_in_place == ("tls-db",)
    assert threat.residual.score < threat.inherent.score
    assert any("control 'tls-db'" in f.reason for f in threat.residual.factors)
    in_place = {c.id for c in threat.controls if c.in_place}
    assert in_place == {"C-WAF", "C-RATE-LIMIT"}
    # candidates not in place come first, ranked by the risk they would remove
    assert not threat.controls[0].in_place
    gains = [c.risk_reduction for c in threat.controls if not c.in_place]
    assert gains == sorted(gains, reverse=True)


def test_threats_are_ranked_by_residual_risk() -> None:
    scores = [(t.residual.score, t.inherent.score) for t in shop().threats]
    assert scores == sorted(scores, reverse=True)


def test_manual_threat_joins_generated_ones() -> None:
    threat = shop().by_id["MT-REFUND"]
    assert threat.origin == "manual"
    assert threat.title == "A shopper can replay a refund request"
    assert threat.inherent.likelihood == 4
    assert "likelihood judged by the team" in threat.inherent.explain()


def test_decisions_match_exactly_before_wildcards_and_unmatched_are_reported() -> None:
    extra = """
decisions:
  - {threat: "T-PROC-1@*", treatment: accept, justification: tolerable, approver: CISO, expires: 2027-01-01}
  - {threat: "T-PROC-1@web", treatment: reduce, controls: [C-RATE-LIMIT], owner: Ann}
  - {threat: "T-GONE-1@web", treatment: avoid}
"""
    analysis = shop(extra)
    assert analysis.by_id["T-PROC-1@web"].decision.treatment.value == "reduce"  # type: ignore[union-attr]
    assert analysis.by_id["T-PROC-1@desk"].status.value == "accepted"
    (unmatched,) = analysis.unmatched_decisions
    assert unmatched.message == "decision for 'T-GONE-1@web' matches no threat"
    assert unmatched.hint == "no rule 'T-GONE-1' is loaded: `threatloom rules list` lists the rules"
    assert unmatched.location.line > 0


def test_a_pattern_matching_nothing_is_told_why() -> None:
    # each decision fails for its own reason, and the hint names it
    reports_out = SHOP.read_text().replace("zone: vault}",
                                           "zone: vault, out_of_scope: true, out_of_scope_reason: retired}")
    assert reports_out != SHOP.read_text()
    extra = """
decisions:
  - {threat: T-PROC-1@reports, treatment: avoid}
  - {threat: T-STORE-1@web, treatment: avoid}
  - {threat: T-PROC-1@till, treatment: avoid}
  - {threat: "T-PROC-1@till*", treatment: avoid}
  - {threat: MT-REFUDN, treatment: avoid}
  - {threat: MT-PRICES, treatment: avoid}
  - {threat: T-NOPE-1@web, treatment: avoid}
  - {threat: T-PORC-1@web, treatment: avoid}
  - {threat: T-FLOW-1@web, treatment: avoid}
  - {threat: T-PROC-1@save, treatment: avoid}
  - {threat: T-PROC-1, treatment: avoid}
  - {threat: T-PROC-1@web@desk, treatment: avoid}
  - {threat: t-proc-1@web, treatment: avoid}
  - {threat: T-PROC-1@vault, treatment: avoid}
"""
    catalog = load_catalog([FIXTURES / "rules", FIXTURES / "override"], builtin=False)
    plain = analyse(load_model_text(reports_out + extra, "shop.yaml"), rules_catalog(), today=TODAY)
    hints = {p.message.split("'")[1]: p.hint for p in plain.unmatched_decisions}
    assert hints == {
        "T-PROC-1@reports": "'reports' is out of scope, so no threat is reported on it: remove or update it, "
                            "or take `out_of_scope` off reports",
        "T-STORE-1@web": "rule T-STORE-1 finds no threat on web: the model does not meet its condition there "
                         "(`threatloom rules show T-STORE-1` says when it applies); did you mean 'T-STORE-1@db'?",
        "T-FLOW-1@web": "rule T-FLOW-1 applies to flows, and 'web' is an element: name one of its flows; did you "
                        "mean 'T-FLOW-1@order'?",
        "T-PROC-1@save": "rule T-PROC-1 applies to elements, and 'save' is a flow: name one of its ends; did you "
                         "mean 'T-PROC-1@web'?",
        "T-PROC-1": "T-PROC-1 is a rule: name the element or flow too, as T-PROC-1@<id>; did you mean "
                    "'T-PROC-1@web'?",
        "T-PROC-1@web@desk": "a threat ID has one @, between the rule and the element or flow (RULE@id); did you "
                             "mean 'T-PROC-1@desk'?",
        "t-proc-1@web": "no rule 't-proc-1' is loaded; did you mean 'T-PROC-1@web'?",
        "T-PROC-1@vault": "'vault' is a zone: threats are on elements and flows; did you mean 'T-PROC-1@web'?",
        "T-PROC-1@till": "no element or flow 'till' is in the model; did you mean 'T-PROC-1@web'?",
        "T-PROC-1@till*": "the threats it covered may be gone: remove or update it",
        "T-PORC-1@web": "no rule 'T-PORC-1' is loaded; did you mean 'T-PROC-1@web'?",
        "MT-REFUDN": "no threat under `threats:` has the ID 'MT-REFUDN'; did you mean 'MT-REFUND'?",
        "MT-PRICES": "no threat under `threats:` has the ID 'MT-PRICES': it was removed or renamed; remove or "
                     "update it",
        "T-NOPE-1@web": "no rule 'T-NOPE-1' is loaded: `threatloom rules list` lists the rules",
    }
    both_out = SHOP.read_text().replace("zone: office}", "zone: office, out_of_scope: true, out_of_scope_reason: x}") \
        .replace("controls: [tls-db]}", "controls: [tls-db], out_of_scope: true, out_of_scope_reason: x}")
    ends_out = analyse(load_model_text(both_out + "decisions:\n  - {threat: T-FLOW-1@lookup, treatment: avoid}\n",
                                       "shop.yaml"), rules_catalog(), today=TODAY)
    assert [p.hint for p in ends_out.unmatched_decisions] == [
        "flow 'lookup' is not analysed, since both its ends (desk, db) are out of scope: remove or update it"]
    disabled = analyse(load_model_text(SHOP.read_text() + extra, "shop.yaml"), catalog, today=TODAY)
    hint = next(p.hint for p in disabled.unmatched_decisions if "'T-PROC-1@till'" in p.message)
    assert hint.startswith("rule T-PROC-1 is disabled (in ") and "override.yaml), so it finds no threat" in hint


def test_user_rules_override_and_disable() -> None:
    catalog = load_catalog([FIXTURES / "rules", FIXTURES / "override"], builtin=False)
    analysis = shop(catalog=catalog)
    ids = {t.id for t in analysis.threats}
    assert not any(i.startswith("T-PROC-1@") for i in ids)
    # the override only fires across boundaries: the office lookup crosses too, the order flow too
    assert {i for i in ids if i.startswith("T-FLOW-1@")} == {"T-FLOW-1@order", "T-FLOW-1@lookup"}
    assert analysis.by_id["T-FLOW-1@order"].title == "Overridden: Place order"


def test_redefining_a_rule_without_override_is_an_error(tmp_path: Path) -> None:
    from threatloom.errors import InputError

    clash = tmp_path / "clash.yaml"
    clash.write_text((FIXTURES / "override" / "override.yaml").read_text().replace("override: true", "tags: []"))
    with pytest.raises(InputError) as caught:
        load_catalog([FIXTURES / "rules", clash], builtin=False)
    assert caught.value.problems[0].message == "rule 'T-FLOW-1' is already defined"
    assert "override: true" in caught.value.problems[0].hint


def test_model_names_its_own_rules_relative_to_itself(tmp_path: Path) -> None:
    from threatloom.engine import catalog_for

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mine.yaml").write_text((FIXTURES / "rules" / "test-rules.yaml").read_text()
                                                   .replace("T-", "MINE-"))
    model_file = tmp_path / "model.yaml"
    model_file.write_text(SHOP.read_text() + "rules: [rules]\n")
    catalog = catalog_for(load_model(model_file))
    assert "MINE-FLOW-1" in catalog.rules


def test_a_models_own_rule_files_stay_in_its_folder_and_extra_rules_may_lie_anywhere(tmp_path: Path) -> None:
    from threatloom.engine import catalog_for
    from threatloom.errors import InputError

    mine = (FIXTURES / "rules" / "test-rules.yaml").read_text().replace("T-", "MINE-")
    (tmp_path / "elsewhere.yaml").write_text(mine)
    (tmp_path / "service" / "rules").mkdir(parents=True)
    (tmp_path / "service" / "rules" / "linked.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    model_file = tmp_path / "service" / "model.yaml"
    model_file.write_text(SHOP.read_text() + "rules: [../elsewhere.yaml, rules]\n")
    with pytest.raises(InputError) as caught:
        catalog_for(load_model(model_file))
    assert [(p.code, p.location.column) for p in caught.value.problems] == [("rules-outside", 9),
                                                                           ("rules-outside", 28)]
    assert caught.value.problems[0].message == (
        f"rule file or folder '../elsewhere.yaml' is outside the model's folder {(tmp_path / 'service').resolve()}")
    assert "linked.yaml" in caught.value.problems[1].message
    # given by whoever runs threatloom, the same file is taken
    model_file.write_text(SHOP.read_text())
    assert "MINE-FLOW-1" in catalog_for(load_model(model_file), [tmp_path / "elsewhere.yaml"]).rules
    # a model given as text has no folder its rule files could be looked up in
    with pytest.raises(InputError) as caught:
        catalog_for(load_model_text(SHOP.read_text() + "rules: [rules]\n", "shop.yaml"))
    assert [(p.code, p.message) for p in caught.value.problems] == [("rules", "`rules` needs a model read from a file")]


def test_unknown_catalog_controls_in_the_model_are_located_errors() -> None:
    from threatloom.errors import InputError

    text = SHOP.read_text().replace("implements: [C-WAF, C-RATE-LIMIT]", "implements: [C-WAF, C-RATE-LIMT]")
    with pytest.raises(InputError) as caught:
        analyse(load_model_text(text, "shop.yaml"), rules_catalog(), today=TODAY)
    (problem,) = caught.value.problems
    assert problem.message == "control 'tls-db': implements names unknown catalog control 'C-RATE-LIMT'"
    assert problem.hint == "did you mean 'C-RATE-LIMIT'?"
    assert (problem.location.file, problem.location.line) == ("shop.yaml", 37)


def test_expired_acceptance_is_reported_and_leaves_the_threat_open() -> None:
    extra = """
decisions:
  - {threat: "T-PROC-1@web", treatment: accept, justification: ok, approver: CISO, expires: 2026-01-31}
"""
    analysis = shop(extra)
    threat = analysis.by_id["T-PROC-1@web"]
    assert threat.status.value == "open"
    assert threat.decision is not None and not threat.decision.valid
    (warning,) = analysis.decision_problems
    assert warning.message == ("decision for 'T-PROC-1@web' does not count: acceptance expired on 2026-01-31")


def test_threats_json_carries_each_score_base_and_factor_kinds() -> None:
    import json

    threats = {t["id"]: t for t in json.loads(render_json(shop()))["threats"]}
    order = threats["T-FLOW-1@order"]
    # T-FLOW-1 starts at likelihood 3 and impact 2 (the rule's bases); the internet flow adds 1 (the rule's own
    # adjustment), the crook at the shopper's end 1 (actor), the orders' confidentiality 2 (asset)
    assert order["inherent"]["base"] == {"likelihood": 3, "impact": 2, "source": "the rule's base"}
    assert [(f["kind"], f["delta"]) for f in order["inherent"]["factors"]] == [("rule", 1), ("actor", 1),
                                                                                ("asset", 2)]
    assert order["exposed"] is True and threats["T-PROC-1@desk"]["exposed"] is False
    manual = threats["MT-REFUND"]["inherent"]
    assert manual["base"]["source"] == "where a hand-written threat starts"
    # the team judged its likelihood (4); its impact follows the orders it names
    assert [f["kind"] for f in manual["factors"]] == ["team", "asset"]


def _courier_breach(second_export_minimised: bool) -> tuple[str, ...]:
    """The controls counted on a breach at the courier, whom the web app sends orders on two flows."""
    text = SHOP.read_text()
    text = text.replace("environment:\n", "environment:\n  - {id: courier, name: Courier, kind: vendor, trust: 2,"
                        " zone: internet, receives: [orders]}\n", 1)
    second = ", controls: [minimise]" if second_export_minimised else ""
    text = text.replace("flows:\n", "flows:\n"
                        "  - {id: book, name: Book delivery, source: web, destination: courier, protocol: HTTPS,"
                        " authentication: token, encryption: tls, data: [orders], controls: [minimise]}\n"
                        "  - {id: amend, name: Amend delivery, source: web, destination: courier, protocol: HTTPS,"
                        " authentication: token, encryption: tls, data: [orders]" + second + "}\n", 1)
    text = text.replace("controls:\n  - {id: tls-db", "controls:\n  - {id: minimise, name: Four fields only,"
                        " implements: [C-DATA-MINIMISATION], status: implemented, effectiveness: high}\n"
                        "  - {id: tls-db", 1)
    analysis = analyse(load_model_text(text, "shop.yaml"), load_catalog())
    return analysis.by_id["TL-TP001@courier"].controls_in_place


def test_a_control_on_the_flows_into_an_element_counts_only_when_every_flow_has_it() -> None:
    assert _courier_breach(second_export_minimised=True) == ("minimise",)
    # the second export sends the full record: a breach at the courier loses it
    assert _courier_breach(second_export_minimised=False) == ()


PLATFORM_MODEL = """threatloom: 1
system: {name: Fixture}
assets:
  - {id: exports, name: Customer exports, classification: confidential, confidentiality: high}
zones:
  - {id: prod, name: Production account, trust: 8}
  - {id: data, name: Data subnets, trust: 8, parent: prod}
  - {id: other, name: Another network, trust: 8}
components:
  - {id: account, name: Prod account, type: process, kind: cloud-account, zone: prod, controls: [scp]}
  - {id: bucket, name: Exports bucket, type: data-store, kind: object-storage, zone: ZONE, stores: [exports]}
controls:
  - {id: scp, name: Organisation guardrails, implements: [C-CLOUD-GUARDRAILS, C-LEAST-PRIVILEGE],
     status: implemented, effectiveness: high}
"""


def _public_bucket(zone: str) -> tuple[tuple[str, ...], float]:
    analysis = analyse(load_model_text(PLATFORM_MODEL.replace("ZONE", zone), "platform.yaml"), load_catalog())
    threat = analysis.by_id["TL-CL002@bucket"]
    return threat.controls_in_place, threat.residual.score


def test_guardrails_on_the_cloud_account_count_for_what_runs_in_it() -> None:
    # the bucket sits in a subnet zone inside the account's zone: the account's guardrails (C-CLOUD-GUARDRAILS
    # counts from the platform) lower the public-bucket threat
    inside, inside_score = _public_bucket("data")
    assert inside == ("scp",)
    outside, outside_score = _public_bucket("other")
    assert outside == () and inside_score < outside_score
    # only a catalog control that counts from the platform: the account's least privilege is its own, not
    # the bucket's, so the disk-and-snapshot threat (which lists C-LEAST-PRIVILEGE) does not count it
    analysis = analyse(load_model_text(PLATFORM_MODEL.replace("ZONE", "data"), "platform.yaml"), load_catalog())
    at_rest = analysis.by_id["TL-I003@bucket"]
    assert "C-LEAST-PRIVILEGE" in {c.id for c in at_rest.controls} and at_rest.controls_in_place == ()
