"""Block coordinate descent for the grouped multinomial lasso (glmnet's ``type.multinomial =
"grouped"``): the inner solve of ``"cd"`` when the L1 part is ``λα Σⱼ ϖⱼ ‖Θ₍:,ⱼ₎‖₂``.

The quadratic model of a proximal-Newton step (``coordinate``) is minimized one column
``Θ₍:,ⱼ₎ ∈ ℝᴷ`` (the ``K`` class coefficients of feature ``j``) at a time. Along a column the
model's curvature is the ``K × K`` block ``Hⱼ = Σᵢ s̃ᵢ aᵢⱼ² Cᵢ + λ(1 − α)ϖⱼ I`` (``Cᵢ`` the
loss curvature); it is majorized by ``hⱼ I``, ``hⱼ`` the largest eigenvalue of ``Hⱼ``, and the
majorizer is minimized in closed form by block soft-thresholding (glmnet's grouped update)::

    Θ₍:,ⱼ₎⁺ = S(hⱼ Θ₍:,ⱼ₎ − qⱼ, λαϖⱼ) / hⱼ,     S(v, w) = v · max(1 − w/‖v‖, 0),

``qⱼ`` the model gradient on the column. Each update decreases the model, and a zero column
stays zero unless ``‖hⱼΘ₍:,ⱼ₎ − qⱼ‖ > λαϖⱼ``: a feature enters for every class at once.
The Gram and residual forms keep ``q`` up to date as ``coordinate`` does.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from ..core.columns import column_classes, column_step
from ..core.penalties import block_soft_threshold
from ..core.problem import Problem
from ._sweeps import coordinate_descent, safe_curvature

__all__ = ["grouped_gram_solve", "grouped_residual_solve"]


def _largest_eigenvalues(blocks: jax.Array) -> jax.Array:
    """``hⱼ``: the largest eigenvalue of each symmetric block, ``(d, K, K) -> (d,)``."""
    return safe_curvature(jnp.linalg.eigvalsh(blocks)[:, -1])


def _block_step(h, old, q, weight):
    """The majorizer's minimizer ``S(h·old − q, w)/h`` for one column, and ``h·max|Δ|``."""
    new = block_soft_threshold((h * old - q)[:, None], weight[None])[:, 0] / h
    return new, h * jnp.max(jnp.abs(new - old))


def grouped_gram_solve(H, coef, grad, weights, inner_tol, max_sweeps: int, fixed=None) -> jax.Array:
    """Block CD on ``q = g + H(Θ⁺ − Θ)`` with the ``K·d × K·d`` Hessian ``H`` (ridge included).

    ``weights``: ``λαϖ (d,)``; ``inner_tol(g, h, Θ)`` the stopping level of the sweeps. Returns
    ``Θ⁺`` flattened in the row-major layout of ``coef (K, d)``. ``fixed (d,)``: pinned columns,
    never visited.
    """
    K, d = coef.shape
    blocks = jnp.diagonal(H.reshape(K, d, K, d), axis1=1, axis2=3)  # (K, K, d)
    h = _largest_eigenvalues(jnp.moveaxis(blocks, -1, 0))
    rows = jnp.arange(K) * d  # the flat positions of column j are rows + j

    def update(j, old, q):
        index = rows + j
        new, change = _block_step(h[j], old, q[index], weights[j])
        return new, q + H[:, index] @ (new - old), change

    g = grad.reshape(-1)
    tol = inner_tol(g, jnp.broadcast_to(h, (K, d)).reshape(-1), coef.reshape(-1))
    theta, _, _ = coordinate_descent(update, coef.T, g, tol, max_sweeps, None, fixed)
    return theta.T.reshape(-1)


def grouped_residual_solve(
    problem: Problem, A, coef, grad, inner_tol, max_sweeps: int
) -> jax.Array:
    """Block CD on the ``(n, K)`` residual ``R`` (``coordinate``'s residual form): never forms a
    ``d × d`` matrix; the ``K × K`` curvature blocks come from one pass ``(s̃ ⊙ C)ᵀ(A ⊙ A)``.
    ``A``: the columns of the design (``columns.columns``)."""
    K, d = coef.shape
    Z = problem.linear_predictor(coef)
    s = problem.weights
    l2 = problem.penalty.l2_weights()
    weights = problem.penalty.l1_weights()
    curvature = problem.loss.curvature_matrix(Z)  # (n, K, K)
    squares = problem.design_squares_rmatmul((s[:, None, None] * curvature).reshape(-1, K * K))
    blocks = jnp.moveaxis(squares.reshape(K, K, d), -1, 0) + l2[:, None, None] * jnp.eye(K)
    h = _largest_eigenvalues(blocks)
    residual = s[:, None] * (problem.loss.mean(Z) - problem.targets)

    def update(width_class, j, old, R):
        def solve(rows, a, R_rows):
            q = a @ R_rows + l2[j] * old
            new, change = _block_step(h[j], old, q, weights[j])
            step = problem.loss.curvature_matvec(Z[rows], a[:, None] * (new - old)[None, :])
            return (new, change), s[rows][:, None] * step

        (new, change), R = column_step(A, j, R, solve, width_class)
        return new, R, change

    n_classes, classes = column_classes(A)
    updates = tuple(partial(update, c) for c in range(n_classes))
    g = grad.reshape(-1)
    tol = inner_tol(g, jnp.broadcast_to(h, (K, d)).reshape(-1), coef.reshape(-1))
    fixed = jnp.all(problem.penalty.fixed(), axis=0) if problem.penalty.bounded else None
    theta, _, _ = coordinate_descent(updates, coef.T, residual, tol, max_sweeps, classes, fixed)
    return theta.T.reshape(-1)
