"""Influence functions: the effect of up-weighting each training point on a test loss.

For the fit ``Θ* = argmin F(Θ)``, ``F = Σᵢ s̃ᵢ ℓᵢ(Θ) + P(Θ)`` (glmnet convention, ``s̃ = s/Σs``),
up-weighting training point ``i``, ``min F(Θ) + ε ℓᵢ(Θ)``, moves the solution by
``dΘ*/dε = −H⁻¹ ∇ℓᵢ(Θ*)`` (Koh & Liang, 2017; ``H`` the Hessian of the smooth part, restricted to
the support for L1 penalties, see ``jaxlogreg.engine.implicit``). On a test loss
``L(Θ) = Σₜ wₜ ℓ(zₜ, tₜ) / Σₜ wₜ`` its influence is::

    Iᵢ = dL/dε = −∇L(Θ*)ᵀ H⁻¹ ∇ℓᵢ(Θ*).

All ``n`` values cost one linear solve ``V = H⁻¹ ∇L`` and one pass over the training data, since
``∇ℓᵢ = (μᵢ − tᵢ) ⊗ aᵢ`` gives ``Iᵢ = −(μᵢ − tᵢ)ᵀ V aᵢ`` (``aᵢ`` the row with its intercept one).

Leaving point ``i`` out sets ``sᵢ`` to zero and renormalizes the others, so ``∂L/∂sᵢ =
(Iᵢ − Ī)/Σs`` with ``Ī = Σⱼ s̃ⱼ Iⱼ``, and to first order::

    L(Θ*₋ᵢ) − L(Θ*) ≈ −s̃ᵢ (Iᵢ − Ī).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..core.losses import get_loss
from ..core.problem import Problem
from ..engine.functional import fit, make_problem
from ..engine.implicit import linear_system, support
from ..precision import precise_jit
from ..solvers.auto import Purpose, auto_solver
from ..solvers.stop import warn_not_converged

__all__ = ["Influence", "influence", "influence_of"]


class Influence(NamedTuple):
    """Influences of the ``n`` training points on a test loss (see the module docstring).

    Attributes:
        upweight: ``Iᵢ = dL/dε``, ``(n,)``: negative for points whose up-weighting helps.
        leave_one_out: first-order change of ``L`` when point ``i`` is left out, ``(n,)``.
        test_loss: ``L(Θ*)``.
        converged: whether the fit converged (influences assume an exact solution).
    """

    upweight: jax.Array
    leave_one_out: jax.Array
    test_loss: jax.Array
    converged: jax.Array


@partial(precise_jit, static_argnames=("adjoint",))
def influence_of(
    problem: Problem,
    coef: jax.Array,
    X_test: jax.Array,
    targets_test: jax.Array,
    test_weight: jax.Array,
    adjoint: str = "auto",
    test_offset: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(upweight (n,), leave_one_out (n,), test_loss)`` at a solution ``coef (K, d)``.

    ``X_test (m, p)``, ``targets_test (m, K)``, ``test_weight (m,)``, ``test_offset`` ``(m, K)``
    or ``(m, 1)`` (default none; the training offset is ``problem``'s); pure and vmap-able.
    """
    test = dataclasses.replace(
        problem,
        X=X_test,
        X_T=None,
        targets=targets_test,
        weights=test_weight / jnp.sum(test_weight),
        offset=test_offset,
    )

    def test_loss(theta):
        losses = test.loss.pointwise(test.linear_predictor(theta), test.targets)
        return jnp.dot(test.weights, losses)

    value, grad = jax.value_and_grad(test_loss)(coef)
    mask = support(problem, coef)
    matvec, solve = linear_system(problem, coef, mask, adjoint)
    V = solve(matvec, jnp.where(mask, grad, 0.0))
    Z = problem.linear_predictor(coef)
    residual = problem.loss.mean(Z) - problem.targets  # ∂ℓᵢ/∂zᵢ = μᵢ − tᵢ
    upweight = -jnp.sum(residual * problem.design_matmul(V), axis=1)
    leave_one_out = -problem.weights * (upweight - jnp.dot(problem.weights, upweight))
    return upweight, leave_one_out, value


def _as_columns(offset, n: int, dtype) -> jax.Array | None:
    """An offset ``(n,)`` as one column ``(n, 1)``; ``(n, K)`` as it is; ``None`` stays."""
    if offset is None:
        return None
    offset = jnp.asarray(offset, dtype)
    offset = offset[:, None] if offset.ndim == 1 else offset
    if offset.ndim != 2 or offset.shape[0] != n:
        raise ValueError(f"an offset must have shape ({n},) or ({n}, K), got {offset.shape}")
    return offset


def influence(
    X,
    y,
    X_test,
    y_test,
    *,
    lam,
    l1_ratio=0.0,
    loss="binary",
    fit_intercept: bool = True,
    sample_weight=None,
    penalty_factor=None,
    test_weight=None,
    solver: str | None = None,
    max_iter: int = 100,
    tol=1e-10,
    adjoint: str = "auto",
    offset=None,
    test_offset=None,
) -> Influence:
    """Fit (``jaxlogreg.fit``, same arguments) and return every training point's influence on the
    weighted mean test loss of ``(X_test, y_test)`` (targets in ``fit``'s format; offsets
    ``offset`` and ``test_offset`` in ``fit``'s, ``(n,)`` or ``(n, K)``).

    ``solver`` defaults to the rule for fits that are differentiated (``solvers.auto``,
    ``Purpose.DIFFERENTIABLE``: ``"newton"`` for ridge, ``"cd"`` with an L1 part). A
    ``ConvergenceWarning`` says when the fit stopped short of ``tol``: influences assume an exact
    solution.
    """
    if solver is None:
        n_outputs = 1 if jnp.ndim(y) == 1 else jnp.shape(y)[1]
        solver = auto_solver(
            l1=bool(np.any(np.asarray(l1_ratio) != 0)),
            n_params=n_outputs * (jnp.shape(X)[1] + int(fit_intercept)),
            purpose=Purpose.DIFFERENTIABLE,
        )
    result = fit(
        X,
        y,
        lam=lam,
        l1_ratio=l1_ratio,
        loss=loss,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        penalty_factor=penalty_factor,
        solver=solver,
        max_iter=max_iter,
        tol=tol,
        adjoint=adjoint,
        offset=offset,
    )
    X = jnp.asarray(X, result.coef.dtype)
    n, p = X.shape
    K = result.coef.shape[0]
    X_test = jnp.asarray(X_test, X.dtype)
    targets_test = jnp.asarray(y_test, X.dtype).reshape(X_test.shape[0], -1)
    if X_test.ndim != 2 or X_test.shape[1] != p or targets_test.shape[1] != K:
        raise ValueError(
            f"X_test of shape {jnp.shape(X_test)} and y_test of shape {jnp.shape(y_test)} must "
            f"have {p} features and {K} target columns, like X and y"
        )
    weights = jnp.ones(n, X.dtype) if sample_weight is None else sample_weight
    factors = jnp.ones(p, X.dtype) if penalty_factor is None else penalty_factor
    arrays = (jnp.asarray(y, X.dtype).reshape(n, K), jnp.asarray(weights, X.dtype), lam, l1_ratio)
    problem = make_problem(
        X, *arrays, jnp.asarray(factors), loss=get_loss(loss), fit_intercept=fit_intercept,
        offset=_as_columns(offset, n, X.dtype),
    )  # fmt: skip
    if test_weight is None:
        test_weight = jnp.ones(X_test.shape[0], X.dtype)
    coef = result.coef
    if fit_intercept:
        coef = jnp.concatenate([coef, result.intercept[:, None]], axis=1)
    test_weight = jnp.asarray(test_weight, X.dtype)
    test_offset = _as_columns(test_offset, X_test.shape[0], X.dtype)
    upweight, leave_one_out, test_loss = influence_of(
        problem, coef, X_test, targets_test, test_weight, adjoint, test_offset
    )
    if not isinstance(result.converged, jax.core.Tracer) and not bool(result.converged):
        warn_not_converged(
            "the fit",
            result.stop_reason,
            float(result.kkt_violation),
            float(tol),
            max_iter=max_iter,
            advice="Raise max_iter: influences assume an exact solution.",
        )
    return Influence(upweight, leave_one_out, test_loss, result.converged)
