"""Where an estimator's fit runs: its rows padded on one device, or sharded over a mesh."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from ..engine.functional import FitArrays, check_row_wise, reads_columns, solve, solve_many
from ..engine.shapes import (
    bucket_columns,
    bucket_rows,
    pad_rows,
    padded_on_device,
    padded_sparse_design,
)
from ..scale import sharding
from ..solvers import get_solver

__all__ = ["placed_solve"]


def placed_solve(
    mesh, X, targets, weights, *arrays, offset=None, bounds=None, one_vs_rest: bool, **static
):
    """``jaxlogreg.engine.functional.solve`` on the data, its rows split over ``mesh`` when one
    is given (a CSR ``X`` by row blocks, ``scale.sharding``, for the row-wise solvers), else
    padded to a row bucket (nearby row counts share one program; padding rows have weight and
    offset ``0``), and for a ridge fit (``_padded_columns``) its columns to a column bucket
    (zero columns, whose coefficients stay ``0`` and are dropped). One-vs-rest solves the
    class problems (``targets (K, n, 1)``, ``init (K, 1, d)``, ``offset (K, n, 1)``) in one
    ``vmap``, which shares ``X``. A CSR ``X`` is solved as a ``core.design.SparseDesign``.
    ``arrays``: ``solve``'s arrays after the weights; ``offset``: ``None``, or in the layout of
    ``targets``; ``bounds``: ``None``, or ``solve``'s ``(lower, upper)`` (one-vs-rest: one row
    per class, ``(K, 1, p)``)."""
    sparse = scipy.sparse.issparse(X)
    if sparse and mesh is not None:  # row blocks on the devices, without column access
        check_row_wise(get_solver(static["solver"]), working_sets=False)
    if offset is not None:
        offset = np.asarray(offset, X.dtype)
    p = n_columns = X.shape[1]
    if mesh is None:
        n_columns = _padded_columns(X, arrays, bounds, static)
        arrays = _with_padded_columns(arrays, p, n_columns)
        n_rows = bucket_rows(X, n_columns=n_columns)
        targets = pad_rows(targets, n_rows, axis=np.ndim(targets) - 2)
        if sparse:
            columns = reads_columns(get_solver(static["solver"]), working_sets=False)
            X = padded_sparse_design(X, n_rows, columns=columns)
        else:
            X = padded_on_device(X, n_rows, n_columns=n_columns)
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
    result = sharding.fetch(result)
    return result._replace(coef=result.coef[..., :p]) if n_columns > p else result


def _padded_columns(X, arrays, bounds, static) -> int:
    """The columns ``X`` is padded to: ``engine.shapes.bucket_columns`` for a ridge fit
    (``λ > 0``, ``l1_ratio = 0``, no bounds, no grouping), whose zero columns keep zero
    coefficients under every solver (``engine.shapes``); else its own."""
    lam, l1_ratio = arrays[0], arrays[1]
    ridge = np.all(np.asarray(lam) > 0) and np.all(np.asarray(l1_ratio) == 0)
    if not ridge or bounds is not None or static.get("grouped"):
        return X.shape[1]
    return bucket_columns(X)


def _with_padded_columns(arrays, p: int, n_columns: int) -> tuple:
    """``solve``'s ``(lam, l1_ratio, penalty_factor (p,), init (…, p + fit_intercept), tol)``
    for ``n_columns`` columns: penalty factors ``1`` and initial coefficients ``0`` for the
    padding columns, inserted before the intercept column of ``init``."""
    lam, l1_ratio, factors, init, tol = arrays
    missing = n_columns - p
    if missing == 0:
        return arrays
    factors = np.concatenate([factors, np.ones(missing, factors.dtype)])
    zeros = np.zeros((*init.shape[:-1], missing), init.dtype)
    init = np.concatenate([init[..., :p], zeros, init[..., p:]], axis=-1)
    return lam, l1_ratio, factors, init, tol
