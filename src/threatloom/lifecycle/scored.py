"""A model loaded with its catalog and analysis, and what each score was computed from.

The lifecycle commands (plan, backlog, check, diff, history) all start here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

import msgspec

from threatloom.catalog.loading import Catalog
from threatloom.engine.threat import Analysis
from threatloom.model.confinement import FilesRoot
from threatloom.model.schema import Model
from threatloom.risk.scoring import ScoreInputs


class ScoredModel(msgspec.Struct, frozen=True):
    path: Path
    model: Model
    catalog: Catalog
    analysis: Analysis
    inputs: Mapping[str, ScoreInputs]


def load_scored(path: Path, rules: Iterable[Path] = (), *, today: dt.date | None = None,
                files_root: FilesRoot | None = None) -> ScoredModel:
    """Load the model at `path` with its own rules and `rules`, and analyse it (InputError if invalid).
    `files_root`: where its includes and rule files must lie, when not the git work tree around it."""
    from threatloom.engine.generation import analyse_with_inputs, catalog_for
    from threatloom.model import load_model

    model = load_model(path, files_root=files_root)
    catalog = catalog_for(model, list(rules))
    analysis, inputs = analyse_with_inputs(model, catalog, today=today)
    return ScoredModel(path, model, catalog, analysis, inputs)
