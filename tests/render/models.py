"""Models every renderer is tried on: each example, the starter, and fixtures named for what they show."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EXAMPLES, REPO
from threatloom.engine import analyse
from threatloom.engine.threat import Analysis
from threatloom.model import load_model
from threatloom.model.schema import Model

FIXTURES = Path(__file__).parent / "fixtures"
STARTER = REPO / "src" / "threatloom" / "model" / "starter.yaml"
CLINIC = FIXTURES / "clinic.yaml"
CLINIC_PREVIOUS = FIXTURES / "clinic-previous.yaml"
HOSTILE = FIXTURES / "hostile.yaml"
TREATMENTS = FIXTURES / "treatments.yaml"
PHARMACY = EXAMPLES / "online-pharmacy" / "model.yaml"
HOSPITAL = EXAMPLES / "hospital-device-fleet" / "model.yaml"
SAAS = EXAMPLES / "saas-platform" / "model.yaml"

EXAMPLE_MODELS = [*sorted(EXAMPLES.glob("*/model.yaml")), STARTER, CLINIC, HOSTILE, TREATMENTS]
PDF_MODELS = [m for m in EXAMPLE_MODELS if m != CLINIC]
"""Every example, the starter and the fixtures that show something in print; the clinic, a hospital like
the hospital example, adds a PDF of the same kind (the slowest format) and nothing else."""


def example_id(path: Path) -> str:
    return path.parent.name if path.name == "model.yaml" else path.stem


_cache: dict[Path, tuple[Model, Analysis]] = {}


def loaded(path: Path) -> tuple[Model, Analysis]:
    """A model and its analysis, computed once per test session."""
    if path not in _cache:
        model = load_model(path)
        _cache[path] = (model, analyse(model))
    return _cache[path]
