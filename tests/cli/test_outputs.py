"""The writers and helpers every job shares (`jaxlogreg.cli.outputs`)."""

import json
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

from jaxlogreg.cli.outputs import convergence_message, table_rows, write_csv, write_json


def test_convergence_message_keeps_the_last_and_reissues_other_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("first fit did not converge", ConvergenceWarning, stacklevel=1)
        warnings.warn("a user warning", UserWarning, stacklevel=1)
        warnings.warn("second fit\n  did not converge", ConvergenceWarning, stacklevel=1)
    with pytest.warns(UserWarning, match="a user warning"):
        message = convergence_message(caught)
    assert message == "second fit did not converge"
    assert convergence_message([]) is None


def test_table_rows_are_evenly_spaced_and_end_with_the_last_row():
    assert table_rows(list(range(24)), 10) == [*range(0, 24, 2), 23]
    assert table_rows(list(range(25)), 10) == list(range(0, 25, 2))
    assert table_rows([1, 2, 3], 10) == [1, 2, 3]


def test_csv_and_json_writers(tmp_path):
    write_csv(tmp_path / "rows.csv", [{"a": 1, "b": 2.5}, {"a": 3, "b": 4.0}])
    assert (tmp_path / "rows.csv").read_text().splitlines() == ["a,b", "1,2.5", "3,4.0"]
    write_json(tmp_path / "summary.json", {"x": [1, 2]})
    assert json.loads((tmp_path / "summary.json").read_text()) == {"x": [1, 2]}
