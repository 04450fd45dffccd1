"""Check the catalog IDs a model cites (controls' `implements`, decisions' and threats' `controls`)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from threatloom.catalog.loading import Catalog
from threatloom.errors import Problem
from threatloom.model.schema import Model


def unknown_catalog_controls(model: Model, catalog: Catalog) -> list[Problem]:
    """A problem for every catalog control ID the model names that the catalog does not define."""
    known = sorted(catalog.controls)
    problems: list[Problem] = []

    def check(ids: Iterable[str], where: str, field: str) -> None:
        for cid in ids:
            if cid in catalog.controls:
                continue
            close = difflib.get_close_matches(cid, known, 1, 0.6)
            hint = f"did you mean {close[0]!r}?" if close else "list them with `threatloom rules list`"
            problems.append(Problem(model.locate(where), f"{field} names unknown catalog control {cid!r}",
                                    hint, "unknown-control", path=where))

    for control in model.controls:
        check(control.implements, f"controls/{control.id}", f"control {control.id!r}: implements")
    for i, decision in enumerate(model.decisions):
        check(decision.controls, f"decisions/{i}", f"decision for {decision.threat!r}: controls")
    for threat in model.threats:
        check(threat.controls, f"threats/{threat.id}", f"threat {threat.id!r}: controls")
    return problems
