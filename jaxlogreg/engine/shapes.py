"""Shape-stable programs: the rows of a problem padded to a ladder of sizes.

A compiled program is specific to the shapes of its arguments, so every new row count (a
cross-validation fold, a subsample, the next dataset) would compile anew. The estimators and the
selection layer therefore pad the ``n`` rows to ``n' = row_bucket(n, d)`` with rows of zeros
whose sample weight is zero: every quantity a solver uses is a sum over rows weighted by
``s̃ᵢ = sᵢ/Σₗsₗ``, to which such rows add exactly zero, so the solution is that of the unpadded
problem (the sharding code relies on the same fact). All row counts of one bucket share one
program.

The ladder. ``n'`` is the smallest multiple of ``q ≥ n``, with ``q`` the power of two at most
``max(n / ROWS_PER_OCTAVE, SMALL_PASS / d)``: the padding costs at most ``1/32`` (3%) of a pass
over ``X``, or at most ``SMALL_PASS`` extra elements a pass (tens of microseconds) where that is
more. Small problems, whose run time is dwarfed by a compilation, thus share few, coarse buckets
(with ``d = 31``, every ``n`` in 513–1024 is one program); large ones many, fine ones.

The columns. A small ridge fit (``L2`` penalty only, ``λ > 0``) of a dense ``X`` is also padded
to ``p' = column_bucket(p)`` columns of zeros (``bucket_columns``): the gradient of such a column
is ``λwⱼ``, its block of the Hessian ``λI`` and its coefficient stays ``0``, so every solver
takes the steps it takes on the unpadded problem. ``p'`` is at least ``MIN_COLUMNS``, else the
smallest multiple of ``q ≥ p``, ``q`` the power of two at most ``p / COLUMNS_PER_OCTAVE``; rows
are then bucketed for the padded width. "Small": the zero columns add at most ``SMALL_PASS``
elements to a pass, so that only problems whose run time a compilation dwarfs are widened. The
bundled iris (4 features) and wine (13) share one program; breast_cancer (30) and digits (64)
keep theirs.

Large data are not padded (``bucket_rows``, ``bucket_columns``): a padded copy of an ``X`` over
``MAX_PADDED_BYTES`` would double the memory a fit needs, and its compilation costs little beside
its run time. Where ``X`` is copied anyway (laid out transposed for a path), it is padded in the
same copy.

A sparse ``X`` (a CSR matrix, ``padded_sparse_design``) gains empty rows (its ``indptr``
extended) on the ladder of ``r + 1`` columns, ``r`` its mean stored values a row (an empty row
costs a pass nothing but its own entry). A compiled program is specific to the number of stored
values too, and to the capacity of a row gather: these are padded as well, the values to
``row_bucket(nnz, 1)`` with explicit zeros stored in the last row, the capacity to a power of
two. Every product with ``X`` is linear in its stored values, so zeros, wherever stored, change
nothing. "Large" means stored values over ``MAX_PADDED_BYTES``.

Minibatch solvers (``sgd``, ``adam``) draw minibatches from the padded rows and so follow a
different random path than on the unpadded rows.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import scipy.sparse

from .._validation import aligned_empty, to_device
from ..core.design import SparseDesign

__all__ = [
    "COLUMNS_PER_OCTAVE",
    "MAX_PADDED_BYTES",
    "MIN_COLUMNS",
    "ROWS_PER_OCTAVE",
    "SMALL_PASS",
    "bucket_columns",
    "bucket_rows",
    "column_bucket",
    "pad_rows",
    "padded_on_device",
    "padded_sparse_design",
    "row_bucket",
]

#: Buckets per doubling of the row count on large problems (padding ≤ 1/32 of the rows).
ROWS_PER_OCTAVE = 32
#: Extra elements of ``X`` a pass may read on small problems, whatever the fraction.
SMALL_PASS = 2**14
#: Largest ``X`` padded in a copy of its own (256 MiB).
MAX_PADDED_BYTES = 2**28
#: Fewest columns of a column-padded ``X``, and buckets per doubling of the columns above it.
MIN_COLUMNS = 16
COLUMNS_PER_OCTAVE = 8


def row_bucket(n: int, n_columns: int) -> int:
    """The padded row count of ``n`` rows of ``n_columns`` columns (module docstring)."""
    if n <= 0:
        return n
    step = max(n / ROWS_PER_OCTAVE, SMALL_PASS / max(n_columns, 1), 1.0)
    q = 2 ** math.floor(math.log2(step))
    return -(-n // q) * q


def column_bucket(p: int) -> int:
    """The padded column count of ``p`` columns (module docstring)."""
    if p <= MIN_COLUMNS:
        return MIN_COLUMNS
    q = 2 ** math.floor(math.log2(max(p / COLUMNS_PER_OCTAVE, 1.0)))
    return -(-p // q) * q


def _padded_bytes(X) -> int:
    """The bytes a padded copy of ``X`` copies: all of a dense ``X``, a sparse one's values."""
    if scipy.sparse.issparse(X):
        return X.data.nbytes
    return X.shape[0] * X.shape[1] * np.dtype(X.dtype).itemsize


def bucket_rows(X, *, copied: bool = False, n_columns: int | None = None) -> int:
    """The row count ``X (n, p)`` is padded to: ``row_bucket(n, p + 1)`` (``n_columns + 1``
    when its columns are padded to ``n_columns``; sparse ``X``: ``row_bucket(n, r + 1)``, ``r``
    its mean stored values a row), or ``n`` when ``X`` is large and not ``copied`` anyway
    (module docstring)."""
    n, p = X.shape
    if not copied and _padded_bytes(X) > MAX_PADDED_BYTES:
        return n
    if scipy.sparse.issparse(X):
        return row_bucket(n, -(-X.nnz // max(n, 1)) + 1)
    return row_bucket(n, (n_columns or p) + 1)


def bucket_columns(X) -> int:
    """The column count of a ridge fit's ``X (n, p)``: ``column_bucket(p)`` where the zero
    columns add at most ``SMALL_PASS`` elements to the padded rows, else ``p`` (and for a sparse
    or large ``X``; module docstring)."""
    n, p = X.shape
    if scipy.sparse.issparse(X) or _padded_bytes(X) > MAX_PADDED_BYTES:
        return p
    n_columns = column_bucket(p)
    extra = row_bucket(n, n_columns + 1) * (n_columns - p)
    return n_columns if 0 < extra <= SMALL_PASS else p


def pad_rows(array, n_rows: int, *, axis: int = 0) -> np.ndarray:
    """``array`` with its axis ``axis`` zero-padded to ``n_rows`` (the array itself when it has
    them already)."""
    array = np.asarray(array)
    missing = n_rows - array.shape[axis]
    if missing == 0:
        return array
    widths = [(0, 0)] * array.ndim
    widths[axis] = (0, missing)
    return np.pad(array, widths)


def padded_on_device(
    X, n_rows: int, *, transposed: bool = False, n_columns: int | None = None
) -> jax.Array:
    """``X (n, p)`` zero-padded to ``(n_rows, n_columns)`` (``n_columns`` default ``p``; ``Xᵀ``
    when ``transposed``) as a JAX array on the default device, from one host copy into aligned
    memory (which a CPU then uses as it is, see ``_validation.to_device``)."""
    n, p = X.shape
    n_columns = n_columns or p
    if isinstance(X, jax.Array):
        X = jax.numpy.pad(X, ((0, n_rows - n), (0, n_columns - p)))
        return X.T if transposed else X
    X = np.asarray(X)
    if (n, p) == (n_rows, n_columns):
        return to_device(X, transposed=transposed)
    on_cpu = jax.default_backend() == "cpu"
    if not (transposed and on_cpu):  # an accelerator transposes faster than the host
        out = aligned_empty((n_rows, n_columns), X.dtype)
        out[:n, :p], out[:n, p:], out[n:] = X, 0, 0
        return jax.device_put(out).T if transposed else jax.device_put(out)
    out = aligned_empty((n_columns, n_rows), X.dtype)
    out[:p, :n], out[:p, n:], out[p:] = X.T, 0, 0
    return jax.device_put(out)


def padded_sparse_design(X, n_rows: int, columns: bool = True) -> SparseDesign:
    """A CSR ``X (n, p)`` (indices sorted, no duplicates) as a ``SparseDesign`` of ``n_rows``
    rows: empty rows appended; unless ``X`` is large, its stored values padded with zeros in
    the last row to ``row_bucket(nnz, 1)`` and the row-gather capacity rounded up to a power of
    two (module docstring). Nothing is densified. ``columns``: ``SparseDesign.from_csr``'s."""
    n, p = X.shape
    data, indices = X.data, X.indices
    indptr = np.concatenate([X.indptr, np.full(n_rows - n, X.indptr[-1], X.indptr.dtype)])
    capacity = None
    if _padded_bytes(X) <= MAX_PADDED_BYTES:
        extra = row_bucket(X.nnz, 1) - X.nnz
        data = np.concatenate([data, np.zeros(extra, data.dtype)])
        indices = np.concatenate([indices, np.arange(extra, dtype=indices.dtype) % p])
        indptr[-1] += extra
        capacity = 1 << max(int(np.diff(X.indptr).max(initial=0)) - 1, 0).bit_length()
    shape = (n_rows, p)
    return SparseDesign.from_csr(
        data, indices, indptr, shape, max_row_nnz=capacity, columns=columns
    )
