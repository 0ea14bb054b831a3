"""`jaxlogreg fit --chunk-rows N` (implied for .npy data): a logistic regression fitted on data
read in chunks (``jaxlogreg.out_of_core``), its model, metrics and a short report. The data are
used as they are: no split, no standardization. Sparse data (libsvm/svmlight, whose text is read
a block of lines at a time, or a `.npz` matrix, loaded whole) stay sparse."""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..estimators.out_of_core import logistic_regression
from .config import Config, refuse_glmnet_options
from .outputs import convergence_message, output_directory, write_json
from .sparse_data import is_svmlight, labels_file, read_labels

OUT_OF_CORE_FILES = ("model.npz", "report.txt", "metrics.json")


def add_out_of_core_options(fit: argparse.ArgumentParser) -> None:
    """`fit --chunk-rows N`: read the data N rows at a time (implied for .npy data)."""
    fit.add_argument(
        "--chunk-rows",
        type=int,
        help="fit out of core, reading this many rows at a time (the exact full-data solution "
        "for solver newton or lbfgs); implied for .npy data, whose default is the config's "
        "out_of_core.chunk_rows",
    )


def uses_out_of_core(args: argparse.Namespace) -> bool:
    """Whether `args` ask for an out-of-core fit: `fit` on a .npy file, or with --chunk-rows."""
    if args.command != "fit":
        return False
    return args.chunk_rows is not None or args.data.suffix.lower() == ".npy"


def run_out_of_core(args: argparse.Namespace, config: Config) -> int:
    """Fit on data read in chunks ([model] penalty, C, multi_class; [out_of_core] settings);
    write OUT_OF_CORE_FILES."""
    settings = config["out_of_core"]
    chunk_rows = settings["chunk_rows"] if args.chunk_rows is None else args.chunk_rows
    if chunk_rows < 1:
        raise ValueError(f"--chunk-rows must be a positive integer, got {chunk_rows}")
    refuse_glmnet_options(config, "an out-of-core fit (`jaxlogreg fit --chunk-rows`)")
    target, target_source = _checked_target(args, config["model"])
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator = _fit(args.data, target, config, chunk_rows)
    metrics = {
        "data": str(args.data),
        "target": target_source,
        "n_features": int(estimator.n_features_in_),
        "classes": [str(label) for label in estimator.classes_],
        "solver": settings["solver"],
        "chunk_rows": chunk_rows,
        "n_iter": int(estimator.n_iter_[0]),
        "objective": estimator.objective_,
        "fit_seconds": time.perf_counter() - start,
        "dtype": str(np.dtype(jnp.result_type(float))),
        "convergence_warning": convergence_message(caught),
    }
    output_dir = output_directory(args.output, config, args.data.stem)
    _write(estimator, metrics, output_dir)
    return 0


def _checked_target(args: argparse.Namespace, model: dict[str, Any]) -> tuple[Any, str]:
    """The labels `--target` stands for: a column name (.parquet data), a .npy file, the labels
    of a .npz matrix (`sparse_data.labels_file`), or `None` (libsvm/svmlight: in the file), and
    where they come from; a clear error for a model or file type that out-of-core fits do not
    take."""
    if model["penalty"] not in ("l2", "none") or model["multi_class"] == "ovr":
        raise ValueError(
            "out-of-core fits take model.penalty 'l2' or 'none' and model.multi_class 'auto' or "
            f"'multinomial', got {model['penalty']!r} and {model['multi_class']!r}"
        )
    if is_svmlight(args.data):
        if args.target is not None:
            raise ValueError(f"{args.data.name} holds its labels: drop --target")
        return None, "in the data file"
    if args.data.suffix.lower() == ".npz":
        labels = labels_file(args.data, args.target)
        return (labels if labels.suffix.lower() == ".npy" else read_labels(labels)), str(labels)
    parquet = args.data.suffix.lower() == ".parquet"
    if not parquet and args.data.suffix.lower() != ".npy":
        raise ValueError(
            f"{args.data}: out-of-core fits read .npy, .parquet, libsvm/svmlight or .npz files"
        )
    if args.target is None:
        raise ValueError(
            f"{args.data.name}: pass --target, the labels' {'column' if parquet else '.npy file'}"
        )
    return (args.target if parquet else Path(args.target)), str(args.target)


def _fit(data: Path, target: Any, config: Config, chunk_rows: int) -> Any:
    """The fitted estimator of `jaxlogreg.out_of_core.logistic_regression`, progress printed."""
    model, settings = config["model"], config["out_of_core"]
    return logistic_regression(
        data,
        target,
        C=model["C"],
        penalty=None if model["penalty"] == "none" else "l2",
        multi_class=model["multi_class"],
        solver=settings["solver"],
        chunk_rows=chunk_rows,
        max_iter=settings["max_iter"],
        tol=settings["tol"],
        progress=True,
    )


def _write(estimator: Any, metrics: dict[str, Any], output_dir: Path) -> None:
    """Write OUT_OF_CORE_FILES and print the report."""
    output_dir.mkdir(parents=True, exist_ok=True)
    estimator.save(output_dir / "model.npz")
    write_json(output_dir / "metrics.json", metrics)
    report = "\n".join(f"{key}: {value}" for key, value in metrics.items())
    (output_dir / "report.txt").write_text(report + "\n", encoding="utf-8")
    print(report)
    print(f"Wrote {', '.join(OUT_OF_CORE_FILES)} to {output_dir}")
