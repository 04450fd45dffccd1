"""The lab model and its test-only catalog, shared by the lifecycle and risk tests.

The catalog has five controls (fixtures/controls.yaml) and three rules (fixtures/rules/), so every
expected number can be worked out by hand and none moves when the built-in catalog grows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from threatloom.catalog.loading import Catalog, add_rule_file, load_controls
from threatloom.engine.generation import analyse, analyse_with_inputs
from threatloom.engine.threat import Analysis
from threatloom.lifecycle.scored import ScoredModel
from threatloom.model import load_model_text
from threatloom.model.schema import Model
from threatloom.model.yamlsource import read_yaml

FIXTURES = Path(__file__).parent / "fixtures"
LAB = FIXTURES / "lab.yaml"
CLINIC = FIXTURES / "clinic.yaml"
TODAY = dt.date(2026, 11, 24)


def lab_catalog() -> Catalog:
    catalog = Catalog(controls=load_controls(FIXTURES / "controls.yaml"))
    add_rule_file(catalog, read_yaml(FIXTURES / "rules" / "lab-rules.yaml"), builtin=False)
    return catalog


def lab_model(extra: str = "", replace: tuple[str, str] | None = None) -> Model:
    text = LAB.read_text()
    if replace is not None:
        assert replace[0] in text, replace[0]
        text = text.replace(*replace)
    return load_model_text(text + extra, "lab.yaml")


def lab(extra: str = "", replace: tuple[str, str] | None = None, today: dt.date = TODAY) -> Analysis:
    return analyse(lab_model(extra, replace), lab_catalog(), today=today)


def lab_scored(extra: str = "", replace: tuple[str, str] | None = None) -> ScoredModel:
    model = lab_model(extra, replace)
    catalog = lab_catalog()
    analysis, inputs = analyse_with_inputs(model, catalog, today=TODAY)
    return ScoredModel(LAB, model, catalog, analysis, inputs)
