"""``regularization_path``: logistic-regression solutions along a decreasing grid of ``λ``.

The user-facing path over the compiled engine (``jaxlogreg.engine.path``): it checks the
arguments, encodes the labels, places the data on the device(s), lays out the default grid
(``n_lambdas`` values log-spaced from ``λ_max`` down to ``λ_max·lambda_min_ratio``), runs the path
(vmapped over the classes for one-vs-rest) and returns NumPy results, warning about the ``λ``
whose solve did not converge and about separable data when the grid ends unpenalized.

A sparse ``X`` (``scipy.sparse``, JAX BCOO) stays sparse: a CSR matrix whose rows are padded
like a dense ``X``'s (``engine.shapes.padded_sparse_design``), solved as one
``core.design.SparseDesign`` (shared by the vmapped one-vs-rest classes), without working sets.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse
from sklearn.utils.multiclass import check_classification_targets

from .._validation import (
    check_choice,
    check_finite_result,
    check_l1_ratio,
    check_penalty_factor,
    check_positive_int,
    check_positive_number,
    check_sample_weight,
    validate_inputs,
    warn_on_feature_scale,
)
from ..core.constraints import model_constraints
from ..core.losses import Loss
from ..core.standardization import feature_scales, scale_columns
from ..core.targets import (
    MULTI_CLASS,
    Mode,
    choose_mode,
    encode_offset,
    encode_targets,
    score_offset,
)
from ..engine.functional import FitResult
from ..engine.path import lambda_max, null_init, path, reads_transposed
from ..engine.shapes import bucket_rows, pad_rows, padded_on_device, padded_sparse_design
from ..inference.separation import warn_if_separable
from ..scale import sharding
from ..solvers import SOLVERS, get_solver
from ..solvers.auto import auto_solver
from ..solvers.stop import warn_not_converged

__all__ = ["RegularizationPath", "regularization_path"]


class RegularizationPath(NamedTuple):
    """What ``regularization_path`` returns (NumPy arrays).

    ``coef`` is ``(L, p)`` for a binary model, ``(L, K, p)`` for multinomial and one-vs-rest;
    ``intercept`` ``(L,)`` or ``(L, K)``; the diagnostics ``n_iter``, ``converged``,
    ``stop_reason`` (a ``jaxlogreg.solvers.stop.StopReason`` code), ``objective`` and
    ``kkt_violation`` (the largest violation of the optimality conditions) are ``(L,)``, or
    ``(L, K)`` for one-vs-rest (one binary problem per class); ``objective`` is ``F_λ`` in the
    glmnet convention. ``classes`` are the sorted labels and ``l1_ratio`` is ``α``.
    """

    lambdas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    stop_reason: np.ndarray
    objective: np.ndarray
    kkt_violation: np.ndarray
    classes: np.ndarray
    l1_ratio: float


class _Data(NamedTuple):
    """The checked inputs of a path: ``X (n, p)`` in the compute dtype (dense, or a CSR matrix
    kept sparse; divided by ``scales`` when standardized), class indices ``y_index``, the sorted
    ``classes``, weights, penalty factors, the mode, its solver targets, loss and offset (in the
    targets' layout, ``engine.path``'s; ``None``: none) and the column ``scales`` (ones unless
    standardized)."""

    X: np.ndarray | scipy.sparse.csr_matrix
    y_index: np.ndarray
    classes: np.ndarray
    weights: np.ndarray
    factor: np.ndarray
    mode: Mode
    targets: np.ndarray
    loss: Loss
    offset: np.ndarray | None
    scales: np.ndarray


def _checked_data(X, y, sample_weight, penalty_factor, multi_class: str, offset, standardize):
    """Validated arrays (``UserWarning`` for badly scaled features unless standardized), the
    labels' encoding, the offset in its layout and the columns scaled with ``standardize``."""
    check_choice("standardize", standardize, (False, True))
    dtype = np.dtype(jnp.result_type(float))
    X, y = validate_inputs(None, X, y, dtype=[np.float64, np.float32])
    X = X.astype(dtype, copy=False)
    if not standardize:
        warn_on_feature_scale(X, stacklevel=4)
    check_classification_targets(y)
    classes, y_index = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y has only 1 class ({classes[0]!r}); a path needs at least 2 classes")
    n, p = X.shape
    weights = check_sample_weight(sample_weight, n, dtype)
    factor = check_penalty_factor(penalty_factor, p).astype(dtype)
    mode = choose_mode(multi_class, len(classes))
    targets, loss = encode_targets(y_index, len(classes), mode, dtype)
    offset = encode_offset(score_offset(offset, n, len(classes), mode), mode)
    offset = None if offset is None else offset.astype(dtype)
    scales = feature_scales(X, weights) if standardize else np.ones(p)
    X = scale_columns(X, scales) if standardize else X
    return _Data(X, y_index, classes, weights, factor, mode, targets, loss, offset, scales)


def _check_lambdas(lambdas) -> np.ndarray:
    """A finite non-negative 1-D grid, sorted in decreasing order (with a warning if it was not)."""
    lambdas = np.asarray(lambdas, dtype=np.float64)
    if lambdas.ndim != 1 or lambdas.size == 0:
        raise ValueError(f"lambdas must be a non-empty 1-D array, got shape {lambdas.shape}")
    if not np.all(np.isfinite(lambdas)):
        raise ValueError("lambdas contains NaN or infinity")
    if np.any(lambdas < 0):
        raise ValueError(f"lambdas must be >= 0, got min {lambdas.min()!r}")
    if np.any(np.diff(lambdas) > 0):
        warnings.warn(
            "lambdas is not in decreasing order; it was sorted from largest to smallest "
            "(warm starts run from strong to weak penalties)",
            UserWarning,
            stacklevel=4,
        )
        lambdas = np.sort(lambdas)[::-1]
    return lambdas


def _default_grid(largest, n_lambdas: int, lambda_min_ratio, shape) -> np.ndarray:
    """``n_lambdas`` values log-spaced from ``λ_max = largest()`` (``1`` when it is zero) down to
    ``λ_max·lambda_min_ratio`` (default ``1e-4`` if ``n > p`` else ``1e-2``, for ``X`` of
    ``shape``)."""
    n_lambdas = check_positive_int("n_lambdas", n_lambdas)
    if lambda_min_ratio is None:
        lambda_min_ratio = 1e-4 if shape[0] > shape[1] else 1e-2
    ratio = check_positive_number("lambda_min_ratio", lambda_min_ratio)
    if not ratio < 1:
        raise ValueError(f"lambda_min_ratio must be in (0, 1), got {lambda_min_ratio!r}")
    lmax = largest()
    lmax = lmax if lmax > 0 else 1.0
    grid = lmax * ratio ** np.linspace(0.0, 1.0, n_lambdas) if n_lambdas > 1 else [lmax]
    return np.asarray(grid, dtype=np.float64)


def _on_device(data: _Data, mesh, transposed: bool) -> tuple:
    """``(X, X_T, targets, weights, offset)`` as the path reads them: rows sharded over
    ``mesh``; else ``Xᵀ`` alone, laid out once (``X = None``), when the path transposes; else
    ``X`` (``X_T = None``; a ``SparseDesign`` for a sparse ``X``); their rows padded to
    ``engine.shapes.bucket_rows`` (padding rows: zero weight, zero offset)."""
    sparse = scipy.sparse.issparse(data.X)
    if sparse and mesh is not None:
        raise ValueError(
            "a path takes mesh= with a dense X only (a sparse X sharded over devices keeps no "
            "columns, which the path's screening and coordinate descent walk): pass mesh=None "
            "to run the path on one device, or fit each λ with LogisticRegression(mesh=...)"
        )
    offset = data.offset
    if mesh is not None:
        X, targets, weights = sharding.shard_data(mesh, data.X, data.targets, data.weights)
        if offset is not None:
            offset = sharding.shard_rows(mesh, offset, axis=offset.ndim - 2)
        return X, None, targets, weights, offset
    # rows padded with zero weight (engine.shapes): nearby row counts share one program
    n_rows = bucket_rows(data.X, copied=transposed)
    if sparse:
        X = padded_sparse_design(data.X, n_rows)
    else:
        X = padded_on_device(data.X, n_rows, transposed=transposed)
    targets = pad_rows(data.targets, n_rows, axis=np.ndim(data.targets) - 2)
    weights = pad_rows(data.weights, n_rows)
    if offset is not None:
        offset = pad_rows(offset, n_rows, axis=offset.ndim - 2)
    located = (None, X) if transposed else (X, None)
    return (*located, targets, weights, offset)


def _solver_and_constraints(
    data: _Data, solver: str, l1: bool, fit_intercept, lower_bounds, upper_bounds, multinomial_l1
) -> tuple[str, bool, dict]:
    """The solver (``"auto"``: ``auto_solver``'s, ``"cd"`` with an L1 part, bounds or grouping),
    checked; ``grouped``; and ``engine.path.path``'s ``lower``, ``upper`` (scaled with the
    columns; ``(K, 1, p)`` one-vs-rest), checked as ``LogisticRegression`` checks them
    (``core.constraints.model_constraints``)."""
    options = (lower_bounds, upper_bounds, multinomial_l1, data.mode)
    constraints = model_constraints(*options, len(data.classes), data.X.shape[1])
    checked = constraints.checked
    if solver == "auto":
        n_params = data.targets.shape[-1] * (data.X.shape[1] + int(fit_intercept))
        sparse = scipy.sparse.issparse(data.X)
        options = dict(l1=l1 or checked.grouped, bounds=checked.bounded, sparse=sparse)
        solver = auto_solver(n_params=n_params, **options)
    get_solver(solver, l1=l1, bounds=checked.bounded, grouped=checked.grouped)
    lower, upper = constraints.bounds(data.scales, data.X.dtype) or (None, None)
    return solver, checked.grouped, dict(lower=lower, upper=upper)


def _check_screening(screening, *, l1: bool, batched: bool) -> bool:
    """Whether the path uses working sets: by default with an L1 part, except one-vs-rest (working
    sets branch on the data, and under ``vmap`` every branch would run). A sparse ``X`` is
    solved on as it is, its left-out columns pinned at zero (``engine.working_columns``)."""
    if screening is None:
        return l1 and not batched
    return bool(screening)


def _per_lambda(result: FitResult, mode: Mode) -> dict:
    """The path's arrays as ``RegularizationPath`` holds them: binary rows squeezed, and the
    one-vs-rest class axis moved after the ``λ`` axis (``(K, L, 1, …) -> (L, K, …)``)."""
    diagnostics = ("n_iter", "converged", "stop_reason", "objective", "kkt_violation")
    arrays = {name: getattr(result, name) for name in diagnostics}
    coef, intercept = result.coef, result.intercept
    if mode == Mode.BINARY:
        coef, intercept = coef[:, 0], intercept[:, 0]
    elif mode == Mode.OVR:
        coef = coef[:, :, 0].transpose(1, 0, 2)
        intercept = intercept[:, :, 0].T
        arrays = {name: values.T for name, values in arrays.items()}
    return {"coef": coef, "intercept": intercept, **arrays}


def _warn_not_converged(path: RegularizationPath, solver: str, tol: float, max_iter: int):
    """A ``ConvergenceWarning`` naming the ``λ`` (at most ten) whose solve did not converge, why
    (the worst ``StopReason``), and the largest KKT violation."""
    converged = path.converged
    failed = ~converged if converged.ndim == 1 else ~converged.all(axis=1)
    if not failed.any():
        return
    shown = ", ".join(f"{lam:.4g}" for lam in path.lambdas[failed][:10])
    more = f" and {failed.sum() - 10} more" if failed.sum() > 10 else ""
    warn_not_converged(
        f"solver {solver!r}",
        path.stop_reason[failed],
        float(np.max(path.kkt_violation)),
        tol,
        max_iter=max_iter,
        where=f"at lambda = {shown}{more}",
        advice="Increase max_iter, standardize the features, or loosen tol.",
        stacklevel=3,
    )


def regularization_path(
    X,
    y,
    *,
    lambdas=None,
    n_lambdas: int = 100,
    lambda_min_ratio=None,
    l1_ratio=0.0,
    multi_class: str = "auto",
    fit_intercept: bool = True,
    sample_weight=None,
    penalty_factor=None,
    solver: str = "auto",
    tol=1e-7,
    max_iter: int = 1000,
    screening=None,
    mesh=None,
    offset=None,
    standardize: bool = False,
    lower_bounds=None,
    upper_bounds=None,
    multinomial_l1: str = "ungrouped",
) -> RegularizationPath:
    """Logistic-regression solutions along a decreasing grid of ``λ`` (glmnet convention).

    Minimizes ``(1/Σs)·Σ sᵢℓᵢ + λ[(1−α)/2‖W‖² + α‖W‖₁]`` (per-feature factors ``ϖ``) for every
    ``λ``; scikit-learn's ``C`` is ``1/(λ·Σs)`` (``jaxlogreg.core.penalties.lam_of_C``).

    Args:
        X: ``(n, p)`` features, dense or sparse (``scipy.sparse``, JAX BCOO: kept sparse).
        y: ``(n,)`` labels of any type (classes sorted with ``np.unique``).
        lambdas: explicit grid ``(L,)`` of non-negative values; sorted into decreasing order
            with a ``UserWarning`` when it is not. Default: ``n_lambdas`` log-spaced values from
            ``λ_max`` down to ``λ_max·lambda_min_ratio`` (``λ_max`` of ``lambda_max``; the
            largest over classes for one-vs-rest; ``1`` when no column can enter the model).
        n_lambdas: size of the default grid.
        lambda_min_ratio: in ``(0, 1)``; default ``1e-4`` if ``n > p`` else ``1e-2``.
        l1_ratio: ``α ∈ [0, 1]``.
        multi_class: ``"auto"`` (binary for 2 classes, else multinomial), ``"multinomial"`` or
            ``"ovr"`` (binary with 2 classes, like ``LogisticRegression``).
        fit_intercept: fit unpenalized intercepts.
        sample_weight: ``(n,)`` non-negative weights.
        penalty_factor: ``(p,)`` non-negative per-feature factors ``ϖ`` (default ones).
        solver: ``"auto"`` (``"cd"`` when ``α > 0``, else Newton or L-BFGS) or a solver name.
        tol: largest KKT violation accepted at each ``λ``.
        max_iter: most solver iterations per ``λ``.
        screening: strong-rule working sets (default: on when ``α > 0``, except one-vs-rest,
            whose classes run vmapped, and a sparse ``X``, which runs without them).
        mesh: a ``jax.sharding.Mesh`` to split the rows over its devices (one-vs-rest classes
            over its ``"batch"`` axis); same path as without (``jaxlogreg.sharding``). Dense
            ``X`` only.
        offset: a known term added to the decision values (glmnet's ``offset``), in the
            layout of ``LogisticRegression.fit``'s: ``(n,)`` for two classes, ``(n, K)`` for a
            multinomial, ``(n,)`` or ``(n, K)`` for one-vs-rest. ``λ_max`` and the first point
            are then those of the intercept-only fit with that offset (``core.null_model``).
        standardize: solve on the columns divided by their weighted standard deviations ``σ``
            and report ``β = β̃/σ`` (glmnet's ``standardize = TRUE``, as
            ``LogisticRegression(standardize=True)``; ``λ_max`` is that of the scaled columns).
        lower_bounds, upper_bounds: box constraints on the coefficients, shared by every
            ``λ`` (glmnet's ``lower.limits`` / ``upper.limits``, as in ``LogisticRegression``):
            a number ``≤ 0`` / ``≥ 0``, a ``(p,)`` vector or a ``(K, p)`` array, on the original
            scale of the features; intercepts are free. ``λ_max`` then counts only the feasible
            directions at the intercept-only fit (``engine.path.lambda_max``).
        multinomial_l1: ``"ungrouped"`` or ``"grouped"`` (glmnet's ``type.multinomial``): the
            ``K`` coefficients of a feature enter or leave the model together (multinomial
            only; not with bounds). Bounds and grouping need ``solver`` ``"prox"`` or ``"cd"``
            (``"auto"`` picks ``"cd"``); bounds without an L1 part also ``"lbfgs"`` (which
            ``"auto"`` picks for them).

    Returns:
        A ``RegularizationPath``. A ``ConvergenceWarning`` names the ``λ`` values whose solve did
        not converge.
    """
    check_choice("multi_class", multi_class, MULTI_CLASS)
    check_choice("solver", solver, ("auto", *SOLVERS))
    alpha = check_l1_ratio(l1_ratio)
    tol = check_positive_number("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    data = _checked_data(X, y, sample_weight, penalty_factor, multi_class, offset, standardize)
    l1, batched = alpha > 0, data.mode == Mode.OVR
    constraints = (lower_bounds, upper_bounds, multinomial_l1)
    # bounds as keywords: vmap maps them over their leading (one-vs-rest class) axis
    solver, grouped, bounds = _solver_and_constraints(data, solver, l1, fit_intercept, *constraints)
    screening = _check_screening(screening, l1=l1, batched=batched)
    transposed = not scipy.sparse.issparse(data.X) and reads_transposed(screening, alpha)
    X_on, X_T, targets, weights, offset = _on_device(data, mesh, transposed)
    static = dict(loss=data.loss, fit_intercept=bool(fit_intercept))
    # one-vs-rest: the classes' targets (and offsets, when given per class) run vmapped
    per_class = 0 if batched else None
    offset_axis = per_class if offset is not None and offset.ndim == 3 else None
    init_of = partial(null_init, **static)
    if batched:
        init_of = jax.vmap(init_of, in_axes=(None, 0, None, None, offset_axis))
    init = init_of(X_on, targets, weights, X_T, offset)
    if lambdas is None:
        factor = jnp.asarray(data.factor)
        lmax_of = partial(lambda_max, penalty_factor=factor, grouped=grouped, **static)
        if batched:
            lmax_of = jax.vmap(lmax_of, in_axes=(None, 0, None, None, None, offset_axis))

        def largest() -> float:
            top = lmax_of(X_on, targets, weights, alpha, X_T, offset, **bounds)
            return float(np.max(sharding.fetch(top)))

        lambdas = _default_grid(largest, n_lambdas, lambda_min_ratio, data.X.shape)
    else:
        lambdas = _check_lambdas(lambdas)

    options = dict(solver=solver, max_iter=max_iter, screening=screening, grouped=grouped)
    run = partial(path, **options, **static)
    if batched:
        axes = (None, 0, None, None, None, None, 0, None, None, offset_axis)
        run = jax.vmap(run, in_axes=axes)
    dtype = data.X.dtype
    grid = lambdas.astype(dtype)
    arguments = (X_on, targets, weights, grid, alpha, data.factor, init, tol, X_T, offset)
    result = run(*arguments, **bounds)
    arrays = _per_lambda(sharding.fetch(result), data.mode)
    check_finite_result(arrays["coef"], arrays["intercept"])
    if lambdas[-1] == 0:  # the grid ends unpenalized: the MLE may not exist
        options = dict(fit_intercept=bool(fit_intercept), one_vs_rest=batched, stacklevel=3)
        W, b = arrays["coef"][-1], arrays["intercept"][-1]
        warn_if_separable(data.X, data.y_index, data.weights, len(data.classes), W, b, **options)
    arrays["coef"] = arrays["coef"] / data.scales.astype(dtype)  # standardized: β = β̃/σ
    floats = ("coef", "intercept", "objective", "kkt_violation")
    floats = {name: arrays[name].astype(np.float64) for name in floats}
    regularization = RegularizationPath(
        lambdas=lambdas, classes=data.classes, l1_ratio=alpha, **{**arrays, **floats}
    )
    _warn_not_converged(regularization, solver, tol, max_iter)
    return regularization
