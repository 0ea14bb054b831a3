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

A sparse ``X`` (``scipy.sparse``, ``jax.experimental.sparse.BCOO``) is never densified nor
centred: the iterative fits solve on its nonzeros with the intercept as a parameter of its own
(``core.design.SparseDesign``); the closed form builds its ``p × p`` Gram matrix from the
nonzeros and centres that (``sparse_normal_equations``, up to ``MAX_GRAM_FEATURES`` features);
a wider sparse ``X`` is solved iteratively, like ``ElasticNet`` with ``l1_ratio = 0``.
"""

from __future__ import annotations

import numbers
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse
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
from ..engine.shapes import bucket_rows, pad_rows, padded_on_device, padded_sparse_design
from ..precision import precise_jit
from ..solvers.auto import Purpose, auto_solver
from ..solvers.stop import warn_not_converged
from ._base import AtomicFit, check_solver_options

__all__ = ["ElasticNet", "Lasso", "LinearRegression", "Ridge", "normal_equations"]

#: Most features of a sparse ``X`` whose ``(p, p)`` Gram matrix the closed form builds (32 MiB
#: in float64); a wider sparse ``X`` is solved iteratively.
MAX_GRAM_FEATURES = 2048
#: Most iterations of the iterative solution of a wide sparse ``X``.
ITERATIVE_MAX_ITER = 10000


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


def sparse_normal_equations(X, Y, sample_weight, alpha: float, *, fit_intercept: bool):
    """``normal_equations`` for a CSR ``X``, which is never densified nor centred.

    With ``s̃ = s/Σs``, ``x̄ = Xᵀs̃`` and ``ȳ = Yᵀs̃``, the centred Gram matrix and right-hand side
    are ``XᵀS̃X − x̄x̄ᵀ`` and ``XᵀS̃Y − x̄ȳᵀ`` (the centring acts on ``p × p`` products only), the
    Gram matrix SciPy's sparse product on the host (20,000 × 1,000 at 1%: 0.17 s; 14 s with
    ``core.design.sparse_weighted_gram``, 2-core CPU); ``_solve_centred``; ``b = ȳ − W x̄``."""
    s = sample_weight / np.sum(sample_weight)
    p, K = X.shape[1], Y.shape[1]
    x_mean, y_mean = (X.T @ s, s @ Y) if fit_intercept else (np.zeros(p), np.zeros(K))
    weighted = scipy.sparse.csr_matrix(X.multiply(s[:, None]))
    product = (X.T @ weighted).tocoo()
    gram = np.zeros((p, p))
    np.add.at(gram, (product.row, product.col), product.data)
    gram -= np.outer(x_mean, x_mean)
    rhs = np.asarray(weighted.T @ Y) - np.outer(x_mean, y_mean)
    ridge = alpha / np.sum(sample_weight)
    W = np.asarray(_solve_centred(*(a.astype(X.dtype) for a in (gram, rhs)), ridge))
    return W, y_mean - W @ x_mean


@precise_jit
def _solve_centred(gram: jax.Array, rhs: jax.Array, ridge) -> jax.Array:
    """``W (K, p)`` of ``(G + ridge·I) Wᵀ = rhs``: Cholesky, or, when the system is numerically
    singular (only possible for ``ridge = 0``), the pseudo-inverse from the eigendecomposition,
    which gives the minimum-norm ``W`` as scikit-learn does."""
    p = gram.shape[0]
    gram = 0.5 * (gram + gram.T) + ridge * jnp.eye(p, dtype=gram.dtype)
    eps = jnp.finfo(gram.dtype).eps
    factor = jnp.linalg.cholesky(gram)
    singular = ~jnp.all(jnp.isfinite(factor)) | (
        jnp.min(jnp.diagonal(factor) ** 2) <= p * eps * jnp.max(jnp.diagonal(gram))
    )

    def pseudo_inverse_solve():
        values, vectors = jnp.linalg.eigh(gram)
        kept = values > p * eps * jnp.max(jnp.abs(values))
        inverse = jnp.where(kept, 1.0 / jnp.where(kept, values, 1.0), 0.0)
        return vectors @ (inverse[:, None] * (vectors.T @ rhs))

    return jax.lax.cond(
        singular, pseudo_inverse_solve, lambda: jax.scipy.linalg.cho_solve((factor, True), rhs)
    ).T


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
        """``X (n, p)`` (dense, or CSR: kept sparse), ``Y (n, K)`` in the computation dtype, the
        sample weights, ``y.ndim``."""
        dtype = np.dtype(jnp.result_type(float))
        X, y = validate_inputs(
            self,
            X,
            y,
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
        )
        weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
        Y = np.asarray(y, dtype).reshape(X.shape[0], -1)
        return X.astype(dtype, copy=False), Y, weights, y.ndim

    def _closed_form(self, X, Y, weights, alpha: float, y_ndim: int) -> None:
        """``argmin Σᵢ sᵢ ‖yᵢ − Wxᵢ − b‖² + alpha ‖W‖²``: ``normal_equations`` (dense ``X``),
        ``sparse_normal_equations`` (sparse, up to ``MAX_GRAM_FEATURES`` features), else the
        iterative ridge solution at glmnet's ``λ = alpha / Σs``."""
        fit_intercept = bool(self.fit_intercept)
        if not scipy.sparse.issparse(X):
            W, b = normal_equations(X, Y, weights, alpha, fit_intercept=fit_intercept)
        elif X.shape[1] <= MAX_GRAM_FEATURES:
            W, b = sparse_normal_equations(X, Y, weights, alpha, fit_intercept=fit_intercept)
        else:
            tol = max(1e-10, 100 * float(np.finfo(X.dtype).eps))  # KKT violation
            init = np.zeros((Y.shape[1], 1, X.shape[1] + fit_intercept))
            options = dict(solver="cd", tol=tol, max_iter=ITERATIVE_MAX_ITER, stacklevel=5)
            lam = alpha / weights.sum()
            result = _solve_least_squares(self, X, Y, weights, lam, 0.0, init, **options)
            W, b = result.coef[:, 0, :], result.intercept[:, 0]
        self._set_coefficients(W, b, y_ndim)

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
        tags.input_tags.sparse = True  # kept sparse
        return tags


class LinearRegression(_LeastSquares):
    """Ordinary least squares: minimizes ``½ Σᵢ sᵢ (yᵢ − xᵢᵀw − b)²`` in closed form.

    Parameters:
        fit_intercept: fit an intercept ``b``.

    Attributes:
        coef_: ``(n_features,)`` for 1-D ``y``, else ``(n_targets, n_features)``.
        intercept_: a float for 1-D ``y``, else ``(n_targets,)``; ``0`` without intercept.
        n_features_in_, feature_names_in_: as in scikit-learn.

    Rank-deficient problems get the minimum-norm coefficients, as in scikit-learn (except for
    a sparse ``X`` of over ``MAX_GRAM_FEATURES`` features: one least-squares solution).
    """

    def __init__(self, *, fit_intercept=True):
        self.fit_intercept = fit_intercept

    def _fit(self, X, y, sample_weight):
        X, Y, weights, y_ndim = self._validated(X, y, sample_weight)
        self._closed_form(X, Y, weights, 0.0, y_ndim)


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
        self._closed_form(X, Y, weights, alpha, y_ndim)


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
            sparse = scipy.sparse.issparse(X)
            solver = auto_solver(l1=l1, n_params=d, purpose=Purpose.LEAST_SQUARES, sparse=sparse)
        init = self._warm_start_init(Y.shape[1], d)
        options = dict(solver=solver, tol=tol, max_iter=max_iter)
        result = _solve_least_squares(self, X, Y, weights, alpha, l1_ratio, init, **options)
        self._set_coefficients(result.coef[:, 0, :], result.intercept[:, 0], y_ndim)
        n_iter = np.asarray(result.n_iter, int).reshape(-1)
        self.n_iter_ = int(n_iter[0]) if y_ndim == 1 else n_iter.tolist()

    def _warm_start_init(self, n_targets: int, d: int) -> np.ndarray:
        """Starting coefficients ``(K, 1, d)``, intercept last."""
        previous = getattr(self, "coef_", None)
        if self.warm_start and previous is not None:
            full = np.column_stack([np.atleast_2d(previous), np.atleast_1d(self.intercept_)])
            if full.shape[0] == n_targets and full.shape[1] >= d:
                return full[:, None, :d]
        return np.zeros((n_targets, 1, d))


def _solve_least_squares(
    estimator, X, Y, weights, lam, l1_ratio, init, *, solver, tol, max_iter, stacklevel=4
):
    """The glmnet-convention squared-loss fits ``(λ, α = l1_ratio)`` of every target of ``Y``
    in one ``jax.vmap``-ed call (rows padded, a sparse ``X`` as a ``SparseDesign``); warns when
    one did not converge."""
    batched = solve_many(
        FitArrays(targets=0, init=0),
        loss=SQUARED,
        solver=solver,
        fit_intercept=bool(estimator.fit_intercept),
        max_iter=max_iter,
    )
    n_rows = bucket_rows(X)  # zero-weight rows: nearby row counts share a program
    sparse = scipy.sparse.issparse(X)
    design = padded_sparse_design(X, n_rows) if sparse else padded_on_device(X, n_rows)
    targets = pad_rows(Y.T[:, :, None], n_rows, axis=1)  # one problem per target: (K, n', 1)
    args = (pad_rows(weights, n_rows), lam, l1_ratio, np.ones(X.shape[1]), init, tol)
    result = batched(design, targets, *args)
    if not np.all(np.asarray(result.converged)):
        warn_not_converged(
            f"solver {solver!r}",
            result.stop_reason,
            float(np.max(np.asarray(result.kkt_violation))),
            tol,
            max_iter=max_iter,
            advice="Increase max_iter, standardize the features, or loosen tol.",
            stacklevel=stacklevel,
        )
    return result


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
