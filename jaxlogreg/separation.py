"""Perfect separation: when the unpenalized logistic model has no maximum-likelihood estimate.

With ``aᵢ = [xᵢ, 1]`` (``[xᵢ]`` without an intercept) and coefficients ``Θ = (θ₀, …, θ_{K−1})``,
the unpenalized (multinomial) logistic MLE does not exist exactly when some direction ``Θ``
ranks every sample's own class first (Albert & Anderson, 1984)::

    (θ_{yᵢ} − θₖ)·aᵢ ≥ 0   for every sample i of positive weight and every class k ≠ yᵢ,

with at least one strict inequality. Along such a direction the likelihood increases without
bound: the coefficients diverge, and a solver stops wherever ``tol`` or ``max_iter`` says. The
binary model is the case ``K = 2`` with ``θ₀ = 0``, ``θ₁ = w``.

Detection (Konis, 2007) is the linear program, with ``θ₀ = 0`` fixed (softmax is invariant to a
common shift)::

    max Σᵢ Σ_{k≠yᵢ} (θ_{yᵢ} − θₖ)·aᵢ   s.t.   (θ_{yᵢ} − θₖ)·aᵢ ≥ 0,   −1 ≤ Θ ≤ 1,

whose optimum is positive exactly when the data are separable. The columns of ``A`` are first
scaled to ``max |aⱼ| = 1`` (a direction for the scaled data is one for the original), and the
solution is verified in float64: every margin ``≥ −10⁻⁹`` and the largest ``≥ 10⁻⁶``. When the
fitted model itself already puts every sample strictly on its class's side, that is the
certificate, and the linear program is skipped.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

__all__ = ["PerfectSeparationWarning", "is_separable", "warn_if_separable"]

#: Margins above this (scaled data, ``|Θ| ≤ 1``) certify separation; below ``−VIOLATION`` refute it.
MARGIN, VIOLATION = 1e-6, 1e-9


class PerfectSeparationWarning(ConvergenceWarning):
    """The unpenalized logistic model's maximum-likelihood estimate does not exist."""


def _margin_matrix(A: np.ndarray, y_index: np.ndarray, n_classes: int) -> scipy.sparse.csr_array:
    """``M (n(K−1), (K−1)d)``: row ``(i, k)`` maps the free blocks ``θ₁…θ_{K−1}`` to the margin
    ``(θ_{yᵢ} − θₖ)·aᵢ`` (``θ₀ = 0``)."""
    n, d = A.shape
    others = np.arange(n_classes - 1)[None, :]
    others = others + (others >= y_index[:, None])  # (n, K−1): the classes k ≠ yᵢ
    rows = np.arange(n * (n_classes - 1)).reshape(n, n_classes - 1)
    entries = []
    for block, sign in ((np.broadcast_to(y_index[:, None], others.shape), 1.0), (others, -1.0)):
        keep = block > 0
        r, i, b = rows[keep], np.nonzero(keep)[0], block[keep]
        cols = (b - 1)[:, None] * d + np.arange(d)[None, :]
        entries.append((np.repeat(r, d), cols.ravel(), (sign * A[i]).ravel()))
    r, c, v = (np.concatenate(parts) for parts in zip(*entries, strict=True))
    shape = (n * (n_classes - 1), (n_classes - 1) * d)
    return scipy.sparse.csr_array(scipy.sparse.coo_array((v, (r, c)), shape=shape))


def is_separable(A: np.ndarray, y_index: np.ndarray, n_classes: int) -> bool:
    """Whether classes ``y_index (n,)`` are (quasi-)separable by linear functions of ``A (n, d)``.

    Solves the linear program of the module docstring and verifies its solution.
    """
    scale = np.max(np.abs(A), axis=0)
    A = A[:, scale > 0] / scale[scale > 0]
    if A.shape[1] == 0:
        return False
    M = _margin_matrix(A, y_index, n_classes)
    result = linprog(
        -np.asarray(M.sum(axis=0)).ravel(),
        A_ub=-M,
        b_ub=np.zeros(M.shape[0]),
        bounds=(-1.0, 1.0),
        method="highs",
    )
    if result.status != 0:
        return False
    margins = M @ result.x
    return bool(margins.min() >= -VIOLATION and margins.max() >= MARGIN)


def _separates(Z: np.ndarray, y_index: np.ndarray) -> bool:
    """Whether decision values ``Z (n, K)`` (``K = 1``: binary logit) rank every sample's own
    class strictly first."""
    if Z.shape[1] == 1:
        return bool(np.all(np.where(y_index == 1, Z[:, 0], -Z[:, 0]) > 0))
    own = Z[np.arange(len(Z)), y_index]
    others = np.where(np.arange(Z.shape[1]) == y_index[:, None], -np.inf, Z)
    return bool(np.all(own > others.max(axis=1)))


def warn_if_separable(
    X: np.ndarray,
    y_index: np.ndarray,
    weights: np.ndarray,
    n_classes: int,
    coef: np.ndarray,
    intercept: np.ndarray,
    *,
    fit_intercept: bool,
    one_vs_rest: bool,
    stacklevel: int = 4,
) -> None:
    """Warn (``PerfectSeparationWarning``) when an unpenalized fit's MLE does not exist.

    ``coef (K, p)``, ``intercept (K,)``: the fitted decision function (``K = 1``, or ``coef
    (p,)``, for a binary logit); ``one_vs_rest``: one binary problem per class (each checked).
    """
    keep = weights > 0
    A = np.asarray(X, np.float64)[keep]
    Z = A @ np.atleast_2d(coef).T + (np.atleast_1d(intercept) if fit_intercept else 0.0)
    if fit_intercept:
        A = np.column_stack([A, np.ones(len(A))])
    y_index = y_index[keep]
    if one_vs_rest and n_classes > 2:
        problems = [((y_index == k).astype(int), 2, Z[:, k : k + 1]) for k in range(n_classes)]
    else:
        problems = [(y_index, n_classes, Z)]
    if any(_separates(Z, labels) or is_separable(A, labels, K) for labels, K, Z in problems):
        warnings.warn(
            "the classes are perfectly separable by a linear function of X (some samples may "
            "lie on the boundary): the maximum-likelihood estimate of the unpenalized model does "
            "not exist. The coefficients grow without bound and the finite ones returned depend "
            "on tol and max_iter. Add a penalty (e.g. penalty='l2' with a finite C, or lam > 0).",
            PerfectSeparationWarning,
            stacklevel=stacklevel,
        )
