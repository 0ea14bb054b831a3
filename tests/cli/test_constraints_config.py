"""`[model] lower_bounds`, `upper_bounds` and `multinomial_l1`: parsed and checked in the config,
handed to the estimators and the path by the jobs."""

import csv
import json

import numpy as np
import pytest
from conftest import IRIS, run_cli, write_toml

import jaxlogreg
from jaxlogreg import LogisticRegression, LogisticRegressionCV
from jaxlogreg.cli.config import ConfigError, constraint_options, load_config, validate_config
from jaxlogreg.cli.datasets import load_builtin
from jaxlogreg.cli.split import split_of


def test_defaults_are_no_bounds_and_ungrouped():
    options = constraint_options(validate_config({}), IRIS)
    assert options == dict(lower_bounds=None, upper_bounds=None, multinomial_l1="ungrouped")


def test_numbers_lists_and_infinities(tmp_path):
    text = "[model]\nlower_bounds = 0\nupper_bounds = [1, inf, 0.5, 2]\n"
    options = constraint_options(load_config(write_toml(tmp_path, text)), IRIS)
    assert options["lower_bounds"] == 0.0
    np.testing.assert_array_equal(options["upper_bounds"], [1, np.inf, 0.5, 2])
    text = (
        '[model]\nlower_bounds = [-inf, -1, 0, 0]\nupper_bounds = []\nmultinomial_l1 = "grouped"\n'
    )
    options = constraint_options(load_config(write_toml(tmp_path, text)), IRIS)
    np.testing.assert_array_equal(options["lower_bounds"], [-np.inf, -1, 0, 0])
    assert options["upper_bounds"] is None and options["multinomial_l1"] == "grouped"


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ({"lower_bounds": 0.5}, "'model.lower_bounds' must be a number <= 0"),
        ({"upper_bounds": [1, -1]}, "'model.upper_bounds' must be a number >= 0"),
        ({"upper_bounds": "big"}, "'model.upper_bounds' must be a number >= 0"),
        ({"lower_bounds": float("nan")}, "'model.lower_bounds' must be a number <= 0"),
        ({"multinomial_l1": "group"}, "'model.multinomial_l1' must be one of"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(model, fragment):
    with pytest.raises(ConfigError, match=fragment):
        validate_config({"model": model})


def test_bounds_must_match_the_features():
    config = validate_config({"model": {"upper_bounds": [1.0, 2.0]}})
    with pytest.raises(ConfigError, match="one number per feature \\(4\\), got 2"):
        constraint_options(config, IRIS)


def test_run_job_fits_with_bounds(tmp_path, capsys):
    """The job's model equals LogisticRegression with the same bounds on the same split."""
    text = (
        '[data]\ndataset = "iris"\nstandardize = false\n'
        "[model]\nC = 0.5\nlower_bounds = [-inf, 0, -0.5, -inf]\nupper_bounds = 0.8\ntol = 1e-8\n"
    )
    config = write_toml(tmp_path, text)
    code, _, err = run_cli(capsys, "run", "--config", config, "--output", tmp_path / "out")
    assert code == 0, err
    model = jaxlogreg.load(tmp_path / "out" / "model.npz")
    split = split_of(load_builtin("iris"), load_config(config))
    bounds = dict(lower_bounds=[-np.inf, 0, -0.5, -np.inf], upper_bounds=0.8)
    reference = LogisticRegression(C=0.5, tol=1e-8, **bounds)
    reference.fit(split.X_train, load_builtin("iris").classes[split.y_train])
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-5)
    assert model.coef_.max() <= 0.8 + 1e-12 and model.coef_[:, 1].min() >= 0
    assert np.any(model.coef_ == 0.8)  # a bound is active


def test_path_job_runs_the_grouped_path(tmp_path, capsys):
    """The job's grid and supports are those of the grouped ``regularization_path``."""
    text = (
        '[data]\ndataset = "iris"\n[model]\nmultinomial_l1 = "grouped"\n'
        "[path]\nn_lambdas = 5\nl1_ratio = 1.0\n"
    )
    config = write_toml(tmp_path, text)
    code, _, err = run_cli(capsys, "path", "--config", config, "--output", tmp_path / "out")
    assert code == 0, err
    split = split_of(load_builtin("iris"), load_config(config))
    options = dict(n_lambdas=5, lambda_min_ratio=1e-3, l1_ratio=1.0, tol=1e-6, max_iter=100)
    reference = jaxlogreg.regularization_path(
        split.X_train, split.y_train, multinomial_l1="grouped", **options
    )
    summary = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert summary["lambda_max"] == pytest.approx(reference.lambdas[0])
    with (tmp_path / "out" / "path.csv").open() as file:
        n_nonzero = [int(row["n_nonzero"]) for row in csv.DictReader(file)]
    nonzero = reference.coef != 0  # (L, K, p): a feature's K coefficients enter together
    assert np.all(nonzero.all(axis=1) | ~nonzero.any(axis=1))
    assert n_nonzero == nonzero.all(axis=1).sum(axis=1).tolist()
    assert n_nonzero[0] == 0 and n_nonzero[-1] > 0


def test_cv_job_hands_the_bounds_to_the_estimator(tmp_path, capsys):
    """The job's choice equals LogisticRegressionCV's with the same bounds on the same split."""
    text = (
        '[data]\ndataset = "iris"\n[model]\nlower_bounds = 0\nmax_iter = 300\n'
        "[cv]\nn_Cs = 3\nl1_ratios = [1.0]\nfolds = 3\n"
    )
    config = write_toml(tmp_path, text)
    code, _, err = run_cli(capsys, "cv", "--config", config, "--output", tmp_path / "out")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "metrics.json").read_text())
    split = split_of(load_builtin("iris"), load_config(config))
    reference = LogisticRegressionCV(
        Cs=3, l1_ratios=[1.0], cv=3, max_iter=300, tol=1e-4, lower_bounds=0.0
    ).fit(split.X_train, split.y_train)
    assert reference.coef_.min() >= 0
    assert summary["C"] == pytest.approx(reference.C_[0])
    assert summary["n_nonzero"] == np.count_nonzero(reference.coef_.any(axis=0))
