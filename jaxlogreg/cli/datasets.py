"""Datasets for the command line: those bundled with scikit-learn, a synthetic one, and CSV or
Parquet files."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BUILTIN_DATASETS = ("breast_cancer", "iris", "wine", "digits", "circles")
MISSING_LABELS = ("", "nan", "NaN", "None")


@dataclass(frozen=True)
class Dataset:
    """A classification table: features `X` (n, p) and labels `classes[y]`, `y` coded 0..K-1;
    `X` is dense, or a CSR matrix for sparse data files (`sparse_data`). `offset` (n,): a known
    term of every sample's logit (glmnet's offset) read from a table's column, or None.

    `classes` holds the sorted distinct labels (strings or numbers), the order in which an
    estimator fitted on `classes[y]` lists them in `classes_`.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    classes: np.ndarray
    offset: np.ndarray | None = None

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(str(label) for label in self.classes)

    @property
    def labels(self) -> np.ndarray:
        return self.classes[self.y]


def load_builtin(name: str) -> Dataset:
    """One of BUILTIN_DATASETS, read from the files bundled with scikit-learn (no download).

    "circles" is synthetic (scikit-learn's make_circles, fixed seed): 500 points on two noisy
    concentric circles, x1² + x2² = r² with r = 1 ("outer") and r = 0.5 ("inner"). No linear
    boundary separates them; a quadratic one (polynomial features of degree 2) does.
    """
    if name not in BUILTIN_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(BUILTIN_DATASETS)}")
    from sklearn import datasets

    if name == "circles":
        X, inner = datasets.make_circles(n_samples=500, noise=0.1, factor=0.5, random_state=0)
        y, classes = encode_labels(np.where(inner == 1, "inner", "outer"))
        return Dataset(name, X, y, ("x1", "x2"), classes)

    bunch = getattr(datasets, f"load_{name}")()
    y, classes = encode_labels(np.asarray(bunch.target_names)[bunch.target])
    feature_names = tuple(str(feature) for feature in bunch.feature_names)
    return Dataset(name, np.asarray(bunch.data, dtype=np.float64), y, feature_names, classes)


def load_table(path: str | Path, target: str | None, offset: str | None = None) -> Dataset:
    """A CSV file with a header row (or a .parquet file); `target` names the label column and
    `offset` (optional) a numeric column of offsets, which is not a feature.

    The label column may hold strings or numbers; every other column must be numeric.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    if target is None:
        raise ValueError(f"{path.name}: pass --target COLUMN, the column holding the labels")
    if path.suffix.lower() == ".parquet":
        columns, first_line = _read_parquet(path), None
    else:
        columns, first_line = _read_csv(path), 2
    if target not in columns:
        raise ValueError(
            f"{path}: no column named {target!r}; available columns: {', '.join(columns)}"
        )
    if offset is not None and (offset not in columns or offset == target):
        raise ValueError(
            f"{path}: data.offset = {offset!r} must name a numeric column other than the target "
            f"{target!r}; available columns: {', '.join(columns)}"
        )
    feature_names = tuple(name for name in columns if name not in (target, offset))
    if not feature_names:
        raise ValueError(f"{path}: no feature columns besides the target {target!r}")
    X = np.column_stack(
        [_numeric_column(columns[name], name, path, first_line) for name in feature_names]
    )
    labels = columns[target]
    missing = [row for row, label in enumerate(labels) if str(label).strip() in MISSING_LABELS]
    if missing:
        raise ValueError(
            f"{path}: target column {target!r} has a missing value at "
            f"{_location(missing[0], first_line)}"
        )
    y, classes = encode_labels(labels)
    if len(classes) < 2:
        raise ValueError(f"{path}: target column {target!r} holds a single class")
    offsets = None if offset is None else _numeric_column(columns[offset], offset, path, first_line)
    return Dataset(path.stem, X, y, feature_names, classes, offsets)


def _read_csv(path: Path) -> dict[str, list[str]]:
    """Columns of a CSV file by header name, as lists of the raw cell strings."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        raise ValueError(f"{path}: the file is empty")
    header, body = [name.strip() for name in rows[0]], rows[1:]
    if all(_is_number(name) for name in header):
        raise ValueError(f"{path}: the first row must be a header of column names")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate column names: {', '.join(duplicates)}")
    if not body:
        raise ValueError(f"{path}: no data rows below the header")
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ValueError(
                f"{path}: line {line} has {len(row)} fields, the header has {len(header)}"
            )
    return {name: [row[index].strip() for row in body] for index, name in enumerate(header)}


def _read_parquet(path: Path) -> dict[str, np.ndarray]:
    """Columns of a Parquet file, read with pandas (and pyarrow or fastparquet)."""
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except ImportError:
        raise ValueError(
            f"{path}: reading .parquet files needs pandas and pyarrow (pip install pandas pyarrow)"
        ) from None
    return {str(name): frame[name].to_numpy() for name in frame.columns}


def _numeric_column(values: Sequence, name: str, path: Path, first_line: int | None) -> np.ndarray:
    """`values` as float64, or a ValueError naming the column and the first bad cell."""
    try:
        column = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        column = np.array([float(v) if _is_number(v) else np.nan for v in values])
    bad = np.flatnonzero(~np.isfinite(column))
    if bad.size:
        row = int(bad[0])
        raise ValueError(
            f"{path}: column {name!r} must hold numbers (only the target may hold text), "
            f"but {_location(row, first_line)} holds {values[row]!r}"
        )
    return column


def encode_labels(labels: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..K-1 and the sorted distinct labels (numbers if all labels are, else strings)."""
    labels = np.asarray(labels)
    if all(_is_number(label) for label in labels):
        numbers = labels.astype(np.float64)
        labels = numbers.astype(np.int64) if np.all(numbers == np.round(numbers)) else numbers
    else:
        labels = labels.astype(str)
    classes, codes = np.unique(labels, return_inverse=True)
    return codes, classes


def _location(row: int, first_line: int | None) -> str:
    """Where data row `row` (0-based) is: a CSV line number, or a Parquet row index."""
    return f"line {row + first_line}" if first_line else f"row {row}"


def _is_number(value: object) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
