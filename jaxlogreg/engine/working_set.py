"""Working sets for L1 paths: solve on the columns that can be nonzero, then check the rest.

Along an L1 path most columns are zero at most ``λ``: solving on all ``p`` columns wastes
passes over data that cannot enter the model. The sequential strong rule (Tibshirani et al.,
2012) predicts which columns stay zero at ``λ_k``: column ``j``, zero at ``λ_{k−1}``, is left out
when::

    maxₖ |∇ₖⱼ R(Θ̂(λ_{k−1}))| < α (2λ_k − λ_{k−1}) ϖⱼ,       R = the risk (loss part of F).

The solver then runs on the working set ``W`` (the other columns) gathered into a narrower
design ``X_W (n, c)``: every pass over the data, and a Gram-form Hessian, costs ``c/p`` and
``(c/p)²`` of the full one. Shapes are static under ``jit``, so ``c`` is the smallest of a
ladder of capacities (16, 128, 1024, …, ``p``: ``CAPACITY_GROWTH`` times wider each) that holds
``|W|``; each capacity is one branch of a ``lax.switch``, padding columns are zero and their
coefficients stay zero. The widest branch (``c = p``) solves on ``X`` itself: copying every
column would only reorder it. Every branch is a solver of its own in the compiled program, so
the ladder is short: on the 50-λ lasso path of 100,000 × 100 (W3), the capacities 16, 32, 64,
100 took 10.5–12.3 s of CPU time to compile and run once, 16, 100 6.6–6.9 s, and warm paths ran
as fast (1.6–1.9 s of CPU time for both, against 2.5 s without working sets; a busy 2-core
machine).

The columns are gathered from ``Xᵀ`` held in memory (``Problem.X_T``, one copy of ``X`` per
path): there each column is one contiguous row, where gathering the columns of a row-major ``X``
reads all of it (on a CPU, 0.3 ms against 2–4 ms for 16 columns of 100,000 × 100). The rows
gathered are the sub-problem's own ``X_T``, and its ``X`` only a transposed view of them: no
``(n, c)`` copy is laid out (that transposition took 2–19 ms per gather).

The rule is a heuristic; the KKT conditions make the result exact. Left-out coefficients are
zero, so the objective on ``X_W`` equals the full one, and the full gradient at the result (one
pass over ``X``) gives each left-out column's KKT violation ``|∇ⱼF| − λαϖⱼ``. Columns above
``tol`` join the working set and the solve repeats from there, until none violates.

Under ``jax.vmap`` a ``lax.switch`` with a batched index runs every branch, so batched paths
(cross-validation folds) do better without working sets.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ..core.design import is_sparse
from ..core.problem import Problem, Risk
from ..solvers import Solver, iterative_solve
from ..solvers._driver import Solution
from ..solvers.stop import StopReason, stop_reason

__all__ = ["Screening", "capacities", "strong_rule_keep", "working_set_solve"]

#: Smallest working-set capacity; capacities grow ``CAPACITY_GROWTH``-fold from here up to ``p``.
MIN_CAPACITY = 16
CAPACITY_GROWTH = 8


class Screening(NamedTuple):
    """What screening did at a ``λ`` of a path (a leading ``L`` axis along it).

    ``n_discarded``: columns the strong rule left out (``0`` without screening);
    ``kkt_violated``: whether a left-out column violated the KKT conditions and joined the
    working set (the solve then continued on the larger set).
    """

    n_discarded: jax.Array
    kkt_violated: jax.Array


def capacities(p: int) -> tuple[int, ...]:
    """The static ladder of working-set widths: ``16, 128, …`` below ``p``, then ``p``."""
    ladder, c = [], MIN_CAPACITY
    while c < p:
        ladder.append(c)
        c *= CAPACITY_GROWTH
    return (*ladder, p)


def strong_rule_keep(coef, risk_grad, lam, lam_prev, l1_ratio, penalty_factor) -> jax.Array:
    """``(p,)`` mask of the columns the sequential strong rule keeps at ``lam``."""
    p = penalty_factor.shape[0]
    threshold = l1_ratio * (2.0 * lam - lam_prev) * penalty_factor
    score = jnp.max(jnp.abs(risk_grad[:, :p]), axis=0)
    return (score >= threshold) | jnp.any(coef[:, :p] != 0, axis=0)


def _columns(values: jax.Array, order: jax.Array, valid: jax.Array, fit_intercept: bool):
    """``(K, d)`` coefficients (or gradients) of the full problem -> those of the sub-problem on
    the columns ``order``: padding columns zero, the intercepts kept."""
    sub = jnp.where(valid, values[:, order], 0.0)
    if fit_intercept:
        sub = jnp.concatenate([sub, values[:, values.shape[1] - 1 :]], axis=1)
    return sub


def _sub_problem(full: Problem, keep: jax.Array, c: int) -> tuple[Problem, jax.Array, jax.Array]:
    """The sub-problem of ``full`` on the working set ``keep (p,)`` at capacity ``c``, with its
    columns ``order (c,)`` of ``X`` (kept columns first) and ``valid (c,)`` (not padding)."""
    p = full.X.shape[1]
    if c == p:  # every column: the full design as it is, no copy
        order, valid = jnp.arange(p), jnp.ones(p, bool)
        X_W, X_W_T = full.X, full.X_T
    else:
        X_T = full.X.T if full.X_T is None else full.X_T
        order = jnp.argsort(~keep, stable=True)[:c]  # kept columns first
        valid = jnp.arange(c) < jnp.sum(keep)
        X_W_T = jnp.where(valid[:, None], X_T[order], 0.0)
        X_W = X_W_T.T  # a view: the sub-problem's products read X_W_T
    factors = full.penalty.factors
    sub_factors = jnp.where(valid, factors[order], 1.0)
    if full.fit_intercept:
        sub_factors = jnp.concatenate([sub_factors, factors[p:]])
    sub = Problem(
        X=X_W,
        targets=full.targets,
        weights=full.weights,
        penalty=full.penalty._replace(factors=sub_factors),
        loss=full.loss,
        fit_intercept=full.fit_intercept,
        X_T=X_W_T,
    )
    return sub, order, valid


class _SubSolve(NamedTuple):
    """A solve on a working set, told in the full problem's terms: ``coef (K, d)`` (left-out
    columns zero), the full problem's risk there, and the solve's diagnostics."""

    coef: jax.Array
    risk: Risk
    objective: jax.Array
    n_iter: jax.Array
    stop_reason: jax.Array
    carried: Any


def _solve_at_capacity(c: int, method: Solver, full: Problem, *, max_iter: int, tol: jax.Array):
    """The ``lax.switch`` branch that solves ``full`` on a working set of capacity ``c``:
    ``(coef, keep, risk, carried) -> _SubSolve``."""
    p = full.X.shape[1]

    def branch(operands) -> _SubSolve:
        coef, keep, risk, carried = operands
        sub, order, valid = _sub_problem(full, keep, c)
        columns = partial(_columns, order=order, valid=valid, fit_intercept=full.fit_intercept)
        solution = iterative_solve(
            method,
            sub,
            columns(coef),
            max_iter=max_iter,
            tol=tol,
            carried=method.restrict(carried, full, order, valid),
            risk=Risk(risk.value, columns(risk.grad)),
        )
        carried = method.extend(carried, solution.carried, full, order, valid)
        # Padding columns carry zero coefficients, so scattering them back is harmless.
        back = jnp.zeros_like(coef).at[:, order].set(solution.coef[:, :c])
        if full.fit_intercept:
            back = back.at[:, p:].set(solution.coef[:, c:])
        # Z = X_W Θ_Wᵀ + b equals X Θᵀ + b (left-out coefficients are zero): the only pass
        # over the full X is the gradient's (∂R/∂Z)ᵀ X.
        risk = full.risk_and_grad_given_Z(sub.linear_predictor(solution.coef))
        return _SubSolve(
            back, risk, solution.objective, solution.n_iter, solution.stop_reason, carried
        )

    return branch


class _Growth(NamedTuple):
    """The state of the working-set loop: the last solve (on the full problem's columns), the
    working set it ran on, and whether a left-out column violated the KKT conditions."""

    coef: jax.Array
    keep: jax.Array
    risk: Risk
    objective: jax.Array
    kkt_violation: jax.Array  # of the full problem
    n_iter: jax.Array  # all solves together
    stop_reason: jax.Array  # the last solve's
    unsettled: jax.Array  # a left-out column violated the KKT conditions: solve again
    violated: jax.Array  # one ever did
    carried: Any


def working_set_solve(
    method: Solver,
    full: Problem,
    coef: jax.Array,
    keep: jax.Array,
    *,
    max_iter: int,
    tol: jax.Array,
    risk: Risk,
    carried=None,
) -> tuple[Solution, jax.Array]:
    """Solve ``full`` from ``coef`` on the working set ``keep (p,)``, grown until KKT holds.

    ``risk`` is the risk and its gradient at ``coef`` (``Problem.Risk``). ``full`` should hold
    ``X_T`` (see the module docstring); without it the columns are gathered from ``X`` itself.
    Returns the solution on the full problem (its ``carried``: what ``method`` hands on to the
    next problem, from ``carried`` through the sub-problems; its ``risk``: the full problem's,
    at the solution; its ``stop_reason``: converged on the full problem, else why the last
    solve stopped) and whether any left-out column violated the KKT conditions (and joined
    the working set).
    """
    if is_sparse(full.X):
        raise ValueError("working sets gather columns of a dense X; solve a sparse X without them")
    p = full.X.shape[1]
    ladder = capacities(p)
    branches = [_solve_at_capacity(c, method, full, max_iter=max_iter, tol=tol) for c in ladder]
    sizes = jnp.asarray(ladder)

    def grow(state: _Growth) -> _Growth:
        which = jnp.searchsorted(sizes, jnp.sum(state.keep))
        solved = jax.lax.switch(
            which, branches, (state.coef, state.keep, state.risk, state.carried)
        )
        _, grad = full.smooth_value_and_grad_given_risk(solved.coef, solved.risk)
        kkt = full.penalty.kkt_residual(solved.coef, grad)  # (K, d)
        violated = ~state.keep & jnp.any(kkt[:, :p] > tol, axis=0)
        more = jnp.any(violated)
        return _Growth(
            coef=solved.coef,
            keep=state.keep | violated,
            risk=solved.risk,
            objective=solved.objective,
            kkt_violation=jnp.max(kkt),
            n_iter=state.n_iter + solved.n_iter,
            stop_reason=solved.stop_reason,
            unsettled=more,
            violated=state.violated | more,
            carried=solved.carried,
        )

    zero = jnp.zeros((), coef.dtype)
    none = jnp.zeros((), jnp.int32)
    yes, no = jnp.ones((), bool), jnp.zeros((), bool)
    start = _Growth(coef, keep, risk, zero, zero, none, none, yes, no, carried)
    end = jax.lax.while_loop(lambda state: state.unsettled, grow, start)
    converged = end.kkt_violation <= tol
    stalled = end.stop_reason == StopReason.STALLED
    solution = Solution(
        coef=end.coef,
        objective=end.objective,
        kkt_violation=end.kkt_violation,
        n_iter=end.n_iter,
        converged=converged,
        stop_reason=stop_reason(converged, stalled, end.objective, end.kkt_violation),
        carried=end.carried,
        risk=end.risk,
    )
    return solution, end.violated
