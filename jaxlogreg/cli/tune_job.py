"""The `jaxlogreg tune` job: the penalty tuned by gradient descent on the K-fold cross-validation
log-loss of the training set (``jaxlogreg.selection.tuning``), compared with grid search over
``λ``, and the tuned model scored on the test set.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
from sklearn import metrics
from sklearn.exceptions import ConvergenceWarning

from ..core.targets import Mode, encode_targets
from ..engine.functional import fit
from ..plot import save_tuning_plot
from ..selection.tuning import kfold, tune_penalty, validation_curve
from ..solvers.auto import Purpose, auto_solver
from .config import Config, refuse_glmnet_options
from .outputs import convergence_message, table_rows, write_csv, write_json
from .split import Split

TUNE_FILES = ("tune.png", "tune.csv", "metrics.json")


def run_tune(split: Split, config: Config, output_dir: Path) -> str:
    """Tune ``λ`` as `config["tune"]` says, write TUNE_FILES, return the printed report."""
    refuse_glmnet_options(config, "`jaxlogreg tune` (it tunes λ and [tune] penalty_factors)")
    settings, max_iter = config["tune"], config["model"]["max_iter"]
    if settings["grid_lambda_min"] >= settings["grid_lambda_max"]:
        raise ValueError(
            f"tune.grid_lambda_min ({settings['grid_lambda_min']:g}) must be smaller than "
            f"tune.grid_lambda_max ({settings['grid_lambda_max']:g})"
        )
    n_classes = len(np.unique(split.y_train))
    mode = Mode.BINARY if n_classes == 2 else Mode.MULTINOMIAL
    targets, loss = encode_targets(split.y_train, n_classes, mode, split.X_train.dtype)
    folds = kfold(split.X_train, targets, folds=settings["folds"], seed=config["data"]["seed"])
    options = dict(l1_ratio=settings["l1_ratio"], loss=loss, max_iter=max_iter, tol=settings["tol"])
    result, grid, curve, seconds, warning = _search(folds, settings, options)
    best_grid = int(np.nanargmin(curve))
    scored = _scorer(split, targets, n_classes, options)
    tuned = {
        "lambda": result.lam,
        "cv_loss": result.validation_loss,
        "step": result.best_step,
        **scored(result.lam, result.penalty_factor),
    }
    if settings["penalty_factors"]:
        tuned["penalty_factors"] = dict(
            zip(split.feature_names, map(float, result.penalty_factor), strict=True)
        )
    grid_best = {
        "lambda": float(grid[best_grid]),
        "cv_loss": float(curve[best_grid]),
        **scored(float(grid[best_grid]), None),
    }
    rows = _trajectory_rows(result, settings["steps"])
    output_dir.mkdir(parents=True, exist_ok=True)
    write_csv(output_dir / "tune.csv", rows)
    save_tuning_plot(result, grid, curve, output_dir / "tune.png")
    summary = {
        "dataset": split.name,
        "n_train": len(split.y_train),
        "n_test": len(split.y_test),
        "tune": dict(settings),
        "max_iter": max_iter,
        "tune_seconds": seconds[0],
        "grid_seconds": seconds[1],
        "n_fits_tuning": (settings["steps"] + 1) * settings["folds"],
        "n_fits_grid": len(grid) * settings["folds"],
        "tuned": tuned,
        "grid_best": grid_best,
        "grid": {"lambda": grid.tolist(), "cv_loss": curve.tolist()},
        "convergence_warning": warning,
    }
    write_json(output_dir / "metrics.json", summary)
    return _report(split, settings, summary, rows)


def _search(folds, settings, options):
    """Hypergradient tuning, then the grid search: ``(tuning result, grid, grid losses,
    (tuning seconds, grid seconds), convergence warning or None)``."""
    print(
        f"Tuning lambda by gradient descent: {settings['steps']} Adam steps x "
        f"{settings['folds']} folds, each fit with its hypergradient; then a grid search for "
        "comparison ...",
        flush=True,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        result = tune_penalty(
            folds,
            lam=settings["lambda_init"],
            tune_factors=settings["penalty_factors"],
            steps=settings["steps"],
            learning_rate=settings["learning_rate"],
            **options,
        )
        tune_seconds = time.perf_counter() - start
        grid = np.geomspace(
            settings["grid_lambda_min"], settings["grid_lambda_max"], settings["n_grid"]
        )
        start = time.perf_counter()
        curve = validation_curve(grid, folds, **options)
        grid_seconds = time.perf_counter() - start
    print(
        f"... done: tuning {tune_seconds:.2f} s, grid {grid_seconds:.2f} s (compilation included)",
        flush=True,
    )
    return result, grid, curve, (tune_seconds, grid_seconds), convergence_message(caught)


def _scorer(split: Split, targets, n_classes: int, options):
    """``(λ, penalty factors) -> test log-loss and accuracy`` of the fit on the training set."""
    solver = auto_solver(
        l1=options["l1_ratio"] > 0,
        n_params=targets.shape[1] * (split.X_train.shape[1] + 1),
        purpose=Purpose.DIFFERENTIABLE,
    )

    def scored(lam, factors):
        fitted = fit(
            split.X_train, targets, lam=lam, penalty_factor=factors, solver=solver, **options
        )
        scores = split.X_test @ np.asarray(fitted.coef).T + np.asarray(fitted.intercept)
        if n_classes == 2:
            probabilities = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            probabilities = np.stack([1.0 - probabilities, probabilities], axis=1)
        else:
            probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
        labels = np.arange(n_classes)
        return {
            "test_log_loss": float(metrics.log_loss(split.y_test, probabilities, labels=labels)),
            "test_accuracy": float(np.mean(probabilities.argmax(axis=1) == split.y_test)),
        }

    return scored


def _trajectory_rows(result, steps: int) -> list[dict]:
    return [
        {
            "step": step,
            "lambda": float(result.lams[step]),
            "cv_loss": float(result.losses[step]),
            "grad_log_lambda": float(result.grads[step]),
            "converged": bool(result.converged[step]),
        }
        for step in range(steps + 1)
    ]


def _report(split: Split, settings, summary, rows) -> str:
    lines = [
        f"Tuning lambda on {split.name}: {settings['folds']}-fold CV log-loss, "
        f"{settings['steps']} Adam steps (learning rate {settings['learning_rate']:g}) = "
        f"{summary['n_fits_tuning']} fits with hypergradients ({summary['tune_seconds']:.2f} s); "
        f"grid search {settings['n_grid']} lambdas = {summary['n_fits_grid']} fits "
        f"({summary['grid_seconds']:.2f} s)",
        "",
        f"{'step':>5} {'lambda':>11} {'CV loss':>9} {'dV/dlog(lambda)':>16}",
    ]
    for row in table_rows(rows):
        lines.append(
            f"{row['step']:>5d} {row['lambda']:>11.4g} {row['cv_loss']:>9.5f} "
            f"{row['grad_log_lambda']:>16.3g}"
        )
    lines += [
        "",
        f"{'':>10} {'lambda':>11} {'CV loss':>9} {'test log-loss':>14} {'test accuracy':>14}",
    ]
    for name, key in (("tuned", "tuned"), ("grid best", "grid_best")):
        entry = summary[key]
        lines.append(
            f"{name:>10} {entry['lambda']:>11.4g} {entry['cv_loss']:>9.5f} "
            f"{entry['test_log_loss']:>14.4f} {entry['test_accuracy']:>14.4f}"
        )
    if summary["convergence_warning"]:
        lines.append(f"Warning: {summary['convergence_warning']}")
    return "\n".join(lines) + "\n"
