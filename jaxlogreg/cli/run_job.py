"""The `jaxlogreg run` and `jaxlogreg fit` jobs: a logistic regression fitted on a train/test split
of a dataset (built-in, or a table of the user's), its model, text report, metrics and figure."""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import LogisticRegression
from ..core.penalties import l1_ratio_of
from .config import Config, constraint_options, penalty_factors
from .datasets import Dataset, load_builtin, load_table
from .outputs import convergence_message, output_directory
from .report import Experiment, format_report, summarize
from .report_figure import plot_report
from .sparse_data import is_sparse_data, load_sparse_dataset
from .split import prepare_split

OUTPUT_FILES = ("model.npz", "report.txt", "metrics.json", "report.png")


def run_fit(args: argparse.Namespace, config: Config, config_source: str) -> int:
    """`run` (the config's built-in dataset) or `fit` (--data, --target): fit, write
    OUTPUT_FILES, print the report."""
    if args.command == "run":
        dataset = load_builtin(config["data"]["dataset"])
    elif is_sparse_data(args.data):
        dataset = load_sparse_dataset(args.data, args.target)
    else:
        dataset = load_table(args.data, args.target, config["data"]["offset"] or None)
    experiment = fit_experiment(dataset, config, config_source)
    output_dir = output_directory(args.output, config, dataset.name)
    report = write_outputs(experiment, output_dir)
    print(report)
    print(f"Wrote {', '.join(OUTPUT_FILES)} to {output_dir}")
    return 0


def fit_experiment(dataset: Dataset, config: Config, config_source: str) -> Experiment:
    """Prepare the split (`prepare_split`) and fit twice: the first fit compiles, the second is
    timed.

    A ConvergenceWarning is recorded for the report rather than printed.
    """
    model = config["model"]
    X_train, X_test, y_train, y_test, scaler, features, offsets = prepare_split(dataset, config)
    X_train = X_train.astype(jnp.result_type(float))  # float32 unless --float64: no warning
    names = dataset.feature_names
    if features is not None:
        names = tuple(features.get_feature_names_out(names))
    penalty = None if model["penalty"] == "none" else model["penalty"]
    estimator = LogisticRegression(  # scikit-learn 1.9: the penalty is told by l1_ratio and C
        C=np.inf if penalty is None else model["C"],
        l1_ratio=l1_ratio_of(penalty, model["l1_ratio"]),
        solver=model["solver"],
        multi_class=model["multi_class"],
        max_iter=model["max_iter"],
        tol=model["tol"],
        penalty_factor=penalty_factors(config, names),
        standardize=model["standardize"],
        **constraint_options(config, names),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels = dataset.classes[y_train]
        first_fit_seconds = _timed_fit(estimator, X_train, labels, offsets[0])
        del caught[:]
        fit_seconds = _timed_fit(estimator, X_train, labels, offsets[0])
    return Experiment(
        dataset=dataset,
        estimator=estimator,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        config=config,
        config_source=config_source,
        scaler=scaler,
        features=features,
        dtype=str(np.dtype(jnp.result_type(float))),
        first_fit_seconds=first_fit_seconds,
        fit_seconds=fit_seconds,
        convergence_warning=convergence_message(caught),
        offsets=offsets,
    )


def write_outputs(experiment: Experiment, output_dir: Path) -> str:
    """Write OUTPUT_FILES into `output_dir` and return the text report."""
    output_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(experiment)
    report = format_report(summary)
    experiment.estimator.save(output_dir / "model.npz")
    (output_dir / "report.txt").write_text(report, encoding="utf-8")
    (output_dir / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    plot_report(experiment, summary, output_dir / "report.png")
    return report


def _timed_fit(estimator: Any, X: np.ndarray, y: np.ndarray, offset) -> float:
    """Seconds to fit (with the samples' `offset`, or None), including waiting for the
    coefficients to be computed."""
    start = time.perf_counter()
    estimator.fit(X, y, offset=offset)
    jax.block_until_ready(estimator.coef_)
    return time.perf_counter() - start
