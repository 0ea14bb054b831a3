"""Curvature estimates of the smooth objective ``f``, from which first-order methods take their
step sizes; each costs about as much as a few gradients and forms no Hessian:

- a global bound ``L ≥ λ_max(∇²f)``: the loss curvature is at most ``c`` (``Loss.curvature_bound``:
  ``¼`` binary, ``½`` multinomial, ``1`` squared) times the identity, so ``∇²f ≼ c·AᵀSA + Λ`` and
  ``L = c·λ_max(AᵀSA) + max Λ``, with ``λ_max`` estimated by power iterations on the design;
- a local estimate of ``λ_max(∇²f(Θ))`` by power iterations with Hessian-vector products;
- the exact curvature ``Dᵀ∇²f D`` along a direction, ``Σᵢ s̃ᵢ ⟨Aᵢ D, ℓ''(zᵢ) Aᵢ D⟩ + Σ Λ D²``,
  from the closed-form loss curvature (two products with the design, like one gradient);
- Hessian-vector products ``∇²f V = Aᵀ(s̃ ⊙ Cᵢ (A V)ᵢ) + Λ ⊙ V`` with the per-sample curvatures
  ``Cᵢ = ∂²ℓ/∂z²`` of one iterate evaluated once, each product one pass ``A V`` and one ``Aᵀ(·)``;
  and the Hessian's diagonal ``Σᵢ s̃ᵢ (Cᵢ)ₖₖ a²ᵢⱼ + Λⱼ`` (one pass over ``A ⊙ A``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..core.linalg import power_iteration
from ..core.problem import Problem

__all__ = [
    "directional_curvature",
    "hessian_diagonal",
    "hessian_matvec",
    "largest_curvature",
    "lipschitz_bound",
]


def lipschitz_bound(problem: Problem, n_power_iter: int = 20) -> jax.Array:
    """``L = c·λ_max(AᵀSA) + max Λ``: a Lipschitz constant of ``∇f`` (see the module docstring).

    ``λ_max(AᵀSA) = ‖S^½A‖₂²`` is estimated by ``n_power_iter`` power iterations with products
    ``v ↦ Aᵀ(s̃ ⊙ Av)`` (neither the Gram matrix nor the design ``A = [X | 1]`` is formed). The
    Rayleigh quotient approaches ``λ_max`` from below, so the result is enlarged by 1% to stay on
    the safe side.
    """
    s = problem.weights
    d = problem.n_params_per_output
    dtype = problem.X.dtype

    def gram_matvec(v):
        Av = problem.design_matmul(v[None, :])  # (n, 1)
        # (s ⊙ Av)ᵀA, not Aᵀ(s ⊙ Av): XLA copies a transposed matrix before a matrix-vector
        # product (a full copy of X per product), but contracts the row axis in place.
        return problem.design_rmatmul(s[:, None] * Av)[0]

    # A start with distinct entries, so that it is not orthogonal to the leading eigenvector of a
    # design with symmetric structure.
    v = power_iteration(gram_matvec, 1.0 + jnp.arange(d, dtype=dtype) / d, n_power_iter)
    top = jnp.vdot(v, gram_matvec(v))
    L = 1.01 * problem.loss.curvature_bound * top + jnp.max(problem.penalty.l2_weights())
    return jnp.where(L > 0, L, 1.0)


def largest_curvature(problem: Problem, coef: jax.Array, n_iter: int = 10) -> jax.Array:
    """Power-iteration estimate (from below) of ``λ_max(∇²f(Θ))``: ``‖∇²f v‖`` after
    ``n_iter`` Hessian-vector products (``jax.jvp`` of the gradient)."""
    grad = jax.grad(problem.smooth_value)

    def hvp(v):
        return jax.jvp(grad, (coef,), (v,))[1]

    # A fixed start with components in every direction (the multinomial Hessian vanishes on
    # shifts shared by all classes, so a constant start would miss the top eigenvector).
    start = jnp.cos(jnp.arange(coef.size, dtype=coef.dtype) * 1.7 + 0.3).reshape(coef.shape)
    return jnp.linalg.norm(hvp(power_iteration(hvp, start, n_iter - 1)))


def directional_curvature(problem: Problem, coef: jax.Array, direction: jax.Array) -> jax.Array:
    """``Dᵀ ∇²f(Θ) D`` in closed form (see the module docstring); ``D`` has the shape of ``Θ``."""
    Z = problem.linear_predictor(coef)
    ZD = problem.design_matmul(direction)  # the change of Z along D (linear in D)
    risk = jnp.dot(problem.weights, jnp.sum(ZD * problem.loss.curvature_matvec(Z, ZD), axis=1))
    return risk + jnp.sum(problem.penalty.l2_weights() * jnp.square(direction))


def hessian_matvec(problem: Problem, Z: jax.Array):
    """``V ↦ (∇²f(Θ) V, A Vᵀ)`` at the point ``Θ`` of linear predictors ``Z``, for ``V`` of the
    shape of ``Θ`` (see the module docstring); the image ``A Vᵀ (n, K)``, the change of ``Z``
    along ``V``, comes with the product.

    The curvature map ``U ↦ s̃ᵢ Cᵢ uᵢ`` is the linearization in ``Z`` of the risk's gradient
    ``s̃ ⊙ ∂ℓ/∂z``: what it needs of ``Z`` (``μ``) is evaluated here once, so that a product
    costs the two passes over the design and ``O(n·K)`` more.
    """
    _, curvature = jax.linearize(jax.grad(problem.risk_given_Z), Z)
    ridge = problem.penalty.l2_weights()

    def matvec(V: jax.Array) -> tuple[jax.Array, jax.Array]:
        AV = problem.design_matmul(V)
        return problem.design_rmatmul(curvature(AV)) + ridge * V, AV

    return matvec


def hessian_diagonal(problem: Problem, Z: jax.Array) -> jax.Array:
    """The diagonal of ``∇²f`` at the linear predictors ``Z``, ``(K, d)``:
    ``Σᵢ s̃ᵢ (Cᵢ)ₖₖ a²ᵢⱼ + Λⱼ``."""
    weighted = problem.weights[:, None] * problem.loss.curvature_diagonal(Z)
    return problem.design_squares_rmatmul(weighted) + problem.penalty.l2_weights()
