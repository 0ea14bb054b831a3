"""Hessian-free truncated Newton (Newton-CG).

Each step solves the Newton system ``∇²F δ = −∇F`` approximately by linear conjugate gradient,
never forming ``∇²F``: CG only needs products ``∇²F v``, the derivative of the gradient along
``v``, which ``jax.linearize`` (a ``jax.jvp`` of ``∇F`` whose forward pass is evaluated once per
outer step) gives for about the cost of a gradient each. CG stops (Nocedal & Wright, Alg. 7.1)

- when ``‖∇²F δ + ∇F‖ ≤ ηₖ‖∇F‖`` with the forcing term ``ηₖ = min(½, √‖∇F‖)`` (superlinear
  local convergence);
- after ``max_cg_iter`` inner iterations;
- on a direction of non-positive curvature ``pᵀ∇²F p ≤ 0`` (the last iterate is kept, or the
  steepest-descent direction on the first inner iteration);

then the backtracking line search (``first_order.descend``) sets the step length.

Multinomial null space: the Hessian is singular along the shifts ``1 ⊗ v`` shared by every class.
Iterates start class-centred (as in ``newton.py``); then the gradient (the risk part always, the
ridge part because ``Θ`` is centred) is orthogonal to that null space, and so is every CG iterate:
they lie in the Krylov space of ``∇²F`` and ``∇F``, and ``∇²F`` maps centred vectors to centred
vectors. CG therefore works on the range of the Hessian, where it is positive definite, and returns
the minimum-norm Newton step without any regularization. The direction is re-centred once more to
remove rounding drift, so that iterates stay centred over many steps.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..core.linalg import conjugate_gradient
from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
from .first_order import advance, descend

__all__ = ["NewtonCG"]


class NewtonCG(Solver):
    """Truncated Newton with Hessian-vector products and a backtracking line search.

    Args:
        max_cg_iter: most CG iterations (Hessian-vector products) per Newton step.
    """

    def __init__(self, max_cg_iter: int = 100):
        self.max_cg_iter = int(max_cg_iter)

    def __repr__(self) -> str:
        return f"NewtonCG(max_cg_iter={self.max_cg_iter})"

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        return initial_state(problem, problem.center_classes(coef))

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        g = state.grad
        _, hvp = jax.linearize(jax.grad(problem.smooth_value), state.coef)
        kkt_violation = jnp.linalg.norm(g)
        forcing = jnp.minimum(0.5, jnp.sqrt(kkt_violation)) * kkt_violation
        direction = conjugate_gradient(hvp, -g, tol=forcing, max_iter=self.max_cg_iter)
        direction = problem.center_classes(direction)
        is_descent = jnp.all(jnp.isfinite(direction)) & (jnp.vdot(g, direction) < 0)
        direction = jnp.where(is_descent, direction, -g)
        found = descend(problem, state, direction)
        return advance(problem, state, found, stalled=~found.accepted)
