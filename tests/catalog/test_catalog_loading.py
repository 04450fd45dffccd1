"""Loading the catalog leaves the cycle collector alone: a model is loaded by then, and every full
collection the catalog's allocations set off would walk all of it."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from threatloom.catalog.loading import load_catalog
from threatloom.errors import InputError


def _collections_during(work: object) -> list[int]:
    started: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.collect()
    gc.callbacks.append(note)
    try:
        work()  # type: ignore[operator]
    finally:
        gc.callbacks.remove(note)
    return started


def test_the_catalog_loads_without_setting_off_the_cycle_collector() -> None:
    assert gc.isenabled()
    # at most one pass over the young objects, as the collector resumes, and no full one
    assert _collections_during(lambda: load_catalog()) in ([], [0])
    assert gc.isenabled()
    # as many allocations with the collector running set it off many times: the check above can fail
    assert len(_collections_during(lambda: [[i] for i in range(50_000)])) > 1


def test_the_cycle_collector_is_back_on_after_a_broken_rule_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules:\n  - {id: X-1}\n")
    with pytest.raises(InputError):
        load_catalog([broken])
    assert gc.isenabled()
