"""The typed errors keep what they carry when copied or sent to another process."""

from __future__ import annotations

import copy
import pickle

from threatloom.errors import InputError, Problem, SourceLocation, single_problem


def test_an_input_error_keeps_its_problems_through_pickling_and_copying() -> None:
    error = InputError([Problem(SourceLocation("model.yaml", 3, 7), "unknown zone 'dmz'", "declare it under zones:"),
                        Problem(SourceLocation("rules/x.yaml", 1, 1), "empty rule file")])
    for again in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(again) is InputError
        assert again.problems == error.problems
        assert str(again) == str(error) == ("model.yaml:3:7: error: unknown zone 'dmz' (declare it under zones:)\n"
                                            "rules/x.yaml:1:1: error: empty rule file")


def test_a_single_problem_is_located() -> None:
    error = single_problem("m.yaml", "not a mapping", "start with `threatloom: 1`", line=2, column=5)
    assert [p.location for p in error.problems] == [SourceLocation("m.yaml", 2, 5)]
    assert error.problems[0].as_dict()["hint"] == "start with `threatloom: 1`"
