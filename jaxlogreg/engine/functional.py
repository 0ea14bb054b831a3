"""The pure functional fit, in the glmnet convention.

Minimizes, over ``W (K, p)`` and an unpenalized intercept ``b (K,)``::

    (1/Σᵢ sᵢ) Σᵢ sᵢ ℓ(W xᵢ + b, tᵢ) + λ Σⱼ ϖⱼ [ (1 − α)/2 ‖W₍:,ⱼ₎‖² + α ‖W₍:,ⱼ₎‖₁ ]

For unit weights this is scikit-learn's objective divided by ``C·n``: ``λ = 1/(C·n)``.

``fit`` is a pure function of arrays: jit-compiled, and ``jax.vmap`` runs it over batches of
``lam``, ``l1_ratio``, ``sample_weight`` (e.g. cross-validation folds as 0/1 masks), targets (e.g.
one-vs-rest problems) or data, with the answer of a Python loop and one compilation.

It is differentiable (``jax.grad``, ``jax.jvp``, higher orders) with respect to ``X``, the targets,
``sample_weight``, ``lam``, ``l1_ratio``, ``penalty_factor`` and ``offset``, by implicit
differentiation of the optimality conditions at the solution (``jaxlogreg.engine.implicit``),
never through the solver's iterations: a gradient costs one Hessian solve. ``objective`` is
differentiable too (envelope theorem); ``n_iter``, ``converged``, ``kkt_violation`` and
``history`` carry no derivative.
"""

from __future__ import annotations

import dataclasses
from functools import cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import as_float_array, as_sparse_csr, check_fit_arrays, to_device
from ..core.constraints import constraints_of, with_free_intercepts
from ..core.design import SparseDesign, is_sparse
from ..core.losses import Loss, get_loss
from ..core.penalties import ElasticNetPenalty
from ..core.problem import Problem
from ..core.targets import check_target_values, fit_targets
from ..precision import precise_jit
from ..solvers import CoordinateDescent, Solver, get_solver, iterative_solve
from ..solvers.auto import Purpose, auto_solver
from .duality import duality_gap
from .fit_types import FitArrays, FitResult
from .implicit import ADJOINTS, implicit_solution, optimal_value
from .working_set import ranked_working_set_solve

__all__ = ["FitArrays", "FitResult", "fit", "make_problem", "solve", "solve_many"]


def make_problem(
    X: jax.Array,
    targets: jax.Array,
    sample_weight: jax.Array,
    lam: jax.Array,
    l1_ratio: jax.Array,
    penalty_factor: jax.Array,
    *,
    loss: Loss,
    fit_intercept: bool,
    X_T: jax.Array | None = None,
    offset: jax.Array | None = None,
    lower: jax.Array | None = None,
    upper: jax.Array | None = None,
    grouped: bool = False,
) -> Problem:
    """The ``Problem`` of these arrays: weights normalized to sum 1, intercept factor ``0``
    (``X_T``: ``Xᵀ`` in memory; ``offset``: ``(n, K)``, ``(n, 1)`` or ``None``, see
    ``Problem``; ``lower``, ``upper``: ``(K, p)`` bounds of ``W`` or ``None``; ``grouped``:
    the grouped multinomial L1 part; see ``core.penalties``)."""
    dtype = X.dtype
    factors = penalty_factor.astype(dtype)
    if fit_intercept:
        factors = jnp.concatenate([factors, jnp.zeros(1, dtype)])
    bounds = with_free_intercepts(lower, upper, fit_intercept, dtype)
    return Problem(
        X=X,
        targets=targets.astype(dtype),
        weights=(sample_weight / jnp.sum(sample_weight)).astype(dtype),
        penalty=ElasticNetPenalty(
            jnp.asarray(lam, dtype), jnp.asarray(l1_ratio, dtype), factors, *bounds, grouped
        ),
        loss=loss,
        fit_intercept=fit_intercept,
        X_T=X_T,
        offset=None if offset is None else offset.astype(dtype),
    )


@partial(
    precise_jit,
    static_argnames=(
        "loss",
        "solver",
        "fit_intercept",
        "max_iter",
        "history",
        "adjoint",
        "working_sets",
        "grouped",
    ),
)
def solve(
    X: jax.Array,
    targets: jax.Array,
    sample_weight: jax.Array,
    lam: jax.Array,
    l1_ratio: jax.Array,
    penalty_factor: jax.Array,
    init: jax.Array,
    tol: jax.Array,
    offset: jax.Array | None = None,
    lower: jax.Array | None = None,
    upper: jax.Array | None = None,
    *,
    loss: Loss,
    solver: str | Solver,
    fit_intercept: bool,
    max_iter: int,
    history: bool = False,
    adjoint: str = "auto",
    working_sets: bool = False,
    grouped: bool = False,
) -> FitResult:
    """The compiled core of ``fit``: every argument is an array of fixed shape; ``offset``
    (``None``, ``(n, K)`` or ``(n, 1)``) is added to the linear predictors.

    Shapes: ``X (n, p)`` (an array or a ``SparseDesign``), ``targets (n, K)``,
    ``sample_weight (n,)``, ``penalty_factor (p,)``, ``init (K, p + fit_intercept)``; ``lam``,
    ``l1_ratio`` and ``tol`` are scalars. ``init`` and ``tol`` carry no derivative (the solution
    does not depend on them). ``working_sets``: solve on working sets ranked by KKT violation
    (``jaxlogreg.engine.working_set``; a solver with an L1 part, no ``history``),
    for an L1 part and an unbatched fit: under ``jax.vmap`` every working-set width would run.
    ``lower``, ``upper``: ``None`` or ``(K, p)`` bounds of ``W``; ``grouped``: the grouped
    multinomial L1 part (``core.penalties``); both need ``"prox"`` or ``"cd"`` (bounds on a
    smooth penalty also ``"lbfgs"``, projected).
    """
    problem = make_problem(
        X,
        targets,
        sample_weight,
        lam,
        l1_ratio,
        penalty_factor,
        loss=loss,
        fit_intercept=fit_intercept,
        offset=offset,
        lower=lower,
        upper=upper,
        grouped=grouped,
    )
    # The loop sees no derivative; derivatives come from the optimality conditions instead.
    method = get_solver(solver, bounds=problem.penalty.bounded, grouped=grouped)
    fixed = jax.lax.stop_gradient(problem)
    start = jax.lax.stop_gradient(init.astype(X.dtype))
    options = dict(max_iter=max_iter, tol=jax.lax.stop_gradient(tol))
    screening = gap = None
    if working_sets:
        if history:
            raise ValueError("history=True records one solve; use it with working_sets=False")
        if problem.penalty.bounded or grouped:
            raise ValueError("bounds and a grouped L1 part need working_sets=False")
        if not is_sparse(X):  # Xᵀ laid out once: contiguous column gathers (engine.working_set)
            fixed = dataclasses.replace(fixed, X_T=jax.lax.optimization_barrier(fixed.X.T))
        ranked = ranked_working_set_solve(method, fixed, start, **options)
        solution, screening = ranked.solution, ranked.screening
        gap = duality_gap(fixed, solution.coef, ranked.predictor, solution.risk)
    else:
        solution = iterative_solve(method, fixed, start, history=history, **options)
    coef, intercept = problem.split(implicit_solution(solution.coef, problem, adjoint))
    return FitResult(
        coef=coef,
        intercept=intercept,
        n_iter=solution.n_iter,
        converged=solution.converged,
        stop_reason=solution.stop_reason,
        objective=optimal_value(solution.objective, solution.coef, problem, adjoint),
        kkt_violation=solution.kkt_violation,
        history=solution.history,
        screening=screening,
        duality_gap=gap,
    )


@cache
def solve_many(
    in_axes: FitArrays,
    *,
    loss: Loss,
    solver: str | Solver,
    fit_intercept: bool,
    max_iter: int,
    history: bool = False,
    adjoint: str = "auto",
    grouped: bool = False,
):
    """``solve`` vmapped over the arguments whose ``in_axes`` field is not ``None``, compiled once
    (and cached: one program per ``in_axes`` and static arguments).

    E.g. ``in_axes=FitArrays(targets=0, init=0)`` solves one problem per row of a stacked
    ``targets (B, n, K)`` (one-vs-rest), each from its own ``init (B, K, d)``. The batched
    function takes ``solve``'s eight arrays, positionally.
    """
    static = dict(
        loss=loss,
        solver=solver,
        fit_intercept=fit_intercept,
        max_iter=max_iter,
        history=history,
        adjoint=adjoint,
        grouped=grouped,
    )
    batched = jax.vmap(partial(solve, **static), in_axes=tuple(in_axes))

    def solve_batch(*arrays):  # the last arrays (offset, bounds) may be left out: none
        return batched(*arrays, *(None,) * (len(FitArrays._fields) - len(arrays)))

    return precise_jit(solve_batch)


def _is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _in_dtype(value, dtype):
    """``value`` in ``dtype``: a JAX array (traced, or spread over devices and processes) stays
    one; the others become NumPy arrays, whose conversion compiles no program of its own (a
    ``jax.numpy`` one does, on its first call)."""
    if isinstance(value, jax.Array | jax.core.Tracer):
        return jnp.asarray(value, dtype)
    return np.asarray(value, dtype)


def _check_hyperparameters(lam, l1_ratio, tol) -> None:
    """Value checks on whatever is concrete (traced values are checked by their caller)."""
    # NumPy, not jax.numpy: under an outer jit, a jax.numpy comparison would be traced.
    if _is_concrete(lam) and not np.all((np.asarray(lam) >= 0) & np.isfinite(np.asarray(lam))):
        raise ValueError(f"lam must be >= 0 and finite, got {lam!r}")
    l1_ratio_value = np.asarray(l1_ratio) if _is_concrete(l1_ratio) else None
    if l1_ratio_value is not None and not np.all((l1_ratio_value >= 0) & (l1_ratio_value <= 1)):
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}")
    if _is_concrete(tol) and not np.all(np.asarray(tol) > 0):
        raise ValueError(f"tol must be > 0, got {tol!r}")


def reads_columns(method: Solver, working_sets: bool) -> bool:
    """Whether a solve reads a sparse ``X`` by columns (the others read it by rows only)."""
    return working_sets or isinstance(method, CoordinateDescent)


def check_row_wise(method: Solver, working_sets: bool) -> None:
    """A ``SparseDesign`` without column access (rows sharded over devices,
    ``jaxlogreg.sharding``) takes only the methods that read ``X`` by rows."""
    if reads_columns(method, working_sets):
        raise ValueError(
            "this sparse X keeps no columns (its rows are sharded over devices), which "
            "solver='cd' and working_sets=True walk: use solver='prox' (any penalty), 'lbfgs' "
            "or 'newton-cg' (smooth penalties), with working_sets=False"
        )


def _offset_columns(offset, n: int, K: int, loss: Loss, dtype):
    """A user's ``offset`` as ``solve`` takes it: ``(n,)`` becomes one column ``(n, 1)`` shared by
    the ``K`` outputs, ``(n, K)`` is one per output; values checked when concrete."""
    if offset is None:
        return None
    offset = _in_dtype(offset, dtype)
    offset = offset[:, None] if offset.ndim == 1 else offset
    if offset.ndim != 2 or offset.shape[0] != n or offset.shape[1] not in {1, K}:
        raise ValueError(f"offset must have shape ({n},) or ({n}, {K}), got {offset.shape}")
    if loss.shift_invariant and offset.shape[1] != K:
        raise ValueError(
            f"a multinomial offset needs one column per class, shape ({n}, {K}): the same value "
            "added to every class's score changes nothing"
        )
    if _is_concrete(offset) and not np.all(np.isfinite(np.asarray(offset))):
        raise ValueError("offset must be finite")
    return offset


def fit(
    X,
    y,
    *,
    lam,
    l1_ratio=0.0,
    loss: str | Loss = "binary",
    fit_intercept: bool = True,
    sample_weight=None,
    penalty_factor=None,
    solver: str | Solver = "newton",
    max_iter: int = 100,
    tol=1e-8,
    init=None,
    history: bool = False,
    adjoint: str = "auto",
    working_sets: bool = False,
    offset=None,
    lower_bounds=None,
    upper_bounds=None,
    multinomial_l1: str = "ungrouped",
) -> FitResult:
    """Fit a penalized linear model in the glmnet convention (see the module docstring).

    Args:
        X: ``(n, p)`` design matrix: dense, or ``scipy.sparse`` / ``jax.experimental.sparse.BCOO``
            (kept sparse: ``jaxlogreg.core.design.SparseDesign``; no derivatives in ``X``), or a
            ``SparseDesign`` laid out already (e.g. sharded by
            ``jaxlogreg.sharding.shard_sparse_rows``).
        y: targets: ``(n,)`` in ``[0, 1]`` for ``loss="binary"``; ``(n, K)`` one-hot rows for
            ``"multinomial"``; ``(n,)`` or ``(n, K)`` for ``"squared"``.
        lam: penalty strength ``λ ≥ 0``.
        l1_ratio: elastic-net mixing ``α ∈ [0, 1]`` (``0`` ridge, ``1`` lasso).
        loss: ``"binary"``, ``"multinomial"`` or ``"squared"``.
        fit_intercept: fit an unpenalized intercept.
        sample_weight: ``(n,)`` non-negative weights (default ones); only their ratios matter.
        penalty_factor: ``(p,)`` per-feature multipliers ``ϖ`` of ``λ`` (default ones).
        solver: solver name (see ``jaxlogreg.solvers.SOLVERS``), a ``Solver``, or ``"auto"``
            (``solvers.auto.auto_solver`` for a differentiable fit: ``"cd"`` with an L1 part,
            else Newton, or L-BFGS for a sparse ``X`` with many coefficients).
        max_iter: maximum number of solver iterations.
        tol: stop when the largest KKT violation (``max |∇F|`` for smooth penalties) is ``≤ tol``.
        init: starting coefficients ``(K, p + fit_intercept)`` (intercept last); default zeros.
        history: also return the objective after every iteration (``FitResult.history``).
        adjoint: how derivatives solve their linear system (see ``jaxlogreg.engine.implicit``):
            ``"dense"`` (Cholesky), ``"cg"`` (Hessian-free), ``"auto"`` (dense up to 2000
            coefficients).
        working_sets: solve an L1 fit (``"cd"`` or ``"prox"``, dense or sparse ``X``) on
            working sets of columns ranked by KKT violation (``jaxlogreg.engine.working_set``),
            with a duality gap and the full passes over ``X`` in the result. Off by default:
            measured warm (busy 2-core CPU), they gain on wide ``X`` with a small support
            (2,000 × 20,000 lasso at ``λ_max/5``: cd 3.6 against 4.7 s, prox 7.6 against
            23.7 s; sparse, ~50 values a row: cd 0.05 against 0.84 s), nothing on tall ``X``,
            and every working-set width compiles a solver of its own (the first call compiled
            2–3 times as long). Not under ``jax.vmap``, where every width runs.
        offset: a known term added to the linear predictors, ``zᵢ = W xᵢ + b + oᵢ`` (glmnet's
            ``offset``): ``(n,)`` (the same for the ``K`` outputs) or ``(n, K)`` (a multinomial
            needs ``(n, K)``); default none. Differentiable, like ``X``.
        lower_bounds, upper_bounds: bounds ``l ≤ W ≤ u`` (glmnet's ``lower.limits``): a
            number, ``(p,)`` or ``(K, p)``, ``l ≤ 0 ≤ u``; intercepts are never bounded.
        multinomial_l1: ``"grouped"``: the L1 part ``λα Σⱼ ϖⱼ ‖W₍:,ⱼ₎‖₂`` (multinomial, no
            bounds, no derivatives). Bounds and grouping need ``"prox"`` or ``"cd"``;
            bounds without an L1 part also ``"lbfgs"`` (projected quasi-Newton).

    Returns:
        A ``FitResult``; ``coef`` has shape ``(K, p)`` with ``K = 1`` for binary models.
    """
    loss = get_loss(loss)
    laid_out = is_sparse(X)  # a SparseDesign already placed on its devices
    csr = None if laid_out else as_sparse_csr(X)
    if not laid_out:
        X = as_float_array(X) if csr is None else csr
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    targets = fit_targets(as_float_array(y, "y").astype(X.dtype), loss, X.shape)
    n, p = X.shape
    _check_hyperparameters(lam, l1_ratio, tol)
    check_fit_arrays(X, targets, sample_weight, penalty_factor, init, p + int(fit_intercept))
    check_target_values(targets, loss, sample_weight)
    l1 = not (_is_concrete(l1_ratio) and np.all(np.asarray(l1_ratio) == 0))
    box = (lower_bounds, upper_bounds, multinomial_l1, targets.shape[1], p, X.dtype)
    box = constraints_of(*box, multinomial=loss.shift_invariant)
    if isinstance(solver, str) and solver == "auto":
        options = dict(platform=jax.default_backend(), sparse=csr is not None or laid_out)
        n_params = targets.shape[1] * (p + int(fit_intercept))
        options.update(l1=l1 or box.grouped, bounds=box.bounded, purpose=Purpose.DIFFERENTIABLE)
        options.update(columns=not laid_out or X.by_columns is not None)
        solver = auto_solver(n_params=n_params, **options)
    method = get_solver(solver, l1=l1, bounds=box.bounded, grouped=box.grouped)
    if laid_out and X.by_columns is None:
        check_row_wise(method, working_sets)
    if adjoint not in ADJOINTS:
        raise ValueError(f"adjoint must be one of {ADJOINTS}, got {adjoint!r}")
    if csr is not None:
        columns = reads_columns(method, working_sets)
        X = SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape, columns=columns)
    elif not laid_out:
        X = to_device(X)
    targets = to_device(targets)
    d = p + int(fit_intercept)
    init = np.zeros((targets.shape[1], d), X.dtype) if init is None else init
    offset = _offset_columns(offset, n, targets.shape[1], loss, X.dtype)
    return solve(
        X,
        targets,
        _in_dtype(np.ones(n) if sample_weight is None else sample_weight, X.dtype),
        _in_dtype(lam, X.dtype),
        _in_dtype(l1_ratio, X.dtype),
        _in_dtype(np.ones(p) if penalty_factor is None else penalty_factor, X.dtype),
        _in_dtype(init, X.dtype),
        _in_dtype(tol, X.dtype),
        offset,
        box.lower,
        box.upper,
        loss=loss,
        solver=solver,
        fit_intercept=fit_intercept,
        max_iter=int(max_iter),
        history=history,
        adjoint=adjoint,
        working_sets=bool(working_sets),
        grouped=box.grouped,
    )
