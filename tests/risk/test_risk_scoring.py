"""Risk scoring: matrix bands, the OWASP table, CVSS vectors, explanations, residual after controls."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lifecycle.lab import CLINIC, LAB, TODAY, lab, lab_catalog, lab_model, lab_scored
from threatloom.catalog.loading import Catalog
from threatloom.catalog.schema import CatalogControl
from threatloom.engine.generation import MANUAL_IMPACT, MANUAL_LIKELIHOOD, analyse, catalog_for
from threatloom.engine.threat import Analysis, RiskScore, Threat
from threatloom.errors import InputError
from threatloom.model import load_model
from threatloom.model.schema import Asset, Control, RiskBands, RiskSettings
from threatloom.model.vocabulary import Category, ControlStatus, Effectiveness, Level, RiskMethod, SecurityProperty
from threatloom.risk.cvss import CvssError, cvss_score
from threatloom.risk.impact import asset_impact
from threatloom.risk.owasp import owasp_score
from threatloom.risk.scoring import ControlEffect, clamp, control_effect, full_effect, level_for, score

# -- the 5×5 matrix and its bands ------------------------------------------------------------------


def test_levels_follow_the_default_bands() -> None:
    matrix = RiskSettings()
    assert [level_for(s, matrix) for s in (1, 5, 6, 10, 12, 16, 20, 25)] == [
        Level.LOW, Level.LOW, Level.MEDIUM, Level.MEDIUM, Level.HIGH, Level.HIGH, Level.CRITICAL, Level.CRITICAL]
    # rare but severe (2 × 5) and likely but minor (5 × 2) are medium; critical needs 4 × 5 or more
    assert level_for(2 * 5, matrix) is level_for(5 * 2, matrix) is Level.MEDIUM
    assert level_for(4 * 4, matrix) is Level.HIGH and level_for(4 * 5, matrix) is Level.CRITICAL


def test_levels_follow_the_bands_the_model_sets() -> None:
    default = lab()
    strict = lab("risk: {bands: {medium: 3, high: 6, critical: 12}}\n")
    bands = RiskBands(medium=3, high=6, critical=12)
    assert [t.id for t in strict.threats] == [t.id for t in default.threats]
    for threat in strict.threats:
        for s in (threat.inherent, threat.residual):
            expected = (Level.CRITICAL if s.score >= 12 else Level.HIGH if s.score >= 6
                        else Level.MEDIUM if s.score >= 3 else Level.LOW)
            assert s.level is expected, threat.id
    # the web app's flooding scores 9 in both: medium by default, high under the stricter bands
    assert default.by_id["L-PROC-1@web"].residual.score == strict.by_id["L-PROC-1@web"].residual.score == 9
    assert default.by_id["L-PROC-1@web"].residual.level is Level.MEDIUM
    assert strict.by_id["L-PROC-1@web"].residual.level is Level.HIGH
    assert bands.medium == 3


def test_bands_must_increase() -> None:
    with pytest.raises(InputError) as caught:
        lab_model("risk: {bands: {medium: 8, high: 6, critical: 12}}\n")
    assert "bands must increase" in caught.value.problems[0].message


def test_scores_round_half_up() -> None:
    assert [clamp(v) for v in (0.2, 1.49, 1.5, 2.5, 3.5, 4.5, 7.0)] == [1, 1, 2, 3, 4, 5, 5]


# -- OWASP -----------------------------------------------------------------------------------------

# the OWASP Risk Rating Methodology's overall severity: rows impact, columns likelihood (low, medium,
# high); its "note" is reported as low
OWASP_TABLE = {
    "high": (Level.MEDIUM, Level.HIGH, Level.CRITICAL),
    "medium": (Level.LOW, Level.MEDIUM, Level.HIGH),
    "low": (Level.LOW, Level.LOW, Level.MEDIUM),
}
BAND_VALUES = {"low": (0.0, 1.5, 2.99), "medium": (3.0, 4.5, 5.99), "high": (6.0, 7.5, 9.0)}


@pytest.mark.parametrize("impact_band", ["low", "medium", "high"])
@pytest.mark.parametrize("likelihood_band", ["low", "medium", "high"])
def test_owasp_severity_table(likelihood_band: str, impact_band: str) -> None:
    column = ("low", "medium", "high").index(likelihood_band)
    for likelihood in BAND_VALUES[likelihood_band]:
        for impact in BAND_VALUES[impact_band]:
            scored = owasp_score(likelihood, impact, ())
            assert scored.level is OWASP_TABLE[impact_band][column], (likelihood, impact)
            assert scored.method == "owasp"
            assert scored.score == round(likelihood * impact)


def test_owasp_method_scores_every_threat_with_the_table() -> None:
    scored = lab_scored("risk: {method: owasp}\n")
    from threatloom.risk.owasp import band

    assert scored.analysis.threats
    for threat in scored.analysis.threats:
        owasp = scored.inputs[threat.id].owasp
        assert owasp is not None
        likelihood, impact = owasp
        assert threat.inherent.method == threat.residual.method == "owasp"
        column = ("low", "medium", "high").index(band(likelihood))
        assert threat.inherent.level is OWASP_TABLE[band(impact)][column], threat.id
        assert threat.inherent.score == round(likelihood * impact)
        assert threat.residual.score <= threat.inherent.score


def test_owasp_explanation_lists_the_ratings_and_the_rule_adjustments_only() -> None:
    threat = lab("risk: {method: owasp}\n").by_id["L-FLOW-1@visit"]
    reasons = [f.reason for f in threat.inherent.factors]
    assert "OWASP skill level 6/9" in reasons  # the crook's high skill
    assert "OWASP opportunity 9/9" in reasons  # from the internet
    assert "the flow crosses the internet" in reasons  # the rule's own adjustment moves the ease ratings
    # the matrix's actor and asset factors are not part of an OWASP score, so they are not listed
    assert not any("well-resourced" in r or "rated high" in r for r in reasons)


def test_owasp_rule_adjustments_raise_the_ease_ratings() -> None:
    threat = lab("risk: {method: owasp}\n").by_id["L-FLOW-1@visit"]
    # base 3 + 1 for the internet = 4 on the 1-5 scale: ease ratings round((4 - 1) / 4 * 9) = 7
    assert "OWASP ease of exploit 7/9" in [f.reason for f in threat.inherent.factors]


def test_owasp_manual_threat_shares_the_scale_and_candidate_gains_are_owasp_points() -> None:
    scored = lab_scored("risk: {method: owasp}\n")
    manual = scored.analysis.by_id["MT-ONE"]
    assert manual.inherent.method == "owasp"
    # team ratings 4 and 4 on the 1-5 scale are 6.75 and 6.75 on OWASP's 0-9 scale: high × high
    assert scored.inputs["MT-ONE"].owasp == (6.75, 6.75)
    assert manual.inherent.level is Level.CRITICAL
    catalog = scored.catalog
    for candidate in manual.controls:
        after = scored.inputs["MT-ONE"].residual_with(scored.model.risk, (full_effect(catalog.controls[candidate.id]),))
        assert candidate.risk_reduction == manual.residual.score - after.score


# -- CVSS --------------------------------------------------------------------------------------------


def test_cvss_v31_and_v40_vectors_are_scored() -> None:
    v31 = cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert (v31.version, v31.base_score, v31.severity, v31.impact) == ("3.1", 9.8, "critical", 5)
    v40 = cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
    assert (v40.version, v40.base_score, v40.severity, v40.impact) == ("4.0", 9.3, "critical", 5)
    assert cvss_score("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N").severity == "low"
    assert cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N").impact == 1


@pytest.mark.parametrize("vector", ["CVSS:3.1/AV:N/AC:L", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                    "AV:N/AC:L/Au:N/C:P/I:P/A:P", "CVSS:4.0/AV:N", "high", "CVSS:3.1/AV:N/AV:N"])
def test_invalid_cvss_vectors_are_errors(vector: str) -> None:
    with pytest.raises(CvssError):
        cvss_score(vector)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="CVS:34.01/ANLHRUPIEXMTQ", max_size=60))
def test_cvss_parsing_fails_only_with_cvss_error(vector: str) -> None:
    with contextlib.suppress(CvssError):
        cvss_score(vector)


MANUAL = """
  - id: MT-CVSS
    category: denial-of-service
    source: A botnet
    action: flood the web app
    impact: nobody can use it
    elements: [web]
    cvss: "{vector}"
    controls: [C-WATCH, C-GUARD, C-SHIELD]
"""


def test_manual_threat_impact_follows_its_cvss_severity() -> None:
    analysis = lab(MANUAL.format(vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"))
    threat = analysis.by_id["MT-CVSS"]
    assert threat.cvss_score == 7.5
    assert threat.inherent.impact == 4  # high
    assert threat.inherent.likelihood == MANUAL_LIKELIHOOD
    factor = next(f for f in threat.inherent.factors if f.part == "impact")
    assert factor.reason == "CVSS 3.1 base score 7.5 (high)"
    assert factor.delta == 4 - MANUAL_IMPACT
    v4 = lab(MANUAL.format(vector="CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"))
    assert v4.by_id["MT-CVSS"].cvss_score == 6.8
    assert v4.by_id["MT-CVSS"].inherent.impact == 3  # medium


def test_team_impact_rating_wins_over_cvss() -> None:
    text = MANUAL.format(vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H") + "    impact_rating: 1\n"
    threat = lab(text).by_id["MT-CVSS"]
    assert threat.inherent.impact == 1
    assert threat.cvss_score == 7.5  # still reported


def test_invalid_cvss_vector_is_a_located_input_error() -> None:
    with pytest.raises(InputError) as caught:
        lab(MANUAL.format(vector="CVSS:3.1/AV:N/AC:L"))
    (problem,) = caught.value.problems
    assert problem.message.startswith("threat 'MT-CVSS': invalid CVSS vector 'CVSS:3.1/AV:N/AC:L': ")
    assert "Missing mandatory metrics" in problem.message
    assert problem.code == "invalid-cvss"
    assert (problem.location.file, problem.location.line) == ("lab.yaml", LAB.read_text().count("\n") + 2)


# -- explanations ----------------------------------------------------------------------------------


def _base(threat: Threat, catalog: Catalog) -> tuple[int, int]:
    if threat.rule_id is None:
        return MANUAL_LIKELIHOOD, MANUAL_IMPACT
    rule = catalog.rules[threat.rule_id].rule
    return rule.likelihood.base, rule.impact.base


def _explained(score: RiskScore, base: tuple[int, int]) -> tuple[int, int]:
    likelihood = base[0] + sum(f.delta for f in score.factors if f.part == "likelihood")
    impact = base[1] + sum(f.delta for f in score.factors if f.part == "impact")
    return clamp(likelihood), clamp(impact)


def _check_explanations(analysis: Analysis, catalog: Catalog) -> None:
    assert analysis.threats
    for threat in analysis.threats:
        base = _base(threat, catalog)
        for s in (threat.inherent, threat.residual):
            assert _explained(s, base) == (s.likelihood, s.impact), (threat.id, s.explain())
        # the residual repeats the inherent factors, then one lowering factor per control that counts, and
        # what the floor of combined controls or the bottom of the scale takes back
        extra = threat.residual.factors[len(threat.inherent.factors):]
        assert threat.residual.factors[:len(threat.inherent.factors)] == threat.inherent.factors
        assert all((f.kind == "control" and f.delta < 0 and f.reason.startswith("control "))
                   or (f.kind in ("limit", "bound") and f.delta > 0) for f in extra), threat.id
        counted = {f.reason.split("'")[1] for f in extra if f.kind == "control"}
        assert counted == set(threat.controls_in_place), threat.id


def test_every_matrix_score_is_explained_by_its_factors() -> None:
    _check_explanations(lab(), lab_catalog())


def test_built_in_rules_explain_every_score_too() -> None:
    model = load_model(CLINIC)
    catalog = catalog_for(model)
    _check_explanations(analyse(model, catalog, today=TODAY), catalog)


def test_explanation_names_what_raised_and_lowered_the_score() -> None:
    threat = lab().by_id["L-PROC-1@web"]
    assert threat.residual.explain() == (
        "likelihood 3 (the rule's base) +1 a capable, well-resourced actor with a motive for denial of service "
        "reaches it directly (Online crook, cybercriminal) -1 control 'gate' (C-WATCH, high effectiveness) = 3; "
        "impact 2 (the rule's base) +1 records has availability rated medium = 3; 3 × 3 = 9, medium")
    assert threat.inherent.explain().endswith("= 4; impact 2 (the rule's base) +1 records has availability "
                                              "rated medium = 3; 4 × 3 = 12, high")


# -- residual risk after controls --------------------------------------------------------------------


def _effect(part: str, amount: float) -> ControlEffect:
    catalog = CatalogControl(id="C-X", name="X", description="x", reduces="likelihood", nist=("AC-1",))
    return ControlEffect(Control(id="x", name="X"), catalog, part, amount)


@settings(max_examples=300, deadline=None)
@given(likelihood=st.floats(-2, 9), impact=st.floats(-2, 9),
       cuts=st.lists(st.tuples(st.sampled_from(["likelihood", "impact"]), st.floats(0, 4)), max_size=4),
       owasp=st.one_of(st.none(), st.tuples(st.floats(0, 9), st.floats(0, 9))))
def test_residual_never_exceeds_inherent(likelihood: float, impact: float, cuts: list[tuple[str, float]],
                                         owasp: tuple[float, float] | None) -> None:
    method = RiskSettings(method=RiskMethod.OWASP if owasp else RiskMethod.MATRIX)
    scored = score(method, likelihood, impact, [], [_effect(p, a) for p, a in cuts], owasp)
    assert scored.residual.score <= scored.inherent.score
    assert scored.residual.level.rank <= scored.inherent.level.rank
    assert 1 <= scored.residual.likelihood <= scored.inherent.likelihood <= 5


def test_residual_is_at_most_inherent_for_every_threat() -> None:
    for analysis in (lab(), lab("risk: {method: owasp}\n")):
        for t in analysis.threats:
            assert t.residual.score <= t.inherent.score, t.id


def test_partial_control_counts_half_and_planned_not_at_all() -> None:
    catalog = lab_catalog().controls["C-LOCK"]  # strength 2
    implemented = Control(id="c", name="C", implements=("C-LOCK",))
    assert control_effect(implemented, catalog).amount == pytest.approx(2 * 0.67)  # medium effectiveness
    high = implemented.model_copy(update={"effectiveness": Effectiveness.HIGH})
    assert control_effect(high, catalog).amount == 2.0
    assert control_effect(high.model_copy(update={"status": ControlStatus.PARTIAL}), catalog).amount == 1.0
    assert control_effect(high.model_copy(update={"status": ControlStatus.PLANNED}), catalog).amount == 0.0
    low = high.model_copy(update={"effectiveness": Effectiveness.LOW})
    assert control_effect(low, catalog).amount == 0.68


def test_partial_and_planned_controls_in_the_model() -> None:
    gate = "- {id: gate, name: Gate, implements: [C-WATCH], status: implemented, effectiveness: high}"
    full = lab().by_id["L-PROC-1@web"]
    partial = lab(replace=(gate, gate.replace("implemented", "partial"))).by_id["L-PROC-1@web"]
    planned = lab(replace=(gate, gate.replace("implemented", "planned"))).by_id["L-PROC-1@web"]
    # likelihood 4: the full gate takes 1 off (3 × 3 = 9), half a gate 0.5 (3.5 rounds to 4: 12), a planned one 0
    assert (full.residual.score, partial.residual.score, planned.residual.score) == (9, 12, 12)
    assert partial.residual.factors[-1].delta == -0.5
    assert "partial" in partial.residual.factors[-1].reason
    assert planned.residual.factors == planned.inherent.factors
    assert planned.controls_in_place == ()
    watch = next(c for c in planned.controls if c.id == "C-WATCH")
    assert not watch.in_place and watch.risk_reduction == 3
    # the database's half shield takes 0.5 off an impact of 6 (capped at 5): still 5, and listed
    db = lab().by_id["L-STORE-1@db"]
    assert db.residual.impact == 5 and db.controls_in_place == ("half-shield",)


def _asset(asset_id: str, **ratings: str) -> Asset:
    return Asset.model_validate({"id": asset_id, "name": asset_id, **ratings})


def test_privacy_impact_leaves_people_s_credentials_to_the_security_threats() -> None:
    passwords = _asset("passwords", kind="credential", confidentiality="critical", personal_data="true")
    profiles = _asset("profiles", confidentiality="medium", personal_data="true")
    privacy = (SecurityProperty.PRIVACY,)
    # whether someone has an account: the profiles' rating (3), not the passwords' (5)
    value, factor = asset_impact([passwords, profiles], Category.DETECTING, privacy, 2)
    assert value == 3 and factor is not None and factor.reason.startswith("profiles holds personal data")
    # credentials alone: the rule's own base
    assert asset_impact([passwords], Category.DETECTING, privacy, 2) == (2, None)
    # a disclosure (a security threat) still counts the passwords at their rating
    value, _ = asset_impact([passwords, profiles], Category.INFORMATION_DISCLOSURE,
                            (SecurityProperty.CONFIDENTIALITY,), 2)
    assert value == 5


def test_a_tie_between_assets_is_explained_by_the_property_the_category_harms() -> None:
    images = _asset("images", confidentiality="low", integrity="critical")
    secrets = _asset("secrets", kind="credential", confidentiality="critical", integrity="high")
    both = (SecurityProperty.CONFIDENTIALITY, SecurityProperty.INTEGRITY)
    # a disclosure of both (the images listed first): the secrets' confidentiality explains it
    value, factor = asset_impact([images, secrets], Category.INFORMATION_DISCLOSURE, both, 3)
    assert value == 5 and factor is not None and factor.reason == "secrets has confidentiality rated critical"
    # tampering with both: the images' integrity, whichever asset comes first
    value, factor = asset_impact([secrets, images], Category.TAMPERING, both, 3)
    assert value == 5 and factor is not None and factor.reason == "images has integrity rated critical"
    # no tie: the worst rating wins whatever the category
    lower = _asset("secrets", kind="credential", confidentiality="high")
    _, factor = asset_impact([lower, images], Category.INFORMATION_DISCLOSURE, both, 3)
    assert factor is not None and factor.reason == "images has integrity rated critical"
    # a category with no property of its own keeps the first asset's reason
    _, factor = asset_impact([images, secrets], Category.ELEVATION_OF_PRIVILEGE, both, 3)
    assert factor is not None and factor.reason == "images has integrity rated critical"
