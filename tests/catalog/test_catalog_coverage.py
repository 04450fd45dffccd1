"""The built-in catalog stays as broad and as complete as promised: how many rules, for which categories,
element types and families, and that each rule and control carries what a reader needs."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from threatloom.catalog.loading import Catalog, load_catalog
from threatloom.engine.releases import builtin_end_of_life, load_end_of_life
from threatloom.errors import InputError
from threatloom.model.vocabulary import STRIDE, ElementType


@cache
def catalog() -> Catalog:
    return load_catalog()


def test_at_least_80_rules() -> None:
    assert len(catalog().rules) >= 80


def test_at_least_8_rules_per_stride_category_and_10_linddun_rules() -> None:
    categories = Counter(r.rule.category for r in catalog().rules.values())
    assert {c.value: categories[c] for c in STRIDE if categories[c] < 8} == {}
    assert sum(n for c, n in categories.items() if c.framework == "LINDDUN") >= 10


def test_at_least_8_rules_per_element_type_and_for_interactions() -> None:
    per_type: Counter[str] = Counter()
    for compiled in catalog().rules.values():
        rule = compiled.rule
        if rule.applies_to == "interaction":
            per_type["interaction"] += 1
        else:
            per_type.update(t.value for t in (rule.element_types or tuple(ElementType)))
    assert {t: per_type[t] for t in ("process", "data-store", "external-entity", "interaction")
            if per_type[t] < 8} == {}


def test_the_families_are_there() -> None:
    tags = Counter(t for r in catalog().rules.values() for t in r.rule.tags)
    assert tags["supply-chain"] >= 8 and tags["cloud"] >= 5 and tags["third-party"] >= 5


def test_every_rule_explains_itself() -> None:
    lacking = []
    for rule_id, compiled in sorted(catalog().rules.items()):
        rule = compiled.rule
        if not (rule.title and rule.description.strip() and rule.detection.strip() and rule.false_positives.strip()):
            lacking.append(rule_id)
        if not 3 <= len(rule.controls) <= 6:
            lacking.append(f"{rule_id}: {len(rule.controls)} controls")
    assert lacking == []


def test_nearly_every_rule_cites_capec_cwe_or_attack() -> None:
    # outages of a dependency and erasure from backups have no attack pattern or weakness to cite
    without = sorted(r.rule.id for r in catalog().rules.values()
                     if not (r.rule.references.capec or r.rule.references.cwe or r.rule.references.attack))
    assert without == ["TL-P014", "TL-TP004", "TL-TP008"]


def test_every_control_maps_to_nist_and_asvs() -> None:
    assert [c.id for c in catalog().controls.values() if not (c.nist and c.asvs)] == []


def test_the_end_of_life_list_is_dated_and_matches_releases_not_prefixes() -> None:
    eol = builtin_end_of_life()
    assert str(eol.as_of) == "2026-12-01"
    assert eol.ended("Django 4.2.16") and eol.ended("Windows Server 2008 R2") and eol.ended("AWS Lambda (Node.js) 20.x")
    assert not eol.ended("Django 4.20") and not eol.ended("Django 5.2") and not eol.ended("MongoDB 1.23")
    assert not eol.ended("Windows 10 IoT Enterprise LTSC 2019") and not eol.ended("Python 3.12")
    # releases a reviewer of the examples named, with the suppliers' dates
    assert eol.ended("Spring Boot 3.3.4") and eol.ended("Spring Boot 2.7.18") and not eol.ended("Spring Boot 4.0.1")
    assert eol.ended("Next.js 14.2") and eol.ended("Next.js 15.5.4") and not eol.ended("Next.js 16.1")
    # EKS counts standard support (extended support is paid): 1.34's ends on 2026-12-02, after the list's date
    assert eol.ended("Amazon EKS 1.30") and not eol.ended("Amazon EKS 1.34") and not eol.ended("Amazon EKS 1.35")
    assert eol.ended("Keycloak 25.0.6") and not eol.ended("Keycloak 26.4.2")


def test_a_broken_end_of_life_list_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "eol.yaml"
    path.write_text("threatloom-end-of-life: 1\nas_of: 2026-12-01\nproducts:\n"
                    "  - {name: Go, match: '\\bgo\\b', source: x, releses: {'1.20': 2024-02-06}}\n")
    with pytest.raises(InputError) as caught:
        load_end_of_life(path)
    messages = {(str(p.location), p.message) for p in caught.value.problems}
    assert (f"{path}:4:44", "unknown key 'releses' in products[0]") in messages
