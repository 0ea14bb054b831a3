"""The `jaxlogreg path` and `jaxlogreg cv` jobs: a regularization path, or a cross-validated
choice of the penalty, on a train/test split, with their tables, figures and metrics.

Each sweep runs as one compiled program, so it can report progress only before and after: a
per-λ progress bar would need a callback out of the compiled loop on every step.
"""

from __future__ import annotations

import csv
import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics
from sklearn.exceptions import ConvergenceWarning

from .. import LogisticRegressionCV, regularization_path
from ..plot import save_cv_plot, save_path_plot
from .config import Config

PATH_FILES = ("path.png", "path.csv", "metrics.json")
CV_FILES = ("cv.png", "cv.csv", "metrics.json")
TABLE_ROWS = 10  # rows of the printed path table


@dataclass(frozen=True)
class Split:
    """A dataset's training and test features and label codes (0..K-1)."""

    name: str
    feature_names: tuple[str, ...]
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def run_path(split: Split, config: Config, output_dir: Path) -> str:
    """Compute the path of `config["path"]` on the training set, write PATH_FILES, return the
    printed report."""
    settings, max_iter = config["path"], config["model"]["max_iter"]
    print(
        f"Computing a regularization path: {settings['n_lambdas']} fits, warm-started, "
        "in one compiled program ...",
        flush=True,
    )
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        path = regularization_path(
            split.X_train,
            split.y_train,
            n_lambdas=settings["n_lambdas"],
            lambda_min_ratio=settings["lambda_min_ratio"],
            l1_ratio=settings["l1_ratio"],
            tol=settings["tol"],
            max_iter=max_iter,
        )
    seconds = time.perf_counter() - start
    print(f"... done in {seconds:.2f} s (compilation included)", flush=True)

    rows = []
    for k, lam in enumerate(path.lambdas):
        coef, intercept = path.coef[k], path.intercept[k]
        rows.append(
            {
                "lambda": float(lam),
                "C": 1.0 / (float(lam) * len(split.y_train)),
                "n_nonzero": int(np.count_nonzero(np.atleast_2d(coef).any(axis=0))),
                "objective": float(np.max(path.objective[k])),
                "n_iter": int(np.max(path.n_iter[k])),
                "converged": bool(np.all(path.converged[k])),
                "train_accuracy": _accuracy(coef, intercept, split.X_train, split.y_train),
                "test_accuracy": _accuracy(coef, intercept, split.X_test, split.y_test),
            }
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(output_dir / "path.csv", rows)
    save_path_plot(path, output_dir / "path.png", split.feature_names)
    best = max(range(len(rows)), key=lambda k: rows[k]["test_accuracy"])
    summary = {
        "dataset": split.name,
        "n_train": len(split.y_train),
        "n_test": len(split.y_test),
        "path": dict(settings),
        "max_iter": max_iter,
        "seconds": seconds,
        "n_converged": sum(row["converged"] for row in rows),
        "convergence_warning": _convergence_message(caught),
        "lambda_max": rows[0]["lambda"],
        "lambda_min": rows[-1]["lambda"],
        "best_test_accuracy": rows[best],
    }
    _write_json(output_dir / "metrics.json", summary)

    lines = [
        f"Regularization path on {split.name}: {len(rows)} lambdas, l1_ratio = "
        f"{settings['l1_ratio']:g}, {summary['n_converged']} of {len(rows)} converged "
        f"({seconds:.2f} s)",
        "",
        f"{'lambda':>10} {'C':>10} {'nonzero':>8} {'objective':>10} {'train acc':>10} "
        f"{'test acc':>9}",
    ]
    step = max(1, len(rows) // TABLE_ROWS)
    for row in rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else []):
        lines.append(
            f"{row['lambda']:>10.4g} {row['C']:>10.4g} {row['n_nonzero']:>8d} "
            f"{row['objective']:>10.4f} {row['train_accuracy']:>10.4f} "
            f"{row['test_accuracy']:>9.4f}"
        )
    lines += [
        "",
        f"Best test accuracy {rows[best]['test_accuracy']:.4f} at lambda = "
        f"{rows[best]['lambda']:.4g} with {rows[best]['n_nonzero']} nonzero coefficients.",
    ]
    if summary["convergence_warning"]:
        lines.append(f"Warning: {summary['convergence_warning']}")
    return "\n".join(lines) + "\n"


def run_cv(split: Split, config: Config, output_dir: Path) -> str:
    """Cross-validate the elastic net of `config["cv"]` on the training set, score the refit
    model on the test set, write CV_FILES, return the printed report."""
    settings, max_iter = config["cv"], config["model"]["max_iter"]
    l1_ratios = list(settings["l1_ratios"])
    n_fits = settings["n_Cs"] * len(l1_ratios) * settings["folds"]
    print(
        f"Cross-validating: {settings['n_Cs']} Cs x {len(l1_ratios)} l1_ratios x "
        f"{settings['folds']} folds = {n_fits} fits in one compiled program ...",
        flush=True,
    )
    start = time.perf_counter()
    model = LogisticRegressionCV(
        Cs=settings["n_Cs"],
        l1_ratios=l1_ratios,
        cv=settings["folds"],
        penalty="elasticnet",
        scoring=settings["scoring"],
        max_iter=max_iter,
        tol=settings["tol"],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(split.X_train, split.y_train)
    seconds = time.perf_counter() - start
    print(f"... done in {seconds:.2f} s (compilation and the final refit included)", flush=True)

    results = {key: np.asarray(value) for key, value in model.cv_results_.items()}
    grid_shape = (len(model.Cs_), len(l1_ratios))
    columns = (
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
    table = {key: results[key].reshape(grid_shape) for key in columns}
    rows = [
        {key: float(table[key][i, a]) for key in columns}
        for a in range(grid_shape[1])
        for i in range(grid_shape[0])
    ]
    output_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(output_dir / "cv.csv", rows)
    save_cv_plot(model, output_dir / "cv.png")

    probabilities = np.asarray(model.predict_proba(split.X_test))
    test = {
        "accuracy": float(metrics.accuracy_score(split.y_test, probabilities.argmax(axis=1))),
        "log_loss": float(metrics.log_loss(split.y_test, probabilities, labels=model.classes_)),
    }
    if len(model.classes_) == 2:
        test["roc_auc"] = float(metrics.roc_auc_score(split.y_test, probabilities[:, 1]))
    n_train = len(split.y_train)
    summary = {
        "dataset": split.name,
        "n_train": n_train,
        "n_test": len(split.y_test),
        "cv": {**settings, "l1_ratios": l1_ratios},
        "max_iter": max_iter,
        "seconds": seconds,
        "C_min": float(model.C_[0]),
        "lambda_min": float(model.lambda_min_),
        "C_1se": float(model.C_1se_),
        "lambda_1se": float(model.lambda_1se_),
        "l1_ratio": float(model.l1_ratio_[0]),
        "n_nonzero": int(np.count_nonzero(model.coef_.any(axis=0))),
        "test": test,
        "convergence_warning": _convergence_message(caught),
    }
    _write_json(output_dir / "metrics.json", summary)

    lines = [
        f"Cross-validation on {split.name}: {n_fits} fits ({seconds:.2f} s), "
        f"scoring {settings['scoring']}",
        "",
        f"  chosen (best mean score): C = {summary['C_min']:.4g}, lambda_min = "
        f"{summary['lambda_min']:.4g}, l1_ratio = {summary['l1_ratio']:g}",
        f"  one-standard-error rule:  C = {summary['C_1se']:.4g}, lambda_1se = "
        f"{summary['lambda_1se']:.4g} (the strongest penalty within one SE of the best)",
        f"  refit on the training set ({n_train} samples): "
        f"{summary['n_nonzero']} of {split.X_train.shape[1]} features nonzero",
        "",
        "Test set ("
        + str(len(split.y_test))
        + " samples): "
        + ", ".join(f"{name} {value:.4f}" for name, value in test.items()),
    ]
    if summary["convergence_warning"]:
        lines.append(f"Warning: {summary['convergence_warning']}")
    return "\n".join(lines) + "\n"


def _accuracy(coef, intercept, X, y) -> float:
    """Accuracy of one path point: ``coef (p,)`` binary or ``(K, p)`` multiclass."""
    scores = X @ np.asarray(coef).T + intercept
    predicted = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
    return float(np.mean(predicted == y))


def _convergence_message(caught) -> str | None:
    """The last ConvergenceWarning's text, or None; other warnings are shown as usual."""
    message = None
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            message = " ".join(str(warning.message).split())
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return message


def _write_csv(file: Path, rows: list[dict[str, Any]]) -> None:
    with file.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _write_json(file: Path, summary: dict[str, Any]) -> None:
    file.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
