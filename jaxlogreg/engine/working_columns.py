"""The columns of a working set: the capacity ladder and the sub-problem on the kept columns.

A working set ``W`` of ``|W| ≤ c`` columns is solved as a problem of its own on a dense
``X_W (n, c)``, held as ``X_W_T (c, n)`` (its rows contiguous: the sub-problem's products read
them), ``c`` from a static ladder of capacities (``engine.working_set``).

Dense ``X``. The columns are gathered from ``Xᵀ`` held in memory (``Problem.X_T``, one copy of
``X``): there each column is one contiguous row, where gathering the columns of a row-major
``X`` reads all of it (on a CPU, 0.3 ms against 2–4 ms for 16 columns of 100,000 × 100). The
rows gathered are the sub-problem's own ``X_T``, and its ``X`` only a transposed view of them:
no ``(n, c)`` copy is laid out (that transposition took 2–19 ms per gather).

Sparse ``X`` (a ``SparseDesign``). Nothing is gathered: the ladder is ``p`` alone and the
sub-problem is ``X`` itself, with the left-out columns pinned at zero by bounds ``l = u = 0``.
Coordinate descent never visits a pinned coefficient (``solvers._sweeps``), so a sweep reads
the stored values of the kept columns only, as glmnet's sweeps over its active set do. A dense
block of the kept columns makes each update read all ``n`` rows of a column that holds a few
values: the benchmark's 50-λ lasso path S2 at 5% of its rows (1,000 × 47,000, 72 values a row)
took 19 s with dense blocks and 10.3 s with pins (with its sweeps' class order by a counting
sort and the columns laid out once per path).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ..core.design import is_sparse
from ..core.problem import Problem

__all__ = [
    "CAPACITY_GROWTH",
    "MIN_CAPACITY",
    "capacities",
    "design_capacities",
    "gathers",
    "sub_columns",
    "sub_problem",
]

#: Smallest working-set capacity; capacities grow ``CAPACITY_GROWTH``-fold from here up to ``p``.
MIN_CAPACITY = 16
CAPACITY_GROWTH = 8


def capacities(p: int) -> tuple[int, ...]:
    """The static ladder of working-set widths: ``16, 128, …`` below ``p``, then ``p``."""
    ladder, c = [], MIN_CAPACITY
    while c < p:
        ladder.append(c)
        c *= CAPACITY_GROWTH
    return (*ladder, p)


def design_capacities(X) -> tuple[int, ...]:
    """``capacities(p)`` of ``X (n, p)``; for a sparse ``X``, ``p`` alone (``gathers``)."""
    p = X.shape[1]
    return tuple(c for c in capacities(p) if c == p or gathers(X, c))


def gathers(X, c: int) -> bool:
    """Whether capacity ``c`` solves on a dense block of gathered columns, else on ``X`` itself
    (at ``c = p``, and always for a sparse ``X``: its left-out columns are pinned instead)."""
    return c < X.shape[1] and not is_sparse(X)


def sub_columns(values: jax.Array, order: jax.Array, valid: jax.Array, fit_intercept: bool):
    """``(K, d)`` coefficients (or gradients) of the full problem -> those of the sub-problem on
    the columns ``order``: padding columns zero, the intercepts kept."""
    sub = jnp.where(valid, values[:, order], 0.0)
    if fit_intercept:
        sub = jnp.concatenate([sub, values[:, values.shape[1] - 1 :]], axis=1)
    return sub


def sub_problem(full: Problem, keep: jax.Array, c: int) -> tuple[Problem, jax.Array, jax.Array]:
    """The sub-problem of ``full`` on the working set ``keep (p,)`` at capacity ``c``, with its
    columns ``order (c,)`` of ``X`` (kept columns first) and ``valid (c,)`` (not padding)."""
    p = full.X.shape[1]
    if not gathers(full.X, c):  # every column: the full design as it is, no copy
        order, valid = jnp.arange(p), jnp.ones(p, bool)
        if is_sparse(full.X):
            return _pinned(full, keep), order, valid
        X_W, X_W_T = full.X, full.X_T
    else:
        order = jnp.argsort(~keep, stable=True)[:c]  # kept columns first
        valid = jnp.arange(c) < jnp.sum(keep)
        X_T = full.X.T if full.X_T is None else full.X_T
        X_W_T = jnp.where(valid[:, None], X_T[order], 0.0)
        X_W = X_W_T.T  # a view: the sub-problem's products read X_W_T
    factors = full.penalty.factors
    sub_factors = jnp.where(valid, factors[order], 1.0)
    if full.fit_intercept:
        sub_factors = jnp.concatenate([sub_factors, factors[p:]])
    # Bounds l ≤ 0 ≤ u: padding columns get 0 and 0, where their coefficients stay anyway.
    bounds = {
        name: None if bound is None else sub_columns(bound, order, valid, full.fit_intercept)
        for name, bound in (("lower", full.penalty.lower), ("upper", full.penalty.upper))
    }
    penalty = full.penalty._replace(factors=sub_factors, **bounds)
    return dataclasses.replace(full, X=X_W, X_T=X_W_T, penalty=penalty), order, valid


def _pinned(full: Problem, keep: jax.Array) -> Problem:
    """``full`` with the columns outside ``keep (p,)`` pinned at zero: bounds ``l = u = 0`` there
    (the intercepts and the kept columns keep theirs, ``∓∞`` without)."""
    K, d = full.n_outputs, full.n_params_per_output
    movable = jnp.concatenate([keep, jnp.ones(d - keep.shape[0], bool)])
    bounds = {}
    for name, bound, free in (
        ("lower", full.penalty.lower, -jnp.inf),
        ("upper", full.penalty.upper, jnp.inf),
    ):
        bound = jnp.full((K, d), free, full.X.dtype) if bound is None else bound
        bounds[name] = jnp.where(movable, bound, 0.0)
    return dataclasses.replace(full, penalty=full.penalty._replace(**bounds))
