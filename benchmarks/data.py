"""Deterministic synthetic classification data for the workloads.

Features are Gaussian with AR(1) correlation between neighbouring columns,
``corr(xⱼ, xₖ) = ρ^|j−k|`` (``ρ = 0.5``): correlated like real data, yet well conditioned, and
cheap to draw at any size (``O(n·p)``, no ``p × p`` mixing matrix). The true coefficients are
sparse (``n_informative`` nonzero per class, random signs and sizes); the linear predictor is
rescaled to standard deviation ``signal`` and labels are drawn from the logistic (binary) or
softmax (multinomial) model. The same seed always gives the same arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import softmax

__all__ = [
    "Dataset",
    "draw_labels",
    "load_dataset",
    "make_dataset",
    "save_dataset",
    "stratified_fold_ids",
]


class Dataset(NamedTuple):
    """Training data ``X (n, p)`` (dense, or CSR for the sparse workloads), labels ``y (n,)``
    in ``0..K−1``, and a held-out test set."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _ar1_features(rng: np.random.Generator, n: int, p: int, rho: float) -> np.ndarray:
    """``(n, p)`` unit-variance Gaussian columns with ``corr(xⱼ, xⱼ₊₁) = rho`` (AR(1))."""
    X = rng.standard_normal((n, p))
    innovation = np.sqrt(1.0 - rho**2)
    for j in range(1, p):  # in place, column by column: memory stays at one (n, p) array
        X[:, j] *= innovation
        X[:, j] += rho * X[:, j - 1]
    return X


def make_dataset(
    n: int,
    p: int,
    *,
    n_classes: int = 2,
    seed: int = 0,
    n_test: int | None = None,
    n_informative: int = 10,
    signal: float = 2.0,
    rho: float = 0.5,
) -> Dataset:
    """``n`` training and ``n_test`` (default ``min(n // 4, 20_000)``) test samples, float64."""
    n_test = min(n // 4, 20_000) if n_test is None else n_test
    rng = np.random.default_rng(seed)
    X = _ar1_features(rng, n + n_test, p, rho)
    k = min(n_informative, p)
    rows = 1 if n_classes == 2 else n_classes
    beta = np.zeros((rows, p))
    for row in beta:
        support = rng.choice(p, size=k, replace=False)
        row[support] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 1.5, k)
    y = draw_labels(rng, X @ beta.T, n_classes, signal)
    return Dataset(X[:n], y[:n], X[n:], y[n:])


def draw_labels(rng: np.random.Generator, Z: np.ndarray, n_classes: int, signal: float):
    """Labels ``(n,)`` from the linear predictors ``Z (n, K)``, rescaled to standard deviation
    ``signal``: logistic (binary, intercept 0.3) or softmax (multinomial) model."""
    Z = Z * (signal / np.maximum(Z.std(axis=0), np.finfo(float).tiny))
    if n_classes == 2:
        y = (rng.uniform(size=len(Z)) < 1.0 / (1.0 + np.exp(-(Z[:, 0] + 0.3)))).astype(np.int64)
    else:
        cumulative = np.cumsum(softmax(Z, axis=1), axis=1)
        y = (rng.uniform(size=(len(Z), 1)) > cumulative).sum(axis=1)
        y = np.minimum(y, n_classes - 1).astype(np.int64)  # guards against round-off at 1
    return y


def save_dataset(path, data: Dataset) -> None:
    """``data`` into one ``.npz`` file; a sparse ``X`` as its CSR arrays (never densified)."""
    arrays = {}
    for field, value in data._asdict().items():
        if sp.issparse(value):
            csr = sp.csr_matrix(value)
            arrays.update({
                f"{field}.data": csr.data, f"{field}.indices": csr.indices,
                f"{field}.indptr": csr.indptr, f"{field}.shape": np.array(csr.shape),
            })  # fmt: skip
        else:
            arrays[field] = value
    np.savez(path, **arrays)


def load_dataset(path) -> Dataset:
    """The ``Dataset`` that ``save_dataset`` wrote (CSR where it was sparse)."""
    with np.load(path) as saved:
        fields = {}
        for field in Dataset._fields:
            if field in saved.files:
                fields[field] = saved[field]
            else:
                parts = [saved[f"{field}.{name}"] for name in ("data", "indices", "indptr")]
                fields[field] = sp.csr_matrix(tuple(parts), shape=tuple(saved[f"{field}.shape"]))
    return Dataset(**fields)


def stratified_fold_ids(y: np.ndarray, n_folds: int) -> np.ndarray:
    """Fold index ``(n,)`` of every sample: scikit-learn's ``StratifiedKFold(n_folds)``
    (no shuffling), so every library is given the same folds."""
    from sklearn.model_selection import StratifiedKFold

    ids = np.empty(len(y), np.int64)
    for fold, (_, test) in enumerate(StratifiedKFold(n_folds).split(np.zeros(len(y)), y)):
        ids[test] = fold
    return ids
