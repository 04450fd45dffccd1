"""docs/rules.md documents every fact of the condition language."""

from __future__ import annotations

from pathlib import Path

import pytest

from threatloom.engine.facts import ELEMENT_FACTS, FLOW_FACTS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text()


@pytest.mark.parametrize(("section", "name"), [("Element facts", n) for n in ELEMENT_FACTS]
                         + [("Flow facts", n) for n in FLOW_FACTS])
def test_fact_is_documented_in_its_section(section: str, name: str) -> None:
    start = DOC.index(f"### {section}")
    end = DOC.find("\n## ", start)
    assert f"| `{name}` |" in DOC[start:end]
