"""Standardization of the features (glmnet's ``standardize = TRUE``).

A standardized fit runs on the columns ``xⱼ/σⱼ`` and reports ``βⱼ = β̃ⱼ/σⱼ`` on the original
scale, so that the penalty weighs ``σⱼ βⱼ``. ``σⱼ`` is the weighted (``1/Σs``, not
``1/(n − 1)``) standard deviation of column ``j``::

    σⱼ² = Σᵢ s̃ᵢ (xᵢⱼ − x̄ⱼ)²,    x̄ⱼ = Σᵢ s̃ᵢ xᵢⱼ,    s̃ = s / Σs

with or without an intercept, as glmnet. glmnet also centres the columns when it fits an
intercept; an unpenalized intercept absorbs that shift and nothing else changes, so the columns
are only scaled, for a dense and a sparse ``X`` alike, and a sparse ``X`` stays sparse (its
``σⱼ`` comes from the column moments ``Σ s̃ x`` and ``Σ s̃ x²`` of the stored values). A column
with ``σⱼ = 0`` (constant) is left as it is.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

__all__ = ["feature_scales", "scale_columns"]


def feature_scales(X, weights: np.ndarray) -> np.ndarray:
    """``σ (p,)`` of the module docstring for ``X (n, p)`` (dense or ``scipy.sparse``) and
    sample weights ``(n,)``; ``1`` where a column is constant (``σⱼ = 0``)."""
    w = np.asarray(weights, np.float64) / np.sum(weights)
    if scipy.sparse.issparse(X):
        X = scipy.sparse.csr_array(X)
        mean = X.T @ w
        variance = X.multiply(X).T @ w - np.square(mean)
    else:
        X = np.asarray(X, np.float64)
        mean = w @ X
        variance = w @ np.square(X - mean)
    # A constant column's variance is zero up to rounding (of its mean, or of E[x²] − E[x]²).
    rounding = 64 * np.finfo(np.float64).eps * (np.abs(variance) + np.square(mean))
    variance = np.where(variance > rounding, variance, 0.0)
    sigma = np.sqrt(variance)
    return np.where(sigma > 0, sigma, 1.0)


def scale_columns(X, scales: np.ndarray):
    """``X`` with column ``j`` divided by ``scales[j]``, in the dtype of ``X``: a new array, or
    for a ``scipy.sparse`` CSR ``X`` a new CSR matrix with the same pattern (never dense)."""
    if scipy.sparse.issparse(X):
        X = X.copy()
        X.data /= scales[X.indices].astype(X.dtype)
        return X
    return (X / scales).astype(X.dtype, copy=False)
