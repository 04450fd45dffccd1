"""Every rule in the built-in catalog has a fixture where it fires and one where it must not.

Layout: tests/catalog/rules/<RULE-ID>/fires.yaml (a model), expected.yaml (`fires: [threat IDs]`),
quiet.yaml (a model in which the rule must produce nothing). The list of rules comes from the catalog,
so a rule added without fixtures fails here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from threatloom.catalog.loading import Catalog, load_catalog
from threatloom.engine import analyse
from threatloom.model import load_model

RULES_DIR = Path(__file__).parent / "rules"


@cache
def catalog() -> Catalog:
    return load_catalog()


RULE_IDS = sorted(catalog().rules)


def _ids(model_path: Path, rule_id: str) -> set[str]:
    analysis = analyse(load_model(model_path), catalog())
    return {t.id for t in analysis.threats if t.rule_id == rule_id}


def test_every_fixture_folder_names_a_rule() -> None:
    folders = {p.name for p in RULES_DIR.iterdir() if p.is_dir()}
    assert folders - set(RULE_IDS) == set(), "fixture folders for rules that do not exist"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_fires_on_its_fixture(rule_id: str) -> None:
    folder = RULES_DIR / rule_id
    assert (folder / "fires.yaml").is_file(), f"{rule_id} has no fires.yaml fixture"
    expected = yaml.safe_load((folder / "expected.yaml").read_text())["fires"]
    assert expected, "expected.yaml must name at least one threat"
    assert _ids(folder / "fires.yaml", rule_id) == set(expected)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_stays_quiet_on_its_counter_fixture(rule_id: str) -> None:
    folder = RULES_DIR / rule_id
    assert (folder / "quiet.yaml").is_file(), f"{rule_id} has no quiet.yaml fixture"
    assert _ids(folder / "quiet.yaml", rule_id) == set()
