"""Backtracking line searches that never increase the objective (smooth, or smooth + L1).

One halving loop (``halving_search``) tries ``t, t/2, t/4, …`` until a trial passes its
acceptance test; the tests are pure functions of scalars (``smooth_step_accepted``,
``composite_step_accepted``), written with operators alone so that they take NumPy values on the
host as well as traced JAX values.

Both tests accept a trial ``F⁺ = F(Θ + tD)`` that is finite and either satisfies Armijo's
sufficient-decrease condition ``F⁺ ≤ F + c·t·Δ`` (``Δ`` the predicted decrease of the unit step)
or, once ``F`` no longer changes beyond round-off, changes ``F`` by no more than its rounding error
while a progress measure ``π`` shrinks. Near the optimum the decrease a step achieves is below the
rounding error of ``F`` itself, so Armijo's test (and even ``F⁺ ≤ F``) fails on rounding alone,
depending on summation order; the gradient still measures progress there (as in scikit-learn's
Newton solver).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem

__all__ = [
    "LineSearchResult",
    "backtracking",
    "composite_backtracking",
    "composite_step_accepted",
    "halving_search",
    "smooth_step_accepted",
]

#: Armijo's constant ``c``.
ARMIJO = 1e-4


class LineSearchResult(NamedTuple):
    coef: jax.Array
    objective: jax.Array
    grad: jax.Array
    accepted: jax.Array


def _finite(x):
    """``|x| < ∞``: false for ``±∞`` and NaN, on NumPy and JAX values alike."""
    return abs(x) < math.inf


def smooth_step_accepted(
    objective, new_objective, t, slope, progress, new_progress, *, eps, armijo=ARMIJO
):
    """The test of ``backtracking``: ``F⁺`` finite and ``F⁺ ≤ F + c·t·∇FᵀD`` (``slope = ∇FᵀD``)
    or ``F⁺ ≤ F + 4ε|F|`` with ``‖∇F⁺‖₁ < ‖∇F‖₁`` (``new_progress < progress``)."""
    sufficient = new_objective <= objective + armijo * t * slope
    rounding_level = (new_objective <= objective + 4 * eps * abs(objective)) & (
        new_progress < progress
    )
    return _finite(new_objective) & (sufficient | rounding_level)


def composite_step_accepted(
    objective, new_objective, t, decrease, progress, new_progress, *, eps, armijo=ARMIJO
):
    """The test of ``composite_backtracking``: ``F⁺`` finite and ``Δ < 0`` with
    ``F⁺ ≤ F + c·t·Δ``, or ``−Δ ≤ ρ`` and ``F⁺ ≤ F + ρ`` with ``ρ = 64ε|F|`` and the summed KKT
    residual shrinking (``new_progress < progress``)."""
    resolution = 64 * eps * abs(objective)
    sufficient = (decrease < 0) & (new_objective <= objective + armijo * t * decrease)
    rounding_level = (
        (-decrease <= resolution)
        & (new_objective <= objective + resolution)
        & (new_progress < progress)
    )
    return _finite(new_objective) & (sufficient | rounding_level)


def halving_search(trial, t0: jax.Array, max_halvings: int):
    """The first ``t ∈ {t₀, t₀/2, …, t₀/2^max_halvings}`` whose trial is accepted.

    ``trial(t) -> (values, accepted)``, ``values`` any pytree of arrays. Returns ``(t, values,
    accepted)`` of the last trial: the accepted one, or the smallest step when none was.
    """

    def keep_halving(carry):
        k, _, _, accepted = carry
        return (k < max_halvings) & ~accepted

    def halve(carry):
        k, t, _, _ = carry
        t = 0.5 * t
        return (k + 1, t, *trial(t))

    carry = (jnp.zeros((), jnp.int32), t0, *trial(t0))
    _, t, values, accepted = jax.lax.while_loop(keep_halving, halve, carry)
    return t, values, accepted


def backtracking(
    problem: Problem,
    coef: jax.Array,
    objective: jax.Array,
    grad: jax.Array,
    direction: jax.Array,
    *,
    max_halvings: int = 40,
    armijo: float = ARMIJO,
) -> LineSearchResult:
    """Largest ``t ∈ {1, ½, ¼, …}`` such that ``Θ + t·D`` passes ``smooth_step_accepted``.

    ``objective`` is the smooth ``F(Θ)``, ``grad`` its gradient. When no trial passes, ``Θ`` is
    returned unchanged with ``accepted = False``: the objective never increases beyond round-off.
    """
    slope = jnp.vdot(grad, direction)
    grad_l1 = jnp.sum(jnp.abs(grad))
    eps = jnp.finfo(objective.dtype).eps

    def trial(t):
        new_coef = coef + t * direction
        new_objective, new_grad = problem.smooth_value_and_grad(new_coef)
        new_grad_l1 = jnp.sum(jnp.abs(new_grad))
        accepted = smooth_step_accepted(
            objective, new_objective, t, slope, grad_l1, new_grad_l1, eps=eps, armijo=armijo
        )
        return (new_coef, new_objective, new_grad), accepted

    one = jnp.ones((), objective.dtype)
    _, (new_coef, new_objective, new_grad), ok = halving_search(trial, one, max_halvings)
    return LineSearchResult(
        coef=jnp.where(ok, new_coef, coef),
        objective=jnp.where(ok, new_objective, objective),
        grad=jnp.where(ok, new_grad, grad),
        accepted=ok,
    )


def composite_backtracking(
    problem: Problem,
    coef: jax.Array,
    objective: jax.Array,
    grad: jax.Array,
    direction: jax.Array,
    *,
    max_halvings: int = 40,
    armijo: float = ARMIJO,
) -> LineSearchResult:
    """Backtracking on the full objective ``F = f + P₁`` (smooth part plus L1 part).

    Takes the largest ``t ∈ {1, ½, ¼, …}`` that passes ``composite_step_accepted``, with
    ``Δ = ∇fᵀD + P₁(Θ + D) − P₁(Θ)``, negative for the direction of a proximal-Newton step
    (Tseng & Yun; Lee, Sun & Saunders). ``objective`` is ``F(Θ)``, ``grad`` is ``∇f(Θ)``.
    A step accepted at the rounding level reports ``min(F(Θ + tD), F(Θ))`` (equal to
    ``F(Θ + tD)`` within round-off), so that the objective never increases. When no trial passes,
    ``Θ`` is returned unchanged with ``accepted = False``.
    """
    penalty = problem.penalty
    decrease = jnp.vdot(grad, direction) + penalty.l1_value(coef + direction)
    decrease = decrease - penalty.l1_value(coef)
    residual = jnp.sum(penalty.kkt_residual(coef, grad))
    eps = jnp.finfo(objective.dtype).eps

    def trial(t):
        new_coef = coef + t * direction
        smooth, new_grad = problem.smooth_value_and_grad(new_coef)
        new_objective = smooth + penalty.l1_value(new_coef)
        new_residual = jnp.sum(penalty.kkt_residual(new_coef, new_grad))
        accepted = composite_step_accepted(
            objective, new_objective, t, decrease, residual, new_residual, eps=eps, armijo=armijo
        )
        return (new_coef, new_objective, new_grad), accepted

    one = jnp.ones((), objective.dtype)
    _, (new_coef, new_objective, new_grad), ok = halving_search(trial, one, max_halvings)
    return LineSearchResult(
        coef=jnp.where(ok, new_coef, coef),
        objective=jnp.where(ok, jnp.minimum(new_objective, objective), objective),
        grad=jnp.where(ok, new_grad, grad),
        accepted=ok,
    )
