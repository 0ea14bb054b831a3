"""Working sets for L1 fits: solve on the columns that can be nonzero, then check the rest.

With an L1 part most columns are zero at the solution: solving on all ``p`` columns wastes
passes over data that cannot enter the model. A working-set solve runs the solver on a set ``W``
of columns gathered into a narrower design ``X_W (n, c)``, where every pass over the data, and a
Gram-form Hessian, costs ``c/p`` and ``(c/p)²`` of the full one; then it checks the KKT
conditions of the full problem and grows ``W`` until they hold. Two rules choose ``W``, over one
growth loop (``_grow_until_kkt``) and one sub-problem code:

- Paths (``working_set_solve``): the sequential strong rule (Tibshirani et al., 2012) predicts
  which columns stay zero at ``λ_k``: column ``j``, zero at ``λ_{k−1}``, is left out when::

      maxₖ |∇ₖⱼ R(Θ̂(λ_{k−1}))| < α (2λ_k − λ_{k−1}) ϖⱼ,       R = the risk (loss part of F).

  Each sub-problem is solved to ``tol``; columns whose KKT violation exceeds ``tol`` join
  ``W`` and the solve repeats, until none violates.
- Single fits (``ranked_working_set_solve``, after skglm, Bertrand et al. 2022): from one full
  gradient, ``W`` holds the support (columns with a nonzero coefficient) and the columns of the
  largest KKT violations ``maxₖ (|∇ₖⱼ F| − λαϖⱼ)₊``, ``max(16, 2·|support|)`` of them rounded
  up to the capacity that holds them (wider sets cost no more; on a sparse ``X``, whose sweeps
  cost what the set holds, not rounded). Each sub-problem is solved to
  ``0.3×`` the full problem's violation, so that early sets are solved roughly; the loop stops
  when the full problem's KKT conditions hold at ``tol``.

Shapes are static under ``jit``, so ``c`` is the smallest of a ladder of capacities (16, 128,
1024, …, ``p``: ``CAPACITY_GROWTH`` times wider each) that holds ``|W|``; each capacity is one
branch of a ``lax.switch``, padding columns are zero and their coefficients stay zero. The widest
branch (``c = p``) solves on ``X`` itself: copying every column would only reorder it. Every
branch is a solver of its own in the compiled program, so the ladder is short (W3's 50-λ
lasso path, 100,000 × 100: capacities 16, 32, 64, 100 took 10.5–12.3 s of CPU time to compile
and run once, 16, 100 6.6–6.9 s; warm, both ran in 1.6–1.9 s, 2.5 s without working sets).

For a dense ``X`` the columns are gathered into a dense ``X_W_T (c, n)`` from ``Xᵀ`` held in
memory; a sparse ``X`` is solved on as it is, its left-out columns pinned at zero, and its
ladder is ``p`` alone (``engine.working_columns``). The full problem's gradients and KKT checks
stay products with ``X`` itself, sparse or dense.

Left-out coefficients are zero, so the objective on ``X_W`` equals the full one, and the full
gradient at the result (one pass over ``X``) gives each left-out column's KKT violation
``|∇ⱼF| − λαϖⱼ``: the result is exact whatever the rule chose.

Under ``jax.vmap`` a ``lax.switch`` with a batched index runs every branch, so batched fits and
paths (cross-validation folds) do better without working sets.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ..core.problem import Problem, Risk
from ..solvers import Solver, iterative_solve
from ..solvers._driver import Solution
from ..solvers.stop import StopReason, stop_reason
from .working_columns import MIN_CAPACITY, capacities, design_capacities, sub_columns, sub_problem

__all__ = [
    "Screening",
    "capacities",
    "ranked_keep",
    "ranked_working_set_solve",
    "strong_rule_keep",
    "working_set_solve",
]

#: Single fits: each sub-problem is solved to this fraction of the full problem's KKT violation.
INNER_TOL_FRACTION = 0.3
#: Single fits: most working sets solved (each after one full gradient).
MAX_ROUNDS = 50


class Screening(NamedTuple):
    """What the working sets did in a fit, or at each ``λ`` of a path (a leading ``L`` axis).

    ``n_discarded``: columns outside the last working set (``0`` without working sets);
    ``kkt_violated``: whether a left-out column violated the KKT conditions and joined the
    working set (the solve then continued on the larger set); ``n_full_passes``: products with
    the whole ``X`` (``X Wᵀ`` or ``Rᵀ X``) of the working-set loop, its start and KKT checks
    (the solver's own passes on a working set as wide as ``X`` are not counted).
    """

    n_discarded: jax.Array
    kkt_violated: jax.Array
    n_full_passes: jax.Array


def strong_rule_keep(
    coef, risk_grad, lam, lam_prev, l1_ratio, penalty_factor, grouped: bool = False
) -> jax.Array:
    """``(p,)`` mask of the columns the sequential strong rule keeps at ``lam``: score
    ``maxₖ |∇ₖⱼ|``, or the column norm ``‖∇₍:,ⱼ₎‖₂`` for the ``grouped`` L1 part. Under box
    constraints the rule is kept as it is: it may keep a column that can only move infeasibly
    (a wider set, no error), and the KKT check on the projected residual stays exact."""
    p = penalty_factor.shape[0]
    threshold = l1_ratio * (2.0 * lam - lam_prev) * penalty_factor
    gradient = risk_grad[:, :p]
    score = jnp.linalg.norm(gradient, axis=0) if grouped else jnp.max(jnp.abs(gradient), axis=0)
    return (score >= threshold) | jnp.any(coef[:, :p] != 0, axis=0)


def ranked_keep(coef: jax.Array, column_violation: jax.Array, ladder) -> jax.Array:
    """``(p,)`` mask of a single fit's working set: the support, then the columns of the largest
    KKT violations ``column_violation (p,)``, ``max(16, 2·|support|)`` rounded up to a capacity
    of ``ladder``; with a ladder of ``p`` alone (a sparse ``X``, whose sweeps cost what the set
    holds), not rounded."""
    p = column_violation.shape[0]
    support = jnp.any(coef[:, :p] != 0, axis=0)
    size = jnp.maximum(MIN_CAPACITY, 2 * jnp.sum(support))
    sizes = jnp.asarray(ladder)
    capacity = sizes[jnp.minimum(jnp.searchsorted(sizes, size), len(ladder) - 1)]
    capacity = size if len(ladder) == 1 else capacity
    score = jnp.where(support, jnp.inf, column_violation)
    rank = jnp.zeros(p, jnp.int32).at[jnp.argsort(-score)].set(jnp.arange(p, dtype=jnp.int32))
    return rank < capacity


class _SubSolve(NamedTuple):
    """A solve on a working set, told in the full problem's terms: ``coef (K, d)`` (left-out
    columns zero), the full problem's linear predictor and risk there, and the solve's
    diagnostics."""

    coef: jax.Array
    predictor: jax.Array
    risk: Risk
    objective: jax.Array
    n_iter: jax.Array
    stop_reason: jax.Array
    carried: Any


def _solve_at_capacity(c: int, method: Solver, full: Problem, *, max_iter: int):
    """The ``lax.switch`` branch that solves ``full`` on a working set of capacity ``c``:
    ``(coef, keep, risk, carried, tol) -> _SubSolve``."""
    p = full.X.shape[1]

    def branch(operands) -> _SubSolve:
        coef, keep, risk, carried, tol = operands
        sub, order, valid = sub_problem(full, keep, c)
        columns = partial(sub_columns, order=order, valid=valid, fit_intercept=full.fit_intercept)
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
        Z = sub.linear_predictor(solution.coef)
        risk = full.risk_and_grad_given_Z(Z)
        return _SubSolve(
            back, Z, risk, solution.objective, solution.n_iter, solution.stop_reason, carried
        )

    return branch


class _Rule(NamedTuple):
    """How the growth loop picks the next working set, ``next_keep(keep, coef, column_violation
    (p,), tol)``, the tolerance of its solve, ``inner_tol(violation, tol)``, and when it stops,
    ``settled(keep, new_keep, violation, tol)``."""

    next_keep: Callable
    inner_tol: Callable
    settled: Callable


def _strong_rule_growth() -> _Rule:
    """Paths: add the violators, solve each set to ``tol``, stop when no left-out column
    violates."""
    return _Rule(
        next_keep=lambda keep, coef, column_violation, tol: keep | (column_violation > tol),
        inner_tol=lambda violation, tol: tol,
        settled=lambda keep, new_keep, violation, tol: ~jnp.any(new_keep & ~keep),
    )


def _ranked_growth(ladder) -> _Rule:
    """Single fits: rank by violation (``ranked_keep``), solve each set to a fraction of the
    full violation, stop when the full problem's KKT conditions hold."""
    return _Rule(
        next_keep=lambda keep, coef, column_violation, tol: ranked_keep(
            coef, column_violation, ladder
        ),
        inner_tol=lambda violation, tol: INNER_TOL_FRACTION * violation,
        settled=lambda keep, new_keep, violation, tol: violation <= tol,
    )


class _Growth(NamedTuple):
    """The state of the working-set loop: the last solve (on the full problem's columns), the
    working set the next solve runs on, and whether to solve again."""

    coef: jax.Array
    keep: jax.Array
    predictor: jax.Array
    risk: Risk
    objective: jax.Array
    kkt_violation: jax.Array  # of the full problem
    n_iter: jax.Array  # all solves together
    n_rounds: jax.Array  # solves, each followed by one full gradient
    stalled: jax.Array  # the last solve stalled
    unsettled: jax.Array  # solve again
    violated: jax.Array  # a left-out column violated the KKT conditions, once or more
    carried: Any


def _grow_until_kkt(
    method: Solver, full: Problem, start: _Growth, rule: _Rule, *, max_iter: int, tol, budgeted
) -> _Growth:
    """The one growth loop: solve on ``keep`` at the capacity that holds it, check the full
    problem's KKT conditions (one full gradient), pick the next set by ``rule``. ``budgeted``:
    also stop after ``max_iter`` iterations in all, ``MAX_ROUNDS`` solves, or a stalled solve
    that left the working set as it was."""
    p = full.X.shape[1]
    ladder = design_capacities(full.X)
    branches = [_solve_at_capacity(c, method, full, max_iter=max_iter) for c in ladder]
    sizes = jnp.asarray(ladder)

    def grow(state: _Growth) -> _Growth:
        which = jnp.searchsorted(sizes, jnp.sum(state.keep))
        inner_tol = rule.inner_tol(state.kkt_violation, tol)
        operands = (state.coef, state.keep, state.risk, state.carried, inner_tol)
        solved = jax.lax.switch(which, branches, operands)
        _, grad = full.smooth_value_and_grad_given_risk(solved.coef, solved.risk)
        kkt = full.penalty.kkt_residual(solved.coef, grad)  # (K, d)
        column_violation = jnp.max(kkt[:, :p], axis=0)
        keep = rule.next_keep(state.keep, solved.coef, column_violation, tol)
        violation = jnp.max(kkt)
        grown = jnp.any(keep & ~state.keep)
        stalled = solved.stop_reason == StopReason.STALLED
        unsettled = ~rule.settled(state.keep, keep, violation, tol)
        n_iter, n_rounds = state.n_iter + solved.n_iter, state.n_rounds + 1
        if budgeted:
            within = (n_iter < max_iter) & (n_rounds < MAX_ROUNDS) & (grown | ~stalled)
            unsettled &= within
        return _Growth(
            coef=solved.coef,
            keep=keep,
            predictor=solved.predictor,
            risk=solved.risk,
            objective=solved.objective,
            kkt_violation=violation,
            n_iter=n_iter,
            n_rounds=n_rounds,
            stalled=stalled,
            unsettled=unsettled,
            violated=state.violated | jnp.any(~state.keep & (column_violation > tol)),
            carried=solved.carried,
        )

    return jax.lax.while_loop(lambda state: state.unsettled, grow, start)


def _start(full: Problem, coef, keep, predictor, risk, unsettled, carried) -> _Growth:
    """The loop's state at ``coef``, before any solve (no pass over ``X``: ``risk`` is known)."""
    smooth, grad = full.smooth_value_and_grad_given_risk(coef, risk)
    none = jnp.zeros((), jnp.int32)
    return _Growth(
        coef=coef,
        keep=keep,
        predictor=predictor,
        risk=risk,
        objective=smooth + full.penalty.l1_value(coef),
        kkt_violation=full.kkt_violation(coef, grad),
        n_iter=none,
        n_rounds=none,
        stalled=jnp.zeros((), bool),
        unsettled=unsettled,
        violated=jnp.zeros((), bool),
        carried=carried,
    )


def _solution(end: _Growth, tol) -> Solution:
    """The loop's end as a ``Solution`` of the full problem."""
    converged = end.kkt_violation <= tol
    return Solution(
        coef=end.coef,
        objective=end.objective,
        kkt_violation=end.kkt_violation,
        n_iter=end.n_iter,
        converged=converged,
        stop_reason=stop_reason(converged, end.stalled, end.objective, end.kkt_violation),
        carried=end.carried,
        risk=end.risk,
    )


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
) -> tuple[Solution, Screening]:
    """Solve ``full`` from ``coef`` on the working set ``keep (p,)`` (the strong rule's, on a
    path), grown by the KKT violators until none is left out.

    ``risk`` is the risk and its gradient at ``coef`` (``Problem.Risk``). A dense ``full``
    should hold ``X_T`` (see the module docstring); without it the columns are gathered from
    ``X`` itself.
    Returns the solution on the full problem (its ``carried``: what ``method`` hands on to the
    next problem, from ``carried`` through the sub-problems; its ``risk``: the full problem's,
    at the solution; its ``stop_reason``: converged on the full problem, else why the last
    solve stopped) and its ``Screening``: the columns ``keep`` left out, whether any of them
    violated the KKT conditions (and joined the working set), the full gradients taken.
    """
    Z = jnp.zeros((full.X.shape[0], coef.shape[0]), coef.dtype)  # not known, and not needed
    start = _start(full, coef, keep, Z, risk, jnp.ones((), bool), carried)
    end = _grow_until_kkt(
        method, full, start, _strong_rule_growth(), max_iter=max_iter, tol=tol, budgeted=False
    )
    screening = Screening(jnp.sum(~keep).astype(jnp.int32), end.violated, end.n_rounds)
    return _solution(end, tol), screening


class RankedSolve(NamedTuple):
    """A single fit by working sets: the ``Solution``, what the working sets did, and the
    linear predictor ``Z (n, K)`` at the solution (for its duality gap)."""

    solution: Solution
    screening: Screening
    predictor: jax.Array


def ranked_working_set_solve(
    method: Solver, full: Problem, coef: jax.Array, *, max_iter: int, tol: jax.Array
) -> RankedSolve:
    """Solve ``full`` from ``coef`` on working sets ranked by KKT violation (module docstring).

    One full pass each for ``Z`` and the gradient at ``coef``, then one full gradient per
    working set solved. Each solve takes at most ``max_iter`` iterations, and none starts once
    ``max_iter`` are spent in all.
    """
    p = full.X.shape[1]
    Z = full.linear_predictor(coef)
    risk = full.risk_and_grad_given_Z(Z)
    _, grad = full.smooth_value_and_grad_given_risk(coef, risk)
    kkt = full.penalty.kkt_residual(coef, grad)
    ladder = design_capacities(full.X)
    keep = ranked_keep(coef, jnp.max(kkt[:, :p], axis=0), ladder)
    start = _start(full, coef, keep, Z, risk, jnp.max(kkt) > tol, None)
    rule = _ranked_growth(ladder)
    end = _grow_until_kkt(method, full, start, rule, max_iter=max_iter, tol=tol, budgeted=True)
    screening = Screening(
        n_discarded=jnp.sum(~end.keep).astype(jnp.int32),
        kkt_violated=end.violated,
        n_full_passes=2 + end.n_rounds,
    )
    return RankedSolve(_solution(end, tol), screening, end.predictor)
