"""The ONE objective every result is scored with (glmnet's convention), and relative gaps.

For coefficients ``W (K, p)``, intercepts ``b (K,)`` and 0/1 sample weights ``m`` (a training
mask; all ones by default)::

    F(W, b) = (1/Σᵢmᵢ) Σᵢ mᵢ ℓ(W xᵢ + b, yᵢ) + λ [ (1 − α)/2 ‖W‖² + α ‖W‖₁ ]

with ``ℓ(z, y) = log(1 + eᶻ) − y·z`` for a binary model (``K = 1``) and
``ℓ(z, y) = logsumexp(z) − z_y`` for a multinomial one. It is plain NumPy in float64, evaluated
on the float64 data whatever precision a library computed in (a sparse ``X``, ``scipy.sparse``,
is never densified), and independent of every library under test. Every library's own
parametrization is converted to ``(λ, α)`` in its adapter.

The relative gap of a result is ``(F − F*)/|F*|``, ``F*`` the lowest objective any result
reached on the same problem; a result whose gap exceeds ``GAP_TOL`` is inaccurate.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp

__all__ = ["GAP_TOL", "lambda_max", "linear_predictor", "objective", "relative_gaps"]

#: Largest relative objective gap of an accurate result.
GAP_TOL = 1e-6


def linear_predictor(X, coef: np.ndarray) -> np.ndarray:
    """``X Wᵀ (n, K)`` in float64; a sparse ``X`` (``scipy.sparse``) stays sparse."""
    if sp.issparse(X):
        return np.asarray(X.astype(np.float64, copy=False) @ coef.T)
    return np.asarray(X, np.float64) @ coef.T


def objective(
    X: np.ndarray,
    y: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    lam: float,
    l1_ratio: float,
    mask: np.ndarray | None = None,
) -> float:
    """``F(W, b)`` of the module docstring; ``coef (K, p)``, ``intercept (K,)``, labels ``y``."""
    coef = np.asarray(coef, np.float64)
    intercept = np.asarray(intercept, np.float64)
    Z = linear_predictor(X, coef) + intercept  # (n, K)
    if coef.shape[0] == 1:
        z = Z[:, 0]
        losses = np.logaddexp(0.0, z) - y * z  # log(1 + eᶻ) without overflow
    else:
        losses = logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]
    risk = np.mean(losses) if mask is None else np.dot(mask, losses) / np.sum(mask)
    penalty = (1.0 - l1_ratio) / 2.0 * np.sum(coef**2) + l1_ratio * np.sum(np.abs(coef))
    return float(risk + lam * penalty)


def lambda_max(X: np.ndarray, y: np.ndarray, n_classes: int, l1_ratio: float = 1.0) -> float:
    """Smallest ``λ`` at which the intercept-only model is optimal (for ``α > 0``):
    ``maxⱼₖ |Σᵢ xᵢⱼ(ȳₖ − tᵢₖ)| / (n·max(α, 10⁻³))`` (glmnet's rule, also for ridge)."""
    T = (y == 1)[:, None] * 1.0 if n_classes == 2 else np.eye(n_classes)[y]
    G = np.asarray(X.T @ (T.mean(axis=0) - T)) / len(y)  # dense or sparse X
    return float(np.max(np.abs(G)) / max(l1_ratio, 1e-3))


def relative_gaps(values: dict) -> dict:
    """``(F − F*)/|F*|`` elementwise for every key, ``F*`` the elementwise minimum over keys.

    ``values`` maps a result to its objectives (one per ``λ`` of a path, or per fit of a grid),
    all of the same shape; NaN entries (no result) take no part in the minimum.
    """
    if not values:
        return {}
    stacked = np.stack([np.asarray(v, np.float64) for v in values.values()])
    best = np.nanmin(np.where(np.isfinite(stacked), stacked, np.nan), axis=0)
    return {key: (np.asarray(v, np.float64) - best) / np.abs(best) for key, v in values.items()}
