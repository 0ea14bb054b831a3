"""The `jaxlogreg` command: fit a logistic regression on a dataset and report on it.

jaxlogreg run [--config PATH] [--output DIR] [--float64]
jaxlogreg fit --data FILE.csv --target COLUMN [--config PATH] [--output DIR] [--float64]
jaxlogreg fit --data X.npy --target y.npy [--chunk-rows N] [--config PATH] [--output DIR] …
jaxlogreg path [--config PATH] [--output DIR] [--float64]
jaxlogreg cv [--config PATH] [--output DIR] [--float64]
jaxlogreg tune [--config PATH] [--output DIR] [--float64]
jaxlogreg bench [OPTIONS]   (the benchmark suite of a source checkout: python -m benchmarks)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .. import LogisticRegression, PolynomialFeatures
from ..scale.out_of_core import logistic_regression as out_of_core_logistic_regression
from .config import DEFAULT_CONFIG_PATH, Config, ConfigError, default_config, load_config
from .datasets import Dataset, load_builtin, load_table
from .report import Experiment, format_report, plot_report, summarize
from .sweeps import CV_FILES, PATH_FILES, Split, run_cv, run_path
from .tune_job import TUNE_FILES, run_tune

OUTPUT_FILES = ("model.npz", "report.txt", "metrics.json", "report.png")
SWEEPS = {
    "path": (run_path, PATH_FILES),
    "cv": (run_cv, CV_FILES),
    "tune": (run_tune, TUNE_FILES),
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # its options are the suite's own: handed over unparsed
        return run_bench(argv[1:])
    args = build_parser().parse_args(argv)
    if args.float64:
        jax.config.update("jax_enable_x64", True)
    try:
        config, config_source = job_config(args.config)
        if uses_out_of_core(args):
            return run_out_of_core(args, config)
        if args.command in SWEEPS:
            return run_sweep(args, config)
        if args.command == "run":
            dataset = load_builtin(config["data"]["dataset"])
        else:
            dataset = load_table(args.data, args.target)
        experiment = fit_experiment(dataset, config, config_source)
        output_dir = output_directory(args.output, config, dataset.name)
        report = write_outputs(experiment, output_dir)
    except (ConfigError, OSError, ValueError) as error:
        message = " ".join(str(error).split())
        print(f"jaxlogreg: error: {message}", file=sys.stderr)
        return 2
    print(report)
    print(f"Wrote {', '.join(OUTPUT_FILES)} to {output_dir}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its `run`, `fit`, `path` and `cv` subcommands."""
    parser = argparse.ArgumentParser(
        prog="jaxlogreg",
        description="Fit a logistic regression with jaxlogreg and report on it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", help="fit on the built-in dataset named in the config (data.dataset)"
    )
    fit = commands.add_parser(
        "fit",
        help="fit on your own CSV (or .parquet) file; the config's [data] dataset is not used",
    )
    fit.add_argument(
        "--data", required=True, type=Path, help="CSV file with a header row, or a .parquet file"
    )
    fit.add_argument(
        "--target",
        required=True,
        help="name of the column holding the labels (for .npy data: the .npy file of labels)",
    )
    add_out_of_core_options(fit)
    path = commands.add_parser(
        "path",
        help="regularization path (config [path]) on the built-in dataset: path.png, path.csv",
    )
    cv = commands.add_parser(
        "cv",
        help="choose C and l1_ratio by cross-validation (config [cv]): cv.png, cv.csv",
    )
    tune = add_tune_command(commands)
    add_bench_command(commands)
    for command in (run, fit, path, cv, tune):
        command.add_argument(
            "--config",
            type=Path,
            help=f"TOML config (default: {DEFAULT_CONFIG_PATH}, or identical built-in "
            "defaults if that file is absent)",
        )
        command.add_argument(
            "--output",
            type=Path,
            help="output folder (default: output.dir from the config, "
            "else runs/<dataset>-<timestamp>)",
        )
        command.add_argument(
            "--float64", action="store_true", help="compute in float64 instead of float32"
        )
    return parser


def add_tune_command(commands) -> argparse.ArgumentParser:
    """The `tune` subcommand: the penalty tuned by hypergradient descent (config [tune])."""
    return commands.add_parser(
        "tune",
        help="tune lambda by gradient descent on the CV loss (config [tune]), compared with "
        "grid search: tune.png, tune.csv",
    )


def job_config(path: Path | None) -> tuple[Config, str]:
    """The validated config and where it came from: `path`, the shipped default, or built-ins."""
    if path is not None:
        return load_config(path), str(path)
    if DEFAULT_CONFIG_PATH.is_file():
        return load_config(DEFAULT_CONFIG_PATH), str(DEFAULT_CONFIG_PATH)
    return default_config(), "built-in defaults"


def run_sweep(args: argparse.Namespace, config: Config) -> int:
    """The `path` or `cv` job on the built-in dataset of the config."""
    job, files = SWEEPS[args.command]
    dataset = load_builtin(config["data"]["dataset"])
    X_train, X_test, y_train, y_test, _, features = prepare_split(dataset, config)
    names = dataset.feature_names
    if features is not None:
        names = tuple(features.get_feature_names_out(names))
    split = Split(dataset.name, names, X_train, X_test, y_train, y_test)
    output_dir = output_directory(args.output, config, dataset.name)
    print(job(split, config, output_dir))
    print(f"Wrote {', '.join(files)} to {output_dir}")
    return 0


def prepare_split(dataset: Dataset, config: Config) -> tuple[Any, ...]:
    """Split, optionally standardize, optionally expand into polynomial features:
    `(X_train, X_test, y_train, y_test, scaler, features)`; scaler and features may be None."""
    data = config["data"]
    X_train, X_test, y_train, y_test = train_test_split(
        dataset.X,
        dataset.y,
        test_size=data["test_size"],
        random_state=data["seed"],
        stratify=dataset.y,
    )
    scaler = StandardScaler().fit(X_train) if data["standardize"] else None
    if scaler is not None:
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    degree = config["features"]["polynomial_degree"]
    features = PolynomialFeatures(degree).fit(X_train) if degree > 1 else None
    if features is not None:
        X_train, X_test = features.transform(X_train), features.transform(X_test)
    return X_train, X_test, y_train, y_test, scaler, features


def fit_experiment(dataset: Dataset, config: Config, config_source: str) -> Experiment:
    """Prepare the split (`prepare_split`) and fit twice: the first fit compiles, the second is
    timed.

    A ConvergenceWarning is recorded for the report rather than printed.
    """
    model = config["model"]
    X_train, X_test, y_train, y_test, scaler, features = prepare_split(dataset, config)
    estimator = LogisticRegression(
        penalty=None if model["penalty"] == "none" else model["penalty"],
        C=model["C"],
        l1_ratio=model["l1_ratio"] if model["penalty"] == "elasticnet" else None,
        solver=model["solver"],
        multi_class=model["multi_class"],
        max_iter=model["max_iter"],
        tol=model["tol"],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first_fit_seconds = _timed_fit(estimator, X_train, dataset.classes[y_train])
        del caught[:]
        fit_seconds = _timed_fit(estimator, X_train, dataset.classes[y_train])
    convergence_warning = _convergence_message(caught)
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
        convergence_warning=convergence_warning,
    )


def output_directory(option: Path | None, config: Config, dataset_name: str) -> Path:
    """--output, else output.dir from the config, else runs/<dataset>-<timestamp>."""
    if option is not None:
        return option
    if config["output"]["dir"]:
        return Path(config["output"]["dir"])
    return Path("runs") / f"{dataset_name}-{datetime.now():%Y%m%d-%H%M%S}"


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


def _timed_fit(estimator: Any, X: np.ndarray, y: np.ndarray) -> float:
    """Seconds to fit, including waiting for the coefficients to be computed."""
    start = time.perf_counter()
    estimator.fit(X, y)
    jax.block_until_ready(estimator.coef_)
    return time.perf_counter() - start


OUT_OF_CORE_FILES = ("model.npz", "report.txt", "metrics.json")


def _convergence_message(caught: list) -> str | None:
    """The last ``ConvergenceWarning`` among ``caught`` (stated in the report instead); the
    other warnings are re-issued."""
    message = None
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            message = str(warning.message)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return message


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
    write OUT_OF_CORE_FILES. The data are used as they are (no split, no standardization)."""
    model, settings = config["model"], config["out_of_core"]
    chunk_rows = settings["chunk_rows"] if args.chunk_rows is None else args.chunk_rows
    if chunk_rows < 1:
        raise ValueError(f"--chunk-rows must be a positive integer, got {chunk_rows}")
    if model["penalty"] not in ("l2", "none") or model["multi_class"] == "ovr":
        raise ValueError(
            "out-of-core fits take model.penalty 'l2' or 'none' and model.multi_class 'auto' or "
            f"'multinomial', got {model['penalty']!r} and {model['multi_class']!r}"
        )
    parquet = args.data.suffix.lower() == ".parquet"
    if not parquet and args.data.suffix.lower() != ".npy":
        raise ValueError(f"{args.data}: out-of-core fits read .npy or .parquet files")
    target = args.target if parquet else Path(args.target)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator = out_of_core_logistic_regression(
            args.data,
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
    seconds = time.perf_counter() - start
    convergence_warning = _convergence_message(caught)
    metrics = {
        "data": str(args.data),
        "target": str(args.target),
        "n_features": int(estimator.n_features_in_),
        "classes": [str(label) for label in estimator.classes_],
        "solver": settings["solver"],
        "chunk_rows": chunk_rows,
        "n_iter": int(estimator.n_iter_[0]),
        "objective": estimator.objective_,
        "fit_seconds": seconds,
        "dtype": str(np.dtype(jnp.result_type(float))),
        "convergence_warning": convergence_warning,
    }
    output_dir = output_directory(args.output, config, args.data.stem)
    output_dir.mkdir(parents=True, exist_ok=True)
    estimator.save(output_dir / "model.npz")
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    report = "\n".join(f"{key}: {value}" for key, value in metrics.items())
    (output_dir / "report.txt").write_text(report + "\n", encoding="utf-8")
    print(report)
    print(f"Wrote {', '.join(OUT_OF_CORE_FILES)} to {output_dir}")
    return 0


def add_bench_command(commands: argparse._SubParsersAction) -> None:
    """List `bench` in the help; `main` hands its arguments to the suite unparsed."""
    commands.add_parser(
        "bench",
        help="run the benchmark suite against the peers (source checkout only; "
        "`jaxlogreg bench --help` lists its options)",
        add_help=False,
    )


def run_bench(argv: list[str]) -> int:
    """`jaxlogreg bench ARGS` = `python -m benchmarks ARGS`, from the source checkout this
    package was imported from (the suite is not part of the installed package)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / "__main__.py").is_file():
        print(
            "jaxlogreg: error: `jaxlogreg bench` runs the benchmark suite of a source checkout "
            f"(a benchmarks/ folder next to the jaxlogreg package), and there is none at {root}. "
            "Clone the repository, `pip install -e '.[bench]'` there, and run "
            "`jaxlogreg bench` or `python -m benchmarks` from it.",
            file=sys.stderr,
        )
        return 2
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.__main__ import main as bench_main

    return bench_main(argv, prog="jaxlogreg bench")
