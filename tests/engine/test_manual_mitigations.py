"""A manual threat's controls count once, whether they sit on its element, among its mitigations, or both."""

from __future__ import annotations

import pytest

from threatloom.engine import analyse
from threatloom.model.loading import load_model_text

MODEL = """
threatloom: 1
system: {name: t}
zones: [{id: z, name: Z, trust: 5}]
components:
  - {id: a, name: A, type: process, zone: z, controls: ON_ELEMENT}
  - {id: b, name: B, type: data-store, zone: z}
flows: [{id: f, name: F, source: a, destination: b, authentication: token, encryption: tls}]
controls: [{id: checks, name: Integrity checks, implements: [C-INTEGRITY-CHECKS]}]
threats:
  - id: MT-1
    category: tampering
    source: an operator
    action: alter the batch
    impact: wrong doses
    elements: [a]
    controls: [C-INTEGRITY-CHECKS]
    mitigations: MITIGATIONS
    likelihood: 4
    impact_rating: 4
"""


@pytest.mark.parametrize(("on_element", "mitigations"), [("[checks]", "[]"), ("[]", "[checks]"),
                                                          ("[checks]", "[checks]")])
def test_a_control_lowers_a_manual_threat_once(on_element: str, mitigations: str) -> None:
    model = load_model_text(MODEL.replace("ON_ELEMENT", on_element).replace("MITIGATIONS", mitigations))
    threat = analyse(model).by_id["MT-1"]
    control_factors = [f for f in threat.residual.factors if "control 'checks'" in f.reason]
    assert len(control_factors) == 1
    assert threat.inherent.score == 16
    assert threat.residual.score == 12  # likelihood 4 - 1.34 rounds to 3
