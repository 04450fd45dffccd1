"""Plain scalars read as PyYAML's safe loader reads them: threatloom resolves their tags itself (for speed)
and must agree with the library on every kind of value a model may hold."""

from __future__ import annotations

import yaml

from threatloom.model.yamlsource import parse_yaml

SCALARS = ["yes", "No", "on", "OFF", "y", "Y", "n", "true", "False", "~", "null", "Null", "", "0", "-1", "+7",
           "0x1F", "0o17", "0b101", "1_000", "3.5", "-2.5e3", ".inf", "-.Inf", ".nan", "1:20", "2026-12-01",
           "2026-12-01T10:00:00Z", "2026-12-01 10:00:00", "<<x", "n123", "f1", "t0", "o", "+", ".",
           "0.1.2", "1e", "web-shop", "Node n123", "~x", "12abc", "TRUE", "True", "tRUE", "NULL", "nULL"]


def test_plain_scalars_get_the_values_the_safe_loader_gives() -> None:
    text = "".join(f"k{i}: {value}\n" for i, value in enumerate(SCALARS))
    ours = parse_yaml(text, "<test>", keep_problems=True).data
    theirs = yaml.safe_load(text)
    # dates stay text in models (the schema parses them); everything else is the library's value and type
    for i, value in enumerate(SCALARS):
        mine, library = ours[f"k{i}"], theirs[f"k{i}"]
        if type(library).__name__ in ("date", "datetime"):
            assert mine == value
        else:
            assert (type(mine), mine) == (type(library), library) or (mine != mine and library != library), value


def test_plain_scalars_get_the_tags_the_safe_resolver_gives() -> None:
    values = [*SCALARS, "=", "<<"]
    text = "".join(f"k{i}: {value}\n" for i, value in enumerate(values))
    ours = parse_yaml(text, "<test>", keep_problems=True).root
    theirs = yaml.compose(text, Loader=yaml.SafeLoader)
    assert ours is not None and theirs is not None
    assert [v.tag for _, v in ours.value] == [v.tag for _, v in theirs.value]
