"""Tests of the `jaxlogreg` command line, its datasets and its outputs."""

import csv
import json
import os
import subprocess
import sys

import jax
import matplotlib.image
import numpy as np
import pytest
from conftest import run_cli
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import jaxlogreg
from jaxlogreg.cli import config as cli_config
from jaxlogreg.cli.config import default_config
from jaxlogreg.cli.datasets import load_builtin, load_table
from jaxlogreg.cli.outputs import output_directory

OUTPUT_FILES = {"model.npz", "report.txt", "metrics.json", "report.png"}


@pytest.fixture
def default_precision():
    """JAX in float32, as a fresh `jaxlogreg` process starts; the previous setting is restored."""
    enabled = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    yield
    jax.config.update("jax_enable_x64", enabled)


def write_csv(path, header, rows):
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def signal_csv(path, n=200, seed=0):
    """Labels 'yes'/'no' that depend on column `signal` only; `noise` is irrelevant."""
    rng = np.random.default_rng(seed)
    signal, noise = rng.normal(size=n), rng.normal(size=n)
    labels = np.where(signal + 0.3 * rng.normal(size=n) > 0, "yes", "no")
    rows = zip(noise.round(4), labels, signal.round(4), strict=True)
    return write_csv(path, ["noise", "answer", "signal"], rows)


# --- datasets ---------------------------------------------------------------------------------


def test_builtin_breast_cancer_has_names_and_sorted_string_classes():
    dataset = load_builtin("breast_cancer")
    assert dataset.X.shape == (569, 30)
    assert dataset.feature_names[0] == "mean radius"
    assert dataset.class_names == ("benign", "malignant")
    assert np.bincount(dataset.y).tolist() == [357, 212]


def test_builtin_digits_has_integer_classes():
    dataset = load_builtin("digits")
    assert dataset.X.shape == (1797, 64)
    assert dataset.classes.tolist() == list(range(10))


def test_unknown_builtin_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        load_builtin("mnist")


def test_csv_with_string_target(tmp_path):
    path = write_csv(
        tmp_path / "pets.csv",
        ["weight", "kind", "height"],
        [["4.5", "cat", "25"], ["30", "dog", "60"], ["3.9", "cat", "23"]],
    )
    dataset = load_table(path, "kind")
    assert dataset.name == "pets"
    assert dataset.feature_names == ("weight", "height")
    np.testing.assert_array_equal(dataset.X, [[4.5, 25.0], [30.0, 60.0], [3.9, 23.0]])
    assert dataset.class_names == ("cat", "dog")
    assert dataset.y.tolist() == [0, 1, 0]
    assert dataset.labels.tolist() == ["cat", "dog", "cat"]


def test_csv_numeric_target_sorts_numerically(tmp_path):
    rows = [["1.0", "10"], ["2.0", "2"], ["3.0", "1"], ["4.0", "10"]]
    dataset = load_table(write_csv(tmp_path / "d.csv", ["x", "y"], rows), "y")
    assert dataset.classes.tolist() == [1, 2, 10]
    assert dataset.classes.dtype.kind == "i"
    assert dataset.y.tolist() == [2, 1, 0, 2]


def test_csv_non_numeric_feature_names_column_and_line(tmp_path):
    rows = [["1.0", "a", "0"], ["2.0", "b", "1"], ["oops", "a", "1"]]
    path = write_csv(tmp_path / "d.csv", ["x", "label", "z"], rows)
    with pytest.raises(ValueError, match="column 'x' must hold numbers") as error:
        load_table(path, "label")
    assert "line 4" in str(error.value)
    assert "'oops'" in str(error.value)


def test_csv_missing_feature_value(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["x", "label"], [["1", "a"], ["", "b"]])
    with pytest.raises(ValueError, match=r"column 'x' must hold numbers.*line 3 holds ''"):
        load_table(path, "label")


def test_csv_missing_target_column_lists_columns(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["x", "label"], [["1", "a"], ["2", "b"]])
    with pytest.raises(ValueError, match="no column named 'target'; available columns: x, label"):
        load_table(path, "target")


def test_csv_without_header(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["1.0", "0"], [["2.0", "1"]])
    with pytest.raises(ValueError, match="first row must be a header"):
        load_table(path, "0")


def test_csv_ragged_row(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["x", "label"], [["1", "a"], ["2", "b", "9"]])
    with pytest.raises(ValueError, match="line 3 has 3 fields, the header has 2"):
        load_table(path, "label")


def test_csv_single_class(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["x", "label"], [["1", "a"], ["2", "a"]])
    with pytest.raises(ValueError, match="single class"):
        load_table(path, "label")


def test_missing_data_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="data file not found"):
        load_table(tmp_path / "absent.csv", "label")


def test_parquet_without_engine_says_what_to_install(tmp_path, monkeypatch):
    pandas = pytest.importorskip("pandas")

    def no_engine(path):
        raise ImportError("Unable to find a usable engine")

    monkeypatch.setattr(pandas, "read_parquet", no_engine)
    path = tmp_path / "d.parquet"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="needs pandas and pyarrow"):
        load_table(path, "label")


# --- command line -----------------------------------------------------------------------------


def test_run_end_to_end_on_breast_cancer(tmp_path, capsys, default_precision):
    code, out, err = run_cli(capsys, "run", "--output", tmp_path)
    assert code == 0, err
    assert {path.name for path in tmp_path.iterdir()} == OUTPUT_FILES

    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["dataset"]["name"] == "breast_cancer"
    assert summary["split"] == {
        "n_train": 426,
        "n_test": 143,
        "test_size": 0.25,
        "seed": 0,
        "standardized": True,
    }
    assert summary["model"]["glmnet_lambda"] == pytest.approx(1 / 426)
    assert summary["model"]["dtype"] == "float32"
    assert summary["fit"]["converged"] is True
    assert summary["fit"]["n_iter"][0] < 100
    assert summary["fit"]["fit_seconds"] > 0
    test = summary["metrics"]["test"]
    assert test["accuracy"] > 0.9
    assert test["roc_auc"] > 0.95
    assert 0 < test["log_loss"] < 0.3
    top = summary["top_coefficients"]
    assert len(top) == 15
    assert [abs(e["coefficient"]) for e in top] == sorted(
        (abs(e["coefficient"]) for e in top), reverse=True
    )
    assert {e["class"] for e in top} == {"malignant"}

    report = (tmp_path / "report.txt").read_text()
    assert report in out
    assert f"{test['accuracy']:.4f}" in report
    assert "glmnet lambda" in report
    assert top[0]["feature"] in report
    assert str(tmp_path) in out.splitlines()[-1]

    image = matplotlib.image.imread(tmp_path / "report.png")
    height, width = image.shape[:2]
    assert width > 2.5 * height  # three panels side by side


def test_saved_model_with_saved_scaling_reproduces_test_accuracy(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", "--output", tmp_path)
    assert code == 0, err
    summary = json.loads((tmp_path / "metrics.json").read_text())
    model = jaxlogreg.load(tmp_path / "model.npz")
    assert model.classes_.tolist() == ["benign", "malignant"]

    dataset = load_builtin("breast_cancer")
    _, X_test, _, y_test = train_test_split(
        dataset.X, dataset.labels, test_size=0.25, random_state=0, stratify=dataset.y
    )
    scaling = summary["feature_scaling"]
    X_test = (X_test - np.array(scaling["mean"])) / np.array(scaling["scale"])
    accuracy = np.mean(model.predict(X_test) == y_test)
    assert accuracy == pytest.approx(summary["metrics"]["test"]["accuracy"])


def test_run_multiclass_iris(tmp_path, capsys):
    config = tmp_path / "iris.toml"
    config.write_text('[data]\ndataset = "iris"\n[output]\ntop_coefficients = 3\n')
    code, out, err = run_cli(capsys, "run", "--config", config, "--output", tmp_path / "out")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert summary["dataset"]["class_names"] == ["setosa", "versicolor", "virginica"]
    assert summary["metrics"]["test"]["accuracy"] > 0.85
    assert summary["metrics"]["test"]["roc_auc"] > 0.95
    assert len(summary["top_coefficients"]) == 3
    assert summary["top_coefficients"][0]["feature"].startswith("petal")
    assert "one-vs-rest" in out
    assert "(class " in out


def test_run_nonlinear_config_fits_circles_with_polynomial_features(tmp_path, capsys):
    config = cli_config.DEFAULT_CONFIG_PATH.parent / "nonlinear.toml"
    code, out, err = run_cli(capsys, "run", "--config", config, "--output", tmp_path)
    assert code == 0, err
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["dataset"]["name"] == "circles" and summary["dataset"]["n_features"] == 2
    assert summary["features"] == {
        "polynomial_degree": 2,
        "names": ["x1", "x2", "x1^2", "x1 x2", "x2^2"],
    }
    assert summary["metrics"]["test"]["accuracy"] > 0.95
    assert {e["feature"] for e in summary["top_coefficients"][:2]} == {"x1^2", "x2^2"}
    assert jaxlogreg.load(tmp_path / "model.npz").n_features_in_ == 5
    assert "monomials of degree 1 to 2" in out
    image = matplotlib.image.imread(tmp_path / "report.png")
    height, width = image.shape[:2]
    assert width > 3.5 * height  # four panels: the decision boundary is the fourth


def test_path_command_writes_one_csv_row_per_lambda(tmp_path, capsys):
    config = cli_config.DEFAULT_CONFIG_PATH.parent / "path_l1.toml"
    code, out, err = run_cli(capsys, "path", "--config", config, "--output", tmp_path)
    assert code == 0, err
    assert {path.name for path in tmp_path.iterdir()} == {"path.png", "path.csv", "metrics.json"}
    with (tmp_path / "path.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 100
    lambdas = [float(row["lambda"]) for row in rows]
    assert lambdas == sorted(lambdas, reverse=True)
    assert rows[0]["n_nonzero"] == "0" and int(rows[-1]["n_nonzero"]) > 5
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["best_test_accuracy"]["test_accuracy"] > 0.95
    assert "100 fits" in out and "nonzero" in out
    assert matplotlib.image.imread(tmp_path / "path.png").shape[0] > 300


def test_cv_command_chooses_a_c_of_the_grid(tmp_path, capsys):
    config = cli_config.DEFAULT_CONFIG_PATH.parent / "cv_enet.toml"
    code, out, err = run_cli(capsys, "cv", "--config", config, "--output", tmp_path)
    assert code == 0, err
    assert {path.name for path in tmp_path.iterdir()} == {"cv.png", "cv.csv", "metrics.json"}
    with (tmp_path / "cv.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 20 * 4
    summary = json.loads((tmp_path / "metrics.json").read_text())
    grid = {float(row["C"]) for row in rows}
    assert summary["C_min"] in grid and summary["C_1se"] in grid
    assert summary["C_1se"] <= summary["C_min"]
    assert summary["l1_ratio"] in (0.1, 0.5, 0.9, 1.0)
    assert summary["test"]["accuracy"] > 0.95
    assert "400 fits" in out and "lambda_1se" in out and "Test set" in out


def test_fit_on_a_csv_with_string_labels(tmp_path, capsys):
    data = signal_csv(tmp_path / "survey.csv")
    code, out, err = run_cli(
        capsys, "fit", "--data", data, "--target", "answer", "--output", tmp_path / "out"
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert summary["dataset"]["name"] == "survey"
    assert summary["dataset"]["class_names"] == ["no", "yes"]
    assert summary["dataset"]["n_features"] == 2
    assert summary["split"]["n_test"] == 50
    assert summary["metrics"]["test"]["accuracy"] > 0.8
    assert summary["top_coefficients"][0]["feature"] == "signal"
    assert summary["top_coefficients"][0]["coefficient"] > 0
    assert abs(summary["top_coefficients"][1]["coefficient"]) < 0.5
    assert "log-odds of 'yes'" in out
    assert {path.name for path in (tmp_path / "out").iterdir()} == OUTPUT_FILES


def test_non_convergence_is_reported_not_warned(tmp_path, capsys, recwarn):
    config = tmp_path / "job.toml"
    config.write_text("[model]\nmax_iter = 2\n")
    code, out, err = run_cli(capsys, "run", "--config", config, "--output", tmp_path / "out")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert summary["fit"]["converged"] is False
    assert summary["fit"]["n_iter"] == [2]
    assert "max_iter=2" in summary["fit"]["convergence_warning"]
    assert "did NOT converge" in out
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


def test_float64_flag(tmp_path, capsys, default_precision):
    code, out, err = run_cli(capsys, "run", "--float64", "--output", tmp_path)
    assert code == 0, err
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["model"]["dtype"] == "float64"
    assert "dtype = float64" in out


def test_output_dir_from_config(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "job.toml"
    config.write_text('[data]\ndataset = "wine"\n[output]\ndir = "results/wine"\n')
    code, _, err = run_cli(capsys, "run", "--config", config)
    assert code == 0, err
    assert {path.name for path in (tmp_path / "results" / "wine").iterdir()} == OUTPUT_FILES


def test_default_output_dir_is_named_after_dataset():
    path = output_directory(None, default_config(), "iris")
    assert path.parent.name == "runs"
    assert path.name.startswith("iris-")


def test_builtin_defaults_when_shipped_file_is_absent(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_config, "DEFAULT_CONFIG_PATH", tmp_path / "absent.toml")
    assert cli_config.job_config(None) == (default_config(), "built-in defaults")


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("jaxlogreg: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_bad_config_is_a_one_line_error(tmp_path, capsys):
    config = tmp_path / "job.toml"
    config.write_text("[model]\nmax_iter = 1.5\n")
    code, out, err = run_cli(capsys, "run", "--config", config, "--output", tmp_path / "out")
    assert_one_line_error(code, err, "'model.max_iter'", "int", str(config))
    assert out == ""
    assert not (tmp_path / "out").exists()


def test_missing_config_file_is_a_one_line_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", "--config", tmp_path / "absent.toml")
    assert_one_line_error(code, err, "config file not found")


def test_missing_data_file_is_a_one_line_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "fit", "--data", tmp_path / "absent.csv", "--target", "y")
    assert_one_line_error(code, err, "data file not found")


def test_missing_target_column_is_a_one_line_error(tmp_path, capsys):
    data = signal_csv(tmp_path / "survey.csv")
    code, _, err = run_cli(capsys, "fit", "--data", data, "--target", "Answer")
    assert_one_line_error(code, err, "no column named 'Answer'", "noise, answer, signal")


def test_python_dash_m_reports_errors_with_exit_code_2(tmp_path):
    config = tmp_path / "job.toml"
    config.write_text("[model]\nlearning_rate = 0.1\n")
    result = subprocess.run(
        [sys.executable, "-m", "jaxlogreg", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert_one_line_error(result.returncode, result.stderr, "unknown key 'learning_rate'")


# --- compilation cache ------------------------------------------------------------------------


def test_jobs_use_the_compilation_cache_the_config_names(tmp_path, capsys, cache_calls):
    assert run_cli(capsys, "run", "--output", tmp_path / "a")[0] == 0
    assert cache_calls == [None]  # on by default, in the default folder
    config = tmp_path / "job.toml"
    config.write_text(f'[compilation]\ncache_dir = "{tmp_path / "programs"}"\n')
    assert run_cli(capsys, "run", "--config", config, "--output", tmp_path / "b")[0] == 0
    assert cache_calls == [None, str(tmp_path / "programs")]
    config.write_text("[compilation]\ncache = false\n")
    assert run_cli(capsys, "run", "--config", config, "--output", tmp_path / "c")[0] == 0
    assert len(cache_calls) == 2


def test_a_run_fills_the_cache_folder(tmp_path):
    env = {**os.environ, "JAXLOGREG_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    result = subprocess.run(
        [sys.executable, "-m", "jaxlogreg", "run", "--output", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert any((tmp_path / "cache").iterdir())
