"""Which actors reach which elements: zones, flows, and the organisations flows end at."""

from __future__ import annotations

from pathlib import Path

import pytest

from threatloom.engine.reach import compute_reach
from threatloom.model import load_model_text

SHOP = Path(__file__).parent / "fixtures" / "shop.yaml"
PARTNER_ACTOR = """  - id: courier-hacker
    name: Attacker in the courier's network
    origin: external
    kind: cybercriminal
    capability: {skill: high, resources: organisation}
    starts_in: [partners]
"""


def _with_courier(kind: str) -> dict[str, dict[str, int]]:
    """The shop, with the clerk's desk booking deliveries at a courier that sends tracking updates on to
    the report server (which nothing else reaches): each actor's reach."""
    text = SHOP.read_text()
    text = text.replace("actors:\n", "actors:\n" + PARTNER_ACTOR, 1)
    text = text.replace("zones:\n", "zones:\n  - {id: partners, name: Partners, trust: 2}\n", 1)
    text = text.replace("environment:\n", "environment:\n  - {id: courier, name: Courier, kind: " + kind
                        + ", trust: 2, zone: partners}\n", 1)
    text = text.replace("flows:\n", "flows:\n"
                        "  - {id: dispatch, name: Book delivery, source: desk, destination: courier, protocol: HTTPS,"
                        " authentication: token, encryption: tls, data: [orders]}\n"
                        "  - {id: tracking, name: Tracking, source: courier, destination: reports, protocol: HTTPS,"
                        " authentication: token, encryption: tls}\n", 1)
    return compute_reach(load_model_text(text, "shop.yaml").index).hops


@pytest.mark.parametrize("kind", ["partner", "vendor"])
def test_a_flow_into_another_organisation_leads_no_attacker_into_it(kind: str) -> None:
    hops = _with_courier(kind)
    # the clerk hands the courier data; that does not put the clerk inside the courier's systems
    assert "courier" not in hops["clerk"]
    assert "reports" not in hops["clerk"]
    # who starts at the courier reaches it, and through its flow what it sends to
    assert hops["courier-hacker"]["courier"] == 0
    assert hops["courier-hacker"]["reports"] == 1


def test_flows_still_lead_into_our_own_parties() -> None:
    # a party that is one of ours (staff) is no other organisation: the flow into it is a path
    hops = _with_courier("employee")
    assert hops["clerk"]["courier"] == 1
    assert hops["clerk"]["reports"] == 2



def _staff_reached(crook_phishes: str, clerk_phishes: str) -> tuple[bool, bool]:
    """The shop with a staff party that no flow touches: whether the crook and the clerk reach it."""
    text = SHOP.read_text()
    text = text.replace("    starts_in: [internet]\n", "    starts_in: [internet]\n" + crook_phishes, 1)
    text = text.replace("    starts_in: [office]\n", "    starts_in: [office]\n" + clerk_phishes, 1)
    text = text.replace("environment:\n", "environment:\n  - {id: staff, name: Warehouse staff, kind: employee,"
                        " trust: 5, zone: dc}\n", 1)
    hops = compute_reach(load_model_text(text, "shop.yaml").index).hops
    return "staff" in hops["crook"], "staff" in hops["clerk"]


def test_external_actors_phish_people_unless_the_model_says_otherwise() -> None:
    # by default an external actor reaches people by e-mail and phone, an insider does not
    assert _staff_reached("", "") == (True, False)
    assert _staff_reached("    social_engineering: false\n", "    social_engineering: true\n") == (False, True)
