"""The `jaxlogreg path` job: a regularization path on the training set, scored on both sets, with
its table, figure and metrics.

The path runs as one compiled program, so it can report progress only before and after: a
per-λ progress bar would need a callback out of the compiled loop on every step.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .. import regularization_path
from ..plot import save_path_plot
from .config import Config, constraint_options, penalty_factors
from .outputs import convergence_message, table_rows, write_csv, write_json
from .split import Split

PATH_FILES = ("path.png", "path.csv", "metrics.json")


def run_path(split: Split, config: Config, output_dir: Path) -> str:
    """Compute the path of `config["path"]` on the training set, write PATH_FILES, return the
    printed report."""
    settings, max_iter = config["path"], config["model"]["max_iter"]
    path, seconds, warning = _compute_path(split, config, max_iter)
    rows = _path_rows(path, split)
    output_dir.mkdir(parents=True, exist_ok=True)
    write_csv(output_dir / "path.csv", rows)
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
        "convergence_warning": warning,
        "lambda_max": rows[0]["lambda"],
        "lambda_min": rows[-1]["lambda"],
        "best_test_accuracy": rows[best],
    }
    write_json(output_dir / "metrics.json", summary)
    return _path_report(split, settings, summary, rows)


def _compute_path(split: Split, config: Config, max_iter: int):
    """``(path, seconds, convergence warning or None)`` of the training set's path, with the
    penalty factors and standardization of `config["model"]`."""
    settings = config["path"]
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
            penalty_factor=penalty_factors(config, split.feature_names),
            standardize=config["model"]["standardize"],
            **constraint_options(config, split.feature_names),
        )
    seconds = time.perf_counter() - start
    print(f"... done in {seconds:.2f} s (compilation included)", flush=True)
    return path, seconds, convergence_message(caught)


def _path_rows(path, split: Split) -> list[dict[str, Any]]:
    """One row per ``λ``: its ``C``, support size, objective, convergence and accuracies."""
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
    return rows


def _accuracy(coef, intercept, X, y) -> float:
    """Accuracy of one path point: ``coef (p,)`` binary or ``(K, p)`` multiclass."""
    scores = X @ np.asarray(coef).T + intercept
    predicted = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
    return float(np.mean(predicted == y))


def _path_report(split: Split, settings, summary: dict[str, Any], rows: list) -> str:
    best = summary["best_test_accuracy"]
    lines = [
        f"Regularization path on {split.name}: {len(rows)} lambdas, l1_ratio = "
        f"{settings['l1_ratio']:g}, {summary['n_converged']} of {len(rows)} converged "
        f"({summary['seconds']:.2f} s)",
        "",
        f"{'lambda':>10} {'C':>10} {'nonzero':>8} {'objective':>10} {'train acc':>10} "
        f"{'test acc':>9}",
    ]
    for row in table_rows(rows):
        lines.append(
            f"{row['lambda']:>10.4g} {row['C']:>10.4g} {row['n_nonzero']:>8d} "
            f"{row['objective']:>10.4f} {row['train_accuracy']:>10.4f} "
            f"{row['test_accuracy']:>9.4f}"
        )
    lines += [
        "",
        f"Best test accuracy {best['test_accuracy']:.4f} at lambda = "
        f"{best['lambda']:.4g} with {best['n_nonzero']} nonzero coefficients.",
    ]
    if summary["convergence_warning"]:
        lines.append(f"Warning: {summary['convergence_warning']}")
    return "\n".join(lines) + "\n"
