"""Least-squares regressors on the same engine: ``LinearRegression``, ``Ridge``, ``Lasso``,
``ElasticNet``, each minimizing exactly scikit-learn's objective (``s`` = sample weights):

- ``LinearRegression``: ``½ Σᵢ sᵢ (yᵢ − xᵢᵀw − b)²``;
- ``Ridge(alpha)``: ``Σᵢ sᵢ (yᵢ − xᵢᵀw − b)² + alpha ‖w‖²`` (no ``1/n``);
- ``ElasticNet(alpha, l1_ratio)`` and ``Lasso(alpha)`` (``l1_ratio = 1``)::

      (1/(2Σs)) Σᵢ sᵢ (yᵢ − xᵢᵀw − b)² + alpha·l1_ratio ‖w‖₁ + alpha(1 − l1_ratio)/2 ‖w‖².

In the glmnet convention of ``jaxlogreg.fit`` with ``loss="squared"``,
``(1/Σs) Σᵢ sᵢ ½ rᵢ² + λ[(1 − α)/2 ‖w‖² + α‖w‖₁]``, this is ``λ = 0`` for
``LinearRegression``, ``λ = alpha/Σs`` (``α = 0``) for ``Ridge`` and ``λ = alpha``,
``α = l1_ratio`` for ``Lasso``/``ElasticNet``. The first two have a closed form
(``normal_equations``); the others are solved iteratively (coordinate descent by default).
"""

from __future__ import annotations

import numbers
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import RegressorMixin
from sklearn.linear_model._base import LinearModel
from sklearn.utils.validation import check_is_fitted

from .. import persistence
from .._validation import (
    check_finite_result,
    check_l1_ratio,
    check_sample_weight,
    validate_inputs,
    warn_on_feature_scale,
)
from ..core.losses import SQUARED
from ..engine.functional import FitArrays, solve_many
from ..engine.shapes import bucket_rows, pad_rows, padded_on_device
from ..precision import precise_jit
from ..solvers.auto import Purpose, auto_solver
from ..solvers.stop import warn_not_converged
from ._base import AtomicFit, check_solver_options

__all__ = ["ElasticNet", "Lasso", "LinearRegression", "Ridge", "normal_equations"]


@partial(precise_jit, static_argnames=("fit_intercept",))
def normal_equations(
    X: jax.Array, Y: jax.Array, sample_weight: jax.Array, alpha: jax.Array, *, fit_intercept: bool
) -> tuple[jax.Array, jax.Array]:
    """``argmin Σᵢ sᵢ ‖yᵢ − Wxᵢ − b‖² + alpha ‖W‖²_F`` in closed form: ``(W (K, p), b (K,))``.

    With ``A = [X | 1]`` and ``Λ = diag(alpha, …, alpha, 0)`` the solution is
    ``(AᵀSA + Λ)⁻¹AᵀSY``. Eliminating the unpenalized intercept (Schur complement) gives the same
    ``W`` from the weighted-centred data ``X̃ = X − x̄``, ``Ỹ = Y − ȳ`` (means weighted by ``s``):
    ``W = ((X̃ᵀSX̃ + alpha·I)⁻¹ X̃ᵀSỸ)ᵀ`` and ``b = ȳ − W x̄``. The system is solved by Cholesky;
    when the Gram matrix is numerically singular (only possible for ``alpha = 0``), by least
    squares on ``√S X̃``, which returns the minimum-norm ``W`` as scikit-learn does.
    """
    s = sample_weight / jnp.sum(sample_weight)
    if fit_intercept:
        x_mean, y_mean = s @ X, s @ Y
    else:
        x_mean, y_mean = jnp.zeros(X.shape[1], X.dtype), jnp.zeros(Y.shape[1], Y.dtype)
    Xc, Yc = X - x_mean, Y - y_mean
    # A constant column centres to round-off noise of its mean, not to zero: zero it exactly, so
    # that it gets the minimum-norm coefficient 0 instead of a fit to the noise.
    eps = jnp.finfo(X.dtype).eps
    constant = jnp.max(jnp.abs(Xc), axis=0) <= X.shape[0] * eps * jnp.max(jnp.abs(X), axis=0)
    Xc = jnp.where(constant, 0.0, Xc)
    root = jnp.sqrt(s)[:, None]
    gram = (Xc * s[:, None]).T @ Xc + (alpha / jnp.sum(sample_weight)) * jnp.eye(X.shape[1])
    rhs = (Xc * s[:, None]).T @ Yc
    factor = jnp.linalg.cholesky(gram)
    pivots = jnp.diagonal(factor) ** 2
    singular = ~jnp.all(jnp.isfinite(factor)) | (
        jnp.min(pivots) <= X.shape[1] * eps * jnp.max(jnp.diagonal(gram))
    )
    W = jax.lax.cond(
        singular,
        lambda: jnp.linalg.lstsq(root * Xc, root * Yc)[0],
        lambda: jax.scipy.linalg.cho_solve((factor, True), rhs),
    ).T
    return W, y_mean - W @ x_mean


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a non-negative number, got {alpha!r}")
    if not 0 <= alpha < np.inf:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    return float(alpha)


class _LeastSquares(AtomicFit, RegressorMixin, LinearModel):
    """Shared input handling, output shapes and persistence of the least-squares regressors.

    ``LinearModel`` (a scikit-learn ``BaseEstimator``) gives ``predict``: ``X coef_ᵀ + intercept_``.
    """

    def _validated(self, X, y, sample_weight):
        """``X (n, p)``, ``Y (n, K)`` in the computation dtype, the sample weights, ``y.ndim``."""
        dtype = np.dtype(jnp.result_type(float))
        X, y = validate_inputs(
            self, X, y, dtype=[np.float64, np.float32], multi_output=True, y_numeric=True
        )
        weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
        Y = np.asarray(y, dtype).reshape(X.shape[0], -1)
        return X.astype(dtype, copy=False), Y, weights, y.ndim

    def _set_coefficients(self, W, b, y_ndim: int) -> None:
        """``coef_ (p,)`` and a float ``intercept_`` for 1-D ``y``, else ``(K, p)`` and ``(K,)``."""
        W, b = np.asarray(W, np.float64), np.asarray(b, np.float64)
        check_finite_result(W, b)
        if not self.fit_intercept:
            b = np.zeros_like(b)
        self.coef_ = W[0] if y_ndim == 1 else W
        self.intercept_ = float(b[0]) if y_ndim == 1 else b

    def save(self, path) -> None:
        """Write the fitted model to ``path`` (``.npz`` arrays + JSON metadata, no pickle)."""
        check_is_fitted(self)
        persistence.save(self, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True  # densified, up to _validation.MAX_DENSE_BYTES
        return tags


class LinearRegression(_LeastSquares):
    """Ordinary least squares: minimizes ``½ Σᵢ sᵢ (yᵢ − xᵢᵀw − b)²`` in closed form.

    Parameters:
        fit_intercept: fit an intercept ``b``.

    Attributes:
        coef_: ``(n_features,)`` for 1-D ``y``, else ``(n_targets, n_features)``.
        intercept_: a float for 1-D ``y``, else ``(n_targets,)``; ``0`` without intercept.
        n_features_in_, feature_names_in_: as in scikit-learn.

    Rank-deficient problems get the minimum-norm coefficients, as in scikit-learn.
    """

    def __init__(self, *, fit_intercept=True):
        self.fit_intercept = fit_intercept

    def _fit(self, X, y, sample_weight):
        X, Y, weights, y_ndim = self._validated(X, y, sample_weight)
        W, b = normal_equations(X, Y, weights, 0.0, fit_intercept=bool(self.fit_intercept))
        self._set_coefficients(W, b, y_ndim)


class Ridge(_LeastSquares):
    """Ridge regression: minimizes ``Σᵢ sᵢ (yᵢ − xᵢᵀw − b)² + alpha ‖w‖²`` in closed form.

    This is scikit-learn's objective (no ``1/n``); in the glmnet convention of ``jaxlogreg.fit``
    (``loss="squared"``, ``l1_ratio=0``) it is ``λ = alpha / Σᵢ sᵢ`` (``alpha/n`` for unit weights).

    Parameters:
        alpha: penalty strength ``≥ 0`` (one value shared by all targets).
        fit_intercept: fit an unpenalized intercept ``b``.

    Attributes:
        coef_: ``(n_features,)`` for 1-D ``y``, else ``(n_targets, n_features)``.
        intercept_: a float for 1-D ``y``, else ``(n_targets,)``; ``0`` without intercept.
        n_features_in_, feature_names_in_: as in scikit-learn.
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True):
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def _fit(self, X, y, sample_weight):
        alpha = _check_alpha(self.alpha)
        X, Y, weights, y_ndim = self._validated(X, y, sample_weight)
        W, b = normal_equations(X, Y, weights, alpha, fit_intercept=bool(self.fit_intercept))
        self._set_coefficients(W, b, y_ndim)


class ElasticNet(_LeastSquares):
    """Elastic-net regression, scikit-learn's objective (``s`` normalized to sum to ``n``)::

        (1/(2n)) Σᵢ sᵢ (yᵢ − xᵢᵀw − b)² + alpha·l1_ratio ‖w‖₁ + alpha(1 − l1_ratio)/2 ‖w‖²

    which is the glmnet convention of ``jaxlogreg.fit`` (``loss="squared"``) with
    ``λ = alpha`` and ``α = l1_ratio``. Each target is its own problem; all of them are solved
    in one ``jax.vmap``-ed call.

    Parameters:
        alpha: penalty strength ``≥ 0``.
        l1_ratio: mixing in ``[0, 1]`` (``1``: lasso, ``0``: ridge).
        fit_intercept: fit an unpenalized intercept ``b``.
        max_iter: maximum solver iterations.
        tol: stop when the largest violation of the optimality (KKT) conditions of the objective
            above, i.e. of its (sub)gradient, is at most ``tol``.
        warm_start: start from the previous fit's coefficients when the shapes match.
        solver: ``"auto"`` (coordinate descent, ``"cd"``) or an L1-capable solver of
            ``jaxlogreg.solvers.SOLVERS`` (any solver when ``l1_ratio = 0``).

    Attributes:
        coef_: ``(n_features,)`` for 1-D ``y``, else ``(n_targets, n_features)``.
        intercept_: a float for 1-D ``y``, else ``(n_targets,)``; ``0`` without intercept.
        n_iter_: iterations, an int for 1-D ``y``, else a list with one per target.
        n_features_in_, feature_names_in_: as in scikit-learn.
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.solver = solver

    def _fit(self, X, y, sample_weight):
        alpha = _check_alpha(self.alpha)
        l1_ratio = check_l1_ratio(self.l1_ratio)
        l1 = l1_ratio > 0 and alpha > 0
        tol, max_iter = check_solver_options(self.solver, self.tol, self.max_iter, l1=l1)

        X, Y, weights, y_ndim = self._validated(X, y, sample_weight)
        warn_on_feature_scale(X, stacklevel=4)
        fit_intercept = bool(self.fit_intercept)
        d = X.shape[1] + fit_intercept
        solver = self.solver
        if solver == "auto":
            solver = auto_solver(l1=l1, n_params=d, purpose=Purpose.LEAST_SQUARES)
        targets = Y.T[:, :, None]  # one single-output problem per target: (K, n, 1)
        init = self._warm_start_init(Y.shape[1], d)
        batched = solve_many(
            FitArrays(targets=0, init=0),
            loss=SQUARED,
            solver=solver,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
        )
        n_rows = bucket_rows(X)  # zero-weight rows: nearby row counts share a program
        data = padded_on_device(X, n_rows), pad_rows(targets, n_rows, axis=1)
        args = (pad_rows(weights, n_rows), alpha, l1_ratio, np.ones(X.shape[1]), init, tol)
        result = batched(*data, *args)
        self._set_coefficients(result.coef[:, 0, :], result.intercept[:, 0], y_ndim)
        n_iter = np.asarray(result.n_iter, int).reshape(-1)
        self.n_iter_ = int(n_iter[0]) if y_ndim == 1 else n_iter.tolist()
        if not np.all(np.asarray(result.converged)):
            warn_not_converged(
                f"solver {solver!r}",
                result.stop_reason,
                float(np.max(np.asarray(result.kkt_violation))),
                tol,
                max_iter=max_iter,
                advice="Increase max_iter, standardize the features, or loosen tol.",
                stacklevel=3,
            )

    def _warm_start_init(self, n_targets: int, d: int) -> np.ndarray:
        """Starting coefficients ``(K, 1, d)``, intercept last."""
        previous = getattr(self, "coef_", None)
        if self.warm_start and previous is not None:
            full = np.column_stack([np.atleast_2d(previous), np.atleast_1d(self.intercept_)])
            if full.shape[0] == n_targets and full.shape[1] >= d:
                return full[:, None, :d]
        return np.zeros((n_targets, 1, d))


class Lasso(ElasticNet):
    """Lasso: ``(1/(2n)) Σᵢ sᵢ (yᵢ − xᵢᵀw − b)² + alpha ‖w‖₁``, i.e. ``ElasticNet(l1_ratio=1)``.

    In the glmnet convention of ``jaxlogreg.fit`` this is ``λ = alpha``, ``α = 1``. Parameters and
    attributes are those of ``ElasticNet`` without ``l1_ratio``.
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
    ):
        super().__init__(
            alpha=alpha,
            l1_ratio=1.0,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
            solver=solver,
        )
