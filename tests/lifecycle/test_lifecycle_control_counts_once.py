"""A control of the model counts once per threat, wherever else it is recorded.

For a flow threat the analysis counts the controls of the flow and of its destination; the plan says to
record a control on either. Recording the same control on both (found when a plan step was written
into the model: TL-S008@store came out lower than the plan promised) used to count it twice.
"""

from __future__ import annotations

from pathlib import Path

from tests.lifecycle.workbench import analysed, clinic_text, write_model

ROLES = ("  - {id: mfa-rollout, name: MFA for staff, implements: [C-MFA], status: planned}\n",
         "  - {id: mfa-rollout, name: MFA for staff, implements: [C-MFA], status: planned}\n"
         "  - {id: roles, name: Database roles, implements: [C-LEAST-PRIVILEGE], effectiveness: high}\n")
ON_FLOW = ("protocol: SQL, authentication: password, encryption: tls, data: [bookings]}",
           "protocol: SQL, authentication: password, encryption: tls, data: [bookings], controls: [roles]}")
ON_DB = ("stores: [bookings, staff-creds]}", "stores: [bookings, staff-creds], controls: [roles]}")


def test_a_control_on_a_flow_and_its_destination_counts_once(tmp_path: Path) -> None:
    residual = {}
    for name, places in (("flow", (ON_FLOW,)), ("db", (ON_DB,)), ("both", (ON_FLOW, ON_DB))):
        model = write_model(tmp_path / name / "clinic.yaml", clinic_text(ROLES, *places))
        threat = next(t for t in analysed(model, tmp_path / name / "out") if t["id"] == "TL-S008@store")
        assert [f["reason"] for f in threat["residual"]["factors"]].count(
            "control 'roles' (C-LEAST-PRIVILEGE, high effectiveness)") == 1, name
        assert threat["controls_in_place"] == ["roles"]
        residual[name] = (threat["residual"]["likelihood"], threat["residual"]["score"])
    # least privilege (strength 2) takes the likelihood from 4 to 2, not to 0 (shown as 1)
    assert residual["flow"] == residual["db"] == residual["both"] == (2, 8)
