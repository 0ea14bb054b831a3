"""Hypergradient tuning of the penalty: gradient descent on a validation or cross-validation loss.

With ``F`` folds given as weight masks over one data set (training weights ``u_f``, validation
weights ``v_f``; a single hold-out split is one fold), the validation loss of the penalty
``λ``, ``ϖ`` is::

    V(λ, ϖ) = (1/F) Σ_f Σᵢ v_fi ℓ(zᵢ(Θ*_f), tᵢ) / Σᵢ v_fi,     Θ*_f = fit on the weights u_f.

It is differentiable in ``log λ`` and in per-feature ``log ϖ`` by implicit differentiation of
the fits (``jaxlogreg.engine.implicit``): one gradient costs about one fit per fold, however many
iterations the fits take. ``tune_penalty`` runs an optax optimizer (decaying Adam by default) on
``log λ`` (and optionally ``log ϖ``, an automatic per-feature relevance), all folds in one
vmapped, compiled step, each fit warm-started from the previous step's solution.
``validation_curve`` evaluates ``V`` on a grid of ``λ`` for comparison with grid search.

A sparse ``X`` (``scipy.sparse``, JAX BCOO) stays sparse: ``Folds.X`` is then one
``core.design.SparseDesign`` shared by all folds, and the validation predictions are
``core.design.matmul_t`` (derivatives are taken in the penalty, never in ``X``).
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold

from .._validation import as_sparse_csr, to_device
from ..core.design import SparseDesign, matmul_t
from ..core.losses import get_loss
from ..core.penalties import lam_of_C
from ..engine.functional import solve
from ..precision import precise_jit
from ..solvers import get_solver
from ..solvers.auto import Purpose, auto_solver
from .folds import masks_of_splits

__all__ = [
    "Folds",
    "TuningResult",
    "holdout",
    "kfold",
    "tune_penalty",
    "validation_curve",
    "validation_loss",
]


class Folds(NamedTuple):
    """Training/validation splits of one data set as weight masks.

    ``X (N, p)`` (a JAX array, or a ``SparseDesign`` for a sparse ``X``), ``targets (N, K)`` (as
    ``jaxlogreg.fit`` takes them, made 2-D), ``train (F, N)`` and ``valid (F, N)`` non-negative
    weights (0/1 masks times any sample weights).
    """

    X: jax.Array | SparseDesign
    targets: jax.Array
    train: jax.Array
    valid: jax.Array


class TuningResult(NamedTuple):
    """The trajectory of ``tune_penalty`` (``S`` steps, ``S + 1`` evaluated points).

    ``lam``, ``penalty_factor (p,)`` and ``validation_loss`` are those of the point with the
    lowest validation loss, ``best_step`` its index; ``lams``, ``losses``, ``grads``
    (``dV/d log λ``), ``penalty_factors (S + 1, p)`` and ``converged`` (all fits of the step) are
    the trajectory.
    """

    lam: float
    penalty_factor: np.ndarray
    validation_loss: float
    best_step: int
    lams: np.ndarray
    losses: np.ndarray
    grads: np.ndarray
    penalty_factors: np.ndarray
    converged: np.ndarray


def _as_data(X, y):
    """``X`` as a JAX array, or a float CSR matrix when sparse (kept sparse), and the targets
    ``(n, K)`` in its dtype."""
    csr = as_sparse_csr(X)
    X = to_device(X) if csr is None else csr
    if not jnp.issubdtype(X.dtype, jnp.floating):
        X = X.astype(jnp.result_type(float))
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    targets = jnp.asarray(y, X.dtype)
    if targets.shape[:1] != X.shape[:1] or targets.ndim not in (1, 2):
        raise ValueError(f"y of shape {targets.shape} does not match X of shape {X.shape}")
    return X, targets.reshape(X.shape[0], -1)


def _design(X):
    """The ``Folds.X`` of ``_as_data``'s ``X``: a CSR matrix as a ``SparseDesign``."""
    if not scipy.sparse.issparse(X):
        return X
    return SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape)


def holdout(X, y, X_val, y_val, *, sample_weight=None, val_weight=None) -> Folds:
    """One fold: fit on ``(X, y)``, validate on ``(X_val, y_val)`` (targets as in ``fit``); both
    sparse, or both dense."""
    X, T = _as_data(X, y)
    X_val, T_val = _as_data(X_val, y_val)
    if X_val.shape[1] != X.shape[1] or T_val.shape[1] != T.shape[1]:
        raise ValueError("X_val and y_val must have the columns of X and y")
    if scipy.sparse.issparse(X) != scipy.sparse.issparse(X_val):
        raise TypeError(
            "X and X_val must be both dense or both sparse: convert one (X_val.toarray(), or "
            "scipy.sparse.csr_matrix(X_val))"
        )
    n, m = X.shape[0], X_val.shape[0]
    train = jnp.ones(n, X.dtype) if sample_weight is None else jnp.asarray(sample_weight, X.dtype)
    valid = jnp.ones(m, X.dtype) if val_weight is None else jnp.asarray(val_weight, X.dtype)
    return Folds(
        X=_design(scipy.sparse.vstack([X, X_val.astype(X.dtype)], format="csr"))
        if scipy.sparse.issparse(X)
        else jnp.concatenate([X, X_val.astype(X.dtype)]),
        targets=jnp.concatenate([T, T_val.astype(X.dtype)]),
        train=jnp.concatenate([train, jnp.zeros(m, X.dtype)])[None],
        valid=jnp.concatenate([jnp.zeros(n, X.dtype), valid])[None],
    )


def kfold(X, y, *, folds: int = 5, seed: int = 0, sample_weight=None) -> Folds:
    """``folds`` shuffled folds of ``(X, y)``, stratified by class when ``y`` holds 0/1 or
    one-hot targets; ``sample_weight`` weights both the training and the validation losses."""
    X, T = _as_data(X, y)
    if not isinstance(folds, int) or not 2 <= folds <= X.shape[0]:
        raise ValueError(f"folds must be an integer between 2 and n_samples, got {folds!r}")
    labels = np.asarray(T)
    is_class = np.all((labels == 0) | (labels == 1)) and (
        labels.shape[1] == 1 or np.all(labels.sum(axis=1) == 1)
    )
    if is_class:
        codes = labels[:, 0] if labels.shape[1] == 1 else labels.argmax(axis=1)
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        splits = splitter.split(np.zeros(len(codes)), codes)
    else:
        splits = KFold(folds, shuffle=True, random_state=seed).split(labels)
    train, valid = masks_of_splits(splits, X.shape[0])
    weight = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight)
    return Folds(
        X=_design(X),
        targets=T,
        train=jnp.asarray(train * weight, X.dtype),
        valid=jnp.asarray(valid * weight, X.dtype),
    )


STATIC = ("loss", "solver", "fit_intercept", "max_iter")


def _folds_loss(params, folds, init, l1_ratio, tol, *, loss, solver, fit_intercept, max_iter):
    """``V`` at ``params = {"log_lam": (), ["log_factors": (p,)]}`` and the fits' coefficients
    ``(F, K, d)`` (for warm starts) and convergence."""
    lam = jnp.exp(params["log_lam"])
    p = folds.X.shape[1]
    log_factors = params.get("log_factors", jnp.zeros(p, folds.X.dtype))
    static = dict(loss=loss, solver=solver, fit_intercept=fit_intercept, max_iter=max_iter)

    def one_fold(train, valid, start):
        fitted = solve(
            folds.X, folds.targets, train, lam, l1_ratio, jnp.exp(log_factors), start, tol, **static
        )
        Z = matmul_t(folds.X, fitted.coef) + fitted.intercept
        value = jnp.dot(valid, loss.pointwise(Z, folds.targets)) / jnp.sum(valid)
        coef = fitted.coef
        if fit_intercept:
            coef = jnp.concatenate([coef, fitted.intercept[:, None]], axis=1)
        return value, coef, fitted.converged

    values, coefs, converged = jax.vmap(one_fold)(folds.train, folds.valid, init)
    return jnp.mean(values), (coefs, jnp.all(converged))


_value_and_grad = partial(precise_jit, static_argnames=STATIC)(
    jax.value_and_grad(_folds_loss, has_aux=True)
)


@partial(precise_jit, static_argnames=STATIC)
def _curve(log_lams, folds, init, l1_ratio, tol, **static):
    def at(log_lam):
        return _folds_loss({"log_lam": log_lam}, folds, init, l1_ratio, tol, **static)[0]

    return jax.vmap(at)(log_lams)


def _settings(folds, l1_ratio, loss, solver, fit_intercept, max_iter, tol):
    """Checked static settings and the zero start ``(F, K, d)``."""
    if not isinstance(folds, Folds):
        raise TypeError("folds must be a Folds (from jaxlogreg.selection.tuning.kfold or holdout)")
    loss = get_loss(loss)
    if loss.shift_invariant and folds.targets.shape[1] < 2:
        raise ValueError("multinomial targets must be one-hot rows of shape (n, K)")
    if not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
    shape = (folds.train.shape[0], folds.targets.shape[1], folds.X.shape[1] + int(fit_intercept))
    if solver is None:
        solver = auto_solver(
            l1=l1_ratio > 0, n_params=shape[1] * shape[2], purpose=Purpose.DIFFERENTIABLE
        )
    get_solver(solver, l1=l1_ratio > 0)
    dtype = folds.X.dtype
    static = dict(loss=loss, solver=solver, fit_intercept=fit_intercept, max_iter=int(max_iter))
    return static, jnp.zeros(shape, dtype), jnp.asarray(l1_ratio, dtype), jnp.asarray(tol, dtype)


def validation_loss(
    log_lam,
    folds: Folds,
    *,
    log_factors=None,
    l1_ratio: float = 0.0,
    loss="binary",
    fit_intercept: bool = True,
    solver: str | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> jax.Array:
    """``V(λ, ϖ)`` of the module docstring at ``λ = exp(log_lam)``, ``ϖ = exp(log_factors)``;
    differentiable (``jax.grad``) in ``log_lam``, ``log_factors`` and the data.

    ``solver`` defaults to ``auto_solver``'s rule for differentiable fits (``"newton"`` for ridge,
    ``"cd"`` with an L1 part).
    """
    static, init, l1_ratio, tol = _settings(
        folds, l1_ratio, loss, solver, fit_intercept, max_iter, tol
    )
    params = {"log_lam": jnp.asarray(log_lam, folds.X.dtype)}
    if log_factors is not None:
        params["log_factors"] = jnp.asarray(log_factors, folds.X.dtype)
    return _folds_loss(params, folds, init, l1_ratio, tol, **static)[0]


def validation_curve(lams, folds: Folds, **options) -> np.ndarray:
    """``V`` at every ``λ`` of ``lams (L,)`` (unit penalty factors), one vmapped program.

    ``options`` are those of ``validation_loss`` except ``log_factors``.
    """
    options = {
        "l1_ratio": 0.0,
        "loss": "binary",
        "solver": None,
        "fit_intercept": True,
        "max_iter": 100,
        "tol": 1e-10,
        **options,
    }
    static, init, l1_ratio, tol = _settings(folds, **options)
    log_lams = jnp.log(jnp.asarray(lams, folds.X.dtype))
    return np.asarray(_curve(log_lams, folds, init, l1_ratio, tol, **static))


def tune_penalty(
    folds: Folds,
    *,
    lam: float | None = None,
    tune_factors: bool = False,
    steps: int = 50,
    learning_rate: float = 0.1,
    optimizer: optax.GradientTransformation | None = None,
    l1_ratio: float = 0.0,
    loss="binary",
    fit_intercept: bool = True,
    solver: str | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> TuningResult:
    """Minimize the validation loss over ``log λ`` (and ``log ϖ`` with ``tune_factors``).

    Args:
        folds: the splits (``kfold`` or ``holdout``).
        lam: starting ``λ`` (glmnet convention); default ``1/n``, i.e. scikit-learn's ``C = 1``.
        tune_factors: also tune one penalty factor per feature, starting from one.
        steps: optimizer steps; ``steps + 1`` points are evaluated.
        learning_rate: initial rate of the default optimizer, Adam with a cosine decay to zero
            over ``steps`` (early steps move ``log λ`` by about this much).
        optimizer: any optax transformation, instead of Adam.
        l1_ratio, loss, fit_intercept, solver, max_iter, tol: of the fits (``validation_loss``).

    Returns:
        A ``TuningResult``. A ``ConvergenceWarning`` says when some fit stopped short of ``tol``
        (its hypergradient is then inexact).
    """
    static, init, l1_ratio_, tol_ = _settings(
        folds, l1_ratio, loss, solver, fit_intercept, max_iter, tol
    )
    if lam is None:
        lam = float(lam_of_C(1.0, folds.X.shape[0]))
    if not lam > 0:
        raise ValueError(f"lam must be > 0 (it is tuned on a log scale), got {lam!r}")
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if optimizer is None:
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
        # A decaying rate lets Adam settle at the optimum instead of orbiting it.
        optimizer = optax.adam(optax.cosine_decay_schedule(learning_rate, max(steps, 1)))
    dtype = folds.X.dtype
    p = folds.X.shape[1]
    params = {"log_lam": jnp.log(jnp.asarray(lam, dtype))}
    if tune_factors:
        params["log_factors"] = jnp.zeros(p, dtype)
    state = optimizer.init(params)
    update = precise_jit(optimizer.update)
    record: dict[str, list] = {"lams": [], "losses": [], "grads": [], "factors": [], "ok": []}
    for step in range(steps + 1):
        (value, (init, converged)), grads = _value_and_grad(
            params, folds, init, l1_ratio_, tol_, **static
        )
        record["lams"].append(float(jnp.exp(params["log_lam"])))
        record["losses"].append(float(value))
        record["grads"].append(float(grads["log_lam"]))
        record["factors"].append(np.exp(np.asarray(params.get("log_factors", np.zeros(p)))))
        record["ok"].append(bool(converged))
        if step < steps:
            updates, state = update(grads, state, params)
            params = optax.apply_updates(params, updates)
    losses = np.array(record["losses"])
    best = int(np.nanargmin(losses))
    if not all(record["ok"]):
        warnings.warn(
            f"some fits did not reach tol={tol} in max_iter={max_iter} iterations; their "
            "hypergradients are inexact: raise max_iter",
            ConvergenceWarning,
            stacklevel=2,
        )
    factors = np.stack(record["factors"])
    return TuningResult(
        lam=record["lams"][best],
        penalty_factor=factors[best],
        validation_loss=float(losses[best]),
        best_step=best,
        lams=np.array(record["lams"]),
        losses=losses,
        grads=np.array(record["grads"]),
        penalty_factors=factors,
        converged=np.array(record["ok"]),
    )
