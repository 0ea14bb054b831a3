"""Detection of (quasi-)complete separation, where maximum-likelihood estimates are infinite.

Binary data with design rows ``aᵢ`` and signs ``yᵢ' = ±1`` are separated (completely or
quasi-completely) exactly when some direction ``v`` has ``yᵢ' aᵢᵀv ≥ 0`` for every sample and
``> 0`` for at least one: the likelihood then keeps increasing along ``v`` and the coefficients
it moves run off to infinity (Albert & Anderson, 1984). Following Konis (2007), one linear
program finds such a direction::

    max Σᵢ yᵢ' aᵢᵀv    subject to    yᵢ' aᵢᵀv ≥ 0 for all i,    −1 ≤ v ≤ 1,

with the columns of the design scaled to ``max |aᵢⱼ| = 1``. The data are separated when some
sample gets a strictly positive margin; the coefficients with ``vⱼ ≠ 0`` are the infinite ones.
For the multinomial model in the reference-category parametrization (``V_r = 0``) the
constraints are ``aᵢᵀ(V_{yᵢ} − V_k) ≥ 0`` for every ``k ≠ yᵢ``: along ``V`` every sample's own
class gains on every other class. Such a ``V`` makes some pair of classes ``(c, k)`` separated
on their own samples (along ``V_c − V_k``), so the small binary LPs of all pairs screen first and
the large multinomial LP runs only when one of them finds a separation. The LPs are solved by
HiGHS through ``scipy.optimize.linprog``.

Unpenalized fits warn (``PerfectSeparationWarning``) when the data are separated: their finite
coefficients only say where ``tol`` or ``max_iter`` stopped the solver. When the fitted model
already puts every sample strictly on its class's side, that is the certificate and no linear
program runs.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from ..core.targets import Mode

__all__ = ["PerfectSeparationWarning", "infinite_estimates", "is_separable", "warn_if_separable"]


class PerfectSeparationWarning(ConvergenceWarning):
    """The unpenalized logistic model's maximum-likelihood estimate does not exist."""


#: A margin or direction component below this (in the scaled design) counts as zero: HiGHS's
#: feasibility tolerance is 1e-7.
_ZERO = 1e-6


def _separating_direction(rows: sp.csr_matrix) -> np.ndarray | None:
    """``v`` maximizing ``Σ rows @ v`` with ``rows @ v ≥ 0`` and ``|v| ≤ 1``; ``None`` when no
    row can be made strictly positive (no separation)."""
    objective = -np.asarray(rows.sum(axis=0)).ravel()
    result = linprog(
        objective,
        A_ub=-rows,
        b_ub=np.zeros(rows.shape[0]),
        bounds=(-1.0, 1.0),
        method="highs",
    )
    if result.status != 0:  # cannot happen for this bounded, feasible (v = 0) LP
        return None
    margins = rows @ result.x
    return result.x if np.max(margins, initial=0.0) > _ZERO else None


def _binary(A: sp.csr_matrix, positive: np.ndarray) -> np.ndarray:
    """Infinite coefficients ``(d,)`` of the binary logit of ``positive`` on ``A``."""
    signs = np.where(positive, 1.0, -1.0)
    v = _separating_direction(sp.csr_matrix(sp.diags(signs) @ A))
    return np.zeros(A.shape[1], bool) if v is None else np.abs(v) > _ZERO


def _multinomial(A: sp.csr_matrix, y_index: np.ndarray, n_classes: int, reference: int):
    """Infinite coefficients ``(n_classes, d)`` of the softmax model with ``V_reference = 0``."""
    infinite = np.zeros((n_classes, A.shape[1]), bool)

    def pair_separated(c, k):
        both = (y_index == c) | (y_index == k)
        return _binary(A[both], y_index[both] == c).any()

    if not any(pair_separated(c, k) for c in range(n_classes) for k in range(c)):
        return infinite
    d = A.shape[1]
    position = np.cumsum(np.arange(n_classes) != reference) - 1  # class -> block of V
    sample, other = np.nonzero(y_index[:, None] != np.arange(n_classes))  # pairs (i, k ≠ yᵢ)
    row = np.arange(len(sample))
    entries, row_index, col_index = [], [], []
    for block_class, sign in ((y_index[sample], 1.0), (other, -1.0)):  # aᵢᵀ(V_{yᵢ} − V_k)
        keep = block_class != reference
        block = A[sample[keep]].tocoo()  # its stored values: row i of the block is pair keep[i]
        entries.append(sign * block.data)
        row_index.append(row[keep][block.row])
        col_index.append(position[block_class[keep]][block.row] * d + block.col)
    rows = sp.csr_matrix(
        (np.concatenate(entries), (np.concatenate(row_index), np.concatenate(col_index))),
        shape=(len(sample), (n_classes - 1) * d),
    )
    v = _separating_direction(rows)
    if v is not None:
        infinite[np.arange(n_classes) != reference] = np.abs(v.reshape(-1, d)) > _ZERO
    return infinite


def infinite_estimates(A, y_index, n_classes: int, mode: Mode, reference: int = 0) -> np.ndarray:
    """Which maximum-likelihood coefficients are infinite (the data are separated along them).

    Args:
        A: ``(n, d)`` design of the samples with positive weight (intercept column included),
            dense or ``scipy.sparse`` (the linear programs take its nonzeros only).
        y_index: ``(n,)`` class indices.
        mode: ``Mode.BINARY`` (class 1 against class 0), ``Mode.OVR`` (each class against the
            rest) or ``Mode.MULTINOMIAL`` (softmax, ``reference`` class fixed at zero).

    Returns:
        A boolean mask ``(1, d)`` for binary, ``(n_classes, d)`` otherwise (the reference row
        all ``False``).
    """
    A = sp.csr_matrix(A, dtype=np.float64, copy=True)
    scale = np.zeros(A.shape[1])
    np.maximum.at(scale, A.indices, np.abs(A.data))
    A.data /= np.where(scale > 0, scale, 1.0)[A.indices]  # v's support ignores column scales
    if mode == Mode.BINARY:
        infinite = _binary(A, y_index == 1)[None]
    elif mode == Mode.OVR:
        infinite = np.stack([_binary(A, y_index == k) for k in range(n_classes)])
    else:
        infinite = _multinomial(A, y_index, n_classes, reference)
    return infinite & (scale > 0)  # an all-zero column's coefficient is free, not infinite


def is_separable(A, y_index, n_classes: int) -> bool:
    """Whether classes ``y_index (n,)`` are (quasi-)separated by linear functions of ``A``."""
    mode = Mode.BINARY if n_classes == 2 else Mode.MULTINOMIAL
    return bool(infinite_estimates(A, y_index, n_classes, mode).any())


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
    A ``scipy.sparse`` ``X`` stays sparse: the linear programs take its nonzeros (on a large
    ``X`` they take long unless the fitted model separates the data already).
    """
    keep = weights > 0
    A = (
        sp.csr_matrix(X, dtype=np.float64)[keep]
        if sp.issparse(X)
        else np.asarray(X, np.float64)[keep]
    )
    Z = A @ np.atleast_2d(coef).T + (np.atleast_1d(intercept) if fit_intercept else 0.0)
    if fit_intercept:
        ones = np.ones((A.shape[0], 1))
        A = sp.hstack([A, ones], format="csr") if sp.issparse(A) else np.hstack([A, ones])
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
