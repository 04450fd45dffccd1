"""Model features: top-level notes (`about` must name a known ID) and a manual threat's `mitigations`."""

from __future__ import annotations

from pathlib import Path

import pytest

from threatloom.engine import analyse
from threatloom.engine.threat import Threat
from threatloom.errors import InputError
from threatloom.model import load_model
from threatloom.model.lint import lint
from threatloom.model.loading import load_model_text

FIXTURE = Path(__file__).parent / "fixtures" / "features" / "manual_threat_mitigations.yaml"


def shop_threat(text: str) -> Threat:
    [threat] = [t for t in analyse(load_model_text(text, "shop.yaml")).threats if t.id == "SHOP-1"]
    return threat


def test_notes_are_kept_with_what_they_are_about() -> None:
    model = load_model(FIXTURE)
    assert [(n.about, n.source) for n in model.notes] == [
        (None, "import of shop.otm"), ("SHOP-1", "review 2025-02"), ("step-up", "review 2025-02")]
    assert model.notes[0].text == "The diagram also showed a CDN that has no component yet."
    assert lint(model) == []  # a control used only as a mitigation is not "unused"


@pytest.mark.parametrize("about", ["web", "browse", "cloud", "orders", "customers", "step-up", "SHOP-1"])
def test_note_may_be_about_any_kind_of_id(about: str) -> None:
    text = FIXTURE.read_text().replace("about: SHOP-1", f"about: {about}")
    assert load_model_text(text).notes[1].about == about


def test_note_about_an_unknown_id_is_located() -> None:
    text = FIXTURE.read_text().replace("about: step-up", "about: step-upp")
    with pytest.raises(InputError) as caught:
        load_model_text(text, "shop.yaml")
    [problem] = caught.value.problems
    assert (str(problem.location), problem.message, problem.hint) == (
        "shop.yaml:32:13", "unknown ID 'step-upp'", "did you mean 'step-up'?")


def test_note_needs_source_and_text() -> None:
    text = FIXTURE.read_text().replace("  - {source: import of shop.otm, text: The diagram also showed a CDN that "
                                       "has no component yet.}\n", "  - {about: web}\n")
    with pytest.raises(InputError) as caught:
        load_model_text(text, "shop.yaml")
    assert [(str(p.location), p.message) for p in caught.value.problems] == [
        ("shop.yaml:30:5", "notes[0] is missing required key 'source'"),
        ("shop.yaml:30:5", "notes[0] is missing required key 'text'"),
    ]


def test_implemented_mitigation_lowers_residual_risk() -> None:
    text = FIXTURE.read_text()
    without = shop_threat(text.replace("    mitigations: [step-up]\n", ""))
    with_control = shop_threat(text)
    # the team judged likelihood 4 and impact 4: 16 on the 5x5 matrix, high
    assert (without.inherent.score, without.residual.score, without.residual.level.value) == (16, 16, "high")
    assert without.controls_in_place == ()
    assert with_control.inherent.score == 16
    assert with_control.residual.score < with_control.inherent.score
    assert with_control.residual.likelihood < without.residual.likelihood
    assert with_control.controls_in_place == ("step-up",)
    assert any("step-up" in f.reason for f in with_control.residual.factors)


def test_planned_mitigation_does_not_lower_it_and_partial_lowers_less() -> None:
    text = FIXTURE.read_text()
    implemented = shop_threat(text)
    partial = shop_threat(text.replace("status: implemented", "status: partial"))
    planned = shop_threat(text.replace("status: implemented", "status: planned"))
    assert planned.residual.score == planned.inherent.score == 16
    assert planned.controls_in_place == ()
    assert implemented.residual.score < partial.residual.score < planned.residual.score


def test_mitigation_must_name_a_control_of_the_model() -> None:
    text = FIXTURE.read_text().replace("mitigations: [step-up]", "mitigations: [step-up, C-MFA]")
    with pytest.raises(InputError) as caught:
        load_model_text(text, "shop.yaml")
    [problem] = caught.value.problems
    assert (str(problem.location), problem.message, problem.hint) == (
        "shop.yaml:28:28", "unknown control 'C-MFA'", "known: step-up; or define it under `controls`")
