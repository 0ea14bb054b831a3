"""The `jaxlogreg cv` job: the elastic net's ``C`` and ``l1_ratio`` chosen by cross-validation on
the training set, the refit model scored on the test set, with its table, figure and metrics.

The folds and the grid run as one compiled program, so progress is reported before and after.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics
from sklearn.exceptions import ConvergenceWarning

from .. import LogisticRegressionCV
from ..plot import save_cv_plot
from .config import Config, constraint_options, penalty_factors
from .outputs import convergence_message, write_csv, write_json
from .split import Split

CV_FILES = ("cv.png", "cv.csv", "metrics.json")
#: The columns of ``cv_results_`` written to cv.csv, one row per (``l1_ratio``, ``C``).
CV_COLUMNS = (
    "C",
    "lambda",
    "l1_ratio",
    "n_nonzero",
    "mean_val_score",
    "std_val_score",
    "mean_train_loss",
    "mean_val_loss",
    "mean_train_accuracy",
    "mean_val_accuracy",
)


def run_cv(split: Split, config: Config, output_dir: Path) -> str:
    """Cross-validate the elastic net of `config["cv"]` on the training set, score the refit
    model on the test set, write CV_FILES, return the printed report."""
    settings, max_iter = config["cv"], config["model"]["max_iter"]
    l1_ratios = list(settings["l1_ratios"])
    model, seconds, warning = _cross_validate(split, config, l1_ratios)
    output_dir.mkdir(parents=True, exist_ok=True)
    write_csv(output_dir / "cv.csv", _cv_rows(model, len(l1_ratios)))
    save_cv_plot(model, output_dir / "cv.png")
    summary = {
        "dataset": split.name,
        "n_train": len(split.y_train),
        "n_test": len(split.y_test),
        "cv": {**settings, "l1_ratios": l1_ratios},
        "max_iter": max_iter,
        "penalty_factor": _listed(model.penalty_factor),
        "standardize": model.standardize,
        "seconds": seconds,
        "C": float(model.C_[0]),
        "C_min": float(model.C_min_),
        "lambda_min": float(model.lambda_min_),
        "C_1se": float(model.C_1se_),
        "lambda_1se": float(model.lambda_1se_),
        "l1_ratio": float(model.l1_ratio_[0]),
        "n_nonzero": int(np.count_nonzero(model.coef_.any(axis=0))),
        "test": _test_scores(model, split),
        "convergence_warning": warning,
    }
    write_json(output_dir / "metrics.json", summary)
    return _cv_report(split, settings, summary, _n_fits(settings, l1_ratios))


def _n_fits(settings, l1_ratios: list) -> int:
    return settings["n_Cs"] * len(l1_ratios) * settings["folds"]


def _listed(factors) -> list[float] | None:
    return None if factors is None else [float(f) for f in factors]


def _cross_validate(split: Split, config: Config, l1_ratios: list):
    """``(fitted LogisticRegressionCV, seconds, convergence warning or None)``, with the
    penalty factors and standardization of `config["model"]`."""
    settings, max_iter = config["cv"], config["model"]["max_iter"]
    print(
        f"Cross-validating: {settings['n_Cs']} Cs x {len(l1_ratios)} l1_ratios x "
        f"{settings['folds']} folds = {_n_fits(settings, l1_ratios)} fits in one compiled "
        "program ...",
        flush=True,
    )
    start = time.perf_counter()
    model = LogisticRegressionCV(
        Cs=settings["n_Cs"],
        l1_ratios=l1_ratios,
        cv=settings["folds"],
        scoring=settings["scoring"],
        select=settings["select"],
        max_iter=max_iter,
        tol=settings["tol"],
        penalty_factor=penalty_factors(config, split.feature_names),
        standardize=config["model"]["standardize"],
        **constraint_options(config, split.feature_names),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(split.X_train, split.y_train)
    seconds = time.perf_counter() - start
    print(f"... done in {seconds:.2f} s (compilation and the final refit included)", flush=True)
    return model, seconds, convergence_message(caught)


def _cv_rows(model, n_l1_ratios: int) -> list[dict[str, float]]:
    """The ``CV_COLUMNS`` of every grid point, ``C`` varying fastest."""
    grid_shape = (len(model.Cs_), n_l1_ratios)
    results = {key: np.asarray(model.cv_results_[key]) for key in CV_COLUMNS}
    table = {key: values.reshape(grid_shape) for key, values in results.items()}
    return [
        {key: float(table[key][i, a]) for key in CV_COLUMNS}
        for a in range(grid_shape[1])
        for i in range(grid_shape[0])
    ]


def _test_scores(model, split: Split) -> dict[str, float]:
    """Accuracy, log-loss and (two classes) ROC AUC of the refit model on the test set."""
    probabilities = np.asarray(model.predict_proba(split.X_test))
    test = {
        "accuracy": float(metrics.accuracy_score(split.y_test, probabilities.argmax(axis=1))),
        "log_loss": float(metrics.log_loss(split.y_test, probabilities, labels=model.classes_)),
    }
    if len(model.classes_) == 2:
        test["roc_auc"] = float(metrics.roc_auc_score(split.y_test, probabilities[:, 1]))
    return test


def _cv_report(split: Split, settings, summary: dict[str, Any], n_fits: int) -> str:
    lines = [
        f"Cross-validation on {split.name}: {n_fits} fits ({summary['seconds']:.2f} s), "
        f"scoring {settings['scoring']}",
        "",
        f"  best mean score:          C = {summary['C_min']:.4g}, lambda_min = "
        f"{summary['lambda_min']:.4g}",
        f"  one-standard-error rule:  C = {summary['C_1se']:.4g}, lambda_1se = "
        f"{summary['lambda_1se']:.4g} (the strongest penalty within one SE of the best)",
        f"  chosen (select = {settings['select']!r}): C = {summary['C']:.4g}, l1_ratio = "
        f"{summary['l1_ratio']:g}",
        f"  refit on the training set ({summary['n_train']} samples): "
        f"{summary['n_nonzero']} of {split.X_train.shape[1]} features nonzero",
        "",
        f"Test set ({len(split.y_test)} samples): "
        + ", ".join(f"{name} {value:.4f}" for name, value in summary["test"].items()),
    ]
    if summary["convergence_warning"]:
        lines.append(f"Warning: {summary['convergence_warning']}")
    return "\n".join(lines) + "\n"
