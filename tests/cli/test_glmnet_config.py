"""The options of glmnet users in the job configuration: [model] penalty_factor and standardize,
[cv] select; checked, and handed to the estimators the jobs fit."""

import json

import numpy as np
import pytest
from conftest import IRIS, run_cli, write_toml

import jaxlogreg
from jaxlogreg import LogisticRegression, LogisticRegressionCV
from jaxlogreg.cli.config import ConfigError, load_config, penalty_factors, validate_config
from jaxlogreg.cli.datasets import load_builtin
from jaxlogreg.cli.split import split_of


def test_defaults_leave_the_estimators_as_they_are():
    config = validate_config({})
    assert config["model"]["penalty_factor"] == ()
    assert config["model"]["standardize"] is False
    assert config["cv"]["select"] == "min"
    assert penalty_factors(config, IRIS) is None


def test_penalty_factor_as_a_list(tmp_path):
    config = load_config(write_toml(tmp_path, "[model]\npenalty_factor = [0, 1, 2.5, 1]\n"))
    assert config["model"]["penalty_factor"] == (0.0, 1.0, 2.5, 1.0)
    np.testing.assert_array_equal(penalty_factors(config, IRIS), [0.0, 1.0, 2.5, 1.0])


def test_penalty_factor_from_a_npy_file(tmp_path):
    np.save(tmp_path / "factors.npy", np.array([1.0, 0.0, 1.0, 3.0]))
    text = f'[model]\npenalty_factor = "{tmp_path / "factors.npy"}"\n'
    config = load_config(write_toml(tmp_path, text))
    np.testing.assert_array_equal(penalty_factors(config, IRIS), [1.0, 0.0, 1.0, 3.0])


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("[1, -1]", "non-negative numbers"),
        ('[1, "a"]', "non-negative numbers"),
        ("true", "non-negative numbers"),
        ('"factors.txt"', "a path to a .npy file"),
    ],
)
def test_bad_penalty_factor_names_the_key_and_the_fix(tmp_path, value, fragment):
    with pytest.raises(ConfigError, match=r"'model\.penalty_factor' must be") as error:
        load_config(write_toml(tmp_path, f"[model]\npenalty_factor = {value}\n"))
    assert fragment in str(error.value)


def test_penalty_factor_must_match_the_features(tmp_path):
    config = validate_config({"model": {"penalty_factor": [1, 1]}})
    with pytest.raises(ConfigError, match=r"one number per feature \(4: sepal length"):
        penalty_factors(config, IRIS)
    missing = validate_config({"model": {"penalty_factor": str(tmp_path / "absent.npy")}})
    with pytest.raises(ConfigError, match="cannot read"):
        penalty_factors(missing, IRIS)
    np.save(tmp_path / "bad.npy", np.array([1.0, np.nan, 1.0, 1.0]))
    bad = validate_config({"model": {"penalty_factor": str(tmp_path / "bad.npy")}})
    with pytest.raises(ConfigError, match="finite, non-negative"):
        penalty_factors(bad, IRIS)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"model": {"standardize": "yes"}}, "'model.standardize' must be of type bool"),
        ({"cv": {"select": "max"}}, "'cv.select' must be one of 'min', '1se'"),
    ],
)
def test_bad_standardize_or_select(raw, fragment):
    with pytest.raises(ConfigError, match=fragment):
        validate_config(raw)


def test_cv_job_hands_select_factors_and_standardize_to_the_estimator(tmp_path, capsys):
    """The job's choice equals LogisticRegressionCV's with the same options on the same split."""
    text = (
        '[data]\ndataset = "iris"\nstandardize = false\n'
        "[model]\npenalty_factor = [0, 1, 1, 2]\nstandardize = true\nmax_iter = 300\n"
        '[cv]\nn_Cs = 4\nl1_ratios = [0.5]\nfolds = 3\nselect = "1se"\n'
    )
    config = write_toml(tmp_path, text)
    code, out, err = run_cli(capsys, "cv", "--config", config, "--output", tmp_path / "out")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert summary["C"] == summary["C_1se"]
    assert summary["penalty_factor"] == [0.0, 1.0, 1.0, 2.0] and summary["standardize"]
    assert "select = '1se'" in out
    split = split_of(load_builtin("iris"), load_config(config))
    options = dict(penalty_factor=[0, 1, 1, 2], standardize=True, select="1se")
    reference = LogisticRegressionCV(
        Cs=4, l1_ratios=[0.5], cv=3, max_iter=300, tol=1e-4, **options
    ).fit(split.X_train, split.y_train)
    assert summary["C"] == pytest.approx(reference.C_[0])
    assert summary["C_min"] == pytest.approx(reference.C_min_)


def test_run_job_fits_with_factors_and_standardize(tmp_path, capsys):
    text = (
        '[data]\ndataset = "iris"\nstandardize = false\n'
        "[model]\nC = 0.5\npenalty_factor = [0, 1, 1, 2]\nstandardize = true\ntol = 1e-8\n"
    )
    config = write_toml(tmp_path, text)
    code, _, err = run_cli(capsys, "run", "--config", config, "--output", tmp_path / "out")
    assert code == 0, err
    model = jaxlogreg.load(tmp_path / "out" / "model.npz")
    np.testing.assert_array_equal(model.penalty_factor, [0, 1, 1, 2])
    assert model.standardize is True
    split = split_of(load_builtin("iris"), load_config(config))
    reference = LogisticRegression(C=0.5, penalty_factor=[0, 1, 1, 2], standardize=True, tol=1e-8)
    reference.fit(split.X_train, load_builtin("iris").classes[split.y_train])
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-4)


def test_wrong_number_of_factors_is_a_one_line_error(tmp_path, capsys):
    config = write_toml(tmp_path, '[data]\ndataset = "iris"\n[model]\npenalty_factor = [1, 2]\n')
    code, _, err = run_cli(capsys, "run", "--config", config, "--output", tmp_path / "out")
    assert code == 2
    assert err.startswith("jaxlogreg: error: model.penalty_factor must have one number per")
    assert len(err.strip().splitlines()) == 1


def offset_csv(path, n=160, seed=0):
    """Labels that depend on `signal` and on a known `exposure` term of the logit."""
    rng = np.random.default_rng(seed)
    signal, noise, exposure = rng.normal(size=(3, n))
    labels = np.where(signal + exposure + 0.5 * rng.logistic(size=n) > 0, "yes", "no")
    with path.open("w") as file:
        file.write("noise,exposure,answer,signal\n")
        for row in zip(noise, exposure, labels, signal, strict=True):
            file.write(",".join(str(v) for v in row) + "\n")
    return path


def test_fit_takes_the_offset_column_out_of_the_features(tmp_path, capsys):
    data = offset_csv(tmp_path / "exposure.csv")
    text = '[data]\noffset = "exposure"\nstandardize = false\n[model]\ntol = 1e-8\n'
    config = write_toml(tmp_path, text)
    argv = ("fit", "--data", data, "--target", "answer", "--config", config)
    code, _, err = run_cli(capsys, *argv, "--output", tmp_path / "out")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert summary["dataset"]["n_features"] == 2 and summary["dataset"]["offset"] == "exposure"
    model = jaxlogreg.load(tmp_path / "out" / "model.npz")
    assert model.n_features_in_ == 2
    assert {entry["feature"] for entry in summary["top_coefficients"]} == {"noise", "signal"}

    from jaxlogreg.cli.datasets import load_table
    from jaxlogreg.cli.split import prepare_split

    dataset = load_table(data, "answer", "exposure")
    X_train, X_test, y_train, y_test, _, _, offsets = prepare_split(dataset, load_config(config))
    reference = LogisticRegression(tol=1e-8)
    reference.fit(X_train, dataset.classes[y_train], offset=offsets[0])
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-5)
    accuracy = reference.score(X_test, dataset.classes[y_test], offset=offsets[1])
    assert summary["metrics"]["test"]["accuracy"] == pytest.approx(accuracy)


@pytest.mark.parametrize(
    ("command", "offset", "fragment"),
    [
        ("run", "exposure", "names a column of a table"),
        ("fit", "absent", "must name a numeric column other than the target"),
        ("fit", "answer", "must name a numeric column other than the target"),
    ],
)
def test_bad_offset_column_is_a_one_line_error(tmp_path, capsys, command, offset, fragment):
    data = offset_csv(tmp_path / "exposure.csv")
    config = write_toml(tmp_path, f'[data]\noffset = "{offset}"\n')
    argv = [command, "--config", config, "--output", tmp_path / "out"]
    if command == "fit":
        argv += ["--data", data, "--target", "answer"]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert fragment in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "job"),
    [(("tune",), "jaxlogreg tune"), (("fit", "--chunk-rows", 64), "an out-of-core fit")],
)
def test_jobs_without_glmnet_options_refuse_them(tmp_path, capsys, argv, job):
    """`tune` and out-of-core fits take none of glmnet's [model] keys: a one-line error naming
    the keys and the jobs that take them, before any work."""
    data = tmp_path / "X.npy"
    np.save(data, np.zeros((4, 2)))
    config = write_toml(tmp_path, "[model]\nstandardize = true\nlower_bounds = 0\n")
    extra = ("--data", data, "--target", data) if "fit" in argv else ()
    code, _, err = run_cli(capsys, *argv, *extra, "--config", config, "--output", tmp_path / "out")
    assert code == 2
    assert job in err and "model.standardize, model.lower_bounds" in err
    assert "`jaxlogreg fit`, `jaxlogreg cv` or `jaxlogreg path`" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
