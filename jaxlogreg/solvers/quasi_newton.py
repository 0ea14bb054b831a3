"""Quasi-Newton solvers: dense BFGS and limited-memory BFGS.

Both build an approximation ``Hₖ ≈ ∇²F⁻¹`` from the secant pairs ``s = Θₖ₊₁ − Θₖ``,
``y = ∇Fₖ₊₁ − ∇Fₖ`` and step along ``−Hₖ∇F``:

- ``BFGS`` keeps the dense ``K·d × K·d`` inverse and updates it by
  ``H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ``, ``ρ = 1/sᵀy`` (skipped unless ``sᵀy > 0``, which keeps
  ``H`` positive definite), with the backtracking line search of ``_linesearch``;
- ``LBFGS`` keeps the last ``memory_size`` pairs and applies ``Hₖ`` by the two-loop recursion,
  with the same backtracking line search.

The multinomial null space needs no special care: iterates start class-centred, gradients are then
orthogonal to the shifts ``1 ⊗ v`` shared by every class, and so are ``s``, ``y``, ``H∇F``.

With box constraints ``l ≤ Θ ≤ u`` (``ElasticNetPenalty.lower``/``upper``, smooth penalties only)
``LBFGS`` is a projected quasi-Newton method (Bertsekas' two-metric projection, with the
subspace L-BFGS of Kim, Sra & Dhillon 2010): coordinates held at a bound, those with
``Θᵢ = lᵢ, gᵢ > 0`` or ``Θᵢ = uᵢ, gᵢ < 0`` (and those the direction would push out), do not
move; the others step along ``−H_F g_F``, ``H_F`` the two-loop recursion on the pairs restricted
to them; the line search backtracks along the projected arc ``P(Θ + tD)`` with Armijo's test on
``∇Fᵀ(P(Θ + tD) − Θ)``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
from ._linesearch import LineSearchResult, halving_search, smooth_step_accepted
from .curvature import directional_curvature, lipschitz_bound
from .first_order import advance, descend

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
        coef = problem.center_classes(coef)
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


class _LBFGSMemory(NamedTuple):
    s: jax.Array  # (m, K·d) steps, a circular buffer
    y: jax.Array  # (m, K·d) gradient changes
    rho: jax.Array  # (m,) 1/sᵀy, 0 for an empty slot
    count: jax.Array  # pairs stored so far; the newest is at (count − 1) mod m
    scale: jax.Array  # γ of H₀ = γI


def _restricted(memory: _LBFGSMemory, free: jax.Array) -> _LBFGSMemory:
    """The pairs restricted to the ``free`` coordinates (a flat 0/1 mask): ``s_F``, ``y_F`` and
    ``ρ = 1/s_Fᵀy_F``, a pair dropped (``ρ = 0``) unless ``s_Fᵀy_F > ε‖s_F‖‖y_F‖``."""
    s, y = memory.s * free, memory.y * free
    sy = jnp.sum(s * y, axis=1)
    size = jnp.linalg.norm(s, axis=1) * jnp.linalg.norm(y, axis=1)
    valid = (memory.rho != 0) & (sy > jnp.finfo(sy.dtype).eps * size)
    return memory._replace(s=s, y=y, rho=jnp.where(valid, 1.0 / jnp.where(valid, sy, 1.0), 0.0))


def _two_loop(memory: _LBFGSMemory, g: jax.Array) -> jax.Array:
    """``H g`` by the two-loop recursion (Nocedal & Wright, Algorithm 7.4); empty slots add 0."""
    m = memory.rho.shape[0]

    def newest_first(i, carry):
        q, alpha = carry
        j = (memory.count - 1 - i) % m
        a = memory.rho[j] * jnp.vdot(memory.s[j], q)
        return q - a * memory.y[j], alpha.at[j].set(a)

    q, alpha = jax.lax.fori_loop(0, m, newest_first, (g, jnp.zeros_like(memory.rho)))

    def oldest_first(i, r):
        j = (memory.count + i) % m
        b = memory.rho[j] * jnp.vdot(memory.y[j], r)
        return r + (alpha[j] - b) * memory.s[j]

    return jax.lax.fori_loop(0, m, oldest_first, memory.scale * q)


class LBFGS(Solver):
    """Limited-memory BFGS with a backtracking (Armijo) line search.

    The direction is ``−H∇F`` with ``H`` the L-BFGS inverse-Hessian approximation of the last
    ``memory_size`` secant pairs and ``H₀ = γI``, ``γ = sᵀy/yᵀy`` of the newest pair (Nocedal &
    Wright, eq. 7.20). Before the first pair ``γ = ‖∇F‖²/∇Fᵀ∇²F∇F``, the exact minimizing step
    along ``−∇F`` for the quadratic model (one Hessian-vector product, like a gradient). The line
    search tries the unit step first: most iterations cost one ``value_and_grad``, also under
    ``jax.vmap`` (no branch is evaluated both ways). A pair is stored only when
    ``sᵀy > ε‖s‖‖y‖`` (keeps ``H`` positive definite); a failed line search clears the memory
    and the next step is a scaled gradient step; the method stalls only when that fails too.

    Args:
        memory_size: number of secant pairs kept.
    """

    supports_bounds = True

    def __init__(self, memory_size: int = 10):
        self.memory_size = int(memory_size)

    def __repr__(self) -> str:
        return f"LBFGS(memory_size={self.memory_size})"

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        bounded = problem.penalty.bounded  # a start outside the bounds: its projection
        coef = problem.penalty.clip(coef) if bounded else problem.center_classes(coef)
        state = initial_state(problem, coef)
        g = jnp.where(_held(problem.penalty, coef, state.grad), 0.0, state.grad)
        curvature = directional_curvature(problem, coef, g)
        gg = jnp.vdot(g, g)
        scale = jnp.where(curvature > 0, gg / jnp.where(curvature > 0, curvature, 1.0), 1.0)
        zeros = jnp.zeros((self.memory_size, coef.size), coef.dtype)
        memory = _LBFGSMemory(
            s=zeros,
            y=zeros,
            rho=jnp.zeros(self.memory_size, coef.dtype),
            count=jnp.zeros((), jnp.int32),
            scale=scale,
        )
        return state._replace(extra=memory)

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        memory = state.extra
        if problem.penalty.bounded:
            found = _projected_search(problem, state, memory)
        else:
            direction = -_two_loop(memory, state.grad.reshape(-1))
            found = descend(problem, state, direction.reshape(state.coef.shape))
        return self._update(problem, state, found)

    def _update(self, problem: Problem, state: SolverState, found: LineSearchResult):
        """The state at the point found, with the new pair stored (see the class docstring)."""
        memory = state.extra
        s = (found.coef - state.coef).reshape(-1)
        y = (found.grad - state.grad).reshape(-1)
        sy, yy = jnp.vdot(s, y), jnp.vdot(y, y)
        eps = jnp.finfo(sy.dtype).eps
        valid = found.accepted & (sy > eps * jnp.linalg.norm(s) * jnp.sqrt(yy))
        slot = memory.count % self.memory_size
        stored = _LBFGSMemory(
            s=memory.s.at[slot].set(s),
            y=memory.y.at[slot].set(y),
            rho=memory.rho.at[slot].set(1.0 / jnp.where(valid, sy, 1.0)),
            count=memory.count + 1,
            scale=sy / jnp.where(valid, yy, 1.0),
        )
        cleared = memory._replace(
            rho=jnp.zeros_like(memory.rho), count=jnp.zeros_like(memory.count)
        )
        # Store a valid pair; keep the memory after an accepted step with sᵀy ≤ 0; clear it
        # after a failed line search.
        kept = jax.tree_util.tree_map(lambda a, b: jnp.where(found.accepted, a, b), memory, cleared)
        new_memory = jax.tree_util.tree_map(lambda a, b: jnp.where(valid, a, b), stored, kept)
        stalled = ~found.accepted & (memory.count == 0)
        return advance(problem, state, found, stalled=stalled, extra=new_memory)


def _held(penalty, coef: jax.Array, direction: jax.Array) -> jax.Array:
    """Coordinates on a bound that a step along ``−direction`` would push out:
    ``Θᵢ = lᵢ`` with ``directionᵢ > 0``, ``Θᵢ = uᵢ`` with ``directionᵢ < 0``."""
    held = jnp.zeros(coef.shape, bool)
    if penalty.lower is not None:
        held = held | ((coef <= penalty.lower) & (direction > 0))
    if penalty.upper is not None:
        held = held | ((coef >= penalty.upper) & (direction < 0))
    return held


def _free_direction(memory: _LBFGSMemory, g: jax.Array, held: jax.Array) -> jax.Array:
    """``−H_F g_F`` on the coordinates not ``held`` (zero on the held ones), the L-BFGS
    recursion on the pairs restricted to the free coordinates; ``−γ g_F`` when that is not a
    descent direction."""
    free = (~held).reshape(-1).astype(g.dtype)
    g_free = g.reshape(-1) * free
    direction = -_two_loop(_restricted(memory, free), g_free) * free
    descent = jnp.all(jnp.isfinite(direction)) & (jnp.vdot(g_free, direction) < 0)
    return jnp.where(descent, direction, -memory.scale * g_free).reshape(g.shape)


def _projected_search(problem: Problem, state: SolverState, memory) -> LineSearchResult:
    """Backtracking along the projected arc ``P(Θ + tD)``, ``t ∈ {1, ½, …}``, from the
    two-metric direction ``D`` (module docstring): the trial passes ``smooth_step_accepted``
    with the slope ``∇Fᵀ(P(Θ + tD) − Θ)`` and the squared KKT residual ``‖r‖²`` as its progress
    measure (at the rounding level of ``F``: it shrinks along a short projected gradient step,
    ``−2γ g_Fᵀ H g_F < 0``, where ``‖r‖₁`` need not). A step accepted at the rounding level
    reports ``min(F(Θ⁺), F(Θ))``, so the objective never increases; when no trial passes,
    ``Θ`` is kept and ``accepted`` is false."""
    penalty, coef, g = problem.penalty, state.coef, state.grad
    held = _held(penalty, coef, g)
    # A coordinate on its bound that the first direction pushes out is held too.
    held = held | _held(penalty, coef, -_free_direction(memory, g, held))
    direction = _free_direction(memory, g, held)
    residual = jnp.sum(jnp.square(penalty.kkt_residual(coef, g)))
    eps = jnp.finfo(state.objective.dtype).eps

    def trial(t):
        new_coef = penalty.clip(coef + t * direction)
        new_objective, new_grad = problem.smooth_value_and_grad(new_coef)
        new_residual = jnp.sum(jnp.square(penalty.kkt_residual(new_coef, new_grad)))
        slope = jnp.vdot(g, new_coef - coef)
        accepted = smooth_step_accepted(
            state.objective, new_objective, 1.0, slope, residual, new_residual, eps=eps
        )
        return (new_coef, new_objective, new_grad), accepted

    one = jnp.ones((), state.objective.dtype)
    _, (new_coef, new_objective, new_grad), ok = halving_search(trial, one, 40)
    return LineSearchResult(
        coef=jnp.where(ok, new_coef, coef),
        objective=jnp.where(ok, jnp.minimum(new_objective, state.objective), state.objective),
        grad=jnp.where(ok, new_grad, g),
        accepted=ok,
    )
