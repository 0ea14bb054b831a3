"""The design matrix ``X (n, p)``: the few operations the solvers need from it, dense or sparse.

A dense ``X`` is a plain ``jax.Array`` (with, optionally, ``Xᵀ`` held too: ``Problem.X_T``); a
sparse one is a ``SparseDesign``, a pytree that is a field of ``Problem`` and travels through
``jit`` and ``vmap`` (shared by a batch, never batched itself). Every function here takes either and
dispatches on its type; the dense branches are the products the solvers always ran:

- ``matmul_t``: ``X Wᵀ (n, K)`` (linear predictors); ``rmatmul``: ``Rᵀ X (K, p)`` (gradients);
- ``squares_rmatmul``: ``Vᵀ (X ⊙ X) (K, p)`` (coordinate curvatures, Jacobi preconditioners);
- ``sparse_weighted_gram``: ``Xᵀ diag(v) X (p, p)`` for a small ``p`` (the dense one is
  ``losses._weighted_gram``); ``take_rows``: ``X[rows]`` (minibatches);
- column access for coordinate descent lives in ``core.columns``.

Sparse format. A ``SparseDesign`` keeps the nonzeros in row-major (CSR) order, as coordinates
``(data, rows, cols)`` with ``rows`` sorted, plus the row pointers (row gathers) and, for the
solvers that read columns, a second copy laid out by columns (``core.columns``). The products are
``jax.ops.segment_sum``: ``X Wᵀ`` sums ``data ⊙ w[cols]`` over the sorted ``rows`` (one class at a
time), ``Rᵀ X`` scatters ``data ⊙ R[rows]`` onto ``cols``. Measured on a 2-core CPU, float64,
warm, 10⁶ nonzeros (A: 20,000 × 200,000, 50 a row; B: 100,000 × 1,000, 1%), ms for K = 1 / 3:

================  =========  ==========  ==========  ===========
product           BCOO       BCSR        segment_sum  CSC copy
================  =========  ==========  ==========  ===========
A: X Wᵀ           7.0 / 17   7.7 / 6.9   4.6 / 6.2*   —
B: X Wᵀ           4.3 / 11   7.2 / 5.9   2.6 / 6.2*   —
A: Rᵀ X           5.8 / 7.3  —           3.7 / 10     2.5 / 10
B: Rᵀ X           3.6 / 8.9  —           2.1 / 5.3    5.5 / 11
================  =========  ==========  ==========  ===========

(``*`` one class at a time; all classes at once took 12 / 11 ms.) ``jax.experimental.sparse`` is
never faster, and a column-sorted copy for ``Rᵀ X`` wins only for wide ``X`` with one class, so
none is kept. Indices are int32 (int64 from ``2³¹`` nonzeros or rows or columns).

The Gram matrix ``Xᵀ diag(v) X`` has two forms. Row outer products (``_pair_gram``): each row's
``r(r+1)/2`` products of its ``r = max_row_nnz`` slots scatter-added into ``(p, p)``,
``n·r(r+1)/2`` scattered products in all. Column blocks (``_column_block_gram``): ``X E_J`` for
blocks ``J`` of ``b`` columns, ``2·b·nnz`` multiply-adds a block. A scattered product cost 10–20
ns, a block multiply-add 2.5–5 ns, hence the rule: the outer products when
``PAIR_COST·n·r(r+1)/2 ≤ 2·b·nnz·blocks``. Rows of similar length take the outer products (their
cost does not grow with ``p``); one long row among short ones makes every row that long, and the
column blocks take over. Measured on a 2-core CPU (shared, noisy), float64, warm, ms (SciPy's
``Xᵀ diag(v) X`` for scale):

==========================  =====  ====  =============  =============  =====
X                           nnz    r     outer products  column blocks  SciPy
==========================  =====  ====  =============  =============  =====
20,000 × 1,000, 1%          2·10⁵  32    120–210        1,130          78
100,000 × 100, 5%           5·10⁵  16    130–140        307            39
5,000 × 50, 50%             1·10⁵  64    165            65             16
==========================  =====  ====  =============  =============  =====
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import to_device
from .columns import SparseColumns, column_layout

__all__ = [
    "SparseDesign",
    "is_sparse",
    "matmul_t",
    "rmatmul",
    "sparse_weighted_gram",
    "squares_rmatmul",
    "take_rows",
]

#: Most elements of the dense column block ``X E_J (n, b)`` of ``sparse_weighted_gram``.
GRAM_BLOCK_ELEMENTS = 2**22
#: Most outer-product entries ``vᵢ xᵢₛ xᵢₜ`` a chunk of rows of ``sparse_weighted_gram`` holds.
GRAM_CHUNK_ELEMENTS = 2**22
#: The narrowest padded width of a sparse column (``columns.column_layout``) lies in this range.
COLUMN_CHUNK_RANGE = (8, 1024)
#: A scattered product's cost in multiply-adds of a column-block product (module docstring).
PAIR_COST = 6


@partial(
    jax.tree_util.register_dataclass,
    data_fields=["data", "rows", "cols", "row_ptr", "by_columns"],
    meta_fields=["shape", "max_row_nnz", "row_blocks"],
)
@dataclasses.dataclass(frozen=True)
class SparseDesign:
    """A sparse ``X (n, p)``: ``data``, ``rows`` (sorted), ``cols`` of its nonzeros in row-major
    order, ``row_ptr (n + 1,)``; ``by_columns``, ``[X | 1]`` laid out by columns for column
    access (``columns.column_layout``; ``None`` without: a minibatch from ``take_rows``, a
    design for a solver that reads by rows).

    Static: ``shape``, ``max_row_nnz`` (most nonzeros of a row, the capacity of a row gather) and
    ``row_blocks``: ``B > 1`` when the rows come in ``B`` equal blocks whose nonzeros fill equal
    slabs of the stored arrays, in order (``scale.sharding``: one block per device); the
    products then run block by block, so that a device reads only its own rows. Build with
    ``from_csr``.
    """

    data: jax.Array
    rows: jax.Array
    cols: jax.Array
    row_ptr: jax.Array
    by_columns: SparseColumns | None
    shape: tuple[int, int]
    max_row_nnz: int
    row_blocks: int = 1

    #: Its products are scatters and gathers: programs on it compile with XLA's fusion
    #: emitters (``precision.scatters``).
    SCATTERS = True

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return 2

    @classmethod
    def from_csr(
        cls,
        data,
        indices,
        indptr,
        shape: tuple[int, int],
        *,
        max_row_nnz: int | None = None,
        columns: bool = True,
    ) -> SparseDesign:
        """From CSR arrays (NumPy, column indices sorted within each row, no duplicates). An
        empty matrix keeps one explicit zero, so that every gather has an element to read.
        ``max_row_nnz``: the row-gather capacity, when not the most stored values of a row (a
        row gather reads a row's first ``max_row_nnz`` values: ``engine.shapes`` appends zeros
        beyond them). ``columns=False``: no column access (``by_columns``), for solvers that
        read ``X`` by rows (its column-major order took 21 of a fit's 52 ms of preparation on
        the benchmark suite's S1); columns are padded from a width in ``COLUMN_CHUNK_RANGE``
        (the mean column length rounded up to a power of two). The arrays move by ``to_device``
        (on a CPU, aligned host copies the device uses as they are: 0.35 against 1.0 s of
        device copies at 3·10⁷ nonzeros)."""
        n, p = (int(s) for s in shape)
        data, indices, indptr = np.asarray(data), np.asarray(indices), np.asarray(indptr)
        if data.size == 0:
            data, indices = np.zeros(1, data.dtype), np.zeros(1, np.int64)
            indptr = np.concatenate([[0], np.ones(n, np.int64)])
        index = np.int32 if max(data.size, n, p) < 2**31 else np.int64
        counts = np.diff(indptr)
        by_columns = None
        if columns:
            mean_col = max(data.size / max(p, 1), 1.0)
            chunk = int(np.clip(2 ** np.ceil(np.log2(mean_col)), *COLUMN_CHUNK_RANGE))
            laid_out = column_layout(data, indices, indptr, (n, p), chunk)
            by_columns = jax.tree.map(to_device, laid_out)
        return cls(
            data=to_device(data),
            rows=to_device(np.repeat(np.arange(n, dtype=index), counts)),
            cols=to_device(indices.astype(index, copy=False)),
            row_ptr=to_device(indptr.astype(index, copy=False)),
            by_columns=by_columns,
            shape=(n, p),
            max_row_nnz=int(counts.max(initial=0) if max_row_nnz is None else max_row_nnz),
        )

    def todense(self) -> jax.Array:
        """The dense ``(n, p)`` array (for tests and small matrices only)."""
        dense = jnp.zeros(self.shape, self.dtype)
        return dense.at[self.rows, self.cols].add(self.data)


def is_sparse(X) -> bool:
    return isinstance(X, SparseDesign)


def matmul_t(X, W: jax.Array, X_T: jax.Array | None = None) -> jax.Array:
    """``X Wᵀ (n, K)`` for ``W (K, p)``; dense with ``X_T``: ``(W Xᵀ)ᵀ`` over its rows (on a CPU,
    ``Xᵀ``'s transpose as the left operand was read by columns: 3.3 against 1.8 ms, 10⁵ × 100)."""
    if is_sparse(X):
        local_rows = _block_rows(X)

        def one_class(w):
            products = (X.data * w[X.cols]).reshape(local_rows.shape)
            sums = jax.vmap(partial(_row_sums, n_rows=X.shape[0] // X.row_blocks))
            return sums(products, local_rows).reshape(X.shape[0])

        return jax.vmap(one_class, out_axes=1)(W)
    if X_T is None:
        return X @ W.T
    return (W @ X_T).T


def rmatmul(R: jax.Array, X, X_T: jax.Array | None = None) -> jax.Array:
    """``Rᵀ X (K, p)`` for ``R (n, K)``; dense with ``X_T``: ``(Xᵀ R)ᵀ`` over its rows."""
    if is_sparse(X):
        local_rows = _block_rows(X)
        blocks = R.reshape(X.row_blocks, -1, R.shape[1])
        R_rows = jax.vmap(lambda block, rows: block[rows])(blocks, local_rows)
        R_rows = R_rows.reshape(-1, R.shape[1])
        return jax.ops.segment_sum(X.data[:, None] * R_rows, X.cols, X.shape[1]).T
    if X_T is None:
        return jax.lax.dot_general(R, X, (((0,), (0,)), ((), ())))
    return (X_T @ R).T


def _block_rows(X: SparseDesign) -> jax.Array:
    """The row of each stored value within its block, ``(row_blocks, slab)``: ``rows`` itself
    for one block."""
    B = X.row_blocks
    rows = X.rows.reshape(B, -1)
    if B == 1:
        return rows
    return rows - (jnp.arange(B, dtype=rows.dtype) * (X.shape[0] // B))[:, None]


def _row_sums(values: jax.Array, rows: jax.Array, n_rows: int) -> jax.Array:
    """``Σ`` of ``values`` by their sorted ``rows``: ``(n_rows,)``."""
    return jax.ops.segment_sum(values, rows, n_rows, indices_are_sorted=True)


def squares_rmatmul(V: jax.Array, X, X_T: jax.Array | None = None) -> jax.Array:
    """``Vᵀ (X ⊙ X) (K, p)``: e.g. ``Σᵢ vᵢₖ x²ᵢⱼ``, the diagonal of ``Xᵀ diag(v₍:,ₖ₎) X``."""
    if is_sparse(X):
        return rmatmul(V, dataclasses.replace(X, data=jnp.square(X.data)))
    if X_T is None:
        return rmatmul(V, jnp.square(X))
    return rmatmul(V, None, jnp.square(X_T))


def sparse_weighted_gram(X: SparseDesign, v: jax.Array) -> jax.Array:
    """``Xᵀ diag(v) X (p, p)``, ``X`` never dense, by the cheaper of two forms (module
    docstring): ``_pair_gram`` (``Σᵢ vᵢ xᵢ xᵢᵀ`` from each row's stored values) or
    ``_column_block_gram`` (``(v ⊙ X E_J)ᵀ X`` over blocks of columns)."""
    n = X.shape[0]
    r = max(X.max_row_nnz, 1)
    pair_cost = PAIR_COST * n * r * (r + 1) // 2
    block_cost = 2 * _gram_block_width(X) * X.data.shape[0] * _gram_blocks(X)
    if pair_cost <= block_cost:
        return _pair_gram(X, v)
    return _column_block_gram(X, v)


def _gram_block_width(X: SparseDesign) -> int:
    n, p = X.shape
    return max(1, min(p, GRAM_BLOCK_ELEMENTS // max(n, 1)))


def _gram_blocks(X: SparseDesign) -> int:
    return -(-X.shape[1] // _gram_block_width(X))


def _pair_gram(X: SparseDesign, v: jax.Array) -> jax.Array:
    """``Σᵢ vᵢ xᵢ xᵢᵀ``: each row's ``r(r+1)/2`` products ``vᵢ xᵢₛ xᵢₜ`` (``s ≤ t`` of its
    ``r = max_row_nnz`` slots) scatter-added to ``U`` at ``(colₛ, colₜ)``, then
    ``U + Uᵀ − diag(U)``; ``n·r(r+1)/2`` operations, rows taken ``GRAM_CHUNK_ELEMENTS`` products
    at a time (empty slots hold zeros and add nothing)."""
    n, p = X.shape
    first, second = np.triu_indices(max(X.max_row_nnz, 1))
    chunk = max(1, min(n, GRAM_CHUNK_ELEMENTS // first.size))
    dtype = jnp.result_type(X.dtype, v.dtype)

    def add_chunk(k, U):
        rows = k * chunk + jnp.arange(chunk, dtype=X.row_ptr.dtype)
        values, cols = _row_slots(X, jnp.minimum(rows, n - 1))
        weight = jnp.where(rows < n, v[jnp.minimum(rows, n - 1)], 0.0)
        products = weight[:, None] * values[:, first] * values[:, second]
        return U.at[cols[:, first], cols[:, second]].add(products.astype(dtype))

    U = jax.lax.fori_loop(0, -(-n // chunk), add_chunk, jnp.zeros((p, p), dtype))
    return U + U.T - jnp.diag(jnp.diagonal(U))


def _column_block_gram(X: SparseDesign, v: jax.Array) -> jax.Array:
    """``Xᵀ diag(v) X`` over blocks of ``b`` columns: ``X E_J (n, b)`` (``E_J`` the columns ``J``
    of the identity), then ``(v ⊙ X E_J)ᵀ X``; ``2·b·nnz`` operations a block, ``n·b`` elements
    of memory."""
    p = X.shape[1]
    b, n_blocks = _gram_block_width(X), _gram_blocks(X)
    columns = jnp.arange(p)

    def block(start):
        E_T = (start + jnp.arange(b)[:, None] == columns[None, :]).astype(X.dtype)  # (b, p)
        return rmatmul(v[:, None] * matmul_t(X, E_T), X)  # (b, p)

    blocks = jax.lax.map(block, jnp.arange(n_blocks) * b)
    return blocks.reshape(n_blocks * b, p)[:p]


def _row_slots(X: SparseDesign, rows: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The stored values and column indices of ``rows (B,)``, ``(B, max_row_nnz)`` each: a
    row's first ``max_row_nnz`` values, empty slots holding zeros (and column ``cols[0]``)."""
    start = X.row_ptr[rows]
    slot = jnp.arange(X.max_row_nnz, dtype=start.dtype)
    filled = slot[None, :] < (X.row_ptr[rows + 1] - start)[:, None]
    at = jnp.where(filled, start[:, None] + slot, 0)
    return jnp.where(filled, X.data[at], 0.0), X.cols[at]


def take_rows(X, rows: jax.Array):
    """``X[rows]`` for ``rows (B,)``: a sparse ``X`` gives a ``SparseDesign`` of ``B`` rows of
    ``max_row_nnz`` slots each (empty slots hold zeros), without column access."""
    if not is_sparse(X):
        return X[rows]
    r = X.max_row_nnz
    values, cols = _row_slots(X, rows)
    B = rows.shape[0]
    index = X.row_ptr.dtype
    return SparseDesign(
        data=values.reshape(-1),
        rows=jnp.repeat(jnp.arange(B, dtype=index), r),
        cols=cols.reshape(-1),
        row_ptr=jnp.arange(B + 1, dtype=index) * r,
        by_columns=None,
        shape=(B, X.shape[1]),
        max_row_nnz=r,
    )
