"""The design by columns, for coordinate descent: ``aⱼᵀ R`` and ``R += f(aⱼ)`` for a column
``aⱼ`` of ``A = [X | 1]`` (``columns`` lays ``A`` out once, ``column_step`` reads and updates one
column). Sparse columns are padded to a static ladder of widths, each read by one slice, one
loop per width class: 0.8 µs an update on a 2-core CPU, where a loop over a column's chunks took
2.6–3.3 (a ``lax.switch`` per update copies ``R``). ``column_classes`` groups the columns by
width class (``ClassOrder``).

The padded layout depends only on ``X``: ``column_layout`` makes it once on the host, when the
design is made (``SparseDesign.by_columns``, ones column included), and a solve reads it as it
is. Made inside the compiled solve, it took about 150 ms of a 0.35 s lasso on the benchmark
suite's S1-l1 (a sort of 200,000 labels alone 35 ms).

The widths double: each class is a loop of its own in every sweep, compiled once, and a ladder
of fourfold widths (7 classes instead of 13 on the benchmark suite's S1-l1) made that lasso's
first fit 15% shorter (7.4 against 8.7 s), but S2's path and S3's fit, whose time is in their
sweeps, ran 32–44% slower: each update reads its column's padding too.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse

from .._validation import aligned_empty

__all__ = [
    "ClassOrder",
    "SparseColumns",
    "class_order",
    "column_classes",
    "column_layout",
    "column_step",
    "columns",
]


class ClassOrder(NamedTuple):
    """Coordinates grouped by class: ``order (m,)`` lists them class by class, each class in
    ascending order, and class ``c`` ends at ``ends[c]`` of ``order``."""

    order: jax.Array
    ends: jax.Array

    @classmethod
    def single(cls, m: int) -> ClassOrder:
        """``m`` coordinates in one class."""
        return cls(jnp.arange(m, dtype=jnp.int32), jnp.full(1, m, jnp.int32))


def class_order(labels, n_classes: int) -> ClassOrder:
    """``labels (m,)`` in ``[0, n_classes)`` (concrete) grouped by a stable sort, on the host."""
    labels = np.asarray(labels)
    order = np.argsort(labels, kind="stable").astype(labels.dtype)
    ends = np.cumsum(np.bincount(labels, minlength=n_classes)).astype(labels.dtype)
    return ClassOrder(order, ends)


@partial(
    jax.tree_util.register_dataclass,
    data_fields=["rows", "values", "start", "width_class", "by_class"],
    meta_fields=["widths"],
)
@dataclasses.dataclass(frozen=True)
class SparseColumns:
    """A sparse ``A`` by columns: ``j`` at ``start[j] : start[j] + widths[width_class[j]]`` of
    ``rows``, ``values`` (nonzeros, then zeros); static ``widths``: ``column_chunk``·2ᵏ to ``n``
    (static under ``jit`` and in a loop's carry: each is a slice size); ``by_class``: the
    columns grouped by width class (``class_order``), laid out once with the columns."""

    rows: jax.Array
    values: jax.Array
    start: jax.Array
    width_class: jax.Array
    by_class: ClassOrder
    widths: tuple[int, ...]


def column_layout(data, indices, indptr, shape: tuple[int, int], chunk: int) -> SparseColumns:
    """``A = [X | 1]`` by columns (NumPy arrays) for a CSR ``X`` of ``shape``: column ``j`` of
    ``lⱼ`` values (rows ascending) in the smallest width ``w ≥ lⱼ`` of ``chunk``·2ᵏ (the last
    one ``≥ n``), ``Σⱼ w ≤ 2·nnz + (p + 1)·chunk`` slots (the ones column of ``n`` included,
    last), and ``widths[-1]`` more, so that every column's slice stays inside."""
    n, p = shape
    csc = scipy.sparse.csr_matrix((data, indices, indptr), shape=shape).tocsc()
    csc.sum_duplicates()  # the zeros a padded design repeats in its last row: at most n a column
    lengths = np.append(np.diff(csc.indptr), n)
    widths = tuple(chunk << k for k in range((-(-n // chunk) - 1).bit_length() + 1))
    size = 2 * (indices.size + n) + (p + 1) * widths[0] + widths[-1]  # by the stored count
    index = np.int32 if max(size, n) < 2**31 else np.int64
    width_class = np.searchsorted(widths, lengths).astype(index)
    padded = np.asarray(widths, np.int64)[width_class]
    start = (np.cumsum(padded) - padded).astype(index)
    slot = np.arange(csc.nnz) + np.repeat(start[:p] - csc.indptr[:-1], lengths[:p])
    rows, values = aligned_empty((size,), index), aligned_empty((size,), csc.dtype)
    rows[:], values[:] = 0, 0
    rows[slot], values[slot] = csc.indices, csc.data
    rows[start[p] : start[p] + n], values[start[p] : start[p] + n] = np.arange(n), 1
    by_class = class_order(width_class, len(widths))
    return SparseColumns(rows, values, start, width_class, by_class, widths)


def columns(X, fit_intercept: bool, X_T: jax.Array | None = None):
    """The columns of ``A = [X | 1]`` (``X`` without an intercept): dense, ``Aᵀ (d, n)``; sparse,
    ``X.by_columns`` (``column_layout``), less its ones column without an intercept."""
    if isinstance(X, jax.Array):
        A_T = X.T if X_T is None else X_T
        if not fit_intercept:
            return A_T
        return jnp.concatenate([A_T, jnp.ones((1, A_T.shape[1]), A_T.dtype)], axis=0)
    A = X.by_columns
    if fit_intercept:
        return A
    p = X.shape[1]  # the ones column, of the widest class, comes last in the class order
    by_class = ClassOrder(A.by_class.order[:p], A.by_class.ends.at[-1].add(-1))
    return dataclasses.replace(
        A, start=A.start[:p], width_class=A.width_class[:p], by_class=by_class
    )


def column_classes(A) -> tuple[int, ClassOrder]:
    """The number of width classes of ``A`` and its columns grouped by class (dense: one)."""
    if not isinstance(A, SparseColumns):
        return 1, ClassOrder.single(A.shape[0])
    return len(A.widths), A.by_class


def column_step(A, j, R: jax.Array, solve, width_class: int = 0):
    """``out, change = solve(rows, aⱼ, R[rows])`` for column ``j`` of ``A`` (from ``columns``),
    then ``R[rows] += change``: returns ``out`` and ``R``. Dense: every row (``slice(None)``);
    sparse: the ``widths[width_class]`` slots of column ``j`` (its class, static), no loop.
    ``change`` must be linear in ``aⱼ`` (padding slots hold zeros, at row 0)."""
    if not isinstance(A, SparseColumns):
        out, change = solve(slice(None), A[j], R)
        return out, R + change
    width = A.widths[width_class]
    rows = jax.lax.dynamic_slice_in_dim(A.rows, A.start[j], width)
    a = jax.lax.dynamic_slice_in_dim(A.values, A.start[j], width)
    out, change = solve(rows, a, R[rows])
    return out, R.at[rows].add(change)
