"""Proximal Newton with coordinate descent (glmnet's method) for ``F = f + P₁``.

Each step (one outer iteration) replaces the smooth part by its second-order model at ``Θ``::

    f(Θ) + gᵀ(Θ⁺ − Θ) + ½ (Θ⁺ − Θ)ᵀ H (Θ⁺ − Θ),    g = ∇f(Θ),  H = ∇²f(Θ) (closed form),

and minimizes model + ``P₁`` by cyclic coordinate descent over the ``m = K·d`` coefficients
(intercepts included: their L1 weight is zero). Coordinate ``i`` with model gradient ``qᵢ``,
curvature ``hᵢ = Hᵢᵢ`` and L1 weight ``wᵢ`` moves to the soft-thresholded minimizer::

    Θᵢ⁺ = S(hᵢ Θᵢ − qᵢ, wᵢ) / hᵢ,       S(x, w) = sign(x) max(|x| − w, 0).

For the multinomial loss the model is the full one: it keeps the coupling ``−μμᵀ`` between
classes (glmnet uses a per-class block-diagonal model). Its Hessian is singular along shifts
shared by all classes, but every coordinate has positive curvature, so coordinate descent is well
defined; the model is exact along each coordinate, and the line search is the safeguard.

Two ways to keep ``q`` up to date, chosen by a static rule on the shapes:

- Gram form (``m ≤ n`` and ``m ≤ max_gram``): build ``H`` (``m × m``) once per step and keep
  ``q = g + H(Θ⁺ − Θ)``; a coordinate update costs ``O(m)``, a sweep ``O(m²)``. A build costs
  ``n·m²``, which a path shares among many ``λ`` (the lazy Hessian below) and a single fit
  pays two or three times, so ``max_gram`` is 256 for a single problem and 2048 along a path
  (``along_path``). Elastic net, 100,000 rows: ``m = 501`` fitted in 2.8 s by the Gram form
  and 1.5 s by the residual form, ``m = 1,001`` in 9.5 s and 2.9 s; a 50-``λ`` lasso path on
  50,000 × 400 took 3.1 s by the Gram form and 11.9 s by the residual form.
- Residual form (otherwise, e.g. ``p ≫ n``): never form ``H``; keep the ``(n, K)`` matrix
  ``R = s̃ ⊙ [(μ − T) + C(ΔZ)]`` (``C`` the loss curvature, ``ΔZ = A(Θ⁺ − Θ)ᵀ``) so that
  ``q_{kj} = aⱼᵀR₍:,k₎ + λ(1−α)ϖⱼΘ⁺_{kj}``; an update costs ``O(nK)``. The per-sample
  curvature columns ``s̃ᵢCᵢeₖ`` are formed once per step, so an update only reads them. On a
  sparse ``X`` an update reads the column's nonzeros, padded to a width of a static ladder, and
  a sweep visits the columns width class by width class (``columns.column_step``), which
  changes the order of the updates, not their minimizer.

Active sets (glmnet's, with a vectorized check): every coordinate's would-be move is computed
at once (the Gram form has all of ``q``; the residual form forms it by one product with the
design), the sweeps visit the nonzero coordinates and those that would move until they settle,
and the check repeats; the inner solve stops when no coordinate would move by more than the
inner tolerance, measured as ``hᵢ|ΔΘᵢ|`` (gradient units). glmnet checks by full sweeps, whose
``m`` sequential updates cost far more than one product (``_sweeps.coordinate_descent``).
The inner tolerance is ``η·opt``, ``η = min(0.1, √opt)`` (``opt`` the KKT violation: inexact
proximal Newton), floored at ``10·ε`` times the scale of ``g`` and ``hᵢΘᵢ`` and at ``tol/10``
(``OUTER_TOL_FRACTION``: S2's last five ``λ`` took 54 against 90 s, the same Newton steps). A
line search on ``F`` along ``Θ⁺ − Θ`` (composite Armijo) makes sure the objective never rises.

Box constraints ``l ≤ Θ ≤ u`` (``ElasticNetPenalty.lower``/``upper``): a coordinate moves to its
1-D minimizer clipped to ``[lᵢ, uᵢ]``, as in glmnet, and a full step of the line search ends on
``Θ⁺`` itself, so coefficients sit exactly on their bounds. The grouped multinomial lasso
(``ElasticNetPenalty.grouped``) runs block coordinate descent over the columns instead
(``group_coordinate``).

Without an L1 part (ridge, ``α = 0``) and without bounds the Gram form solves the model exactly,
as Newton does (``solve_newton_system``, a Cholesky factorization of ``m³/3`` operations): the
same minimizer, without the many small updates of the ``O(m²)`` sweeps. With the lazy Hessian
below this is Newton's method with a Hessian kept while it serves.

Lazy Hessian (Gram form): building ``H`` costs ``n·m²``, far more than the ``O(n·m)`` passes of
a step, and near the solution ``H`` hardly changes from one iterate to the next. A step keeps
the Hessian it used when it reduced the KKT violation at least ``1/refresh_ratio``-fold and
builds it anew at the new iterate otherwise. The loss part of ``H`` is kept (the ridge
diagonal is added at use), so a path hands it on to the next ``λ`` (``carry``/``resume``), also
through working sets (``restrict``/``extend``: the kept columns' rows and columns, rebuilt when
a column joins that the last build did not cover). Under ``jax.vmap`` (cross-validation
folds) the choice to rebuild is made for the whole batch (``batched``): a data-dependent
branch would otherwise run both ways, rebuilding every member's Hessian at every step; it also
builds the Gram matrix over blocks of rows (the direct product would copy ``X`` per member).
The model stays convex whatever ``H`` it uses (a Hessian at an earlier iterate is still
positive semi-definite), so its minimizer is a descent direction and the line search still
guards every step; a step that the line search rejects with an earlier ``H`` is retried with a
fresh one before the solver reports a stall.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..core.columns import column_classes, column_step, columns
from ..core.design import is_sparse
from ..core.losses import GRAM_BLOCK_ROWS
from ..core.penalties import soft_threshold
from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
from ._linesearch import composite_backtracking
from ._sweeps import coordinate_descent, per_output, safe_curvature
from .auto import NEWTON_MAX_PARAMS
from .group_coordinate import grouped_gram_solve, grouped_residual_solve
from .newton import solve_newton_system

__all__ = ["CoordinateDescent", "uses_gram"]

OUTER_TOL_FRACTION = 0.1  #: the inner tolerance's floor, as a fraction of the outer ``tol``


def uses_gram(problem: Problem, max_gram: int) -> bool:
    """The static rule: Gram form when ``K·d ≤ n`` and ``K·d ≤ max_gram``; for a sparse ``X``
    only up to ``NEWTON_MAX_PARAMS`` (its Gram matrix costs about ``n·r²`` for rows of ``r``
    values, a residual sweep ``O(nnz·K)``)."""
    n = problem.X.shape[0]
    m = problem.n_outputs * problem.n_params_per_output
    if is_sparse(problem.X):
        max_gram = min(max_gram, NEWTON_MAX_PARAMS)
    return m <= n and m <= max_gram


def _sub_positions(full: Problem, index: jax.Array, valid: jax.Array):
    """Flat positions in ``full``'s ``(K, d)`` layout of a sub-problem on the columns ``index``
    (plus the intercepts), and which of them are real (``valid``) rather than padding."""
    K, p, d = full.n_outputs, full.X.shape[1], full.n_params_per_output
    columns, real = index, valid
    if full.fit_intercept:
        columns = jnp.concatenate([index, jnp.array([p])])
        real = jnp.concatenate([valid, jnp.array([True])])
    positions = (jnp.arange(K)[:, None] * d + columns[None, :]).reshape(-1)
    return positions, jnp.tile(real, K)


class LazyHessian(NamedTuple):
    """The Gram form's loss Hessian, kept between steps, and whether the next step must rebuild
    it."""

    matrix: jax.Array
    rebuild: jax.Array


class CoordinateDescent(Solver):
    """glmnet-style proximal Newton with coordinate descent (see the module docstring).

    Args:
        form: ``"auto"`` (the static shape rule), ``"gram"`` or ``"residual"``.
        max_gram: largest ``K·d`` for which ``"auto"`` builds the ``K·d × K·d`` Hessian.
        path_max_gram: ``max_gram`` along a path (``along_path``), whose ``λ`` share builds.
        max_sweeps: most coordinate sweeps (full or active-set) per outer iteration.
        forcing: largest ratio of the inner tolerance to the current KKT violation.
        refresh_ratio: the Gram form rebuilds the Hessian after a step whose KKT violation is
            above ``refresh_ratio`` times the previous one (0: after every step).
        batch_axes: names of enclosing ``jax.vmap`` axes over which the rebuild is decided
            jointly: every member rebuilds when one needs to (see ``batched``).
    """

    supports_l1 = True
    supports_bounds = True

    def __init__(
        self,
        form: str = "auto",
        max_gram: int = 256,
        path_max_gram: int = 2048,
        max_sweeps: int = 1000,
        forcing: float = 0.1,
        refresh_ratio: float = 0.1,
        batch_axes: tuple[str, ...] = (),
    ):
        if form not in ("auto", "gram", "residual"):
            raise ValueError(f"form must be 'auto', 'gram' or 'residual', got {form!r}")
        if not 0.0 <= refresh_ratio < 1.0:
            raise ValueError(f"refresh_ratio must be in [0, 1), got {refresh_ratio!r}")
        self.form = form
        self.max_gram = max_gram
        self.path_max_gram = path_max_gram
        self.max_sweeps = max_sweeps
        self.forcing = forcing
        self.refresh_ratio = refresh_ratio
        self.batch_axes = tuple(batch_axes)

    def batched(self, axis_names: tuple[str, ...]) -> CoordinateDescent:
        joint = copy.copy(self)
        joint.batch_axes = (*self.batch_axes, *axis_names)
        return joint

    def along_path(self) -> CoordinateDescent:
        shared = copy.copy(self)
        shared.max_gram = self.path_max_gram
        return shared

    def gram_form(self, problem: Problem) -> bool:
        if self.form == "auto":
            return uses_gram(problem, self.max_gram)
        return self.form == "gram"

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = problem.penalty.clip(coef)  # a start outside the bounds: its projection
        if not self.gram_form(problem):  # the columns, laid out once (65 ms a step on S2)
            A = columns(problem.X, problem.fit_intercept, problem.X_T)
            return initial_state(problem, coef, extra=A)
        m = coef.size
        hessian = LazyHessian(jnp.zeros((m, m), coef.dtype), jnp.ones((), bool))
        return initial_state(problem, coef, extra=hessian)

    def carry(self, state: SolverState):
        """The Gram form's ``LazyHessian``; the residual form's columns of the design."""
        return state.extra

    def resume(self, problem: Problem, coef: jax.Array, carried) -> SolverState:
        if carried is None:
            return self.init(problem, coef)
        return initial_state(problem, problem.penalty.clip(coef), extra=carried)

    def restrict(self, carried, full, index, valid):
        """Gram form: the rows and columns of the kept columns; rebuilt if a column was not in
        the last build (its diagonal is zero there: ``extend`` keeps only the columns of one
        build). Residual form: the columns, when the sub-problem has all of them (``X`` itself,
        e.g. sparse with pinned columns); else none (its solve lays out its own)."""
        if not isinstance(carried, LazyHessian):
            return carried if index.shape[0] == full.X.shape[1] else None
        positions, real = _sub_positions(full, index, valid)
        matrix = carried.matrix[positions][:, positions]
        matrix = jnp.where(real[:, None] & real[None, :], matrix, 0.0)
        covered = jnp.diagonal(carried.matrix)[positions] > 0
        return LazyHessian(matrix, carried.rebuild | jnp.any(real & ~covered))

    def extend(self, carried, sub, full, index, valid):
        if not isinstance(carried, LazyHessian) or sub is None:
            return carried
        positions, real = _sub_positions(full, index, valid)
        block = jnp.where(real[:, None] & real[None, :], sub.matrix, 0.0)
        matrix = jnp.zeros_like(carried.matrix).at[positions[:, None], positions].set(block)
        return LazyHessian(matrix, sub.rebuild)

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        coef, grad, lazy = state.coef, state.grad, state.extra
        K, d = coef.shape
        inner_tol = partial(self._inner_tol, state.kkt_violation, state.tol)
        gram = isinstance(lazy, LazyHessian)  # else the residual form: ``extra`` is the columns
        block_rows = GRAM_BLOCK_ROWS if self.batch_axes else None
        if not gram:
            solve = grouped_residual_solve if problem.penalty.grouped else self._residual_solve
            cd = partial(solve, problem, state.extra, coef, grad, inner_tol, self.max_sweeps)
            if uses_gram(problem, self.path_max_gram):  # a Hessian fits: Newton's step if smooth

                def hessian():
                    ridge = jnp.diag(problem.ridge_diagonal())
                    return problem.risk_hessian(coef, block_rows) + ridge

                theta = self._newton_or(problem, coef, grad, hessian, cd)
            else:
                theta = cd()
        else:
            rebuild = lazy.rebuild
            if self.batch_axes:  # one decision for the batch, so that the branch stays one
                rebuild = jax.lax.pmax(rebuild, self.batch_axes)
            H_risk = jax.lax.cond(
                rebuild, lambda: problem.risk_hessian(coef, block_rows), lambda: lazy.matrix
            )
            H = H_risk + jnp.diag(problem.ridge_diagonal())
            theta = self._model_minimizer(problem, H, coef, grad, inner_tol)
        theta = theta.reshape(K, d)
        direction = theta - coef
        found = composite_backtracking(problem, coef, state.objective, grad, direction)
        new_coef = found.coef
        if problem.penalty.bounded:  # a full step ends on Θ⁺ itself: bounds met exactly
            new_coef = jnp.where(jnp.all(found.coef == coef + direction), theta, found.coef)
        optimality = problem.kkt_violation(new_coef, found.grad)
        stalled = ~found.accepted
        extra = state.extra
        if gram:
            stalled = stalled & rebuild  # with an earlier Hessian: retry with a fresh one
            progressed = found.accepted & (optimality <= self.refresh_ratio * state.kkt_violation)
            extra = LazyHessian(H_risk, ~progressed)
        return state._replace(
            coef=new_coef,
            objective=found.objective,
            grad=found.grad,
            kkt_violation=optimality,
            stalled=stalled,
            extra=extra,
        )

    def _model_minimizer(self, problem, H, coef, grad, inner_tol) -> jax.Array:
        """The minimizer of the Gram form's model plus ``P₁`` (flattened): Newton's solve when
        there is no L1 part and no bound, else coordinate descent (blocks when grouped)."""
        penalty = problem.penalty
        if penalty.grouped:
            weights = penalty.l1_weights()
            fixed = jnp.all(penalty.fixed(), axis=0) if penalty.bounded else None
            cd = partial(
                grouped_gram_solve, H, coef, grad, weights, inner_tol, self.max_sweeps, fixed
            )
        else:
            cd = partial(self._gram_solve, H, coef, grad, penalty, inner_tol)
        return self._newton_or(problem, coef, grad, lambda: H, cd)

    def _newton_or(self, problem, coef, grad, hessian, cd) -> jax.Array:
        """The model's minimizer (flattened) by Newton's solve with ``hessian()`` (ridge
        included) when the penalty has no L1 part and no bound, else by ``cd()``: coordinate
        descent converges slowly on a smooth, ill-conditioned model that one solve settles."""
        if problem.penalty.bounded:
            return cd()
        smooth = jnp.all(problem.penalty.l1_weights() == 0)
        if self.batch_axes:
            smooth = ~jax.lax.pmax(~smooth, self.batch_axes)

        def newton():
            return (coef + solve_newton_system(problem, hessian(), -grad)).reshape(-1)

        return jax.lax.cond(smooth, newton, cd)

    def _inner_tol(self, opt, outer_tol, g, h, theta):
        eps = jnp.finfo(theta.dtype).eps
        floor = 10 * eps * (jnp.max(jnp.abs(g)) + jnp.max(jnp.abs(h * theta)))
        floor = floor if outer_tol is None else jnp.maximum(floor, OUTER_TOL_FRACTION * outer_tol)
        return jnp.maximum(jnp.minimum(self.forcing, jnp.sqrt(opt)) * opt, floor)

    def _gram_solve(self, H, coef, grad, penalty, inner_tol):
        """Inner CD on ``q = g + H(Θ⁺ − Θ)`` with the ``m × m`` Hessian ``H`` (ridge included)."""
        h = safe_curvature(jnp.diag(H))
        theta0, g = coef.reshape(-1), grad.reshape(-1)
        l1, lower, upper = _flat_constraints(penalty, coef.shape)
        minimizer = _coordinate_minimizer(h, l1, lower, upper)

        def update(i, old, q):
            new = minimizer(i, old, q[i])
            return new, q + H[i] * (new - old), h[i] * jnp.abs(new - old)

        tol = inner_tol(g, h, theta0)
        theta, _, _ = coordinate_descent(
            update, theta0, g, tol, self.max_sweeps, None, lower == upper, _moves(minimizer, h)
        )
        return theta

    @staticmethod
    def _residual_solve(problem, A, coef, grad, inner_tol, max_sweeps: int):
        """Inner CD on the ``(n, K)`` residual ``R``; never forms a ``d × d`` matrix. ``A``: the
        columns of the design (``columns.columns``); a column update reads the column's nonzeros
        only when ``X`` is sparse (``columns.column_step``)."""
        K, d = coef.shape
        Z = problem.linear_predictor(coef)
        s = problem.weights
        l2 = jnp.tile(problem.penalty.l2_weights(), K)
        l1, lower, upper = _flat_constraints(problem.penalty, coef.shape)
        # weighted[k, i] = s̃ᵢ Cᵢ eₖ (K, n, K): a step δ on Θ_{kj} adds δ aᵢⱼ s̃ᵢ Cᵢ eₖ to Rᵢ.
        curvature = problem.loss.curvature_matrix(Z)  # (n, K, K)
        weighted = jnp.moveaxis(s[:, None, None] * curvature, 2, 0)
        # hᵢ = Σ s̃ a_{·j}² C_kk + λ(1−α)ϖⱼ from the per-sample diagonal curvature C_kk (n, K).
        diag_curv = jnp.diagonal(curvature, axis1=1, axis2=2)
        h = problem.design_squares_rmatmul(s[:, None] * diag_curv).reshape(-1) + l2
        h = safe_curvature(h)
        residual = s[:, None] * (problem.loss.mean(Z) - problem.targets)
        theta0, g = coef.reshape(-1), grad.reshape(-1)
        minimizer = _coordinate_minimizer(h, l1, lower, upper)
        moves_given_q = _moves(minimizer, h)

        def update(width_class, i, old, R):
            k, j = i // d, i % d

            def solve(rows, a, R_rows):
                new = minimizer(i, old, a @ R_rows[:, k] + l2[i] * old)
                step = (new - old) * a
                return (new, h[i] * jnp.abs(new - old)), step[:, None] * weighted[k, rows]

            (new, moved), R = column_step(A, j, R, solve, width_class)
            return new, R, moved

        def moves(theta, R):  # every q at once: one product with the design
            return moves_given_q(theta, problem.design_rmatmul(R).reshape(-1) + l2 * theta)

        n_classes, classes = column_classes(A)
        updates = tuple(partial(update, c) for c in range(n_classes))
        tol, fixed, classes = inner_tol(g, h, theta0), lower == upper, per_output(classes, K)
        start_moves = moves_given_q(theta0, g)  # q = g at the start: no product
        theta, _, _ = coordinate_descent(
            updates, theta0, residual, tol, max_sweeps, classes, fixed, moves, start_moves
        )
        return theta


def _coordinate_minimizer(h, l1, lower, upper):
    """``minimizer(i, old, q)``: where coordinate ``i`` (an index, or ``slice(None)`` for all at
    once) moves from ``old`` given its model gradient ``q``: ``S(hᵢ·old − q, wᵢ)/hᵢ`` clipped to
    ``[lᵢ, uᵢ]``."""

    def minimizer(i, old, q):
        return jnp.clip(soft_threshold(h[i] * old - q, l1[i]) / h[i], lower[i], upper[i])

    return minimizer


def _moves(minimizer, h):
    """``moves(Θ, q)``: every coordinate's would-be change ``hᵢ|ΔΘᵢ|`` at ``Θ`` given the
    model's gradient ``q`` there, all at once (``_sweeps.coordinate_descent``'s check)."""

    def moves(theta, q):
        return h * jnp.abs(minimizer(slice(None), theta, q) - theta)

    return moves


def _flat_constraints(penalty, shape) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Per coefficient, flattened like ``Θ (K, d)``: the L1 weight and the bounds (``∓∞``
    without); a coordinate moves to its 1-D minimizer clipped to the bounds (glmnet)."""
    K, d = shape
    l1 = jnp.tile(penalty.l1_weights(), K)
    infinite = jnp.full(K * d, jnp.inf, l1.dtype)
    lower = -infinite if penalty.lower is None else penalty.lower.reshape(-1)
    upper = infinite if penalty.upper is None else penalty.upper.reshape(-1)
    return l1, lower, upper
