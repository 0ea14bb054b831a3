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

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
from .first_order import advance, descend
from .newton import _center_classes

__all__ = ["NewtonCG", "truncated_cg"]


class _CGCarry(NamedTuple):
    k: jax.Array
    x: jax.Array  # approximate solution of H x = −g
    r: jax.Array  # residual −g − H x
    p: jax.Array  # search direction
    rr: jax.Array  # ‖r‖²
    done: jax.Array


def truncated_cg(hvp, g: jax.Array, *, tol: jax.Array, max_iter: int) -> jax.Array:
    """Approximate solution of ``H x = −g`` by CG from ``x = 0`` (see the module docstring).

    ``hvp(v)`` returns ``H v``; ``tol`` is the residual norm at which to stop.
    """

    def keep_going(c: _CGCarry) -> jax.Array:
        return (c.k < max_iter) & ~c.done

    def iterate(c: _CGCarry) -> _CGCarry:
        Hp = hvp(c.p)
        curvature = jnp.vdot(c.p, Hp)
        negative = ~(curvature > 0)  # also catches NaN
        alpha = c.rr / jnp.where(negative, 1.0, curvature)
        x = c.x + alpha * c.p
        r = c.r - alpha * Hp
        rr = jnp.vdot(r, r)
        p = r + (rr / jnp.where(c.rr > 0, c.rr, 1.0)) * c.p
        # Non-positive curvature: keep the last iterate (steepest descent when there is none).
        fallback = jnp.where(c.k == 0, -g, c.x)
        return _CGCarry(
            k=c.k + 1,
            x=jnp.where(negative, fallback, x),
            r=jnp.where(negative, c.r, r),
            p=jnp.where(negative, c.p, p),
            rr=jnp.where(negative, c.rr, rr),
            done=negative | (jnp.sqrt(rr) <= tol),
        )

    zero = jnp.zeros_like(g)
    rr = jnp.vdot(g, g)
    start = _CGCarry(jnp.zeros((), jnp.int32), zero, -g, -g, rr, jnp.sqrt(rr) <= tol)
    return jax.lax.while_loop(keep_going, iterate, start).x


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
        return initial_state(problem, _center_classes(problem, coef))

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        g = state.grad
        _, hvp = jax.linearize(jax.grad(problem.smooth_objective), state.coef)
        kkt_violation = jnp.linalg.norm(g)
        forcing = jnp.minimum(0.5, jnp.sqrt(kkt_violation)) * kkt_violation
        direction = truncated_cg(hvp, g, tol=forcing, max_iter=self.max_cg_iter)
        direction = _center_classes(problem, direction)
        is_descent = jnp.all(jnp.isfinite(direction)) & (jnp.vdot(g, direction) < 0)
        direction = jnp.where(is_descent, direction, -g)
        found = descend(problem, state, direction)
        return advance(problem, state, found, stalled=~found.accepted)
