"""Derivatives of a fit's solution by implicit differentiation of its optimality conditions.

The solver's loop is never differentiated. A solution ``Θ*(p)`` of

    min_Θ  smooth(Θ; p) + Σⱼ ω₁ⱼ(p) Σₖ |Θₖⱼ|,      ω₁ = λαϖ,

where ``p`` is everything in a ``Problem`` (data ``X``, targets, weights, offset, ``λ``, ``α``,
``ϖ``), satisfies on its support ``S = {Θ ≠ 0} ∪ {ω₁ = 0}`` (smooth coordinates, the intercept
among them, always belong to it)::

    G_S(Θ; p) = ∇_S smooth(Θ; p) + ω₁ ⊙ sign(Θ_S) = 0,

and is locally constant (zero) off it. Differentiating ``G_S(Θ*(p); p) = 0`` gives

    H_SS dΘ_S = −∂_p G_S · dp,      dΘ_S̄ = 0,

with ``H`` the Hessian of the smooth part at ``Θ*`` (``Problem.smooth_hessian``).
``implicit_solution`` attaches this rule to the solver's output as a ``jax.custom_jvp`` whose
linear solve is a ``lax.custom_linear_solve``: forward mode (``jax.jvp``), reverse mode
(``jax.grad``: one adjoint solve ``H_SS v = ḡ_S``, then a vector-Jacobian product of ``G``), ``jit``
and ``vmap`` all work, higher derivatives too (the rule differentiates through the solution
again), and a gradient costs one Hessian factorization whatever the number of iterations the
solver took. The rule holds at an exact solution with a locally stable support
(no zero coefficient exactly at its threshold): the derivative is as accurate as the fit.

Softmax is over-parametrized: where column ``j`` has no ridge part (always the intercept; every
column when ``λ(1 − α)ϖⱼ = 0``), shifting all classes of that column by the same amount leaves the
smooth part unchanged, so ``H`` is singular along ``1 ⊗ eⱼ``. Then ``G`` and every ``∂_p G`` are
orthogonal to that null space, and adding ``c·(11ᵀ/K ⊗ diag(null columns))`` to ``H`` (as the
Newton solver does, ``core.linalg``) yields the derivative of the class-centred solution.
Derivatives of class-invariant quantities (probabilities, losses) are exact whichever
representative the solver returned.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from ..core.linalg import (
    conjugate_gradient,
    lift_class_shifts,
    mean_curvature,
    project_class_shifts,
    with_ridge,
)
from ..core.problem import Problem

__all__ = ["ADJOINTS", "implicit_solution", "linear_system", "optimal_value", "support"]

#: How the linear system ``H_SS v = b`` is solved: ``"dense"`` (Cholesky of the ``(K·d)²``
#: Hessian), ``"cg"`` (Hessian-free conjugate gradients), ``"auto"`` (dense up to DENSE_LIMIT).
ADJOINTS = ("auto", "dense", "cg")
DENSE_LIMIT = 2000  # coefficients K·d; beyond, the Hessian alone takes > 32 MB in float64


def optimality_map(problem: Problem, coef: jax.Array) -> jax.Array:
    """``G(Θ; p) = ∇ smooth(Θ) + ω₁ ⊙ sign(Θ)``: zero on the support at a solution, ``(K, d)``."""
    grad = jax.grad(problem.smooth_value)(coef)
    return grad + problem.penalty.l1_gradient(coef)


def support(problem: Problem, coef: jax.Array) -> jax.Array:
    """Coefficients free to move: nonzero, or without an L1 part, and on no bound
    (``ElasticNetPenalty.free``). ``(K, d)`` bool."""
    return problem.penalty.free(coef)


def _null_columns(problem: Problem, mask: jax.Array) -> jax.Array | None:
    """Columns whose class shift the restricted Hessian annihilates (multinomial): ``(d,)``."""
    if not problem.loss.shift_invariant:
        return None
    return (problem.penalty.l2_weights() == 0) & jnp.all(mask, axis=0)


def linear_system(problem: Problem, coef: jax.Array, mask: jax.Array, method: str = "auto"):
    """``(matvec, solve)`` of the restricted system ``H_S v = b`` for ``v, b`` of shape ``(K, d)``.

    ``H_S`` is ``H`` on the support, the identity off it, plus the null-space term of the module
    docstring; it is symmetric positive definite. ``solve(matvec, b)`` is in the form
    ``lax.custom_linear_solve`` takes.
    """
    if method not in ADJOINTS:
        raise ValueError(f"adjoint must be one of {ADJOINTS}, got {method!r}")
    if method == "auto":
        method = "dense" if coef.size <= DENSE_LIMIT else "cg"
    null = _null_columns(problem, mask)
    if method == "dense":
        return _dense_system(problem, coef, mask, null)
    return _hessian_free_system(problem, coef, mask, null)


def _dense_system(problem, coef, mask, null):
    """``H_S`` formed and factored by Cholesky, with a ridge at rounding level."""
    K, d = coef.shape
    m = mask.reshape(-1).astype(coef.dtype)
    H = problem.smooth_hessian(coef)
    scale = mean_curvature(jnp.diag(H), m)
    H = H * m[:, None] * m[None, :] + jnp.diag(1.0 - m)
    if null is not None:
        H = lift_class_shifts(H, scale, null.astype(coef.dtype))
    H = with_ridge(H, scale)
    factor = jsl.cho_factor(H, lower=True)

    def matvec(v):
        return (H @ v.reshape(-1)).reshape(K, d)

    def solve(_, b):
        return jsl.cho_solve(factor, b.reshape(-1)).reshape(K, d)

    return matvec, solve


def _hessian_free_system(problem, coef, mask, null):
    """Hessian-vector products ``Aᵀ(s̃ ⊙ ∇²ℓ · AV) + Λ V`` and Jacobi-preconditioned CG."""
    K, d = coef.shape
    Z = problem.linear_predictor(coef)
    s = problem.weights
    ridge = problem.penalty.l2_weights()
    loss = problem.loss

    def hvp(V):
        R = s[:, None] * loss.curvature_matvec(Z, problem.design_matmul(V))
        return problem.design_rmatmul(R) + ridge * V

    curvature = loss.curvature_diagonal(Z)  # (n, K)
    diagonal = problem.design_squares_rmatmul(s[:, None] * curvature) + ridge
    scale = mean_curvature(diagonal)
    if null is not None:
        diagonal = diagonal + scale * null / K
    inverse_diagonal = jnp.where(mask & (diagonal > 0), 1.0 / diagonal, 1.0)

    def matvec(V):
        out = jnp.where(mask, hvp(jnp.where(mask, V, 0.0)), V)
        if null is not None:
            out = out + scale * project_class_shifts(V, null)
        return out

    def solve(matvec, b):
        # Relative tolerance ε^¾ on the residual (``‖r‖ ≤ ε^¾ ‖b‖``).
        tol = float(jnp.finfo(b.dtype).eps) ** 0.75 * jnp.sqrt(jnp.vdot(b, b))
        return conjugate_gradient(
            matvec, b, tol=tol, max_iter=10 * K * d, preconditioner=lambda v: inverse_diagonal * v
        )

    return matvec, solve


@partial(jax.custom_jvp, nondiff_argnums=(2,))
def implicit_solution(coef: jax.Array, problem: Problem, method: str) -> jax.Array:
    """``coef`` itself, a solution of ``problem``, differentiable with respect to ``problem``.

    ``coef`` must carry no derivative of its own (the caller computes it from
    ``lax.stop_gradient(problem)``); derivatives flow through the optimality conditions (module
    docstring). ``method`` is one of ``ADJOINTS``.
    """
    del problem, method
    return coef


@implicit_solution.defjvp
def _implicit_solution_jvp(method, primals, tangents):
    coef, problem = primals
    _, problem_dot = tangents
    if problem.penalty.grouped:  # its Hessian would need the group norm's curvature
        raise NotImplementedError(
            "derivatives of a fit with multinomial_l1='grouped' are not available: "
            "differentiate an ungrouped fit"
        )
    mask = support(problem, coef)
    # The solution again, as a function of the problem: differentiating this rule (second
    # derivatives) then accounts for the Hessian's and G's dependence on Θ*(p) as well.
    coef = implicit_solution(coef, problem, method)
    _, residual_dot = jax.jvp(lambda pr: optimality_map(pr, coef), (problem,), (problem_dot,))
    matvec, solve = linear_system(problem, coef, mask, method)
    rhs = jnp.where(mask, residual_dot, 0.0)
    coef_dot = -jax.lax.custom_linear_solve(matvec, rhs, solve, symmetric=True)
    return coef, coef_dot


@partial(jax.custom_jvp, nondiff_argnums=(3,))
def optimal_value(value: jax.Array, coef: jax.Array, problem: Problem, method: str) -> jax.Array:
    """``value = F(Θ*; p)``, differentiable by the envelope theorem: ``dF* = ∂_p F(Θ*; p)·dp``.

    At a minimizer the objective is stationary in ``Θ`` (a zero subgradient for L1), so only the
    explicit dependence on ``p`` counts. ``value`` and ``coef`` carry no derivative of their own;
    ``method`` solves the systems of second derivatives (``ADJOINTS``).
    """
    del coef, problem, method
    return value


@optimal_value.defjvp
def _optimal_value_jvp(method, primals, tangents):
    value, coef, problem = primals
    _, _, problem_dot = tangents
    coef = implicit_solution(coef, problem, method)  # for second derivatives, as above
    _, value_dot = jax.jvp(lambda pr: pr.objective(coef), (problem,), (problem_dot,))
    return value, value_dot
