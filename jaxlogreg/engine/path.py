"""Regularization paths: the solutions of the glmnet-convention problem on a grid of ``λ``.

For every ``λ`` of a decreasing grid ``λ₀ > λ₁ > … > λ_{L−1}`` the path solves::

    min_Θ  F_λ(Θ) = Σᵢ s̃ᵢ ℓ(zᵢ, tᵢ) + λ Σⱼ ϖⱼ [ (1 − α)/2 ‖Θ₍:,ⱼ₎‖² + α ‖Θ₍:,ⱼ₎‖₁ ]

(``s̃ = s / Σs``, see ``jaxlogreg.engine.functional``), starting each solve from the previous
solution (warm start): the solutions move little from one ``λ`` to the next, so every solve after
the first takes few iterations. ``path`` runs the whole grid as one ``lax.scan`` in one compiled
program, and ``jax.vmap`` runs it over cross-validation folds (0/1 ``sample_weight`` masks),
mixing parameters ``α`` or targets (one-vs-rest) with the answer of a Python loop. It returns
one ``FitResult`` whose fields have a leading ``λ`` axis. The user-facing path (checks, the
default grid, NumPy results) is ``jaxlogreg.selection.path.regularization_path``.

``λ_max``. Let ``Θ⁰`` be the intercept-only optimum (``jaxlogreg.core.null_model``: fitted mean
``μ⁰ = Σᵢ s̃ᵢ tᵢ`` without an offset, Newton steps on the intercepts with one; ``Θ⁰ = 0`` without
an intercept), ``M⁰ = μ(Z⁰)`` its fitted means and ``G = Xᵀ diag(s̃)(M⁰ − T)`` the gradient of the
risk there, ``(p, K)``. ``Θ⁰`` satisfies the KKT conditions of ``F_λ`` exactly when
``|G_jk| ≤ λαϖⱼ`` for all ``j, k``, so::

    λ_max = maxⱼ maxₖ |G_jk| / (max(α, 10⁻³) ϖⱼ)     (over ϖⱼ > 0)

is the smallest ``λ`` at which every penalized coefficient is zero when ``α > 0`` (the ``10⁻³``
floor is glmnet's convention for ridge, where no finite ``λ`` zeroes the coefficients). Under
box constraints ``l ≤ W ≤ u`` a coefficient leaves zero only in a feasible direction (``G_jk > 0``
needs ``l_jk < 0``, ``G_jk < 0`` needs ``u_jk > 0``), so only those ``|G_jk|`` count (none when
both bounds are zero); for the grouped L1 part ``maxₖ |G_jk|`` becomes ``‖G₍:,ⱼ₎‖₂``.

Screening (``screening=True``, with an L1 part): each ``λ`` is solved on the working set the
sequential strong rule predicts, then checked against the KKT conditions of the full problem and
grown until they hold (``jaxlogreg.engine.working_set``): the same solutions, at a fraction of
the cost.

Every function here takes the data as ``X (n, p)``, or as ``Xᵀ (p, n)`` alone (``X=None``,
``X_T``): compiled with ``X`` its transposed view, which XLA folds into the products (no copy).
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..core.design import is_sparse, rmatmul
from ..core.losses import Loss, get_loss
from ..core.null_model import null_coef, null_linear_predictor
from ..core.problem import Risk
from ..precision import precise_jit
from ..solvers import Solver, get_solver, iterative_solve
from ..solvers.auto import auto_solver
from .functional import FitResult, make_problem
from .working_set import Screening, strong_rule_keep, working_set_solve

__all__ = ["feasible_scores", "has_l1_part", "lambda_max", "null_init", "path", "reads_transposed"]

#: ``α`` floor of ``λ_max``'s denominator (glmnet): ridge paths start where ``α = 10⁻³`` would.
ALPHA_FLOOR = 1e-3


def _normalized(sample_weight: jax.Array, dtype) -> jax.Array:
    """``s̃ = s / Σs`` in the data's ``dtype``."""
    return (sample_weight / jnp.sum(sample_weight)).astype(dtype)


@partial(precise_jit, static_argnames=("loss", "fit_intercept"))
def null_init(
    X, targets, sample_weight, X_T=None, offset=None, *, loss, fit_intercept: bool
) -> jax.Array:
    """The intercept-only optimum ``Θ⁰ (K, p + fit_intercept)``: ``W = 0``, ``b = link(μ⁰)``, or
    with an ``offset`` (``(n, K)``, ``(n, 1)``) the intercepts that minimize the risk
    (``jaxlogreg.core.null_model``; ``Θ⁰ = 0`` without an intercept). The natural first point of
    a path."""
    X = X_T.T if X is None else X
    weights = _normalized(sample_weight, X.dtype)
    targets = targets.astype(X.dtype)
    return null_coef(targets, weights, X.shape[1], get_loss(loss), fit_intercept, offset)


@partial(precise_jit, static_argnames=("loss", "fit_intercept", "grouped"))
def lambda_max(
    X,
    targets,
    sample_weight,
    l1_ratio,
    X_T=None,
    offset=None,
    *,
    loss,
    fit_intercept: bool,
    penalty_factor=None,
    lower=None,
    upper=None,
    grouped: bool = False,
) -> jax.Array:
    """``λ_max = maxⱼₖ |Xᵀdiag(s̃)(M⁰ − T)|ⱼₖ / (max(α, 10⁻³)ϖⱼ)`` (module docstring).

    Shapes: ``X (n, p)``, ``targets (n, K)``, ``sample_weight (n,)``, ``penalty_factor (p,)``
    (default ones; columns with ``ϖⱼ = 0`` are never zeroed and are left out), ``offset``
    ``(n, K)`` or ``(n, 1)`` (default none); ``l1_ratio`` scalar. Zero when no penalized column
    can enter the model. ``lower``, ``upper``: ``(K, p)`` bounds (``None``: none), with which
    only feasible directions count (``feasible_scores``); ``grouped``: the column norms
    ``‖G₍:,ⱼ₎‖₂`` replace ``maxₖ |G_jk|``.
    """
    X = X_T.T if X is None else X
    dtype = X.dtype
    targets = targets.astype(dtype)
    weights = _normalized(sample_weight, dtype)
    factors = (
        jnp.ones(X.shape[1], dtype) if penalty_factor is None else penalty_factor.astype(dtype)
    )
    loss = get_loss(loss)
    mu = loss.mean(null_linear_predictor(targets, weights, loss, fit_intercept, offset))
    residual = weights[:, None] * (mu - targets)
    G = rmatmul(residual, X)  # Rᵀ X, (K, p), no Xᵀ copy
    if grouped:
        score = jnp.linalg.norm(G, axis=0)
    else:
        score = jnp.max(feasible_scores(G, lower, upper), axis=0)
    alpha = jnp.maximum(jnp.asarray(l1_ratio, dtype), ALPHA_FLOOR)
    ratio = jnp.where(factors > 0, score / (alpha * jnp.where(factors > 0, factors, 1.0)), 0.0)
    return jnp.max(ratio)


def feasible_scores(G: jax.Array, lower, upper) -> jax.Array:
    """``|G|`` where the descent direction ``−sign(G)`` leaves ``Θ = 0`` feasibly, else ``0``:
    ``G_jk > 0`` needs ``l_jk < 0``, ``G_jk < 0`` needs ``u_jk > 0`` (``None``: no bound)."""
    can_fall = G > 0 if lower is None else (G > 0) & (lower < 0)
    can_rise = G < 0 if upper is None else (G < 0) & (upper > 0)
    return jnp.where(can_fall | can_rise, jnp.abs(G), 0.0)


class _Carry(NamedTuple):
    """What one ``λ`` hands to the next: its solution, the risk and gradient there, the ``λ``
    itself (the strong rule's ``λ_{k−1}``) and what the solver carries (``Solver.carry``)."""

    coef: jax.Array
    risk: Risk
    lam: jax.Array
    carried: Any


def _solve_at(method, problem_at, *, screening, l1_ratio, penalty_factor, grouped, max_iter, tol):
    """The scan's body: solve at ``lam`` from the last solution, on the strong rule's working set
    with ``screening``, and keep the solution less what is handed to the next ``λ``."""

    def solve_at(carry: _Carry, lam):
        problem = problem_at(lam)
        if screening:
            keep = strong_rule_keep(
                carry.coef, carry.risk.grad, lam, carry.lam, l1_ratio, penalty_factor, grouped
            )
            solution, screened = working_set_solve(
                method,
                problem,
                carry.coef,
                keep,
                max_iter=max_iter,
                tol=tol,
                risk=carry.risk,
                carried=carry.carried,
            )
        else:
            solution = iterative_solve(
                method,
                problem,
                carry.coef,
                max_iter=max_iter,
                tol=tol,
                carried=carry.carried,
                risk=carry.risk,
            )
            none = jnp.zeros((), jnp.int32)
            screened = Screening(none, jnp.zeros((), bool), none)
        kept = solution._replace(carried=None, risk=None)
        return _Carry(solution.coef, solution.risk, lam, solution.carried), (kept, screened)

    return solve_at


@partial(
    precise_jit,
    static_argnames=(
        "loss",
        "solver",
        "fit_intercept",
        "max_iter",
        "screening",
        "transposed",
        "grouped",
    ),
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
    offset=None,
    lower=None,
    upper=None,
    *,
    loss: Loss,
    solver: str | Solver,
    fit_intercept: bool,
    max_iter: int,
    screening: bool,
    transposed: bool,
    grouped: bool = False,
) -> FitResult:
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
    method = (solver if isinstance(solver, Solver) else get_solver(solver)).along_path()
    l1_ratio = jnp.asarray(l1_ratio, dtype)
    penalty_factor = penalty_factor.astype(dtype)
    arrays = (X, targets, sample_weight)
    shared = dict(loss=loss, fit_intercept=fit_intercept, offset=offset, grouped=grouped)
    shared.update(lower=lower, upper=upper)  # the same for every λ

    def problem_at(lam, X_T=X_T):
        return make_problem(*arrays, lam, l1_ratio, penalty_factor, X_T=X_T, **shared)

    solve_at = _solve_at(
        method,
        problem_at,
        screening=screening,
        l1_ratio=l1_ratio,
        penalty_factor=penalty_factor,
        grouped=grouped,
        max_iter=max_iter,
        tol=jnp.asarray(tol, dtype),
    )
    lambdas = lambdas.astype(dtype)
    coef0 = init.astype(dtype)
    start = problem_at(lambdas[0], X_T=start_X_T)
    risk0 = start.risk_and_grad_given_Z(start.linear_predictor(coef0))
    carried = method.carry(method.init(start, coef0))
    _, (solutions, screened) = jax.lax.scan(
        solve_at, _Carry(coef0, risk0, lambdas[0], carried), lambdas
    )
    coef, intercept = jax.vmap(start.split)(solutions.coef)
    return FitResult(
        coef=coef,
        intercept=intercept,
        n_iter=solutions.n_iter,
        converged=solutions.converged,
        stop_reason=solutions.stop_reason,
        objective=solutions.objective,
        kkt_violation=solutions.kkt_violation,
        screening=screened,
    )


def has_l1_part(l1_ratio) -> bool | None:
    """Whether ``α > 0``; ``None`` when ``α`` is traced (e.g. vmapped), its value unknown."""
    if isinstance(l1_ratio, jax.core.Tracer):
        return None
    return bool(np.asarray(l1_ratio) > 0)


def reads_transposed(screening: bool, l1_ratio) -> bool:
    """``path``'s default for ``transposed``: with working sets (they gather columns), and on CPUs
    (where gradients over ``Xᵀ`` are faster; accelerators take ``Rᵀ X`` as fast over ``X``)."""
    gathers = bool(screening) and has_l1_part(l1_ratio) is not False
    return gathers or jax.default_backend() == "cpu"


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
    offset=None,
    *,
    loss,
    solver: str | Solver = "auto",
    fit_intercept: bool = True,
    max_iter: int = 1000,
    screening: bool = True,
    transposed: bool | None = None,
    lower=None,
    upper=None,
    grouped: bool = False,
) -> FitResult:
    """Solve ``F_λ`` for every ``λ`` of ``lambdas`` with warm starts, in one compiled scan.

    Shapes: ``X (n, p)``, ``targets (n, K)``, ``sample_weight (n,)``, ``lambdas (L,)``
    (decreasing for warm starts to help), ``penalty_factor (p,)``,
    ``init (K, p + fit_intercept)`` (e.g. ``null_init``, given the same ``offset``); ``l1_ratio``,
    ``tol`` scalars; ``offset`` ``(n, K)`` or ``(n, 1)``, added to the linear predictors
    (``Problem.offset``; ``None``: none). All are run-time arrays: ``jax.vmap`` batches any of
    them with one compilation.

    Returns a ``FitResult`` with a leading ``L`` axis: ``coef (L, K, p)``, ``intercept (L, K)``,
    the diagnostics ``(L,)`` and ``screening`` (columns discarded, KKT repairs).

    ``solver="auto"``: ``auto_solver``'s rule for fits (``"cd"`` when ``α > 0`` or ``α`` is
    traced, e.g. vmapped, and with bounds or ``grouped``). A ``Solver`` instance is used as it
    is (e.g. one from ``Solver.batched``). ``screening`` applies the sequential strong rule with
    a KKT check (module docstring); it changes nothing when ``α = 0``. ``transposed``: hold
    ``Xᵀ`` in memory too (``Problem.X_T``), one copy of ``X`` for faster gradients and
    working-set gathers; default: with screening, and on CPUs (never for a sparse ``X``, a
    ``SparseDesign``). ``X_T``: ``Xᵀ (p, n)`` already laid out
    (``to_device(X, transposed=True)``): the path then reads it alone, and ``X`` may be ``None``.
    """
    loss = get_loss(loss)
    p = X_T.shape[0] if X is None else X.shape[1]
    if is_sparse(X):  # no Xᵀ: working sets on a sparse X pin columns, never gather them
        transposed = False
    # Without an L1 part the strong rule keeps every column: no working sets (whose pins would
    # hand a sparse X's solves bounds they do not need).
    screening = bool(screening) and has_l1_part(l1_ratio) is not False
    if solver == "auto":  # grouping is an L1 part; bounds need a solver that keeps them
        bounds = lower is not None or upper is not None
        l1 = True if grouped else has_l1_part(l1_ratio)
        n_params = targets.shape[1] * (p + int(fit_intercept))
        solver = auto_solver(l1=l1, n_params=n_params, sparse=is_sparse(X), bounds=bounds)
    if transposed is None:
        transposed = reads_transposed(screening, l1_ratio)
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
        None if offset is None else jnp.asarray(offset),
        None if lower is None else jnp.asarray(lower),
        None if upper is None else jnp.asarray(upper),
        loss=loss,
        solver=solver,
        fit_intercept=fit_intercept,
        max_iter=int(max_iter),
        screening=bool(screening),
        transposed=X_T is not None or bool(transposed),
        grouped=bool(grouped),
    )
