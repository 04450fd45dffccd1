"""The administration a product offers its customers (tagged `customer-admin`, TL-E014) against staff
administration exposed to lower trust (TL-E001), with the built-in catalog: the tag moves the finding only
where customers alone reach the administration, and hides no other way in."""

from __future__ import annotations

from functools import cache

import pytest

from threatloom.catalog.loading import Catalog, load_catalog
from threatloom.engine import analyse
from threatloom.engine.threat import Analysis
from threatloom.model import load_model_text

BASE = """threatloom: 1
system: {name: Tenant administration}
assets:
  - {id: tenant-data, name: Tenant data, classification: confidential, confidentiality: high}
zones:
  - {id: internet, name: Internet, trust: 0, internet: true}
  - {id: dmz, name: DMZ, trust: 4}
  - {id: vendor-dmz, name: Vendor DMZ, trust: 3}
  - {id: office, name: Office, trust: 5}
  - {id: app, name: Application, trust: 7}
environment:
  - {id: customer-admins, name: Customer administrators, kind: customer, trust: 2, zone: internet}
components:
  - {id: gateway, name: API gateway, type: process, kind: api-gateway, zone: dmz, internet_facing: true}
  - {id: admin-api, name: Tenant admin API, type: %(type)s, kind: %(kind)s, zone: app, admin: true,
     tags: [customer-admin], processes: [tenant-data]}
%(components)sflows:
  - {id: administer, name: Administer tenant, source: customer-admins, destination: gateway, protocol: HTTPS,
     authentication: %(authentication)s, encryption: tls}
  - {id: to-admin, name: Tenant admin calls, source: gateway, destination: admin-api, protocol: HTTPS,
     authentication: %(authentication)s, authorization: role-based, encryption: tls}
%(flows)s"""


@cache
def catalog() -> Catalog:
    return load_catalog()


def analysed(components: str = "", flows: str = "", *, kind: str = "api", element_type: str = "process",
             authentication: str = "token") -> Analysis:
    text = BASE % {"components": components, "flows": flows, "kind": kind, "type": element_type,
                   "authentication": authentication}
    return analyse(load_model_text(text, "tenant.yaml"), catalog())


def findings(analysis: Analysis) -> set[str]:
    return {t.id for t in analysis.threats if t.rule_id in ("TL-E001", "TL-E014")}


def test_customers_alone_reach_the_tagged_administration() -> None:
    assert findings(analysed()) == {"TL-E014@admin-api"}


def test_the_same_api_untagged_is_staff_administration() -> None:
    text = BASE % {"components": "", "flows": "", "kind": "api", "type": "process", "authentication": "token"}
    untagged = analyse(load_model_text(text.replace(" tags: [customer-admin],", ""), "tenant.yaml"), catalog())
    assert findings(untagged) == {"TL-E001@admin-api"}


# others who reach the tagged administration from lower trust keep the staff finding beside the customers'
OTHERS = {
    # remote sessions are no application input, so no party of theirs is among the element's reach
    "a vendor over remote desktop": (
        "  - {id: jump, name: Vendor jump host, type: process, kind: virtual-machine, zone: vendor-dmz}\n",
        "  - {id: rdp, name: Remote maintenance, source: jump, destination: admin-api, protocol: RDP,\n"
        "     authentication: password, encryption: tls}\n"),
    # a client with no party drawn using it brings no party at all
    "staff laptops drawn without a party": (
        "  - {id: laptops, name: Staff laptops, type: process, kind: workstation, zone: office}\n",
        "  - {id: support, name: Support work, source: laptops, destination: admin-api, protocol: HTTPS,\n"
        "     authentication: sso, encryption: tls}\n"),
}


@pytest.mark.parametrize("who", sorted(OTHERS))
def test_others_reaching_the_administration_keep_the_staff_finding(who: str) -> None:
    components, flows = OTHERS[who]
    assert findings(analysed(components, flows)) == {"TL-E001@admin-api", "TL-E014@admin-api"}


def test_a_tagged_data_store_gets_the_customers_finding() -> None:
    assert findings(analysed(kind="database", element_type="data-store")) == {"TL-E014@admin-api"}


def test_unauthenticated_administration_is_more_likely_taken_over() -> None:
    signed_in = analysed().by_id["TL-E014@admin-api"]
    anonymous = analysed(authentication="none").by_id["TL-E014@admin-api"]
    assert anonymous.inherent.likelihood == signed_in.inherent.likelihood + 1
    assert "it accepts requests without authentication" in [f.reason for f in anonymous.inherent.factors]
