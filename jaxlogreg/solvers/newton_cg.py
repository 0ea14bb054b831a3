"""Hessian-free truncated Newton (Newton-CG), as in liblinear's TRON but with a line search.

Each step solves the Newton system ``∇²F δ = −∇F`` approximately by linear conjugate gradient,
never forming ``∇²F``: CG only needs products ``∇²F p = Aᵀ(s̃ ⊙ Cᵢ(Ap)ᵢ) + Λp``
(``curvature.hessian_matvec``: the curvatures ``Cᵢ`` of the iterate evaluated once, then one
pass ``Ap`` and one ``Aᵀ(·)`` a product). CG stops (Nocedal & Wright, Alg. 7.1)

- when ``‖∇²F δ + ∇F‖ ≤ ηₖ‖∇F‖`` with the forcing term ``ηₖ = min(½, √(‖∇F‖/‖∇F₀‖))``
  (superlinear local convergence; relative to the starting gradient ``∇F₀``, so that it does not
  depend on the scale of ``F``);
- after ``max_cg_iter`` inner iterations;
- on a direction of non-positive curvature ``pᵀ∇²F p ≤ 0`` (the last iterate is kept, or the
  first, preconditioned steepest-descent, direction ``p₀ = M∇F`` on the first inner iteration).

``Z`` is affine in ``Θ``, so CG also sums ``Aδ = Σⱼ αⱼ Apⱼ`` from the products it makes, and the
line search evaluates ``F(Θ + tδ)`` from ``Z + t·Aδ`` without a pass over the data; the gradient
of a trial costs one pass ``Aᵀ(·)``. A step costs ``2m + 1`` passes for ``m`` CG iterations (one
more with the preconditioner); ``Z`` is carried from one step to the next. The backtracking
line search (``t = 1, ½, …``, the test of ``_linesearch.smooth_step_accepted``) never increases
the reported ``F`` (see ``_line_search``); a direction that is not one of descent is replaced by
``−∇F``.

Preconditioning (``precondition=True``) by the inverse Hessian diagonal ``Σᵢ s̃ᵢ(Cᵢ)ₖₖa²ᵢⱼ + Λⱼ``
costs one pass a step. On tf-idf rows of unit norm (benchmark S1) it took more CG iterations
(28 against 19), so it is off by default.

Multinomial null space: the Hessian is singular along the shifts ``1 ⊗ v`` shared by every class.
Iterates start class-centred (as in ``newton.py``); then the gradient (the risk part always, the
ridge part because ``Θ`` is centred) lies in the range of the Hessian, and so does every residual
of CG: the system is consistent and CG converges on it. The direction is centred (``∇Fᵀδ`` is
unchanged, the gradient being centred), which also removes rounding drift; its image ``Aδ`` is
not, and differs from that of the centred direction by the same value in every class of a row,
which changes neither the softmax, nor the risk, nor its gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem
from ._driver import Solver, SolverState
from ._linesearch import halving_search, smooth_step_accepted
from .curvature import hessian_diagonal, hessian_matvec

__all__ = ["NewtonCG"]

#: Most halvings of the line search's step ``t = 1``.
MAX_HALVINGS = 40


class _Carried(NamedTuple):
    Z: jax.Array  # linear predictors at the iterate (up to class shifts, see the docstring)
    start_norm: jax.Array  # ‖∇F₀‖, the unit of the forcing term


class _CGCarry(NamedTuple):
    k: jax.Array
    x: jax.Array  # approximate solution of H x = b
    Ax: jax.Array  # its image A xᵀ, (n, K)
    r: jax.Array  # residual b − H x
    p: jax.Array  # search direction
    rz: jax.Array  # rᵀ M r (‖r‖² without a preconditioner)
    done: jax.Array


class NewtonCG(Solver):
    """Truncated Newton with Hessian-vector products and a backtracking line search.

    Args:
        max_cg_iter: most CG iterations (Hessian-vector products) per Newton step.
        precondition: precondition CG by the inverse of the Hessian's diagonal (Jacobi).
    """

    def __init__(self, max_cg_iter: int = 100, precondition: bool = False):
        self.max_cg_iter = int(max_cg_iter)
        self.precondition = bool(precondition)

    def __repr__(self) -> str:
        return f"NewtonCG(max_cg_iter={self.max_cg_iter}, precondition={self.precondition})"

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = problem.center_classes(coef)
        Z = problem.linear_predictor(coef)
        smooth, grad = problem.smooth_value_and_grad(coef, Z)
        start_norm = jnp.linalg.norm(grad)  # 1 at a stationary start, where no step is taken
        return SolverState(
            coef=coef,
            objective=smooth,
            grad=grad,
            kkt_violation=problem.kkt_violation(coef, grad),
            n_iter=jnp.zeros((), jnp.int32),
            stalled=jnp.zeros((), bool),
            extra=_Carried(Z, jnp.where(start_norm > 0, start_norm, 1.0)),
        )

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        g, Z = state.grad, state.extra.Z
        norm = jnp.linalg.norm(g)
        forcing = jnp.minimum(0.5, jnp.sqrt(norm / state.extra.start_norm)) * norm
        direction, image = self.newton_direction(problem, Z, -g, forcing)
        direction = problem.center_classes(direction)
        is_descent = jnp.all(jnp.isfinite(direction)) & (jnp.vdot(g, direction) < 0)
        direction, image = jax.lax.cond(
            is_descent,
            lambda: (direction, image),
            lambda: (-g, problem.design_matmul(-g)),
        )
        return _line_search(problem, state, direction, image)

    def newton_direction(self, problem: Problem, Z: jax.Array, b: jax.Array, tol: jax.Array):
        """``(δ, Aδᵀ)``: CG on ``∇²F δ = b`` at the linear predictors ``Z``, from ``δ = 0``, until
        ``‖b − ∇²F δ‖ ≤ tol`` (see the module docstring)."""
        matvec = hessian_matvec(problem, Z)
        inverse = 1.0
        if self.precondition:
            diagonal = hessian_diagonal(problem, Z)
            inverse = jnp.where(diagonal > 0, 1.0 / jnp.where(diagonal > 0, diagonal, 1.0), 1.0)

        def iterate(c: _CGCarry) -> _CGCarry:
            Hp, Ap = matvec(c.p)
            pHp = jnp.vdot(c.p, Hp)
            negative = ~(pHp > 0)  # also catches NaN
            alpha = c.rz / jnp.where(negative, 1.0, pHp)
            r = c.r - alpha * Hp
            z = inverse * r
            rz = jnp.vdot(r, z)
            p = z + (rz / jnp.where(c.rz > 0, c.rz, 1.0)) * c.p
            first = c.k == 0
            return _CGCarry(
                k=c.k + 1,
                x=jnp.where(negative, jnp.where(first, c.p, c.x), c.x + alpha * c.p),
                Ax=jnp.where(negative, jnp.where(first, Ap, c.Ax), c.Ax + alpha * Ap),
                r=r,
                p=p,
                rz=rz,
                done=negative | (jnp.linalg.norm(r) <= tol),
            )

        p = inverse * b
        start = _CGCarry(
            k=jnp.zeros((), jnp.int32),
            x=jnp.zeros_like(b),
            Ax=jnp.zeros_like(Z),
            r=b,
            p=p,
            rz=jnp.vdot(b, p),
            done=jnp.linalg.norm(b) <= tol,
        )

        def keep_going(c: _CGCarry) -> jax.Array:
            return (c.k < self.max_cg_iter) & ~c.done

        end = jax.lax.while_loop(keep_going, iterate, start)
        return end.x, end.Ax


def _line_search(
    problem: Problem, state: SolverState, direction: jax.Array, image: jax.Array
) -> SolverState:
    """The state at ``Θ + tδ`` for the largest ``t ∈ {1, ½, …}`` that passes
    ``smooth_step_accepted`` (``Z + t·Aδ`` gives ``F`` there, one pass its gradient); ``state``
    itself, stalled, when none does. A step accepted at the rounding level (the gradient shrinks,
    ``F`` changes by at most ``4ε|F|``) reports ``min(F(Θ + tδ), F(Θ))``, as
    ``_linesearch.composite_backtracking`` does, so that the objective never increases."""
    Z, objective = state.extra.Z, state.objective
    slope = jnp.vdot(state.grad, direction)
    grad_l1 = jnp.sum(jnp.abs(state.grad))
    eps = jnp.finfo(objective.dtype).eps

    def trial(t):
        coef = state.coef + t * direction
        Z_t = Z + t * image
        risk = problem.risk_and_grad_given_Z(Z_t)
        value, grad = problem.smooth_value_and_grad_given_risk(coef, risk)
        new_grad_l1 = jnp.sum(jnp.abs(grad))
        accepted = smooth_step_accepted(objective, value, t, slope, grad_l1, new_grad_l1, eps=eps)
        return (coef, Z_t, value, grad), accepted

    one = jnp.ones((), objective.dtype)
    _, (coef, Z_t, value, grad), accepted = halving_search(trial, one, MAX_HALVINGS)
    coef, Z_t, value, grad = jax.tree.map(
        lambda new, old: jnp.where(accepted, new, old),
        (coef, Z_t, jnp.minimum(value, objective), grad),
        (state.coef, Z, objective, state.grad),
    )
    return state._replace(
        coef=coef,
        objective=value,
        grad=grad,
        kkt_violation=problem.kkt_violation(coef, grad),
        stalled=~accepted,
        extra=state.extra._replace(Z=Z_t),
    )
