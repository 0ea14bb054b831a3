"""Regularization paths: the solutions of the glmnet-convention problem on a grid of ``λ``.

For every ``λ`` of a decreasing grid ``λ₀ > λ₁ > … > λ_{L−1}`` the path solves::

    min_Θ  F_λ(Θ) = Σᵢ s̃ᵢ ℓ(zᵢ, tᵢ) + λ Σⱼ ϖⱼ [ (1 − α)/2 ‖Θ₍:,ⱼ₎‖² + α ‖Θ₍:,ⱼ₎‖₁ ]

(``s̃ = s / Σs``, see ``jaxlogreg.functional``), starting each solve from the previous solution
(warm start): the solutions move little from one ``λ`` to the next, so every solve after the
first takes few iterations. ``path`` runs the whole grid as one ``lax.scan`` in one compiled
program, and ``jax.vmap`` runs it over cross-validation folds (0/1 ``sample_weight`` masks),
mixing parameters ``α`` or targets (one-vs-rest) with the answer of a Python loop.

``λ_max``. Let ``Θ⁰`` be the intercept-only optimum (``μ⁰ = Σᵢ s̃ᵢ tᵢ``, the weighted mean of
the targets, for the canonical-link losses; ``Θ⁰ = 0`` without an intercept) and
``G = Xᵀ diag(s̃)(μ⁰ − T)`` the gradient of the risk there, ``(p, K)``. ``Θ⁰`` satisfies the KKT
conditions of ``F_λ`` exactly when ``|G_jk| ≤ λαϖⱼ`` for all ``j, k``, so::

    λ_max = maxⱼ maxₖ |G_jk| / (max(α, 10⁻³) ϖⱼ)     (over ϖⱼ > 0)

is the smallest ``λ`` at which every penalized coefficient is zero when ``α > 0`` (the ``10⁻³``
floor is glmnet's convention for ridge, where no finite ``λ`` zeroes the coefficients).

Screening (``screening=True``, with an L1 part): each ``λ`` is solved on the working set the
sequential strong rule predicts, then checked against the KKT conditions of the full problem and
grown until they hold (``jaxlogreg.working_set``): the same solutions, at a fraction of the cost.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets

from .._validation import (
    check_choice,
    check_finite_result,
    check_l1_ratio,
    check_penalty_factor,
    check_positive_int,
    check_positive_number,
    check_sample_weight,
    to_device,
    validate_inputs,
    warn_on_feature_scale,
)
from ..core.losses import Loss, get_loss
from ..core.targets import encode_targets
from ..inference.separation import warn_if_separable
from ..precision import precise_jit
from ..scale import sharding
from ..solvers import SOLVERS, Solver, get_solver, iterative_solve
from ..solvers.auto import auto_solver
from .functional import make_problem
from .working_set import strong_rule_keep, working_set_solve

__all__ = [
    "PathResult",
    "RegularizationPath",
    "lambda_max",
    "null_init",
    "path",
    "regularization_path",
]

#: ``α`` floor of ``λ_max``'s denominator (glmnet): ridge paths start where ``α = 10⁻³`` would.
ALPHA_FLOOR = 1e-3


class PathResult(NamedTuple):
    """Per-``λ`` results of ``path`` (leading axis ``L``).

    Attributes:
        coef: ``(L, K, p)``; intercept: ``(L, K)`` (zeros without an intercept).
        n_iter: solver iterations; converged: ``kkt_violation ≤ tol``; objective: ``F_λ(Θ̂)``;
        kkt_violation: largest KKT violation of the full problem, all ``(L,)``.
        n_discarded: columns discarded by the strong rule (``0`` without screening);
        kkt_violated: whether a discarded column violated the KKT conditions (and the full
        problem was solved again).
    """

    coef: jax.Array
    intercept: jax.Array
    n_iter: jax.Array
    converged: jax.Array
    objective: jax.Array
    kkt_violation: jax.Array
    n_discarded: jax.Array
    kkt_violated: jax.Array


class RegularizationPath(NamedTuple):
    """What ``regularization_path`` returns (NumPy arrays).

    ``coef`` is ``(L, p)`` for a binary model, ``(L, K, p)`` for multinomial and one-vs-rest;
    ``intercept`` ``(L,)`` or ``(L, K)``; ``n_iter``, ``converged`` and ``objective`` are ``(L,)``,
    or ``(L, K)`` for one-vs-rest (one binary problem per class); ``objective`` is ``F_λ`` in the
    glmnet convention. ``classes`` are the sorted labels and ``l1_ratio`` is ``α``.
    """

    lambdas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    objective: np.ndarray
    classes: np.ndarray
    l1_ratio: float


def _null_mean(targets, weights, loss: Loss, fit_intercept: bool) -> jax.Array:
    """``μ⁰ (K,)``: the fitted mean of the intercept-only model (normalized ``weights``)."""
    if fit_intercept:
        return weights @ targets
    return loss.mean(jnp.zeros((1, targets.shape[1]), targets.dtype))[0]


def _link(mu: jax.Array, loss: Loss) -> jax.Array:
    """The intercept whose mean is ``μ``: logit, centred log, or identity (squared loss)."""
    tiny = jnp.finfo(mu.dtype).tiny
    if loss.name == "binary":
        mu = jnp.clip(mu, tiny, 1.0 - jnp.finfo(mu.dtype).eps)
        return jnp.log(mu) - jnp.log1p(-mu)
    if loss.name == "multinomial":
        logs = jnp.log(jnp.maximum(mu, tiny))
        return logs - jnp.mean(logs)
    return mu


@partial(precise_jit, static_argnames=("loss", "fit_intercept"))
def null_init(X, targets, sample_weight, *, loss, fit_intercept: bool) -> jax.Array:
    """The intercept-only optimum ``Θ⁰ (K, p + fit_intercept)``: ``W = 0``, ``b = link(μ⁰)``.

    Binary: ``b = logit(Σ s̃ᵢtᵢ)``; multinomial: ``b_k = log(Σ s̃ᵢtᵢₖ)`` centred; squared:
    ``b = Σ s̃ᵢtᵢ``. Without an intercept ``Θ⁰ = 0``. The natural first point of a path.
    """
    loss = get_loss(loss)
    dtype = X.dtype
    targets = targets.astype(dtype)
    K, p = targets.shape[1], X.shape[1]
    coef = jnp.zeros((K, p), dtype)
    if not fit_intercept:
        return coef
    weights = (sample_weight / jnp.sum(sample_weight)).astype(dtype)
    b = _link(_null_mean(targets, weights, loss, fit_intercept), loss)
    return jnp.concatenate([coef, b[:, None]], axis=1)


@partial(precise_jit, static_argnames=("loss", "fit_intercept"))
def lambda_max(
    X, targets, sample_weight, l1_ratio, *, loss, fit_intercept: bool, penalty_factor=None
) -> jax.Array:
    """``λ_max = maxⱼₖ |Xᵀdiag(s̃)(μ⁰ − T)|ⱼₖ / (max(α, 10⁻³)ϖⱼ)`` (module docstring).

    Shapes: ``X (n, p)``, ``targets (n, K)``, ``sample_weight (n,)``, ``penalty_factor (p,)``
    (default ones; columns with ``ϖⱼ = 0`` are never zeroed and are left out); ``l1_ratio``
    scalar. Zero when no penalized column can enter the model.
    """
    loss = get_loss(loss)
    dtype = X.dtype
    targets = targets.astype(dtype)
    weights = (sample_weight / jnp.sum(sample_weight)).astype(dtype)
    factors = (
        jnp.ones(X.shape[1], dtype) if penalty_factor is None else penalty_factor.astype(dtype)
    )
    mu = _null_mean(targets, weights, loss, fit_intercept)
    residual = weights[:, None] * (mu - targets)
    G = jax.lax.dot_general(X, residual, (((0,), (0,)), ((), ())))  # Xᵀ R, (p, K), no Xᵀ copy
    score = jnp.max(jnp.abs(G), axis=1)
    alpha = jnp.maximum(jnp.asarray(l1_ratio, dtype), ALPHA_FLOOR)
    ratio = jnp.where(factors > 0, score / (alpha * jnp.where(factors > 0, factors, 1.0)), 0.0)
    return jnp.max(ratio)


def _given_X_T(fun):
    """``fun(X, …)`` called with ``Xᵀ (p, n)`` in place of ``X``: compiled with ``X`` its
    transposed view, which XLA folds into the products (no copy of ``X``)."""
    return precise_jit(
        lambda X_T, *args, **kwargs: fun(X_T.T, *args, **kwargs),
        static_argnames=("loss", "fit_intercept"),
    )


#: ``null_init`` and ``lambda_max`` for a caller that holds ``Xᵀ`` alone.
_ON_X_T = (_given_X_T(null_init), _given_X_T(lambda_max))


@partial(
    precise_jit,
    static_argnames=("loss", "solver", "fit_intercept", "max_iter", "screening", "transposed"),
)
def _path(
    X,
    targets,
    sample_weight,
    lambdas,
    l1_ratio,
    penalty_factor,
    init,
    tol,
    X_T=None,
    *,
    loss: Loss,
    solver: str | Solver,
    fit_intercept: bool,
    max_iter: int,
    screening: bool,
    transposed: bool,
) -> PathResult:
    # A caller's Xᵀ serves the start too; one transposed here serves the scan alone (a use
    # outside it would transpose X a second time).
    start_X_T = X_T
    if X is None:  # Xᵀ alone: X is its transposed view
        X = X_T.T
    elif X_T is None and transposed:
        # Xᵀ laid out once for the scan: the barrier keeps XLA from folding the transpose into
        # each product and gather in it, which would read X by columns again.
        X_T = jax.lax.optimization_barrier(X.T)
    dtype = X.dtype
    method = solver if isinstance(solver, Solver) else get_solver(solver)
    lambdas = lambdas.astype(dtype)
    l1_ratio = jnp.asarray(l1_ratio, dtype)
    penalty_factor = penalty_factor.astype(dtype)
    tol = jnp.asarray(tol, dtype)

    def problem_at(lam, X_T=X_T):
        return make_problem(
            X,
            targets,
            sample_weight,
            lam,
            l1_ratio,
            penalty_factor,
            loss=loss,
            fit_intercept=fit_intercept,
            X_T=X_T,
        )

    # Each solve starts from the last one's coefficients, where the risk and its gradient are
    # known (``Solution.risk``): the carry hands them on with the solver's own ``carried``.
    def plain(carry, lam):
        coef, risk, _, carried = carry
        solution = iterative_solve(
            method, problem_at(lam), coef, max_iter=max_iter, tol=tol, carried=carried, risk=risk
        )
        zero = jnp.zeros((), jnp.int32)
        outputs = (_outputs(solution), zero, jnp.zeros((), bool))
        return (solution.coef, solution.risk, lam, solution.carried), outputs

    def screened(carry, lam):
        coef, risk, lam_prev, carried = carry
        full = problem_at(lam)
        keep = strong_rule_keep(coef, risk.grad, lam, lam_prev, l1_ratio, penalty_factor)
        solution, violated = working_set_solve(
            method, full, coef, keep, max_iter=max_iter, tol=tol, risk=risk, carried=carried
        )
        n_discarded = jnp.sum(~keep).astype(jnp.int32)
        outputs = (_outputs(solution), n_discarded, violated)
        return (solution.coef, solution.risk, lam, solution.carried), outputs

    coef0 = init.astype(dtype)
    start = problem_at(lambdas[0], X_T=start_X_T)
    risk0 = start.risk_and_grad_at(start.linear_predictor(coef0))
    # What the solver hands from one λ to the next (e.g. coordinate descent's Hessian).
    carried = method.carry(method.init(start, coef0))
    carry = (coef0, risk0, lambdas[0], carried)
    _, (solutions, n_discarded, violated) = jax.lax.scan(
        screened if screening else plain, carry, lambdas
    )
    coef, intercept = jax.vmap(start.split)(solutions.coef)
    return PathResult(
        coef=coef,
        intercept=intercept,
        n_iter=solutions.n_iter,
        converged=solutions.converged,
        objective=solutions.objective,
        kkt_violation=solutions.kkt_violation,
        n_discarded=n_discarded,
        kkt_violated=violated,
    )


def _outputs(solution):
    """What a path keeps of each solve: the solution less what is handed to the next one."""
    return solution._replace(carried=None, risk=None)


def _transposed(transposed: bool | None, screening: bool, l1_ratio) -> bool:
    """``path``'s default for ``transposed``: with working sets (they gather columns), and on CPUs
    (where gradients over ``Xᵀ`` are faster; accelerators take ``Rᵀ X`` as fast over ``X``)."""
    if transposed is not None:
        return bool(transposed)
    gathers = bool(screening) and (
        isinstance(l1_ratio, jax.core.Tracer) or bool(np.asarray(l1_ratio) > 0)
    )
    return gathers or jax.default_backend() == "cpu"


def _auto_solver(l1_ratio, n_params: int) -> str:
    """``"auto"``: the estimator's rule when ``α`` is known; ``"cd"`` (any ``α``) when traced."""
    if isinstance(l1_ratio, jax.core.Tracer):
        return "cd"
    return auto_solver(l1=bool(np.asarray(l1_ratio) > 0), n_params=n_params)


def path(
    X,
    targets,
    sample_weight,
    lambdas,
    l1_ratio,
    penalty_factor,
    init,
    tol,
    X_T=None,
    *,
    loss,
    solver: str | Solver = "auto",
    fit_intercept: bool = True,
    max_iter: int = 1000,
    screening: bool = True,
    transposed: bool | None = None,
) -> PathResult:
    """Solve ``F_λ`` for every ``λ`` of ``lambdas`` with warm starts, in one compiled scan.

    Shapes: ``X (n, p)``, ``targets (n, K)``, ``sample_weight (n,)``, ``lambdas (L,)``
    (decreasing for warm starts to help), ``penalty_factor (p,)``,
    ``init (K, p + fit_intercept)`` (e.g. ``null_init``); ``l1_ratio``, ``tol`` scalars. All
    are run-time arrays: ``jax.vmap`` batches any of them with one compilation.

    ``solver="auto"``: ``"cd"`` when ``α > 0``, else Newton for at most 100 coefficients and
    L-BFGS beyond (the estimator's rule); ``"cd"`` when ``α`` is traced (e.g. vmapped). A
    ``Solver`` instance is used as it is (e.g. one from ``Solver.batched``). ``screening``
    applies the sequential strong rule with a KKT check (module docstring); it changes nothing
    when ``α = 0``. ``transposed``: hold ``Xᵀ`` in memory too (``Problem.X_T``), one copy of
    ``X`` for faster gradients and working-set gathers; default: with screening, and on CPUs.
    ``X_T``: ``Xᵀ (p, n)`` already laid out (``to_device(X, transposed=True)``): the path then
    reads it alone, and ``X`` may be ``None``.
    """
    loss = get_loss(loss)
    p = X_T.shape[0] if X is None else X.shape[1]
    if solver == "auto":
        solver = _auto_solver(l1_ratio, targets.shape[1] * (p + int(fit_intercept)))
    return _path(
        X,
        targets,
        sample_weight,
        jnp.asarray(lambdas),
        l1_ratio,
        penalty_factor,
        init,
        tol,
        X_T,
        loss=loss,
        solver=solver,
        fit_intercept=fit_intercept,
        max_iter=int(max_iter),
        screening=bool(screening),
        transposed=X_T is not None or _transposed(transposed, screening, l1_ratio),
    )


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
            stacklevel=3,
        )
        lambdas = np.sort(lambdas)[::-1]
    return lambdas


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
) -> RegularizationPath:
    """Logistic-regression solutions along a decreasing grid of ``λ`` (glmnet convention).

    Minimizes ``(1/Σs)·Σ sᵢℓᵢ + λ[(1−α)/2‖W‖² + α‖W‖₁]`` (per-feature factors ``ϖ``) for every
    ``λ``; scikit-learn's ``C`` is ``1/(λ·Σs)``.

    Args:
        X: ``(n, p)`` features.
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
            whose classes run vmapped).
        mesh: a ``jax.sharding.Mesh`` to split the rows over its devices (one-vs-rest classes
            over its ``"batch"`` axis); same path as without (``jaxlogreg.sharding``).

    Returns:
        A ``RegularizationPath``. A ``ConvergenceWarning`` names the ``λ`` values whose solve did
        not converge.
    """
    check_choice("multi_class", multi_class, ("auto", "multinomial", "ovr"))
    check_choice("solver", solver, ("auto", *SOLVERS))
    alpha = check_l1_ratio(l1_ratio)
    tol = check_positive_number("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    dtype = np.dtype(jnp.result_type(float))
    X, y = validate_inputs(None, X, y, dtype=[np.float64, np.float32])
    X = X.astype(dtype, copy=False)
    warn_on_feature_scale(X, stacklevel=3)
    check_classification_targets(y)
    classes, y_index = np.unique(y, return_inverse=True)
    n_classes = len(classes)
    if n_classes < 2:
        raise ValueError(f"y has only 1 class ({classes[0]!r}); a path needs at least 2 classes")
    n, p = X.shape
    weights = check_sample_weight(sample_weight, n, dtype)
    factor = check_penalty_factor(penalty_factor, p).astype(dtype)

    if multi_class == "multinomial" or (multi_class == "auto" and n_classes > 2):
        mode = "multinomial"
    else:
        mode = "binary" if n_classes == 2 else "ovr"
    targets, loss = encode_targets(y_index, n_classes, mode, dtype)

    l1 = alpha > 0
    n_params = (n_classes if mode == "multinomial" else 1) * (p + int(fit_intercept))
    solver = auto_solver(l1=l1, n_params=n_params) if solver == "auto" else solver
    get_solver(solver, l1=l1)

    static = dict(loss=loss, fit_intercept=bool(fit_intercept))
    batched = mode == "ovr"
    # Working sets branch on the data; under vmap (one-vs-rest) every branch would run.
    screening = (l1 and not batched) if screening is None else bool(screening)
    # A transposing path gets Xᵀ alone, laid out once by ``to_device``.
    Xj = X_T = None
    if mesh is not None:
        Xj, targets, weights = sharding.shard_data(mesh, X, targets, weights)
    elif _transposed(None, screening, alpha):
        X_T = to_device(X, transposed=True)
    else:
        Xj = to_device(X)
    data, (init_of, lmax_of) = (Xj, (null_init, lambda_max)) if X_T is None else (X_T, _ON_X_T)
    init_of = partial(init_of, **static)
    if batched:
        init = jax.vmap(init_of, in_axes=(None, 0, None))(data, targets, weights)
    else:
        init = init_of(data, targets, weights)

    if lambdas is None:
        n_lambdas = check_positive_int("n_lambdas", n_lambdas)
        if lambda_min_ratio is None:
            lambda_min_ratio = 1e-4 if n > p else 1e-2
        ratio = check_positive_number("lambda_min_ratio", lambda_min_ratio)
        if not ratio < 1:
            raise ValueError(f"lambda_min_ratio must be in (0, 1), got {lambda_min_ratio!r}")
        lmax_of = partial(lmax_of, penalty_factor=jnp.asarray(factor), **static)
        if batched:
            lmax_of = jax.vmap(lmax_of, in_axes=(None, 0, None, None))
        lmax = float(np.max(sharding.fetch(lmax_of(data, targets, weights, alpha))))
        lmax = lmax if lmax > 0 else 1.0
        grid = lmax * ratio ** np.linspace(0.0, 1.0, n_lambdas) if n_lambdas > 1 else [lmax]
        lambdas = np.asarray(grid, dtype=np.float64)
    else:
        lambdas = _check_lambdas(lambdas)

    run = partial(path, solver=solver, max_iter=max_iter, screening=screening, **static)
    if batched:
        run = jax.vmap(run, in_axes=(None, 0, None, None, None, None, 0, None, None))
    result = run(Xj, targets, weights, lambdas.astype(dtype), alpha, factor, init, tol, X_T)
    result = sharding.fetch(result)

    coef, intercept = result.coef, result.intercept
    n_iter, converged, objective = result.n_iter, result.converged, result.objective
    if mode == "binary":
        coef, intercept = coef[:, 0], intercept[:, 0]
    elif mode == "ovr":  # (K, L, 1, ...) -> (L, K, ...)
        coef = coef[:, :, 0].transpose(1, 0, 2)
        intercept = intercept[:, :, 0].T
        n_iter, converged, objective = n_iter.T, converged.T, objective.T
    check_finite_result(coef, intercept)
    if lambdas[-1] == 0:  # the grid ends unpenalized: the MLE may not exist
        options = dict(fit_intercept=bool(fit_intercept), one_vs_rest=mode == "ovr", stacklevel=3)
        warn_if_separable(X, y_index, weights, n_classes, coef[-1], intercept[-1], **options)
    failed = ~converged if converged.ndim == 1 else ~converged.all(axis=1)
    if failed.any():
        shown = ", ".join(f"{lam:.4g}" for lam in lambdas[failed][:10])
        more = f" and {failed.sum() - 10} more" if failed.sum() > 10 else ""
        violation = float(np.max(result.kkt_violation))
        warnings.warn(
            f"solver {solver!r} did not converge to tol={tol:g} within max_iter={max_iter} at "
            f"lambda = {shown}{more}: the largest KKT violation is {violation:.3e}. Increase "
            "max_iter, standardize the features, or loosen tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return RegularizationPath(
        lambdas=lambdas,
        coef=coef.astype(np.float64),
        intercept=intercept.astype(np.float64),
        n_iter=n_iter,
        converged=converged,
        objective=objective.astype(np.float64),
        classes=classes,
        l1_ratio=alpha,
    )
