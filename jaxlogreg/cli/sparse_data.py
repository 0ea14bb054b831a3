"""Sparse data for `jaxlogreg fit`: libsvm/svmlight text files and scipy `.npz` matrices, kept
sparse (CSR) from the file to the fit.

- `FILE.svm` (also `.svmlight`, `.libsvm`): each line `label index:value …` holds its own label;
  `--target` is not taken. Indices are zero-based when some index is 0, else one-based (as
  scikit-learn's `load_svmlight_file` reads them).
- `FILE.npz` (written by `scipy.sparse.save_npz`): the labels come from `--target LABELS`, a
  `.npy` array or a text file of one label a line (`.txt`, `.csv`); without `--target`, from
  the sibling file `FILE.labels.npy` (or `FILE.labels.txt`). `scipy.sparse.load_npz` reads the
  matrix whole.

Features are named by their column: `x0`, `x1`, ….
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse

from ..scale.sparse_chunks import SVMLIGHT_SUFFIXES
from .datasets import Dataset, encode_labels

SPARSE_SUFFIXES = (".npz", *SVMLIGHT_SUFFIXES)
LABEL_SUFFIXES = (".npy", ".txt", ".csv")


def is_sparse_data(path: Path) -> bool:
    """Whether `path` is a `.npz` or libsvm/svmlight file."""
    return path.suffix.lower() in SPARSE_SUFFIXES


def is_svmlight(path: Path) -> bool:
    return path.suffix.lower() in SVMLIGHT_SUFFIXES


def labels_file(data: Path, target: str | None) -> Path:
    """The labels of a `.npz` matrix: `--target`, else the sibling `DATA.labels.npy` (or
    `.txt`); a clear error when there is none."""
    if target is not None:
        path = Path(target)
        if path.suffix.lower() not in LABEL_SUFFIXES:
            raise ValueError(
                f"--target for {data.name} names its labels file (.npy, or .txt/.csv with one "
                f"label a line), got {target!r}"
            )
        if not path.is_file():
            raise FileNotFoundError(f"labels file not found: {path}")
        return path
    siblings = [data.with_suffix(f".labels{suffix}") for suffix in (".npy", ".txt")]
    for path in siblings:
        if path.is_file():
            return path
    raise ValueError(
        f"{data} holds no labels: pass --target LABELS.npy (or a .txt file of one label a "
        f"line), or put them in {siblings[0].name} next to it"
    )


def read_labels(path: Path) -> np.ndarray:
    """The labels in a `.npy` file, or in a text file of one label a line (numbers when all
    of them are)."""
    if path.suffix.lower() == ".npy":
        labels = np.load(path, allow_pickle=False)
    else:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        labels = np.array([line.strip() for line in lines if line.strip()])
        try:
            labels = labels.astype(np.float64)
        except ValueError:
            pass  # text labels
    if labels.ndim != 1:
        raise ValueError(f"{path}: labels must be one value a row, got shape {labels.shape}")
    return labels


def load_sparse(path: Path, target: str | None) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """`(X, labels)` of a sparse data file: `X` a CSR matrix (never dense)."""
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    if is_svmlight(path):
        if target is not None:
            raise ValueError(
                f"{path.name} holds its labels (the first value of each line): drop --target"
            )
        from sklearn.datasets import load_svmlight_file

        try:
            X, labels = load_svmlight_file(str(path), dtype=np.float64)
        except ValueError as error:
            raise ValueError(f"{path}: not a valid libsvm/svmlight file ({error})") from None
        return X, labels
    X = scipy.sparse.load_npz(path).tocsr()
    labels = read_labels(labels_file(path, target))
    if len(labels) != X.shape[0]:
        raise ValueError(f"{path} has {X.shape[0]} rows but its labels number {len(labels)}")
    return X, labels


def load_sparse_dataset(path: Path, target: str | None) -> Dataset:
    """The `Dataset` of a sparse data file, its `X` a CSR matrix."""
    X, labels = load_sparse(path, target)
    y, classes = encode_labels(labels)
    if len(classes) < 2:
        raise ValueError(f"{path}: the labels hold a single class")
    names = tuple(f"x{j}" for j in range(X.shape[1]))
    return Dataset(path.stem, X, y, names, classes)
