"""The one driver loop every iterative solver runs in, and the state solvers share.

A solver is an immutable object with ``init(problem, coef) -> state`` and
``step(problem, state) -> state``. ``iterative_solve`` runs ``step`` inside a single
``lax.while_loop`` until the largest violation of the optimality (KKT) conditions is at most
``tol``, the solver reports that it can no longer decrease the objective, or ``max_iter`` steps
are taken.
Under ``jax.vmap`` the loop runs until the slowest problem of the batch stops; the batching rule of
``while_loop`` freezes the state of problems that have already stopped, so every problem's result
equals the one of an unbatched solve.

Failures are data (``converged``, ``n_iter``, ``kkt_violation``), never exceptions: warnings are the
estimator layer's business, outside ``jit``.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem, Risk
from .stop import stop_reason

__all__ = ["Solution", "Solver", "SolverState", "iterative_solve"]


class SolverState(NamedTuple):
    """What every solver carries from one step to the next.

    Attributes:
        coef: current coefficients ``Θ``, ``(K, d)``.
        objective: ``F(Θ)``.
        grad: gradient of the smooth part of ``F`` at ``Θ``, ``(K, d)``.
        kkt_violation: largest KKT violation at ``Θ`` (``max |∇F|`` for smooth problems).
        n_iter: steps taken.
        stalled: ``True`` once a step could not decrease the objective any further.
        extra: solver-specific state (``None`` when there is none).
        tol: the KKT violation the loop stops at (set by ``iterative_solve``, else ``None``): a
            method with an inner solve need not solve it far beyond what the loop asks for.
    """

    coef: jax.Array
    objective: jax.Array
    grad: jax.Array
    kkt_violation: jax.Array
    n_iter: jax.Array
    stalled: jax.Array
    extra: Any = None
    tol: jax.Array | None = None


class Solution(NamedTuple):
    """The outcome of ``iterative_solve``: coefficients ``Θ (K, d)`` and diagnostics.

    ``stop_reason`` is the ``StopReason`` code of the loop (``solvers.stop``). ``history`` (only
    when asked for) holds ``F`` at the start and after every step,
    ``(max_iter + 1,)``, padded with NaN after the last step. ``carried`` is what the solver
    hands on to a warm start on a nearby problem (``Solver.carry``); ``risk`` is the risk and its
    gradient at ``coef`` (``Problem.Risk``), for a solve that starts there.
    """

    coef: jax.Array
    objective: jax.Array
    kkt_violation: jax.Array
    n_iter: jax.Array
    converged: jax.Array
    stop_reason: jax.Array
    history: jax.Array | None = None
    carried: Any = None
    risk: Risk | None = None


class Solver(abc.ABC):
    """An iterative method for ``min F(Θ)``; subclasses implement ``step``."""

    #: Whether the method handles an L1 part in the penalty (proximal or coordinate methods).
    supports_l1: ClassVar[bool] = False
    #: Whether the method keeps box constraints ``l ≤ Θ ≤ u`` (``ElasticNetPenalty`` bounds).
    supports_bounds: ClassVar[bool] = False

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        return initial_state(problem, coef)

    def carry(self, state: SolverState) -> Any:
        """What a warm start on a nearby problem (the next ``λ`` of a path) may reuse."""
        return None

    def resume(self, problem: Problem, coef: jax.Array, carried: Any) -> SolverState:
        """The state at ``coef`` given what ``carry`` handed on from a nearby problem."""
        return self.init(problem, coef)

    def restrict(self, carried: Any, full: Problem, index: jax.Array, valid: jax.Array) -> Any:
        """``carried`` of ``full`` -> that of its sub-problem on the columns ``index (c,)`` of
        ``full.X`` (``valid``: which of them are real, not padding; intercepts kept)."""
        return None

    def extend(
        self, carried: Any, sub: Any, full: Problem, index: jax.Array, valid: jax.Array
    ) -> Any:
        """Hand what the sub-problem's solve carried (``sub``) back to ``full``."""
        return carried

    def along_path(self) -> Solver:
        """This method for a sequence of warm-started problems (a path), where what ``carry``
        hands on serves many of them: a method whose choices weigh a cost that the problems
        can share returns a copy that chooses for a path; the others return themselves."""
        return self

    def batched(self, axis_names: tuple[str, ...]) -> Solver:
        """This method for problems batched by ``jax.vmap`` over the named axes.

        Under ``vmap`` a data-dependent ``lax.cond`` runs both branches for every member. A
        method whose branches are costly returns a copy that takes each such decision once for
        the whole batch (a collective over ``axis_names``); the others return themselves.
        """
        return self

    @abc.abstractmethod
    def step(self, problem: Problem, state: SolverState) -> SolverState:
        """One iteration; must never increase ``state.objective``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))


def initial_state(problem: Problem, coef: jax.Array, extra: Any = None) -> SolverState:
    """The common state at ``coef``: objective, smooth gradient and KKT violation there."""
    smooth, grad = problem.smooth_value_and_grad(coef)
    return SolverState(
        coef=coef,
        objective=smooth + problem.penalty.l1_value(coef),
        grad=grad,
        kkt_violation=problem.kkt_violation(coef, grad),
        n_iter=jnp.zeros((), jnp.int32),
        stalled=jnp.zeros((), bool),
        extra=extra,
    )


def iterative_solve(
    solver: Solver,
    problem: Problem,
    coef: jax.Array,
    *,
    max_iter: int,
    tol: jax.Array,
    history: bool = False,
    carried: Any = None,
    risk: Risk | None = None,
) -> Solution:
    """Run ``solver`` from ``coef`` until ``kkt_violation ≤ tol``, a stall, or ``max_iter`` steps.

    With ``history=True`` the objective after every step is recorded as well (a fixed-size
    buffer carried through the loop, so the shapes stay static). ``carried``: the
    ``Solution.carried`` of a solve of a nearby problem, to resume from. ``risk``: the risk and
    its gradient at ``coef``, known from an earlier evaluation (``Solution.risk`` of the last
    solve of a path): the starting state takes them instead of a pass over the data (the
    evaluation that ``init`` traced is then unused, and the compiler drops it). Multinomial
    intercepts come back centred (``Problem.center_intercepts``).
    """

    def keep_going(carry) -> jax.Array:
        state, _ = carry
        return (state.n_iter < max_iter) & (state.kkt_violation > tol) & ~state.stalled

    def step(carry):
        state, record = carry
        new = solver.step(problem, state)
        new = new._replace(n_iter=state.n_iter + 1)
        if record is not None:
            record = record.at[new.n_iter].set(new.objective)
        return new, record

    if carried is None:
        state = solver.init(problem, coef)
    else:
        state = solver.resume(problem, coef, carried)
    if risk is not None:
        state = _start_with(problem, state, risk)
    state = state._replace(tol=jnp.asarray(tol, state.objective.dtype))
    record = None
    if history:
        record = jnp.full(max_iter + 1, jnp.nan, state.objective.dtype).at[0].set(state.objective)
    state, record = jax.lax.while_loop(keep_going, step, (state, record))
    converged = state.kkt_violation <= tol
    return Solution(
        coef=problem.center_intercepts(state.coef),
        objective=state.objective,
        kkt_violation=state.kkt_violation,
        n_iter=state.n_iter,
        converged=converged,
        stop_reason=stop_reason(converged, state.stalled, state.objective, state.kkt_violation),
        history=record,
        carried=solver.carry(state),
        risk=problem.risk_given_objective(state.coef, state.objective, state.grad),
    )


def _start_with(problem: Problem, state: SolverState, risk: Risk) -> SolverState:
    """``state`` with its objective, gradient and KKT violation made from the known ``risk`` (valid
    at ``state.coef``: ``init`` may only shift multinomial coefficients, which leaves ``Z``)."""
    smooth, grad = problem.smooth_value_and_grad_given_risk(state.coef, risk)
    return state._replace(
        objective=smooth + problem.penalty.l1_value(state.coef),
        grad=grad,
        kkt_violation=problem.kkt_violation(state.coef, grad),
    )
