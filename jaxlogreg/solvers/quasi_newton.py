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
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
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

    def __init__(self, memory_size: int = 10):
        self.memory_size = int(memory_size)

    def __repr__(self) -> str:
        return f"LBFGS(memory_size={self.memory_size})"

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = problem.center_classes(coef)
        state = initial_state(problem, coef)
        g = state.grad
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
        g = state.grad.reshape(-1)
        direction = -_two_loop(memory, g)
        found = descend(problem, state, direction.reshape(state.coef.shape))

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
