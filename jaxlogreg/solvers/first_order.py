"""First-order solvers for smooth objectives: gradient descent and nonlinear conjugate gradient.

Both only need the gradient of the smooth objective ``F``. Their step sizes are scaled by
curvature information that is cheap to obtain for a linear model (``solvers.curvature``): a
global bound ``L ≥ λ_max(∇²F)`` for gradient descent, the exact curvature ``Dᵀ∇²F D`` along a
direction for conjugate gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
from ._linesearch import LineSearchResult, backtracking
from .curvature import directional_curvature, lipschitz_bound

__all__ = ["ConjugateGradient", "GradientDescent", "advance", "descend"]


def descend(problem: Problem, state: SolverState, direction: jax.Array, **kwargs):
    """``backtracking`` from the state along ``direction``, its acceptance re-checked.

    A trial accepted inside the line search's loop can, at the level of rounding, come out with an
    objective one unit in the last place above ``state.objective`` (the compiled loop may evaluate
    the test and the returned value with different roundings); comparing the returned values
    keeps the promise that the objective never increases.
    """
    found = backtracking(problem, state.coef, state.objective, state.grad, direction, **kwargs)
    ok = found.accepted & (found.objective <= state.objective)
    return LineSearchResult(
        coef=jnp.where(ok, found.coef, state.coef),
        objective=jnp.where(ok, found.objective, state.objective),
        grad=jnp.where(ok, found.grad, state.grad),
        accepted=ok,
    )


def advance(
    problem: Problem, state: SolverState, found: LineSearchResult, *, stalled, extra=None
) -> SolverState:
    """The state at the point a line search found: objective, gradient, KKT violation, flags."""
    return state._replace(
        coef=found.coef,
        objective=found.objective,
        grad=found.grad,
        kkt_violation=problem.kkt_violation(found.coef, found.grad),
        stalled=stalled,
        extra=extra,
    )


class GradientDescent(Solver):
    """Gradient descent ``Θ ← Θ − η∇F``, with a fixed or a line-searched step size ``η``.

    Args:
        learning_rate: the step size ``η``. ``None`` (default) starts from ``1/L`` (see
            ``lipschitz_bound``).
        linesearch: with a line search (default when ``learning_rate`` is ``None``) every step
            backtracks from ``2η``, where ``η`` is the previous accepted step size, until Armijo's
            sufficient decrease holds: the step size adapts to the local curvature. Without one
            (default when ``learning_rate`` is given) ``η`` is fixed; a step that would increase
            ``F`` is halved (for that step only) until it does not, so ``F`` never increases.

    ``GradientDescent()`` is the line-searched method; ``GradientDescent(learning_rate=0.1)`` and
    ``GradientDescent(linesearch=False)`` (``η = 1/L``) are fixed-rate.
    """

    def __init__(self, learning_rate: float | None = None, linesearch: bool | None = None):
        self.learning_rate = None if learning_rate is None else float(learning_rate)
        self.linesearch = (learning_rate is None) if linesearch is None else bool(linesearch)

    def __repr__(self) -> str:
        return f"GradientDescent(learning_rate={self.learning_rate}, linesearch={self.linesearch})"

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = problem.center_classes(coef)
        if self.learning_rate is None:
            rate = 1.0 / lipschitz_bound(problem)
        else:
            rate = jnp.asarray(self.learning_rate, coef.dtype)
        return initial_state(problem, coef, extra=rate.astype(coef.dtype))

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        rate = state.extra
        if self.linesearch:
            # Try twice the last accepted step size; backtracking halves it as needed.
            direction = -2.0 * rate * state.grad
            found = descend(problem, state, direction)
            length = jnp.linalg.norm(direction)
            moved = jnp.linalg.norm(found.coef - state.coef) / jnp.where(length > 0, length, 1.0)
            rate = jnp.where(found.accepted & (moved > 0), 2.0 * rate * moved, rate)
        else:
            # Armijo's constant 0: the full step is taken unless it increases F.
            direction = -rate * state.grad
            found = descend(problem, state, direction, armijo=0.0)
        return advance(problem, state, found, stalled=~found.accepted, extra=rate)


class _CGState(NamedTuple):
    grad: jax.Array  # gradient at the previous iterate
    direction: jax.Array  # previous search direction (zero: restart)


class ConjugateGradient(Solver):
    """Nonlinear conjugate gradient, Polak–Ribière+ (``β = max(0, gₖ₊₁ᵀ(gₖ₊₁ − gₖ)/‖gₖ‖²)``).

    The direction ``Dₖ₊₁ = −gₖ₊₁ + βDₖ`` is restarted to ``−gₖ₊₁`` every ``restart_every`` steps
    (default: the number of coefficients ``K·d``) and whenever it is not a descent direction.
    The step along ``D`` starts at the minimizer of the local quadratic model,
    ``t₀ = −gᵀD / Dᵀ∇²F D`` (curvature from ``directional_curvature``), then backtracks: for the
    squared loss this is the exact line search and the method is linear conjugate gradient. When
    a line search fails on a conjugate direction the method restarts with the negative gradient;
    it stalls only when that fails too.
    """

    def __init__(self, restart_every: int | None = None):
        self.restart_every = None if restart_every is None else int(restart_every)

    def __repr__(self) -> str:
        return f"ConjugateGradient(restart_every={self.restart_every})"

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = problem.center_classes(coef)
        state = initial_state(problem, coef)
        return state._replace(extra=_CGState(state.grad, jnp.zeros_like(coef)))

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        g, previous = state.grad, state.extra
        period = self.restart_every or g.size
        previous_sq = jnp.vdot(previous.grad, previous.grad)
        beta = jnp.vdot(g, g - previous.grad) / jnp.where(previous_sq > 0, previous_sq, 1.0)
        beta = jnp.where(state.n_iter % period == 0, 0.0, jnp.maximum(beta, 0.0))
        direction = -g + beta * previous.direction
        slope = jnp.vdot(g, direction)
        is_descent = jnp.all(jnp.isfinite(direction)) & (slope < 0)
        direction = jnp.where(is_descent, direction, -g)
        slope = jnp.where(is_descent, slope, -jnp.vdot(g, g))
        steepest = ~is_descent | (beta == 0)

        curvature = directional_curvature(problem, state.coef, direction)
        t0 = -slope / curvature
        t0 = jnp.where(jnp.isfinite(t0) & (curvature > 0), t0, 1.0)
        found = descend(problem, state, t0 * direction)
        # A failed line search on a conjugate direction restarts (zero previous direction).
        kept = jnp.where(found.accepted, direction, jnp.zeros_like(direction))
        stalled = ~found.accepted & steepest
        return advance(problem, state, found, stalled=stalled, extra=_CGState(g, kept))
