"""Backtracking line searches that never increase the objective (smooth, or smooth + L1)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem

__all__ = ["LineSearchResult", "backtracking", "composite_backtracking"]


class LineSearchResult(NamedTuple):
    coef: jax.Array
    objective: jax.Array
    grad: jax.Array
    accepted: jax.Array


def backtracking(
    problem: Problem,
    coef: jax.Array,
    objective: jax.Array,
    grad: jax.Array,
    direction: jax.Array,
    *,
    max_halvings: int = 40,
    armijo: float = 1e-4,
) -> LineSearchResult:
    """Largest ``t ∈ {1, ½, ¼, …}`` such that ``Θ + t·D`` passes a sufficient-decrease test.

    A trial is accepted when its objective is finite and either satisfies Armijo's condition
    ``F(Θ + tD) ≤ F(Θ) + c·t·∇Fᵀ D`` or, once ``F`` no longer changes beyond round-off, changes
    ``F`` by no more than its rounding error (a few ulps of ``|F|``) while shrinking ``‖∇F‖₁``.
    Near the optimum the decrease a step achieves is below the rounding error of ``F`` itself, so
    Armijo's test (and even ``F(Θ + tD) ≤ F(Θ)``) fails on rounding alone, depending on summation
    order; the gradient still measures progress there (as in scikit-learn's Newton solver).
    When no trial passes, ``Θ`` is returned unchanged with ``accepted = False``: the objective
    never increases beyond round-off.
    """
    slope = jnp.vdot(grad, direction)
    grad_l1 = jnp.sum(jnp.abs(grad))
    rounding = 4 * jnp.finfo(objective.dtype).eps * jnp.abs(objective)

    def trial(t):
        new_coef = coef + t * direction
        new_objective, new_grad = problem.smooth_value_and_grad(new_coef)
        sufficient = new_objective <= objective + armijo * t * slope
        rounding_level = (new_objective <= objective + rounding) & (
            jnp.sum(jnp.abs(new_grad)) < grad_l1
        )
        ok = jnp.isfinite(new_objective) & (sufficient | rounding_level)
        return new_coef, new_objective, new_grad, ok

    def keep_halving(carry):
        k, _, _, _, _, ok = carry
        return (k < max_halvings) & ~ok

    def halve(carry):
        k, t, *_ = carry
        t = 0.5 * t
        return (k + 1, t, *trial(t))

    one = jnp.ones((), objective.dtype)
    carry = (jnp.zeros((), jnp.int32), one, *trial(one))
    _, _, new_coef, new_objective, new_grad, ok = jax.lax.while_loop(keep_halving, halve, carry)
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
    armijo: float = 1e-4,
) -> LineSearchResult:
    """Backtracking on the full objective ``F = f + P₁`` (smooth part plus L1 part).

    Takes the largest ``t ∈ {1, ½, ¼, …}`` with ``F(Θ + tD) ≤ F(Θ) + c·t·Δ``, where
    ``Δ = ∇fᵀD + P₁(Θ + D) − P₁(Θ)`` is negative for the direction of a proximal-Newton step
    (Tseng & Yun; Lee, Sun & Saunders). ``objective`` is ``F(Θ)``, ``grad`` is ``∇f(Θ)``.

    Near the optimum ``|Δ|`` falls below the resolution ``ρ = 64·ε·|F|`` of computed objective
    values and Armijo's test fails on rounding alone. There a trial is accepted when ``F`` does
    not change beyond ``ρ`` and the summed KKT residual shrinks; the objective reported is then
    ``min(F(Θ + tD), F(Θ))`` (equal to ``F(Θ + tD)`` within round-off), so that it never
    increases. When no trial passes, ``Θ`` is returned unchanged with ``accepted = False``.
    """
    penalty = problem.penalty
    decrease = jnp.vdot(grad, direction) + penalty.l1_value(coef + direction)
    decrease = decrease - penalty.l1_value(coef)
    residual = jnp.sum(penalty.kkt_residual(coef, grad))
    resolution = 64 * jnp.finfo(objective.dtype).eps * jnp.abs(objective)

    def trial(t):
        new_coef = coef + t * direction
        smooth, new_grad = problem.smooth_value_and_grad(new_coef)
        new_objective = smooth + penalty.l1_value(new_coef)
        sufficient = (decrease < 0) & (new_objective <= objective + armijo * t * decrease)
        rounding_level = (
            (-decrease <= resolution)
            & (new_objective <= objective + resolution)
            & (jnp.sum(penalty.kkt_residual(new_coef, new_grad)) < residual)
        )
        ok = jnp.isfinite(new_objective) & (sufficient | rounding_level)
        return new_coef, new_objective, new_grad, ok

    def keep_halving(carry):
        k, _, _, _, _, ok = carry
        return (k < max_halvings) & ~ok

    def halve(carry):
        k, t, *_ = carry
        t = 0.5 * t
        return (k + 1, t, *trial(t))

    one = jnp.ones((), objective.dtype)
    carry = (jnp.zeros((), jnp.int32), one, *trial(one))
    _, _, new_coef, new_objective, new_grad, ok = jax.lax.while_loop(keep_halving, halve, carry)
    return LineSearchResult(
        coef=jnp.where(ok, new_coef, coef),
        objective=jnp.where(ok, jnp.minimum(new_objective, objective), objective),
        grad=jnp.where(ok, new_grad, grad),
        accepted=ok,
    )
