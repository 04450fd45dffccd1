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


def test_every_built_in_rule_uses_only_placeholders_a_threat_fills_in() -> None:
    # loading skips this check for the built-in rules (3 ms of every start-up): it is made here instead
    from threatloom.catalog.loading import placeholder_problems, rule_files
    from threatloom.catalog.schema import RuleFile
    from threatloom.catalog.snapshot import data_dir
    from threatloom.model.yamlsource import read_yaml

    problems = []
    checked = 0
    for path in rule_files([data_dir() / "rules"]):
        document = read_yaml(path)
        for i, rule in enumerate(RuleFile.model_validate(document.data).rules):
            problems += placeholder_problems(rule, ("rules", i), document)
            checked += 1
    assert checked >= 100 and problems == []
    # and the check does find a stray one
    stray = rule.model_copy(update={"title": "Seen at {targte}"})
    found = placeholder_problems(stray, ("rules", 0), document)
    assert [(p.message, p.hint) for p in found] == [("unknown placeholder {targte} in the title",
                                                     "did you mean {target}?")]
