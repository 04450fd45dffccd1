"""Session-wide models and analyses for the render tests."""

from __future__ import annotations

import pytest

from tests.render.models import CLINIC, HOSTILE, loaded
from threatloom.engine.threat import Analysis
from threatloom.model.schema import Model


@pytest.fixture(scope="session")
def clinic() -> tuple[Model, Analysis]:
    return loaded(CLINIC)


@pytest.fixture(scope="session")
def hostile() -> tuple[Model, Analysis]:
    return loaded(HOSTILE)
