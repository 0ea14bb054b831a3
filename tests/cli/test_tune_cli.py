"""The `jaxlogreg tune` command: its outputs, its numbers against scikit-learn, its config."""

import csv
import json

import matplotlib.image
import numpy as np
import pytest
from conftest import run_cli
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from jaxlogreg.cli.config import DEFAULT_CONFIG_PATH, load_config
from jaxlogreg.cli.datasets import load_builtin
from jaxlogreg.cli.split import prepare_split
from jaxlogreg.core.targets import encode_targets
from jaxlogreg.selection.tuning import kfold

CONFIG = """
[data]
dataset = "iris"
[tune]
folds = 3
lambda_init = 0.01
steps = 20
learning_rate = 0.5
n_grid = 12
grid_lambda_min = 1e-4
grid_lambda_max = 1.0
"""


def test_tune_command_on_a_multiclass_dataset(tmp_path, capsys):
    config = tmp_path / "tune.toml"
    config.write_text(CONFIG)
    output = tmp_path / "out"
    code, out, err = run_cli(capsys, "tune", "--config", config, "--output", output)
    assert code == 0, err
    assert {path.name for path in output.iterdir()} == {"tune.png", "tune.csv", "metrics.json"}
    with (output / "tune.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 21
    assert float(rows[0]["lambda"]) == pytest.approx(0.01)
    summary = json.loads((output / "metrics.json").read_text())
    tuned, grid_best = summary["tuned"], summary["grid_best"]
    assert summary["n_fits_tuning"] == 21 * 3 and summary["n_fits_grid"] == 12 * 3
    # Tuning descends the CV loss to (about) the grid's best, or below it between grid points.
    assert tuned["cv_loss"] < float(rows[0]["cv_loss"])
    assert tuned["cv_loss"] <= grid_best["cv_loss"] * (1 + 1e-3)
    assert tuned["test_accuracy"] > 0.9
    assert "tuned" in out and "grid best" in out and "Wrote tune.png" in out
    image = matplotlib.image.imread(output / "tune.png")
    assert image.shape[1] > 2 * image.shape[0]  # two panels side by side

    # The grid's best CV loss, recomputed fold by fold with scikit-learn on the same folds.
    config_values = load_config(config)
    split = prepare_split(load_builtin("iris"), config_values)
    X_train, y_train = split[0], split[2]
    targets, _ = encode_targets(y_train, 3, "multinomial")
    folds = kfold(X_train, targets, folds=3, seed=config_values["data"]["seed"])
    lam, losses = grid_best["lambda"], []
    for train, valid in zip(np.asarray(folds.train), np.asarray(folds.valid), strict=True):
        rows_, held = train == 1, valid == 1
        model = LogisticRegression(C=1 / (lam * rows_.sum()), tol=1e-10, max_iter=2000)
        model.fit(X_train[rows_], y_train[rows_])
        losses.append(log_loss(y_train[held], model.predict_proba(X_train[held]), labels=[0, 1, 2]))
    assert grid_best["cv_loss"] == pytest.approx(np.mean(losses), rel=1e-5)


def test_tune_command_rejects_an_empty_grid(tmp_path, capsys):
    config = tmp_path / "tune.toml"
    config.write_text("[tune]\ngrid_lambda_min = 1.0\ngrid_lambda_max = 0.1\n")
    code, _, err = run_cli(capsys, "tune", "--config", config, "--output", tmp_path)
    assert code == 2
    assert "tune.grid_lambda_min (1) must be smaller than tune.grid_lambda_max (0.1)" in err


def test_shipped_tune_config_is_valid():
    config = load_config(DEFAULT_CONFIG_PATH.parent / "tune.toml")
    assert config["tune"]["folds"] == 5 and config["data"]["dataset"] == "breast_cancer"
