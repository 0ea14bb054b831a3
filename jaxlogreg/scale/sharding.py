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
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

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


def shard_data(mesh: Mesh, X, targets, sample_weight) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``X (n, p)``, ``targets (n, K)`` or batched ``(B, n, K)`` and ``sample_weight (n,)`` with
    their rows padded (zero weight) and sharded over ``mesh``; see the module docstring."""
    targets = np.asarray(targets)
    X = shard_rows(mesh, X)
    sample_weight = shard_rows(mesh, sample_weight)
    targets = shard_rows(mesh, targets, axis=targets.ndim - 2)
    return X, targets, sample_weight


def process_local_rows(
    mesh: Mesh, X, targets, sample_weight=None
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Global arrays from the rows each process holds (multi-host: call it in every process).

    Every process passes its own rows ``X (nₚ, p)``, ``targets (nₚ,)`` or ``(nₚ, K)`` and
    optionally ``sample_weight (nₚ,)`` (default ones); the global arrays stack them in process
    order. Each process's rows are zero-padded, with zero weight, to a common count that its
    devices divide (``jax.make_array_from_process_local_data`` needs equal shards), so the fit
    equals that of the concatenated rows. The mesh's row axes must span every process's devices.
    """
    mesh = _check_mesh(mesh)
    X = np.asarray(X)
    targets = np.asarray(targets)
    n_local = X.shape[0]
    if targets.shape[0] != n_local:
        raise ValueError(f"targets has {targets.shape[0]} rows but X has {n_local}")
    weights = np.ones(n_local, X.dtype) if sample_weight is None else np.asarray(sample_weight)
    counts = np.asarray(multihost_utils.process_allgather(np.asarray([n_local]))).reshape(-1)
    n_processes = counts.size
    local_shards = _n_shards(mesh, row_axes(mesh)) // n_processes
    if local_shards * n_processes != _n_shards(mesh, row_axes(mesh)):
        raise ValueError("the mesh's row shards must be spread evenly over the processes")
    per_process = -(-int(counts.max()) // local_shards) * local_shards
    sharding = NamedSharding(mesh, P(row_axes(mesh)))

    def global_array(local: np.ndarray) -> jax.Array:
        padded = np.zeros((per_process, *local.shape[1:]), local.dtype)
        padded[:n_local] = local
        shape = (per_process * n_processes, *local.shape[1:])
        return jax.make_array_from_process_local_data(sharding, padded, shape)

    return global_array(X), global_array(targets), global_array(weights)


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
