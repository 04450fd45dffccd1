"""The scoring findings of the examples' readers, one test each, on the scoring lab (fixtures/risk-lab.yaml)
scored with a test-only catalog (fixtures/controls.yaml, fixtures/rules/), so every number is worked out by
hand in the comments and none moves when the built-in catalog changes.

The lab: patients on the internet upload scans (personal data, confidentiality critical) through an API
gateway to a records API and store; staff read scans in a read-only viewer. The only actor is a foreign
intelligence service (espionage, expert, government) starting on the internet: the patients are 0 hops
from it, the gateway 1, the API behind it 1 too (a gateway passes requests on), the store 2, the archive
vault 3; the staff 1 (phishing), their viewer 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from threatloom.catalog.loading import Catalog, add_rule_file, load_controls
from threatloom.engine.generation import analyse, rank_key
from threatloom.engine.threat import Analysis, Factor, Threat
from threatloom.errors import InputError
from threatloom.model import load_model_text
from threatloom.model.yamlsource import read_yaml

FIXTURES = Path(__file__).parent / "fixtures"
LAB = FIXTURES / "risk-lab.yaml"
CROOK = """
  - id: crook
    name: Extortion gang
    origin: external
    kind: cybercriminal
    motivation: [financial]
    capability: {skill: high, resources: organisation}
    starts_in: [internet]
"""


def catalog() -> Catalog:
    found = Catalog(controls=load_controls(FIXTURES / "controls.yaml"))
    add_rule_file(found, read_yaml(FIXTURES / "rules" / "risk-rules.yaml"), builtin=False)
    return found


def scored(controls: str = "", *replace: tuple[str, str]) -> Analysis:
    """The lab with `controls` appended (a `controls:` section) and each (old, new) replacement made."""
    text = LAB.read_text()
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new, 1)
    return analyse(load_model_text(text + controls, "risk-lab.yaml"), catalog())


def steps(factors: tuple[Factor, ...], part: str) -> list[tuple[float, str]]:
    return [(f.delta, f.reason) for f in factors if f.part == part]


def with_controls(*lines: str) -> str:
    return "controls:\n" + "".join(f"  - {line}\n" for line in lines)


def on(element: str, *ids: str) -> tuple[str, str]:
    """A replacement giving component or party `element` the controls `ids`."""
    line = next(x for x in LAB.read_text().splitlines() if x.startswith(f"  - {{id: {element}, "))
    return line, line[:-1] + f", controls: [{', '.join(ids)}]}}"


# -- 1. actors: motive, capability, direct reach; no attacker at all -------------------------------------


def test_an_espionage_actor_does_not_flood_but_an_extortion_gang_does() -> None:
    flood = scored().by_id["R-FLOOD@api"]
    # 3, and -1: the only actor who reaches the API wants secrets, not an outage
    assert steps(flood.inherent.factors, "likelihood") == [
        (-1, "the actors who reach it have no motive for denial of service (Foreign service: espionage)")]
    assert (flood.inherent.likelihood, flood.actors, flood.reachable) == (2, (), True)
    gang = scored("", ("actors:\n", "actors:" + CROOK)).by_id
    # the gang reaches the gateway one flow from the internet, and the API through it: +1 on both
    bonus = (1, "a capable, well-resourced actor with a motive for denial of service reaches it directly "
                "(Extortion gang, cybercriminal)")
    assert steps(gang["R-FLOOD@gw"].inherent.factors, "likelihood") == [bonus]
    assert steps(gang["R-FLOOD@api"].inherent.factors, "likelihood") == [bonus]
    assert gang["R-FLOOD@gw"].actors == gang["R-FLOOD@api"].actors == ("crook",)
    assert gang["R-FLOOD@api"].inherent.likelihood == 4


def test_a_capable_actor_several_hops_away_adds_nothing() -> None:
    analysis = scored()
    # the same rule on the upload (the spy sits at the patients' end) and on the archive copy (the store is
    # two hops in: the API must be taken first)
    assert (1, "a capable, well-resourced actor with a motive for information disclosure reaches it directly "
               "(Foreign service, nation-state)") in steps(analysis.by_id["R-SHARE@upload"].inherent.factors,
                                                           "likelihood")
    archive = analysis.by_id["R-SHARE@archive"]
    assert steps(archive.inherent.factors, "likelihood") == []
    assert archive.actors == ("spy",) and archive.inherent.likelihood == 3


def test_a_threat_that_needs_no_attacker_gets_no_actor_bonus_and_is_never_unreachable() -> None:
    keep = scored().by_id["R-KEEP@store"]
    no_attacker = (0, "no attacker is needed (it happens through an omission or an outage), so threat actors "
                      "neither raise nor lower it")
    assert steps(keep.inherent.factors, "likelihood") == [no_attacker]
    assert (keep.inherent.likelihood, keep.actors, keep.reachable) == (3, (), True)
    # an insider of the office reaches the viewer only (and phishes nobody): an attack on the store is
    # unreachable (-2), the retention is not
    nobody = scored("", ("origin: external", "origin: internal"), ("starts_in: [internet]", "starts_in: [office]"))
    assert nobody.by_id["R-KEEP@store"].reachable
    assert steps(nobody.by_id["R-KEEP@store"].inherent.factors, "likelihood") == [no_attacker]
    alter = nobody.by_id["R-ALTER@store"]
    # 2 - 2 = 0, which the scale keeps at 1 (and says so)
    assert not alter.reachable and steps(alter.inherent.factors, "likelihood") == [
        (-2, "no modelled threat actor can reach it"), (1, "the scale starts at 1: 0 is kept at 1")]


# -- 2. impact from the assets really at stake ------------------------------------------------------------


def test_privacy_impact_counts_personal_data_by_its_confidentiality() -> None:
    keep = scored().by_id["R-KEEP@store"]
    # the store holds scans (personal, confidentiality critical: 5) and the ledger (not personal, ignored);
    # nobody discloses anything by keeping data too long: one step lower, 4
    assert steps(keep.inherent.factors, "impact") == [
        (2, "scans holds personal data with confidentiality rated critical (privacy threats count personal "
            "data only, credentials aside), one step lower: no one discloses it here")]
    assert (keep.inherent.impact, keep.inherent.score, keep.inherent.level.value) == (4, 12, "high")


def test_repudiation_impact_is_the_integrity_of_the_records_not_the_keys() -> None:
    deny = scored().by_id["R-DENY@api"]
    # the API processes the ledger (integrity high: 4) and service keys (credential, integrity critical:
    # not the records whose actions go unattributed)
    assert steps(deny.inherent.factors, "impact") == [
        (2, "ledger has integrity rated high (the records whose actions go unattributed)")]
    assert deny.inherent.impact == 4


def test_nothing_can_be_altered_through_a_read_only_element() -> None:
    chart = "  - {id: chart, name: Chart, confidentiality: medium, integrity: critical, availability: low}\n"
    text = ("assets:\n", "assets:\n" + chart)
    look = ("destination: viewer, protocol: HTTPS, authentication: password, encryption: tls, data: [scans]",
            "destination: viewer, protocol: HTTPS, authentication: password, encryption: tls, data: [chart]")
    read_only = scored("", text, look).by_id["R-REACH@look"]
    # the viewer is tagged read-only: the chart's integrity (critical) is not at stake, its confidentiality
    # (medium: 3) is
    assert steps(read_only.inherent.factors, "impact") == [
        (1, "chart has confidentiality rated medium (read-only: its integrity is not at stake)")]
    writable = scored("", text, look, ("tags: [read-only]", "tags: []")).by_id["R-REACH@look"]
    assert steps(writable.inherent.factors, "impact") == [(3, "chart has integrity rated critical")]


# -- 3. controls: once per catalog control, a floor, detective and recovery controls -----------------------


def test_a_catalog_control_counts_once_at_its_strongest() -> None:
    controls = with_controls("{id: lock-a, name: Lock A, implements: [C-LOCK], effectiveness: medium}",
                             "{id: lock-b, name: Lock B, implements: [C-LOCK], effectiveness: high}")
    threat = scored(controls, on("api", "lock-a", "lock-b")).by_id["R-REACH@forward"]
    # 4 (3 +1 the spy at the gateway), minus the stronger lock only (2 × 1.0): 2 × 5 = 10
    assert steps(threat.residual.factors, "likelihood")[-1] == (-2, "control 'lock-b' (C-LOCK, high effectiveness)")
    assert threat.controls_in_place == ("lock-b",)
    assert (threat.residual.likelihood, threat.residual.score, threat.residual.level.value) == (2, 10, "medium")


def test_stacked_controls_have_diminishing_returns_and_a_floor() -> None:
    controls = with_controls("{id: lock, name: Lock, implements: [C-LOCK], effectiveness: high}",
                             "{id: bolt, name: Bolt, implements: [C-BOLT], effectiveness: high}",
                             "{id: wall, name: Wall, implements: [C-WALL], effectiveness: high}")
    threat = scored(controls, on("api", "lock", "bolt", "wall")).by_id["R-REACH@forward"]
    # 2 (bolt, first by ID among equals) + 2/2 (lock) + 1/4 (wall) = 3.25, but controls take 60 % of the 4 at
    # most (2.4): likelihood 1.6, rounded 2, so 2 × 5 = 10 stays medium (without the floor: 1 × 5 = 5, low)
    assert steps(threat.residual.factors, "likelihood")[1:] == [
        (-2, "control 'bolt' (C-BOLT, high effectiveness)"),
        (-1, "control 'lock' (C-LOCK, high effectiveness): the second control on the likelihood counts half"),
        (-0.25, "control 'wall' (C-WALL, high effectiveness): the third control on the likelihood counts a "
                "quarter"),
        (0.85, "controls take away 60% of the likelihood at most (2.4 of it): the threat's cause remains")]
    assert (threat.residual.likelihood, threat.residual.score, threat.residual.level.value) == (2, 10, "medium")


def test_a_detective_control_lowers_the_harm_not_the_chance_except_for_repudiation() -> None:
    controls = with_controls("{id: audit, name: Audit trail, implements: [C-LOG], effectiveness: high}")
    analysis = scored(controls, on("store", "audit"), on("api", "audit"))
    alter = analysis.by_id["R-ALTER@store"]
    # tampering: likelihood untouched (2), impact 4 less half of 2: 3
    assert steps(alter.residual.factors, "likelihood") == steps(alter.inherent.factors, "likelihood")
    assert steps(alter.residual.factors, "impact")[-1] == (
        -1, "control 'audit' (C-LOG, high effectiveness): detective: misuse is found sooner, so it lowers the "
            "harm at half strength, not the chance")
    assert (alter.residual.likelihood, alter.residual.impact) == (2, 3)
    # repudiation: the record is what the threat lacks, so the log lowers its likelihood at full strength
    # (3 +1 the spy through the gateway = 4, less 2)
    deny = analysis.by_id["R-DENY@api"]
    assert steps(deny.residual.factors, "likelihood")[-1] == (-2, "control 'audit' (C-LOG, high effectiveness)")
    assert (deny.inherent.likelihood, deny.residual.likelihood) == (4, 2)


def test_a_backup_restores_lost_data_but_does_not_undo_silent_alteration() -> None:
    controls = with_controls("{id: backups, name: Backups, implements: [C-RESTORE], effectiveness: high}")
    analysis = scored(controls, on("store", "backups"))
    alter = analysis.by_id["R-ALTER@store"]
    assert alter.controls_in_place == () and alter.residual.score == alter.inherent.score == 8
    restore = next(c for c in alter.controls if c.id == "C-RESTORE")
    assert restore.risk_reduction == 0 and not restore.in_place
    wipe = analysis.by_id["R-WIPE@store"]
    # availability: impact 4 less 3, but controls take 40 % of it at most (1.6): 2.4, rounded 2
    assert wipe.controls_in_place == ("backups",)
    assert steps(wipe.residual.factors, "impact")[-2:] == [
        (-3, "control 'backups' (C-RESTORE, high effectiveness)"),
        (1.4, "controls take away 40% of the impact at most (1.6 of it): the threat's cause remains")]
    assert wipe.residual.impact == 2


# -- 5, 6, 7. where controls count: the sender, parties, the gateway in front -----------------------------


def test_a_control_of_the_sender_counts_where_it_acts_there() -> None:
    controls = with_controls("{id: minimise, name: Minimise, implements: [C-SENDER], effectiveness: medium}",
                             "{id: lock, name: Lock, implements: [C-LOCK], effectiveness: high}")
    save = scored(controls, on("api", "minimise", "lock")).by_id["R-SHARE@save"]
    # data minimisation acts at the sender: impact 5 - 2 × 0.67 = 3.66, rounded 4; the lock on the API does not
    # act at the sender, so the save flow's likelihood stays 4 (3 +1 the spy, through the gateway)
    assert save.controls_in_place == ("minimise",)
    assert steps(save.residual.factors, "impact")[-1] == (-1.34, "control 'minimise' (C-SENDER, medium "
                                                                 "effectiveness)")
    assert (save.residual.likelihood, save.residual.impact) == (4, 4)


def test_staff_mfa_on_a_party_lowers_the_threats_on_them_and_on_their_flows() -> None:
    controls = with_controls("{id: staff-mfa, name: Staff MFA, implements: [C-KEY], effectiveness: medium}")
    analysis = scored(controls, ("  - {id: staff, name: Staff, kind: employee, trust: 6}",
                                 "  - {id: staff, name: Staff, kind: employee, trust: 6, controls: [staff-mfa]}"))
    phish = analysis.by_id["R-PHISH@staff"]
    # 3 +1 (the spy phishes them directly) = 4, minus 3 × 0.67 = 2.01: 1.99, rounded 2
    assert phish.controls_in_place == ("staff-mfa",)
    assert phish.residual.likelihood == 2
    # the same control acts at the sender of the staff's flow to the viewer
    assert analysis.by_id["R-SHARE@look"].controls_in_place == ("staff-mfa",)


def test_a_party_naming_an_unknown_control_is_a_located_error() -> None:
    with pytest.raises(InputError) as caught:
        scored("", ("  - {id: staff, name: Staff, kind: employee, trust: 6}",
                    "  - {id: staff, name: Staff, kind: employee, trust: 6, controls: [staf-mfa]}"),
               ("components:\n", "controls:\n  - {id: staff-mfa, name: MFA, implements: [C-KEY]}\ncomponents:\n"))
    (problem,) = caught.value.problems
    assert problem.message == "unknown control 'staf-mfa'"
    assert problem.hint == "did you mean 'staff-mfa'?"
    assert problem.location.line == LAB.read_text().splitlines().index(
        "  - {id: staff, name: Staff, kind: employee, trust: 6}") + 1


def test_gateway_controls_protect_the_elements_behind_it() -> None:
    controls = with_controls("{id: gw-rules, name: Gateway rules, implements: [C-GATE], effectiveness: high}",
                             "{id: gw-lock, name: Gateway lock, implements: [C-LOCK], effectiveness: high}")
    gang = scored(controls, ("actors:\n", "actors:" + CROOK), on("gw", "gw-rules", "gw-lock")).by_id
    # the gateway's rules act in front of the API: 4 - 2 = 2
    api = gang["R-FLOOD@api"]
    assert api.controls_in_place == ("gw-rules",)  # the lock works on the gateway itself only
    assert steps(api.residual.factors, "likelihood")[-1] == (-2, "control 'gw-rules' (C-GATE, high effectiveness)")
    assert api.residual.likelihood == 2
    # on the gateway itself both count: 4 - (2 + 2/2), floored at 60 % of 4: 1.6, rounded 2
    assert gang["R-FLOOD@gw"].controls_in_place == ("gw-lock", "gw-rules")
    assert gang["R-FLOOD@gw"].residual.likelihood == 2


def test_rate_limits_at_every_caller_count_for_the_element_they_call() -> None:
    controls = with_controls("{id: throttle, name: Throttle, implements: [C-THROTTLE], effectiveness: high}")
    gang = ("actors:\n", "actors:" + CROOK)
    exhaust = scored(controls, gang, on("api", "throttle")).by_id["R-EXHAUST@store"]
    # the gang reaches the store's only caller, the API, and the API limits what it sends: 3 - 2 = 1 (the
    # floor allows 1.8 off: 1.2, rounded 1)
    assert exhaust.controls_in_place == ("throttle",)
    assert steps(exhaust.residual.factors, "likelihood")[0] == (-2, "control 'throttle' (C-THROTTLE, high "
                                                                    "effectiveness)")
    assert exhaust.residual.likelihood == 1
    # a second caller the gang reaches (the viewer, through the phished staff) without limits: the gang
    # takes that way, so the API's limits do not count
    side = ("  - {id: look,", "  - {id: query, name: Query, source: viewer, destination: store, protocol: SQL, "
                              "authentication: password, encryption: tls, data: [scans]}\n  - {id: look,")
    unlimited = scored(controls, gang, on("api", "throttle"), side).by_id["R-EXHAUST@store"]
    assert unlimited.controls_in_place == () and unlimited.residual.likelihood == 3


# -- 8. every score explains itself from its base ------------------------------------------------------------


def test_the_explanation_starts_at_the_base_and_says_what_the_scale_swallows() -> None:
    controls = with_controls("{id: lock, name: Lock, implements: [C-LOCK], effectiveness: high}")
    upload = scored(controls, on("gw", "lock")).by_id["R-SHARE@upload"]
    assert upload.inherent.base == (3, 2)
    assert upload.inherent.explain() == (
        "likelihood 3 (the rule's base) +2 it crosses the internet +1 a capable, well-resourced actor with a "
        "motive for information disclosure reaches it directly (Foreign service, nation-state) -1 the scale "
        "stops at 5: 6 is kept at 5 = 5; impact 2 (the rule's base) +3 scans has confidentiality rated "
        "critical = 5; 5 × 5 = 25, critical")
    # the lock then counts in full from 5, not from the 6 the scale cannot show
    assert upload.residual.explain().startswith(
        "likelihood 3 (the rule's base) +2 it crosses the internet +1 a capable, well-resourced actor with a "
        "motive for information disclosure reaches it directly (Foreign service, nation-state) -1 the scale "
        "stops at 5: 6 is kept at 5 -2 control 'lock' (C-LOCK, high effectiveness) = 3; ")
    assert upload.residual.score == 15


# -- 9. ties -------------------------------------------------------------------------------------------------


def test_ties_rank_by_impact_then_likelihood_then_exposure() -> None:
    analysis = scored()
    order = [t.id for t in analysis.threats]
    assert [rank_key(t) for t in analysis.threats] == sorted(rank_key(t) for t in analysis.threats)
    # five threats at 4 × 5 = 20: the two reached straight from the internet first (then by ID), then the
    # staff's flow to the viewer and the API's flow to the store, by ID
    twenty = [t.id for t in analysis.threats if t.residual.score == 20]
    assert twenty == ["R-REACH@forward", "R-REACH@upload", "R-REACH@look", "R-SHARE@look", "R-SHARE@save"]
    assert [analysis.by_id[i].exposed for i in twenty] == [True, True, False, False, False]
    # at 8, impact 4 (2 × 4) before impact 2 (4 × 2)
    assert order.index("R-ALTER@store") < order.index("R-PHISH@staff")


def _tie(threat: Threat, **changes: object) -> Threat:
    from msgspec.structs import replace

    return replace(threat, **changes)


def test_rank_key_orders_equal_scores_by_exposure_then_reachability() -> None:
    base = scored().by_id["R-DENY@gw"]
    exposed = _tie(base, id="B", exposed=True)
    hidden = _tie(base, id="A", exposed=False)
    unreachable = _tie(base, id="0", exposed=False, reachable=False)
    assert sorted([unreachable, hidden, exposed], key=rank_key) == [exposed, hidden, unreachable]


# -- 10. phishing reaches people whatever the flows say ----------------------------------------------------


def test_external_actors_reach_people_by_phishing_and_internal_ones_do_not() -> None:
    phish = scored().by_id["R-PHISH@staff"]
    # the staff have no zone and no flow from the internet, yet the spy reaches them by e-mail: +1
    assert phish.reachable and phish.actors == ("spy",)
    assert phish.inherent.likelihood == 4
    internal = scored("", ("origin: external", "origin: internal")).by_id["R-PHISH@staff"]
    assert not internal.reachable
    assert steps(internal.inherent.factors, "likelihood") == [(-2, "no modelled threat actor can reach it")]
