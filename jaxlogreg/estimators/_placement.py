"""Where an estimator's fit runs: its rows padded on one device, or sharded over a mesh."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from ..engine.functional import FitArrays, solve, solve_many
from ..engine.shapes import bucket_rows, pad_rows, padded_on_device, padded_sparse_design
from ..scale import sharding

__all__ = ["placed_solve"]


def placed_solve(
    mesh, X, targets, weights, *arrays, offset=None, bounds=None, one_vs_rest: bool, **static
):
    """``jaxlogreg.engine.functional.solve`` on the data, its rows split over ``mesh`` when one
    is given, else padded to a row bucket (nearby row counts share one program; padding rows have
    weight and offset ``0``). One-vs-rest solves the class problems (``targets (K, n, 1)``,
    ``init (K, 1, d)``, ``offset (K, n, 1)``) in one ``vmap``, which shares ``X``. A CSR ``X``
    is solved as a ``core.design.SparseDesign``. ``arrays``: ``solve``'s arrays after the
    weights; ``offset``: ``None``, or in the layout of ``targets``; ``bounds``: ``None``, or
    ``solve``'s ``(lower, upper)`` (one-vs-rest: one row per class, ``(K, 1, p)``)."""
    sparse = scipy.sparse.issparse(X)
    if sparse and mesh is not None:
        raise ValueError(
            "mesh= shards the rows of a dense X only (sparse rows are not sharded): pass "
            "mesh=None to fit the sparse X on one device, or X.toarray() if it fits in memory"
        )
    if offset is not None:
        offset = np.asarray(offset, X.dtype)
    if mesh is None:
        n_rows = bucket_rows(X)
        targets = pad_rows(targets, n_rows, axis=np.ndim(targets) - 2)
        X = padded_sparse_design(X, n_rows) if sparse else padded_on_device(X, n_rows)
        data = (X, targets, pad_rows(weights, n_rows))
        if offset is not None:
            offset = pad_rows(offset, n_rows, axis=offset.ndim - 2)
    else:
        data = sharding.shard_data(mesh, X, targets, weights)
        if offset is not None:
            offset = sharding.shard_rows(mesh, offset, axis=offset.ndim - 2)
    offsets = () if offset is None else (offset,)  # without one, solve's eight arrays
    if bounds is not None:
        offsets = (offset, *bounds)
    if one_vs_rest:
        axes = FitArrays(targets=0, init=0)
        if offset is not None:
            axes = axes._replace(offset=0)
        if bounds is not None:
            axes = axes._replace(lower=0, upper=0)
        result = solve_many(axes, **static)(*data, *arrays, *offsets)
    else:
        result = solve(*data, *arrays, *offsets, **static)
    return sharding.fetch(result)
