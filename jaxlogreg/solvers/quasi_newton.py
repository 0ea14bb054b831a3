"""Quasi-Newton solvers: dense BFGS and limited-memory BFGS (optax).

Both build an approximation ``Hₖ ≈ ∇²F⁻¹`` from the secant pairs ``s = Θₖ₊₁ − Θₖ``,
``y = ∇Fₖ₊₁ − ∇Fₖ`` and step along ``−Hₖ∇F``:

- ``BFGS`` keeps the dense ``K·d × K·d`` inverse and updates it by
  ``H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ``, ``ρ = 1/sᵀy`` (skipped unless ``sᵀy > 0``, which keeps
  ``H`` positive definite), with the backtracking line search of ``_linesearch``;
- ``LBFGS`` runs ``optax.lbfgs`` (two-loop recursion over the last ``memory_size`` pairs) with its
  zoom (strong Wolfe) line search; the optax state is the solver's ``extra`` state.

The multinomial null space needs no special care: iterates start class-centred, gradients are then
orthogonal to the shifts ``1 ⊗ v`` shared by every class, and so are ``s``, ``y``, ``H∇F``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from ..problem import Problem
from ._driver import Solver, SolverState, initial_state
from .first_order import advance, descend, lipschitz_bound
from .newton import _center_classes

__all__ = ["BFGS", "LBFGS"]


class _BFGSState(NamedTuple):
    inverse_hessian: jax.Array  # H, (K·d, K·d)
    initial_scale: jax.Array  # H₀ = initial_scale · I until the first update
    fresh: jax.Array  # True while H is the scaled identity


class BFGS(Solver):
    """BFGS with a dense inverse Hessian (see the module docstring).

    ``H₀ = I/L`` (``L`` from ``lipschitz_bound``) makes the first step a safe gradient step; before
    the first update ``H₀`` is rescaled to ``(sᵀy/yᵀy)·I`` (Nocedal & Wright, eq. 6.20). A
    direction that is not a descent direction, or a failed line search, resets ``H`` to ``H₀``;
    the method stalls only when the line search fails from ``H₀``. Memory is ``O((K·d)²)``: for
    many coefficients use ``"lbfgs"``.
    """

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = _center_classes(problem, coef)
        scale = 1.0 / lipschitz_bound(problem)
        eye = jnp.eye(coef.size, dtype=coef.dtype)
        extra = _BFGSState(scale * eye, scale, jnp.ones((), bool))
        return initial_state(problem, coef, extra)

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        H, scale, fresh = state.extra
        eye = jnp.eye(H.shape[0], dtype=H.dtype)
        g = state.grad.reshape(-1)
        direction = -(H @ g)
        is_descent = jnp.all(jnp.isfinite(direction)) & (jnp.vdot(g, direction) < 0)
        H = jnp.where(is_descent, H, scale * eye)
        fresh = fresh | ~is_descent
        direction = jnp.where(is_descent, direction, -scale * g)
        found = descend(problem, state, direction.reshape(state.coef.shape))

        s = (found.coef - state.coef).reshape(-1)
        y = (found.grad - state.grad).reshape(-1)
        sy = jnp.vdot(s, y)
        yy = jnp.vdot(y, y)
        valid = found.accepted & (sy > jnp.finfo(H.dtype).eps * jnp.linalg.norm(s) * jnp.sqrt(yy))
        sy = jnp.where(valid, sy, 1.0)
        base = jnp.where(fresh, (sy / jnp.where(valid, yy, 1.0)) * eye, H)
        rho = 1.0 / sy
        Hy = base @ y
        # (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ, expanded: H is symmetric, so (Hy)ᵀ = yᵀH.
        updated = (
            base
            + (rho + rho**2 * jnp.vdot(y, Hy)) * jnp.outer(s, s)
            - rho * (jnp.outer(Hy, s) + jnp.outer(s, Hy))
        )
        # Update on a valid pair, keep H when sᵀy ≤ 0, reset to H₀ after a failed line search.
        new_H = jnp.where(valid, updated, jnp.where(found.accepted, H, scale * eye))
        new_fresh = jnp.where(valid, False, fresh | ~found.accepted)
        stalled = ~found.accepted & fresh
        return advance(
            problem, state, found, stalled=stalled, extra=_BFGSState(new_H, scale, new_fresh)
        )


class LBFGS(Solver):
    """``optax.lbfgs`` with its zoom line search, run one iteration per ``step``.

    The line search returns the objective and gradient at the point it accepts; they become the
    next state's, so an iteration whose first trial step (length one along the L-BFGS direction)
    satisfies the Wolfe conditions costs one ``value_and_grad``. The zoom line search may accept a
    step whose objective is higher than the current one by up to a relative ``10⁻⁶`` (its
    approximate sufficient-decrease test, meant for flat regions): such a step is refused, the
    iterate stays and the L-BFGS memory is cleared (the next direction is a scaled negative
    gradient); the method stalls only when a step from a cleared memory is refused too, so the
    objective never increases.

    Args:
        memory_size: number of secant pairs kept.
        max_linesearch_steps: most objective evaluations of one line search.
    """

    def __init__(self, memory_size: int = 10, max_linesearch_steps: int = 20):
        self.memory_size = int(memory_size)
        self.max_linesearch_steps = int(max_linesearch_steps)

    def __repr__(self) -> str:
        return (
            f"LBFGS(memory_size={self.memory_size}, "
            f"max_linesearch_steps={self.max_linesearch_steps})"
        )

    def optimizer(self) -> optax.GradientTransformationExtraArgs:
        linesearch = optax.scale_by_zoom_linesearch(
            max_linesearch_steps=self.max_linesearch_steps, initial_guess_strategy="one"
        )
        return optax.lbfgs(memory_size=self.memory_size, linesearch=linesearch)

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = _center_classes(problem, coef)
        return initial_state(problem, coef, self.optimizer().init(coef))

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        optimizer = self.optimizer()
        updates, opt_state = optimizer.update(
            state.grad,
            state.extra,
            state.coef,
            value=state.objective,
            grad=state.grad,
            value_fn=problem.smooth_objective,
        )
        coef = optax.apply_updates(state.coef, updates)
        objective = optax.tree.get(opt_state, "value")
        grad = optax.tree.get(opt_state, "grad")
        ok = (
            jnp.isfinite(objective)
            & (objective <= state.objective)
            & jnp.all(jnp.isfinite(grad))
            & jnp.all(jnp.isfinite(coef))
        )
        memory_was_empty = state.extra[0].count == 0
        cleared = optimizer.init(state.coef)
        return state._replace(
            coef=jnp.where(ok, coef, state.coef),
            objective=jnp.where(ok, objective, state.objective),
            grad=jnp.where(ok, grad, state.grad),
            optimality=jnp.where(ok, problem.optimality(coef, grad), state.optimality),
            stalled=~ok & memory_was_empty,
            extra=optax.tree.where(ok, opt_state, cleared),
        )
