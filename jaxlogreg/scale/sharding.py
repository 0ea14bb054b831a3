"""Data parallelism on JAX's own engine: the rows of a problem sharded over a device mesh.

Nothing here solves anything. The data are placed on the devices of a ``jax.sharding.Mesh`` with
``NamedSharding`` (rows of ``X``, of the targets and of the sample weights split along the mesh's
row axes) and the existing jit-compiled solvers run unchanged: XLA's SPMD partitioner keeps the
per-row work (``XWᵀ``, losses, ``Aᵀdiag(r)A``) on the device holding the rows and reduces the sums
``Σᵢ s̃ᵢ(…)`` that make the objective, gradient and Hessian with all-reduces; the coefficients,
small, are replicated. The same program runs on one host with several devices or, after
``jax.distributed.initialize``, on many hosts (multi-controller: every process runs this code).

Padding. A mesh splits an axis only into equal parts, so the ``n`` rows are padded to
``n' = ⌈n/D⌉·D`` (``D`` = row shards) with rows of zeros whose sample weight is zero. Every
quantity a solver uses is a sum over rows weighted by ``s̃ᵢ = sᵢ/Σₗsₗ``, to which such rows add
exactly zero, so the solution is that of the unpadded problem (up to summation order, which
changes the last bits only). Minibatch solvers (``sgd``, ``adam``) draw minibatches from the
padded rows and so follow a different random path.

Batch axis. A mesh axis named ``"batch"`` shards the leading axis of batched problems (one-vs-rest
targets ``(B, n, K)``) when ``B`` is a multiple of its size, and is replicated otherwise.

Sparse ``X`` (SciPy). The padded rows are cut into ``D`` blocks of ``b = n'/D`` rows; block
``d``'s nonzeros fill a slab of ``c`` slots (``c`` the most nonzeros of a block, empty slots
zeros on the block's last row), so the stored values of the ``core.design.SparseDesign``
(``row_blocks = D``) split over the devices like the rows: each device holds its rows'
nonzeros and no others, its products run on them alone, and a gradient pass ends with one
all-reduce of ``Rᵀ X (K, p)``. There is no column-major copy (it would mix the devices'
nonzeros): the methods that walk columns (``"cd"``, working sets) refuse such an ``X``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import numpy as np
import scipy.sparse
from jax.experimental import multihost_utils
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from ..core.design import SparseDesign

__all__ = [
    "BATCH",
    "ROWS",
    "fetch",
    "make_mesh",
    "padded_rows",
    "process_local_rows",
    "row_axes",
    "shard_data",
    "shard_rows",
    "shard_sparse_rows",
]

#: Mesh axis names: rows of the data, and the batch of problems (optional).
ROWS = "rows"
BATCH = "batch"


def make_mesh(n_row_shards: int | None = None, n_batch_shards: int = 1, *, devices=None) -> Mesh:
    """A ``(batch, rows)`` mesh over ``devices`` (default ``jax.devices()``: every process's).

    ``n_row_shards`` defaults to ``len(devices) // n_batch_shards``; the mesh uses the first
    ``n_batch_shards · n_row_shards`` devices. Its axes are ``Auto`` (jit partitions the program).
    """
    devices = list(jax.devices() if devices is None else devices)
    if n_batch_shards < 1 or (n_row_shards is not None and n_row_shards < 1):
        raise ValueError("n_row_shards and n_batch_shards must be positive integers")
    if n_row_shards is None:
        n_row_shards = max(1, len(devices) // n_batch_shards)
    size = n_row_shards * n_batch_shards
    if size > len(devices):
        raise ValueError(
            f"a mesh of {n_batch_shards} x {n_row_shards} devices needs {size} devices, but "
            f"only {len(devices)} are available; on CPU, simulate more with "
            "XLA_FLAGS=--xla_force_host_platform_device_count=N (before JAX starts)"
        )
    return jax.make_mesh(
        (n_batch_shards, n_row_shards),
        (BATCH, ROWS),
        axis_types=(AxisType.Auto, AxisType.Auto),
        devices=devices[:size],
    )


def _check_mesh(mesh) -> Mesh:
    """``mesh`` with ``Auto`` axes: jit's partitioner, not sharding-in-types, places the work."""
    if not isinstance(mesh, Mesh):
        raise TypeError(
            f"mesh must be a jax.sharding.Mesh (e.g. jaxlogreg.sharding.make_mesh()), got {mesh!r}"
        )
    if all(kind == AxisType.Auto for kind in mesh.axis_types):
        return mesh
    return Mesh(mesh.devices, mesh.axis_names, axis_types=(AxisType.Auto,) * len(mesh.axis_names))


def row_axes(mesh: Mesh) -> tuple[str, ...]:
    """The axes the rows are split over: ``"rows"`` if the mesh has it, else all but ``"batch"``."""
    if ROWS in mesh.axis_names:
        return (ROWS,)
    return tuple(name for name in mesh.axis_names if name != BATCH)


def _n_shards(mesh: Mesh, axes: Sequence[str]) -> int:
    return math.prod(mesh.shape[name] for name in axes)


def padded_rows(n: int, mesh: Mesh) -> int:
    """``n`` rounded up to a multiple of the number of row shards of ``mesh``."""
    shards = _n_shards(mesh, row_axes(mesh))
    return -(-n // shards) * shards


def _put(array: np.ndarray, shape: tuple[int, ...], sharding: NamedSharding) -> jax.Array:
    """A global array of ``shape``: ``array`` zero-padded along every axis to ``shape``.

    Built shard by shard (``make_array_from_callback``): each process reads only the rows of its
    own devices, so a memory-mapped ``array`` is never read whole, and no padded copy is made.
    """

    def shard(index: tuple[slice, ...]) -> np.ndarray:
        bounds = [s.indices(size)[:2] for s, size in zip(index, shape, strict=True)]
        block = np.zeros([stop - start for start, stop in bounds], array.dtype)
        inside = zip(bounds, array.shape, strict=True)
        part = array[tuple(slice(a, min(b, have)) for (a, b), have in inside)]
        block[tuple(slice(0, size) for size in part.shape)] = part
        return block

    return jax.make_array_from_callback(shape, sharding, shard)


def shard_rows(mesh: Mesh, array, *, axis: int = 0) -> jax.Array:
    """``array`` with axis ``axis`` (the rows) zero-padded to ``padded_rows`` and sharded.

    With ``axis=1`` the leading (batch) axis is sharded over the mesh's ``"batch"`` axis when it
    has one and the batch size is a multiple of it.
    """
    mesh = _check_mesh(mesh)
    array = np.asarray(array) if not isinstance(array, np.ndarray) else array
    spec = [None] * array.ndim
    spec[axis] = row_axes(mesh)
    if axis == 1 and BATCH in mesh.axis_names and array.shape[0] % mesh.shape[BATCH] == 0:
        spec[0] = BATCH
    shape = list(array.shape)
    shape[axis] = padded_rows(array.shape[axis], mesh)
    return _put(array, tuple(shape), NamedSharding(mesh, P(*spec)))


def shard_data(mesh: Mesh, X, targets, sample_weight) -> tuple:
    """``X (n, p)`` (dense, or SciPy sparse: a ``SparseDesign``), ``targets (n, K)`` or batched
    ``(B, n, K)`` and ``sample_weight (n,)`` with their rows padded (zero weight) and sharded
    over ``mesh``; see the module docstring."""
    targets = np.asarray(targets)
    X = shard_sparse_rows(mesh, X) if scipy.sparse.issparse(X) else shard_rows(mesh, X)
    sample_weight = shard_rows(mesh, sample_weight)
    targets = shard_rows(mesh, targets, axis=targets.ndim - 2)
    return X, targets, sample_weight


def process_local_rows(mesh: Mesh, X, targets, sample_weight=None) -> tuple:
    """Global arrays from the rows each process holds (multi-host: call it in every process).

    Every process passes its own rows ``X (nₚ, p)`` (dense, or SciPy sparse: a
    ``SparseDesign``, module docstring), ``targets (nₚ,)`` or ``(nₚ, K)`` and optionally
    ``sample_weight (nₚ,)`` (default ones); the global arrays stack them in process order. Each
    process's rows are zero-padded, with zero weight, to a common count that its devices divide
    (``jax.make_array_from_process_local_data`` needs equal shards), so the fit equals that of
    the concatenated rows. The mesh's row axes must span every process's devices.
    """
    mesh = _check_mesh(mesh)
    sparse = scipy.sparse.issparse(X)
    X = scipy.sparse.csr_matrix(X) if sparse else np.asarray(X)
    targets = np.asarray(targets)
    n_local = X.shape[0]
    if targets.shape[0] != n_local:
        raise ValueError(f"targets has {targets.shape[0]} rows but X has {n_local}")
    weights = np.ones(n_local, X.dtype) if sample_weight is None else np.asarray(sample_weight)
    n_processes = jax.process_count()
    local_shards = _n_shards(mesh, row_axes(mesh)) // n_processes
    if local_shards * n_processes != _n_shards(mesh, row_axes(mesh)):
        raise ValueError("the mesh's row shards must be spread evenly over the processes")
    per_process = -(-_largest(n_local) // local_shards) * local_shards
    sharding = NamedSharding(mesh, P(row_axes(mesh)))

    def global_array(local: np.ndarray, rows: int = per_process) -> jax.Array:
        padded = np.zeros((rows, *local.shape[1:]), local.dtype)
        padded[: local.shape[0]] = local
        shape = (rows * n_processes, *local.shape[1:])
        return jax.make_array_from_process_local_data(sharding, padded, shape)

    if not sparse:
        X = global_array(X)
    else:  # each process's row blocks, in slabs of a capacity common to all processes
        blocks = _row_blocks(X, local_shards, per_process // local_shards)
        capacity = max(1, _largest(max(values.size for values, _, _ in blocks)))
        shape = (per_process * n_processes, X.shape[1])
        index = _index_dtype(capacity * local_shards * n_processes, *shape)
        first_row = jax.process_index() * per_process
        slabs = _slabs(blocks, capacity, first_row, per_process // local_shards, index)
        stored = [global_array(a, capacity * local_shards) for a in slabs[:3]]
        ptr = slabs[3] + jax.process_index() * capacity * local_shards  # global positions
        ptr = np.asarray(multihost_utils.process_allgather(ptr, tiled=True)).reshape(-1)
        X = _sparse_design(mesh, *stored, ptr, shape, blocks)
    return X, global_array(targets), global_array(weights)


def _largest(value: int) -> int:
    """The largest of every process's ``value`` (a collective: call it in every process)."""
    return int(np.asarray(multihost_utils.process_allgather(np.asarray([value]))).max())


def shard_sparse_rows(mesh: Mesh, X) -> SparseDesign:
    """A SciPy sparse ``X (n, p)`` as a ``SparseDesign`` of ``padded_rows(n, mesh)`` rows whose
    nonzeros are split over ``mesh``'s row axes by row block (module docstring)."""
    mesh = _check_mesh(mesh)
    X = scipy.sparse.csr_matrix(X)
    n_blocks = _n_shards(mesh, row_axes(mesh))
    n_rows = padded_rows(X.shape[0], mesh)
    blocks = _row_blocks(X, n_blocks, n_rows // n_blocks)
    capacity = max(1, max(values.size for values, _, _ in blocks))
    index = _index_dtype(capacity * n_blocks, n_rows, X.shape[1])
    slabs = _slabs(blocks, capacity, 0, n_rows // n_blocks, index)
    sharded = NamedSharding(mesh, P(row_axes(mesh)))
    stored = [_put(a, a.shape, sharded) for a in slabs[:3]]  # each process reads its slabs
    return _sparse_design(mesh, *stored, slabs[3], (n_rows, X.shape[1]), blocks)


def _index_dtype(*sizes: int):
    """int32, or int64 from ``2³¹`` stored values, rows or columns (as ``core.design``)."""
    return np.int32 if max(sizes) < 2**31 else np.int64


def _row_blocks(X: scipy.sparse.csr_matrix, n_blocks: int, block_rows: int) -> list:
    """``X``'s rows as ``n_blocks`` blocks of ``block_rows`` rows (the last ones padded with
    empty rows): ``(data, indices, indptr)`` of each, ``indptr`` local to the block."""
    X = X.sorted_indices()
    blocks = []
    for d in range(n_blocks):
        start, stop = min(d * block_rows, X.shape[0]), min((d + 1) * block_rows, X.shape[0])
        lo, hi = X.indptr[start], X.indptr[stop]
        indptr = X.indptr[start : stop + 1] - lo
        indptr = np.concatenate([indptr, np.full(block_rows - (stop - start), indptr[-1])])
        blocks.append((X.data[lo:hi], X.indices[lo:hi], indptr))
    return blocks


def _slabs(blocks: list, capacity: int, first_row: int, block_rows: int, index) -> list:
    """The blocks in slabs of ``capacity`` slots: ``data``, global ``rows``, ``cols`` and the
    row pointers of the blocks' rows from 0 (the end pointer left out), indices in ``index``."""
    parts = {"data": [], "rows": [], "cols": [], "ptr": []}
    for d, (values, indices, indptr) in enumerate(blocks):
        empty = capacity - values.size
        counts = np.diff(indptr)
        counts[-1] += empty  # the empty slots belong to the block's last row
        start = first_row + d * block_rows
        parts["data"].append(np.concatenate([values, np.zeros(empty, values.dtype)]))
        parts["rows"].append(np.repeat(np.arange(start, start + block_rows), counts))
        parts["cols"].append(np.concatenate([indices, np.zeros(empty, indices.dtype)]))
        parts["ptr"].append(d * capacity + indptr[:-1])
    data, rows, cols, ptr = (np.concatenate(part) for part in parts.values())
    return [data, rows.astype(index), cols.astype(index), ptr.astype(index)]


def _sparse_design(mesh, data, rows, cols, ptr, shape, blocks) -> SparseDesign:
    """The ``SparseDesign`` of sharded slabs; ``ptr``: every row's start (replicated)."""
    longest = _largest(max(int(np.diff(indptr).max(initial=0)) for _, _, indptr in blocks))
    row_ptr = np.concatenate([ptr, [data.shape[0]]]).astype(rows.dtype)
    return SparseDesign(
        data=data,
        rows=rows,
        cols=cols,
        row_ptr=jax.device_put(row_ptr, NamedSharding(mesh, P())),
        by_columns=None,
        shape=shape,
        max_row_nnz=longest,
        row_blocks=_n_shards(mesh, row_axes(mesh)),
    )


def _to_host(x):
    if not isinstance(x, jax.Array) or x.is_fully_addressable:
        return np.asarray(x)
    if x.sharding.is_fully_replicated:
        return np.asarray(x.addressable_data(0))
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))


def fetch(tree):
    """Every array of ``tree`` as NumPy, also when it spans devices of other processes.

    A replicated result (coefficients, diagnostics) is read from a local copy; a sharded one is
    gathered from every process (a collective: call it in every process).
    """
    return jax.tree_util.tree_map(_to_host, tree)
