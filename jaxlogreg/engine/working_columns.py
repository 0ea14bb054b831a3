"""The columns of a working set: the capacity ladder and the sub-problem on the kept columns.

A working set ``W`` of ``|W| ≤ c`` columns is solved as a problem of its own on a dense
``X_W (n, c)``, held as ``X_W_T (c, n)`` (its rows contiguous: the sub-problem's products read
them), ``c`` from a static ladder of capacities (``engine.working_set``).

Dense ``X``. The columns are gathered from ``Xᵀ`` held in memory (``Problem.X_T``, one copy of
``X``): there each column is one contiguous row, where gathering the columns of a row-major
``X`` reads all of it (on a CPU, 0.3 ms against 2–4 ms for 16 columns of 100,000 × 100). The
rows gathered are the sub-problem's own ``X_T``, and its ``X`` only a transposed view of them:
no ``(n, c)`` copy is laid out (that transposition took 2–19 ms per gather).

Sparse ``X`` (a ``SparseDesign``). Every stored value ``xᵢⱼ`` with ``j`` in ``W`` is
scattered to row ``slot(j)`` of a zero ``(c, n)`` block (the others, to a row past its end, are
dropped): one pass over the stored values, as a KKT check is, whatever ``|W|``, with shapes known
when compiling (a gather of the set's columns through ``col_order`` would have as many values as
those columns hold, unknown until run time). The sub-problem is then dense, and its solver runs
on a narrow dense block rather than on sparse columns. A capacity whose block would exceed
``SPARSE_BLOCK_ELEMENTS`` is left out of the ladder (the next one, up to ``p``, takes its sets);
the widest capacity, ``p``, solves on the sparse ``X`` itself (never a dense copy of all of
``X``).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ..core.design import SparseDesign, is_sparse
from ..core.problem import Problem

__all__ = [
    "CAPACITY_GROWTH",
    "MIN_CAPACITY",
    "SPARSE_BLOCK_ELEMENTS",
    "capacities",
    "design_capacities",
    "gathers",
    "sub_columns",
    "sub_problem",
]

#: Smallest working-set capacity; capacities grow ``CAPACITY_GROWTH``-fold from here up to ``p``.
MIN_CAPACITY = 16
CAPACITY_GROWTH = 8
#: Most elements of the dense block ``X_W_T (c, n)`` gathered from a sparse ``X`` (128 MiB in
#: float64).
SPARSE_BLOCK_ELEMENTS = 2**24


def capacities(p: int) -> tuple[int, ...]:
    """The static ladder of working-set widths: ``16, 128, …`` below ``p``, then ``p``."""
    ladder, c = [], MIN_CAPACITY
    while c < p:
        ladder.append(c)
        c *= CAPACITY_GROWTH
    return (*ladder, p)


def design_capacities(X) -> tuple[int, ...]:
    """``capacities(p)`` of ``X (n, p)``; for a sparse ``X``, ``p`` and those whose dense block
    ``(c, n)`` fits (``gathers``)."""
    p = X.shape[1]
    return tuple(c for c in capacities(p) if c == p or gathers(X, c))


def gathers(X, c: int) -> bool:
    """Whether capacity ``c`` solves on a dense block of gathered columns, else on ``X`` itself:
    below ``p``, and for a sparse ``X`` only when the ``(c, n)`` block holds at most
    ``SPARSE_BLOCK_ELEMENTS``."""
    n, p = X.shape
    return c < p and (not is_sparse(X) or c * n <= SPARSE_BLOCK_ELEMENTS)


def sub_columns(values: jax.Array, order: jax.Array, valid: jax.Array, fit_intercept: bool):
    """``(K, d)`` coefficients (or gradients) of the full problem -> those of the sub-problem on
    the columns ``order``: padding columns zero, the intercepts kept."""
    sub = jnp.where(valid, values[:, order], 0.0)
    if fit_intercept:
        sub = jnp.concatenate([sub, values[:, values.shape[1] - 1 :]], axis=1)
    return sub


def _sparse_block(X: SparseDesign, order: jax.Array, valid: jax.Array) -> jax.Array:
    """``X_W_T (c, n)``: row ``k`` holds column ``order[k]`` of ``X`` (zeros where not
    ``valid``), from one scatter of the stored values (module docstring)."""
    (n, p), c = X.shape, order.shape[0]
    slot = jnp.where(valid, jnp.arange(c, dtype=X.cols.dtype), c)
    slot = jnp.full(p, c, X.cols.dtype).at[order].set(slot)
    block = jnp.zeros((c, n), X.dtype)
    return block.at[slot[X.cols], X.rows].add(X.data, mode="drop")


def sub_problem(full: Problem, keep: jax.Array, c: int) -> tuple[Problem, jax.Array, jax.Array]:
    """The sub-problem of ``full`` on the working set ``keep (p,)`` at capacity ``c``, with its
    columns ``order (c,)`` of ``X`` (kept columns first) and ``valid (c,)`` (not padding)."""
    p = full.X.shape[1]
    if not gathers(full.X, c):  # every column: the full design as it is, no copy
        order, valid = jnp.arange(p), jnp.ones(p, bool)
        X_W, X_W_T = full.X, full.X_T
    else:
        order = jnp.argsort(~keep, stable=True)[:c]  # kept columns first
        valid = jnp.arange(c) < jnp.sum(keep)
        if is_sparse(full.X):
            X_W_T = _sparse_block(full.X, order, valid)
        else:
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
