"""Second-order solvers: damped Newton and IRLS (iteratively reweighted least squares).

Both build the exact Hessian ``H = Aᵀ R A + Λ`` of the smooth objective (``A`` the design with an
intercept column, ``R`` the loss curvature weighted by ``s̃``, ``Λ`` the ridge part of the penalty),
factor it by Cholesky and move along the resulting direction with a backtracking line search that
never increases the objective. They differ only in how the direction is written:

- Newton solves for the step: ``H δ = −∇F``;
- IRLS solves the weighted least-squares problem of the textbook recurrence for the next iterate,
  ``(AᵀRA + Λ) Θ⁺ = AᵀR z`` with working response ``z = AΘ + R⁻¹(t − μ)``, then steps toward
  ``Θ⁺``. ``R z`` is formed as ``R AΘ + (t − μ)``, which is the same number without dividing by a
  curvature that underflows to zero for confident predictions.

The two directions are algebraically equal; the tests check that the fits agree.

Softmax is over-parametrized: adding one vector to every class's coefficients leaves the
multinomial likelihood unchanged, so its Hessian is singular along ``1 ⊗ v``. Iterates are kept
class-centred (``Problem.center_classes``, which never increases the objective) and ``c·P``, with
``P = (11ᵀ/K) ⊗ I`` the projector onto that null space, is added before factoring
(``core.linalg.solve_positive_definite``). Gradients and right-hand sides are orthogonal to that
space, so this yields the exact minimum-norm Newton step. A tiny relative ridge guards against
collinear columns; should the factorization still fail, a stronger one is used, and a direction
that is not a descent direction is replaced by the negative gradient.
"""

from __future__ import annotations

import abc

import jax
import jax.numpy as jnp

from ..core.design import is_sparse
from ..core.linalg import mean_curvature, solve_positive_definite
from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
from ._linesearch import backtracking
from .auto import NEWTON_MAX_PARAMS

__all__ = ["IRLS", "Newton", "check_sparse_size", "solve_newton_system"]


def solve_newton_system(problem: Problem, H: jax.Array, rhs: jax.Array) -> jax.Array:
    """Solve ``H x = rhs`` for ``rhs`` of shape ``(K, d)`` (see the module docstring)."""
    K, d = rhs.shape
    shifts = jnp.ones(d, H.dtype) if problem.loss.shift_invariant else None
    x = solve_positive_definite(
        H, rhs.reshape(-1), scale=mean_curvature(jnp.diag(H)), shift_columns=shifts
    )
    return x.reshape(K, d)


def check_sparse_size(problem: Problem, solver: str) -> None:
    """Refuse a ``(K·d)²`` Hessian of a sparse ``X`` beyond ``NEWTON_MAX_PARAMS`` coefficients:
    its Gram matrix costs about ``n·r²`` for rows of ``r`` values and ``(K·d)²`` memory
    (``design.sparse_weighted_gram``)."""
    m = problem.n_outputs * problem.n_params_per_output
    if is_sparse(problem.X) and m > NEWTON_MAX_PARAMS:
        raise ValueError(
            f"solver {solver!r} builds a Hessian of {m}² entries, which a sparse X allows up to "
            f"{NEWTON_MAX_PARAMS} coefficients (K·(p + fit_intercept)); this problem has {m}. "
            "Use solver='lbfgs', 'newton-cg', 'cg' or 'gd' (smooth penalties), or 'cd' or "
            "'prox' (any penalty)"
        )


class _SecondOrder(Solver):
    """Template: Hessian, direction, descent safeguard, line search. ``name``: for messages."""

    name: str

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        check_sparse_size(problem, self.name)
        return initial_state(problem, problem.center_classes(coef))

    @abc.abstractmethod
    def direction(self, problem: Problem, state: SolverState, H: jax.Array) -> jax.Array:
        """Search direction ``D (K, d)`` from the current state and the Hessian ``H``."""

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        H = problem.smooth_hessian(state.coef)
        direction = self.direction(problem, state, H)
        is_descent = jnp.all(jnp.isfinite(direction)) & (jnp.vdot(state.grad, direction) < 0)
        direction = jnp.where(is_descent, direction, -state.grad)
        found = backtracking(problem, state.coef, state.objective, state.grad, direction)
        return state._replace(
            coef=found.coef,
            objective=found.objective,
            grad=found.grad,
            kkt_violation=problem.kkt_violation(found.coef, found.grad),
            stalled=~found.accepted,
        )


class Newton(_SecondOrder):
    """Damped Newton: ``δ = −H⁻¹∇F``, then a backtracking line search."""

    name = "newton"

    def direction(self, problem, state, H):
        return solve_newton_system(problem, H, -state.grad)


class IRLS(_SecondOrder):
    """Iteratively reweighted least squares: ``Θ⁺ = (AᵀRA + Λ)⁻¹ AᵀR z``, step toward ``Θ⁺``."""

    name = "irls"

    def direction(self, problem, state, H):
        Z = problem.linear_predictor(state.coef)
        mu = problem.loss.mean(Z)
        # R z = R·AΘ + (t − μ), weighted by s̃ (see the module docstring).
        weighted_response = problem.weights[:, None] * (
            problem.loss.curvature_matvec(Z, problem.without_offset(Z)) + problem.targets - mu
        )
        rhs = problem.design_rmatmul(weighted_response)  # (K, d) = Aᵀ(R z)
        return solve_newton_system(problem, H, rhs) - state.coef
