"""The `jaxlogreg` command: its arguments, and which job each command runs.

jaxlogreg run [--config PATH] [--output DIR] [--float64]
jaxlogreg fit --data FILE.csv --target COLUMN [--config PATH] [--output DIR] [--float64]
jaxlogreg fit --data X.npy --target y.npy [--chunk-rows N] [--config PATH] [--output DIR] …
jaxlogreg fit --data FILE.svm | X.npz [--target LABELS] [--chunk-rows N] …   (kept sparse)
jaxlogreg path [--config PATH] [--output DIR] [--float64]
jaxlogreg cv [--config PATH] [--output DIR] [--float64]
jaxlogreg tune [--config PATH] [--output DIR] [--float64]
jaxlogreg bench [OPTIONS]   (the benchmark suite of a source checkout: python -m benchmarks)

Jobs: `run_job` (run, fit), `out_of_core_job` (fit on data read in chunks), `path_job`,
`cv_job`, `tune_job` (on the config's built-in dataset), `bench_job`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax

from ..precision import enable_compilation_cache
from .bench_job import add_bench_command, run_bench
from .config import DEFAULT_CONFIG_PATH, Config, ConfigError, job_config
from .cv_job import CV_FILES, run_cv
from .datasets import load_builtin
from .out_of_core_job import add_out_of_core_options, run_out_of_core, uses_out_of_core
from .outputs import output_directory
from .path_job import PATH_FILES, run_path
from .run_job import run_fit
from .split import split_of
from .tune_job import TUNE_FILES, run_tune

#: The jobs on a split of the config's built-in dataset, and the files each writes.
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
        if config["compilation"]["cache"]:
            enable_compilation_cache(config["compilation"]["cache_dir"] or None)
        check_offset_column(args, config)
        if uses_out_of_core(args):
            return run_out_of_core(args, config)
        if args.command in SWEEPS:
            return run_sweep(args, config)
        return run_fit(args, config, config_source)
    except (ConfigError, OSError, ValueError) as error:
        message = " ".join(str(error).split())
        print(f"jaxlogreg: error: {message}", file=sys.stderr)
        return 2


def check_offset_column(args: argparse.Namespace, config: Config) -> None:
    """`data.offset` names a column of a table: only `fit --data` on a CSV or .parquet file
    (kept in memory, not read in chunks) has one."""
    column = config["data"]["offset"]
    table = args.command == "fit" and args.data.suffix.lower() in (".csv", ".parquet")
    if column and not (table and args.chunk_rows is None):
        raise ConfigError(
            f"data.offset = {column!r} names a column of a table: it is read by `jaxlogreg fit "
            '--data FILE.csv` (or .parquet) without --chunk-rows only; set data.offset = "" '
            f"for `jaxlogreg {args.command}`"
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its `run`, `fit`, `path`, `cv`, `tune` and `bench` commands."""
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
        help="fit on your own CSV, .parquet, .npy, libsvm/svmlight or .npz file; the config's "
        "[data] dataset is not used",
    )
    fit.add_argument(
        "--data",
        required=True,
        type=Path,
        help="CSV file with a header row, a .parquet file, a .npy array (read in chunks), or "
        "sparse data kept sparse: a libsvm/svmlight text file (.svm, .svmlight, .libsvm; "
        "labels in the file) or a scipy.sparse.save_npz matrix (.npz)",
    )
    fit.add_argument(
        "--target",
        help="CSV/.parquet: the column holding the labels; .npy data: the .npy file of labels; "
        ".npz data: its labels file (.npy, or .txt/.csv with one label a line), default "
        "DATA.labels.npy (or DATA.labels.txt) next to it; libsvm/svmlight: not taken",
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
    tune = commands.add_parser(
        "tune",
        help="tune lambda by gradient descent on the CV loss (config [tune]), compared with "
        "grid search: tune.png, tune.csv",
    )
    add_bench_command(commands)
    for command in (run, fit, path, cv, tune):
        _add_job_options(command)
    return parser


def _add_job_options(command: argparse.ArgumentParser) -> None:
    """--config, --output and --float64, which every job but `bench` takes."""
    command.add_argument(
        "--config",
        type=Path,
        help=f"TOML config (default: {DEFAULT_CONFIG_PATH}, or identical built-in "
        "defaults if that file is absent)",
    )
    command.add_argument(
        "--output",
        type=Path,
        help="output folder (default: output.dir from the config, else runs/<dataset>-<timestamp>)",
    )
    command.add_argument(
        "--float64", action="store_true", help="compute in float64 instead of float32"
    )


def run_sweep(args: argparse.Namespace, config: Config) -> int:
    """The `path`, `cv` or `tune` job on the built-in dataset of the config."""
    job, files = SWEEPS[args.command]
    dataset = load_builtin(config["data"]["dataset"])
    split = split_of(dataset, config)
    output_dir = output_directory(args.output, config, dataset.name)
    print(job(split, config, output_dir))
    print(f"Wrote {', '.join(files)} to {output_dir}")
    return 0
