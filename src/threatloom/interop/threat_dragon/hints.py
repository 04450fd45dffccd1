"""What threatloom keeps in a cell's `data.threatloom` when it exports: the facts Threat Dragon has no
property for (a zone's trust and internet flag, a component's kind, a party's kind and trust), so that
an import of the export gets them back instead of guessing them from names. Threat Dragon keeps
unknown data keys; files from elsewhere simply have none.
"""

from __future__ import annotations

from typing import Any

from threatloom.interop.reading import ForeignDocument, Key
from threatloom.model.vocabulary import ComponentKind, PartyKind

HINTS = "threatloom"


def read_hints(doc: ForeignDocument, props: dict[str, Any], keys: tuple[Key, ...]) -> dict[str, Any]:
    """The checked hints of a cell: `trust` (0-10), `internet`, `kind`, `party`; unknown values dropped."""
    raw = doc.member(props, HINTS, dict, keys)
    if raw is None:
        return {}
    where = (*keys, HINTS)
    hints: dict[str, Any] = {}
    trust = doc.member(raw, "trust", int, where)
    if trust is not None:
        if not 0 <= trust <= 10:
            raise doc.error((*where, "trust"), f"trust {trust} is outside 0-10", "use a trust level from 0 to 10")
        hints["trust"] = trust
    internet = doc.member(raw, "internet", bool, where)
    if internet is not None:
        hints["internet"] = internet
    kind = doc.member(raw, "kind", str, where)
    if kind in {k.value for k in ComponentKind}:
        hints["kind"] = ComponentKind(kind)
    party = doc.member(raw, "party", str, where)
    if party in {k.value for k in PartyKind}:
        hints["party"] = PartyKind(party)
    return hints
