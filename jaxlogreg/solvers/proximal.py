"""Accelerated proximal gradient (FISTA) for ``F = f + P₁``: smooth part plus L1 part.

One step, from the extrapolated point ``y`` with momentum ``τ`` and step size ``t``::

    z = prox_{t P₁}(y − t ∇f(y))      (soft-thresholding, then clipping to the bounds;
                                       block soft-thresholding for the grouped lasso)

with ``t`` found by backtracking (``t ← t/2``) on the sufficient-decrease test of composite
objectives (Beck & Teboulle 2009)::

    f(z) ≤ f(y) + ∇f(y)ᵀ(z − y) + ‖z − y‖² / (2t)

When ``f(z)`` and ``f(y)`` agree to 10 digits the difference of the two sides is round-off, and
the test used instead is ``(∇f(z) − ∇f(y))ᵀ(z − y) ≤ ‖z − y‖²/(2t)``, which implies it for
convex ``f`` and is computed accurately (the switch of TFOCS's backtracking).

Monotone FISTA (MFISTA): the iterate becomes ``z`` only when ``F(z) ≤ F(Θ)``; then
``τ⁺ = (1 + √(1 + 4τ²))/2`` and ``y⁺ = z + ((τ − 1)/τ⁺)(z − Θ)``. Otherwise the momentum is
restarted (O'Donoghue & Candès's function-value restart): ``Θ`` is kept, ``τ⁺ = 1`` and
``y⁺ = Θ``, so the next step is a plain proximal-gradient step, which cannot increase ``F``.

Near the optimum the decrease ``F(Θ) − F(z) ≥ ‖z − Θ‖²/(2t)`` that the sufficient-decrease test
guarantees for such a step falls below the resolution ``ρ = 64·ε·|F|`` of computed objective
values; a proximal-gradient step that moves is then accepted when ``F(z) ≤ F(Θ) + ρ``, and the
objective reported is ``min(F(z), F(Θ))`` (equal to ``F(z)`` within round-off), so that it never
increases. A proximal-gradient step that is not accepted (or does not move) reports a stall.

The step size is carried in the state; each step first tries ``growth·t``, so that it grows back
after a backtrack. The linear predictors ``Z = XΘᵀ + b`` of ``Θ`` and ``y`` are carried too:
``y`` is an affine combination of ``z`` and ``Θ``, so ``Z_y`` is the same combination of theirs.
A trial needs ``f(z)`` alone (one pass ``X zᵀ``), and the gradients at the new ``Θ`` and ``y``
come from one pass ``[R_Θ | R_y]ᵀ X`` at the end of the step, so a step reads ``X`` once per
trial plus once. The initial step is ``1/L̂``, ``L̂`` a power-iteration estimate of the largest
eigenvalue of ``∇²f`` at the starting point.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
from ._linesearch import halving_search
from .curvature import largest_curvature

__all__ = ["FISTA", "FistaState"]


class FistaState(NamedTuple):
    """FISTA's own state: extrapolated point ``y (K, d)``, momentum ``τ``, step size ``t``, the
    linear predictor ``(n, K)`` of the iterate ``Θ``, and ``f(y)``, ``∇f(y)``."""

    point: jax.Array
    momentum: jax.Array
    step: jax.Array
    predictor: jax.Array
    point_value: jax.Array
    point_grad: jax.Array


class FISTA(Solver):
    """Monotone FISTA with backtracking and adaptive restart (see the module docstring).

    Args:
        growth: factor by which each step first enlarges the previous step size.
        max_backtracks: most halvings of the step size within one step.
    """

    supports_l1 = True
    supports_bounds = True

    def __init__(self, growth: float = 1.5, max_backtracks: int = 60):
        self.growth = growth
        self.max_backtracks = max_backtracks

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = problem.penalty.clip(coef)  # a start outside the bounds: its projection
        curvature = largest_curvature(problem, coef)
        step = jnp.where(curvature > 0, 1.0 / curvature, 1.0).astype(coef.dtype)
        Z = problem.linear_predictor(coef)
        value, grad = problem.smooth_value_and_grad(coef, Z)
        extra = FistaState(
            point=coef,
            momentum=jnp.ones((), coef.dtype),
            step=step,
            predictor=Z,
            point_value=value,
            point_grad=grad,
        )
        return initial_state(problem, coef, extra)

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        penalty = problem.penalty
        y, momentum, step, Z_coef, f_y, g_y = state.extra

        def trial(t):
            z = penalty.prox_l1(y - t * g_y, t)
            Z_z = problem.linear_predictor(z)
            f_z = problem.smooth_value(z, Z_z)
            return (z, Z_z, f_z), _sufficient_decrease(problem, y, f_y, g_y, z, Z_z, f_z, t)

        t, (z, Z_z, f_z), ok = halving_search(trial, self.growth * step, self.max_backtracks)

        objective_z = f_z + penalty.l1_value(z)
        fresh = momentum == 1  # y = Θ: a plain proximal-gradient step, which decreases F
        resolution = 64 * jnp.finfo(y.dtype).eps * jnp.abs(state.objective)
        moved = jnp.any(z != state.coef)
        rounding_level = fresh & moved & (objective_z <= state.objective + resolution)
        improved = ok & ((objective_z <= state.objective) | rounding_level)
        next_momentum = jnp.where(improved, 0.5 * (1 + jnp.sqrt(1 + 4 * momentum**2)), 1.0)
        coef = jnp.where(improved, z, state.coef)
        beta = (momentum - 1) / next_momentum
        point = jnp.where(improved, z + beta * (z - state.coef), coef)
        Z_point = jnp.where(improved, Z_z + beta * (Z_z - Z_coef), Z_coef)
        Z_coef = jnp.where(improved, Z_z, Z_coef)
        # ∇f at Θ and at y from one pass over X: the two residual blocks side by side.
        values, grads = jax.vmap(problem.smooth_value_and_grad)(
            jnp.stack([coef, point]), jnp.stack([Z_coef, Z_point])
        )
        return state._replace(
            coef=coef,
            objective=jnp.where(
                improved, jnp.minimum(objective_z, state.objective), state.objective
            ),
            grad=grads[0],
            kkt_violation=problem.kkt_violation(coef, grads[0]),
            stalled=~improved & fresh,
            extra=FistaState(
                point=point,
                momentum=next_momentum.astype(momentum.dtype),
                step=jnp.where(ok, t, step).astype(step.dtype),
                predictor=Z_coef,
                point_value=values[1],
                point_grad=grads[1],
            ),
        )


def _sufficient_decrease(problem, y, f_y, g_y, z, Z_z, f_z, t) -> jax.Array:
    """Beck and Teboulle's test ``f(z) ≤ f(y) + ∇f(y)ᵀ(z − y) + ‖z − y‖²/(2t)``, or its gradient
    form where ``f(z)`` and ``f(y)`` agree to 10 digits (module docstring); ``f(z)`` finite."""
    diff = z - y
    quadratic = jnp.vdot(diff, diff) / (2 * t)

    def gradient_test():
        _, g_z = problem.smooth_value_and_grad(z, Z_z)
        return jnp.vdot(g_z - g_y, diff) <= quadratic

    accurate = jnp.abs(f_z - f_y) >= 1e-10 * jnp.maximum(jnp.abs(f_z), jnp.abs(f_y))
    test = jax.lax.cond(
        accurate, lambda: f_z <= f_y + jnp.vdot(g_y, diff) + quadratic, gradient_test
    )
    return jnp.isfinite(f_z) & test
