"""The duality gap of an elastic-net fit: a certificate of how far its objective is from optimal.

For the penalized coefficients ``w`` (columns with ``ϖⱼ > 0``) the problem is::

    min_w  f(X_P w + o) + g(w),    f(Z) = Σᵢ s̃ᵢ ℓ(zᵢ, tᵢ),    g(w) = Σⱼₖ aⱼ|wₖⱼ| + bⱼ/2 wₖⱼ²

with ``aⱼ = λαϖⱼ``, ``bⱼ = λ(1−α)ϖⱼ`` and the offset ``o`` of the unpenalized coefficients
(intercept, ``ϖⱼ = 0``) held at their fitted values (their own optimality is their KKT
residual, ``|∇ⱼF|``). Its Fenchel dual, over ``U (n, K)``::

    D(U) = −Σᵢ s̃ᵢ ℓ*(uᵢ/s̃ᵢ, tᵢ) + ⟨U, o⟩ − Σⱼₖ g*ⱼ((X_Pᵀ U)ₖⱼ),
    g*ⱼ(v) = (|v| − aⱼ)₊² / (2bⱼ)   (bⱼ > 0; else 0 for |v| ≤ aⱼ, +∞ beyond)

is at most the primal objective ``F`` everywhere, and equal to it at the optimum, where
``U = ∂f/∂Z = s̃ ⊙ (μ − T)``. The dual point is that residual scaled by ``σ ∈ (0, 1]``: ``σ = 1``
with a ridge part (``α < 1``), else the largest ``σ`` with ``|σ (XᵀU)ₖⱼ| ≤ aⱼ`` (feasible).
The conjugates, at ``v = σ(μ − t)``: binary and multinomial ``ℓ*(v) = Σₖ mₖ log mₖ`` (with
``1 − m`` for binary), ``m = t + v`` (a mean, so ``0 ≤ m ≤ 1``); squared ``ℓ*(v) = v²/2 + v·y``.
``F − D ≥ 0`` bounds the suboptimality of the penalized coefficients. Everything comes from
``Z`` and the gradient at the solution: no pass over ``X``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import xlogy

from ..core.problem import Problem, Risk

__all__ = ["duality_gap"]


def _loss_conjugate(problem: Problem, V: jax.Array) -> jax.Array:
    """``Σᵢ s̃ᵢ ℓ*(vᵢ, tᵢ)`` for ``V (n, K)`` a scaled ``μ − T`` (module docstring)."""
    T = problem.targets
    if problem.loss.name == "squared":
        pointwise = jnp.sum(0.5 * V**2 + V * T, axis=1)
    else:
        M = jnp.clip(T + V, 0.0, 1.0)  # a mean: in [0, 1] but for round-off
        pointwise = jnp.sum(xlogy(M, M), axis=1)
        if problem.loss.name == "binary":
            pointwise += jnp.sum(xlogy(1 - M, 1 - M), axis=1)
    return jnp.dot(problem.weights, pointwise)


def duality_gap(problem: Problem, coef: jax.Array, Z: jax.Array, risk: Risk) -> jax.Array:
    """``F(Θ) − D(σU)`` at ``coef (K, d)``, given its linear predictor ``Z (n, K)`` and the risk
    and gradient there (module docstring); ``≥ 0``, and ``0`` at the optimum."""
    p = problem.X.shape[1]
    penalty = problem.penalty
    mean_residual = problem.loss.mean(Z) - problem.targets  # μ − T; U = s̃ ⊙ (μ − T)
    G = risk.grad[:, :p]  # Xᵀ U, (K, p)
    W = coef[:, :p]
    penalized = penalty.factors[:p] > 0
    a, b = penalty.l1_weights()[:p], penalty.l2_weights()[:p]
    ridge = penalty.l1_ratio < 1
    largest = jnp.max(jnp.where(penalized, jnp.abs(G), 0.0), axis=0)
    bound = jnp.min(jnp.where(largest > 0, a / jnp.where(largest > 0, largest, 1.0), 1.0))
    sigma = jnp.where(ridge, 1.0, jnp.minimum(1.0, bound))
    excess = jnp.maximum(jnp.abs(sigma * G) - a, 0.0)
    g_conjugate = jnp.where(b > 0, excess**2 / (2 * jnp.where(b > 0, b, 1.0)), 0.0)
    U = problem.weights[:, None] * mean_residual
    offset_product = jnp.vdot(U, Z) - jnp.sum(jnp.where(penalized, G * W, 0.0))
    dual = (
        -_loss_conjugate(problem, sigma * mean_residual)
        + sigma * offset_product
        - jnp.sum(jnp.where(penalized, g_conjugate, 0.0))
    )
    primal = risk.value + penalty.value(coef)
    return primal - dual
