"""Fits of data larger than memory, read in chunks: exact Newton and L-BFGS, minibatch SGD/Adam.

The objective is that of ``jaxlogreg.fit`` (glmnet convention, ridge penalty)::

    F(Θ) = Σᵢ s̃ᵢ ℓ(zᵢ, tᵢ) + P(Θ),     s̃ᵢ = sᵢ / Σₗ sₗ.

Its risk, gradient and Hessian ``Σᵢ s̃ᵢ Cᵢ ⊗ aᵢaᵢᵀ`` are sums over rows, so one pass over the data
in chunks accumulates them exactly (the idea of R's biglm): the fit is the full-data solution, and
memory holds one chunk plus ``O((K·d)²)``. A chunk is a ``Problem`` with ``λ = 0`` (the loss code
of every in-memory fit); the penalty is added once per pass. Every chunk is padded to
``chunk_rows`` rows of weight zero, so one compiled function of fixed shape serves all chunks.
Chunk sums are accumulated in float64 on the host.

- ``"newton"``: a pass gives ``F``, ``∇F`` and ``∇²F`` at ``Θ``; the step solves the Newton system
  as the in-memory Newton solver does (``solve_newton_system``; it equals the IRLS step). The
  backtracking line search tests ``F`` exactly: each trial is a pass that also returns ``∇F`` and
  ``∇²F`` there, so an iteration whose unit step is accepted costs one pass.
- ``"lbfgs"``: optax's L-BFGS direction from the secant pairs, the same line search with gradient
  passes.
- ``"sgd"``, ``"adam"`` (approximate): the solver's optax update on minibatches of each chunk,
  chunks in a random order; a minibatch ``B`` weighs its rows by ``n'/|B|`` (``n'`` rows after
  padding), an unbiased estimate of ``∇F``. The default SGD rate comes from the first chunk.
  After every pass, ``F`` and its gradient are evaluated exactly (a second pass, for progress
  and the stopping rule) and the best iterate is kept.

Data: a ``.npy`` path, a NumPy array or ``np.memmap``, or a ``.parquet`` path whose target is
the column named by ``y`` (see ``jaxlogreg.chunks``).
"""

from __future__ import annotations

import dataclasses
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.exceptions import ConvergenceWarning

from .._validation import (
    check_choice,
    check_penalty_factor,
    check_positive_int,
    check_positive_number,
)
from ..core.losses import Loss, get_loss
from ..core.penalties import ElasticNetPenalty
from ..core.problem import Problem
from ..engine.functional import FitResult
from ..estimators.logistic import LogisticRegression
from ..precision import precise_jit
from ..solvers import LBFGS, SGD, Adam, get_solver
from ..solvers.newton import _center_classes, solve_newton_system
from ..solvers.stop import stop_reason
from . import sharding
from .chunks import Chunks, column_sum, encoder, find_classes, sources

__all__ = ["Progress", "find_classes", "fit_out_of_core", "logistic_regression"]

SOLVER_NAMES = ("newton", "lbfgs", "sgd", "adam")


class Progress(NamedTuple):
    """What ``progress`` receives after every iteration (an epoch for sgd/adam).

    ``passes``: passes over the data so far; ``objective``: ``F`` at the iterate (for sgd/adam
    the best one so far); ``kkt_violation``: its largest gradient component; ``step``: the line
    search's step length (``0`` when no step decreased ``F``), or sgd/adam's learning rate.
    """

    iteration: int
    passes: int
    objective: float
    kkt_violation: float
    step: float
    seconds: float


@partial(precise_jit, static_argnames=("loss", "fit_intercept", "hessian"))
def _chunk_terms(coef, X, T, weights, *, loss, fit_intercept, hessian):
    """``Σᵢ s̃ᵢℓᵢ`` over one chunk, its gradient ``(K, d)`` and, if asked, Hessian."""
    dtype = coef.dtype
    zero = ElasticNetPenalty(
        jnp.zeros((), dtype), jnp.zeros((), dtype), jnp.zeros(coef.shape[1], dtype)
    )
    chunk = Problem(X.astype(dtype), T, weights, zero, loss, fit_intercept)
    value, grad = chunk.smooth_value_and_grad(coef)
    return (value, grad, chunk.smooth_hessian(coef)) if hessian else (value, grad)


def _data_pass(chunks: Chunks, coef, penalty: ElasticNetPenalty, *, loss, fit_intercept, hessian):
    """Exact ``F``, ``∇F`` (and ``∇²F``) at ``coef`` by one pass: float64 NumPy values."""
    run = partial(
        _chunk_terms, jnp.asarray(coef), loss=loss, fit_intercept=fit_intercept, hessian=hessian
    )
    total, pending = None, None
    for c in range(len(chunks)):
        result = run(*chunks[c])  # dispatched asynchronously: the next chunk is read meanwhile
        if pending is not None:
            total = _add(total, pending)
        pending = result
    total = _add(total, pending)
    ridge = np.asarray(penalty.l2_weights(), np.float64)
    value = total[0] + 0.5 * np.sum(ridge * coef.astype(np.float64) ** 2)
    grad = total[1] + ridge * coef
    if not hessian:
        return value, grad
    return value, grad, total[2] + np.diag(np.tile(ridge, coef.shape[0]))


def _add(total, result):
    parts = [np.asarray(x, np.float64) for x in sharding.fetch(result)]
    return parts if total is None else [a + b for a, b in zip(total, parts, strict=True)]


def _accept(objective, grad, new_objective, new_grad, slope, t, eps) -> bool:
    """The acceptance test of ``solvers._linesearch.backtracking`` (Armijo, or round-off level)."""
    if not np.isfinite(new_objective):
        return False
    sufficient = new_objective <= objective + 1e-4 * t * slope
    rounding = new_objective <= objective + 4 * eps * abs(objective)
    return bool(sufficient or (rounding and np.sum(np.abs(new_grad)) < np.sum(np.abs(grad))))


def fit_out_of_core(
    X,
    y,
    *,
    lam,
    loss: str | Loss = "binary",
    classes=None,
    fit_intercept: bool = True,
    sample_weight=None,
    penalty_factor=None,
    solver="newton",
    chunk_rows: int = 65536,
    max_iter: int = 100,
    tol: float = 1e-8,
    init=None,
    dtype=None,
    mesh=None,
    progress: bool | Callable[[Progress], None] | None = None,
) -> FitResult:
    """Fit ``jaxlogreg.fit``'s ridge problem (glmnet convention) on data read in chunks.

    Args:
        X: ``(n, p)`` features: a ``.npy`` path, an array or ``np.memmap``, or a ``.parquet``
            path (then ``y`` names the target column and every other column is a feature).
        y: targets as for ``fit`` (``(n,)`` in ``[0, 1]`` binary, ``(n, K)`` one-hot
            multinomial, squared), or labels when ``classes`` is given; a path or an array.
        lam: ridge strength ``λ ≥ 0`` (no L1 part out of core).
        loss: ``"binary"``, ``"multinomial"`` or ``"squared"``.
        classes: sorted labels (e.g. ``find_classes(y)``): ``y`` holds labels, encoded per chunk
            (class ``classes[1]`` is the positive one for the binary loss).
        sample_weight: ``(n,)`` non-negative weights (path or array); default ones.
        penalty_factor: ``(p,)`` per-feature factors ``ϖ`` (default ones).
        solver: ``"newton"``, ``"lbfgs"`` (exact), ``"sgd"``, ``"adam"`` (approximate), or an
            ``LBFGS``/``SGD``/``Adam`` instance with its own settings.
        chunk_rows: rows per chunk (memory ≈ ``chunk_rows·p`` values, plus copies in flight).
        max_iter: most iterations (sgd/adam: passes).
        tol: stop when the largest gradient component of ``F`` is ``≤ tol``.
        init: starting ``(K, p + fit_intercept)`` coefficients, intercept last; default zeros.
        dtype: compute dtype; default JAX's float (float64 with ``jax_enable_x64``). Chunks
            are cast on the device, so a float32 file may be fitted in float64.
        mesh: a ``jax.sharding.Mesh``: every chunk's rows are split over its devices.
        progress: ``True`` prints a line per iteration to stderr; a callable receives a
            ``Progress``.

    Returns:
        A ``FitResult`` (NumPy arrays); ``history`` holds ``F`` per iteration, NaN-padded.
    """
    loss = get_loss(loss)
    method = _solver_of(solver)
    chunk_rows = check_positive_int("chunk_rows", chunk_rows)
    max_iter = check_positive_int("max_iter", max_iter)
    tol = check_positive_number("tol", tol)
    if not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    dtype = np.dtype(jnp.result_type(float) if dtype is None else dtype)
    if jnp.zeros((), dtype).dtype != dtype:
        raise ValueError(f"dtype {dtype} needs jax.config.update('jax_enable_x64', True)")
    Xs, ys, ws = sources(X, y, sample_weight)
    if len(Xs.shape) != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {Xs.shape}")
    n, p = Xs.shape
    for name, source in (("y", ys), ("sample_weight", ws)):
        if source is not None and source.shape[0] != n:
            raise ValueError(f"{name} has {source.shape[0]} rows but X has {n}")
    encode, K = encoder(loss, classes, ys.shape)
    if mesh is not None:
        chunk_rows = sharding.padded_rows(chunk_rows, sharding._check_mesh(mesh))
    chunks = Chunks(Xs, ys, ws, encode, chunk_rows, dtype, mesh)
    factor = check_penalty_factor(penalty_factor, p)
    factors = np.concatenate([factor, np.zeros(int(fit_intercept))]).astype(dtype)
    penalty = ElasticNetPenalty(jnp.asarray(lam, dtype), jnp.zeros((), dtype), jnp.asarray(factors))
    d = p + int(fit_intercept)
    coef = np.zeros((K, d), dtype) if init is None else np.asarray(init, dtype).reshape(K, d)
    # The data live in chunks; this empty problem carries the loss for the shared helpers.
    template = Problem(
        jnp.zeros((0, p), dtype),
        jnp.zeros((0, K), dtype),
        jnp.zeros(0, dtype),
        penalty,
        loss,
        fit_intercept,
    )
    coef = np.asarray(_center_classes(template, jnp.asarray(coef)))
    run = _minibatch if isinstance(method, SGD | Adam) else _exact
    report = _reporter(progress)
    return run(method, chunks, template, coef, max_iter=max_iter, tol=tol, report=report)


def _solver_of(solver):
    """``"newton"``, or the ``LBFGS``/``SGD``/``Adam`` object a name or an instance stands for."""
    if isinstance(solver, LBFGS | SGD | Adam):
        return solver
    if solver not in SOLVER_NAMES:
        raise ValueError(
            f"out-of-core solver must be one of {list(SOLVER_NAMES)} (or an LBFGS, SGD or Adam "
            f"instance), got {solver!r}"
        )
    return solver if solver == "newton" else get_solver(solver)


def logistic_regression(
    X,
    y,
    *,
    C: float = 1.0,
    penalty: str | None = "l2",
    multi_class: str = "auto",
    sample_weight=None,
    solver="newton",
    chunk_rows: int = 65536,
    max_iter: int = 100,
    tol: float = 1e-6,
    dtype=None,
    mesh=None,
    progress=None,
) -> LogisticRegression:
    """A fitted ``LogisticRegression`` (scikit-learn's ``C`` objective) from data read in chunks.

    ``y`` holds labels (a ``.npy`` path or an array; for a ``.parquet`` ``X``, the name of the
    label column). Two classes give the binary model of class ``classes_[1]``, more the
    multinomial one; the fit is ``fit_out_of_core`` at ``λ = 1/(C·Σsᵢ)``. ``penalty`` is
    ``"l2"`` or ``None``, ``multi_class`` ``"auto"`` or ``"multinomial"``: an L1 part and
    one-vs-rest are not available out of core.
    """
    check_choice("penalty", penalty, ("l2", None))
    check_choice("multi_class", multi_class, ("auto", "multinomial"))
    C = check_positive_number("C", C, allow_inf=True)
    is_parquet = isinstance(X, str | Path) and Path(X).suffix.lower() == ".parquet"
    classes = find_classes(X, column=y) if is_parquet else find_classes(y)
    if len(classes) < 2:
        raise ValueError(f"y has {len(classes)} class(es); a classifier needs at least 2")
    Xs, _, weights = sources(X, y, sample_weight)
    total = Xs.shape[0] if weights is None else column_sum(weights, chunk_rows)
    lam = 0.0 if penalty is None or np.isinf(C) else 1.0 / (C * total)
    binary = len(classes) == 2 and multi_class == "auto"
    result = fit_out_of_core(
        X, y, lam=lam, loss="binary" if binary else "multinomial", classes=classes,
        sample_weight=sample_weight, solver=solver, chunk_rows=chunk_rows, max_iter=max_iter,
        tol=tol, dtype=dtype, mesh=mesh, progress=progress,
    )  # fmt: skip
    coef, intercept = np.asarray(result.coef, np.float64), np.asarray(result.intercept, np.float64)
    if len(classes) == 2 and not binary:  # the equivalent binary logit of a 2-class softmax
        coef, intercept = coef[1:] - coef[:1], intercept[1:] - intercept[:1]
    name = solver if isinstance(solver, str) else type(solver).__name__.lower()
    model = LogisticRegression(
        penalty, C=C, solver="auto", multi_class=multi_class, max_iter=max_iter, tol=tol
    )
    model.classes_, model.coef_, model.intercept_ = classes, coef, intercept
    model.n_features_in_, model.n_iter_ = Xs.shape[1], np.atleast_1d(result.n_iter)
    model.solver_, model.objective_ = name, float(result.objective)
    if not result.converged:
        warnings.warn(
            f"the out-of-core {name!r} fit did not converge in max_iter={max_iter} iterations: "
            f"the largest gradient component is {float(result.kkt_violation):.3e} > tol={tol:g}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return model


def _reporter(progress):
    if progress is True:
        return lambda info: print(
            f"iteration {info.iteration}: passes {info.passes}, objective {info.objective:.12g}, "
            f"max|grad| {info.kkt_violation:.3e}, step {info.step:g}, {info.seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return progress or (lambda info: None)


def _evaluator(chunks, template, *, hessian: bool):
    """``coef -> (objective, gradient[, Hessian])``: one pass over ``chunks``."""
    return partial(
        _data_pass,
        chunks,
        penalty=template.penalty,
        loss=template.loss,
        fit_intercept=template.fit_intercept,
        hessian=hessian,
    )


@precise_jit
def _newton_direction(template, hessian, grad):
    return solve_newton_system(template, hessian, -grad)


def _exact(method, chunks, template, coef, *, max_iter, tol, report):
    """Newton (``method == "newton"``) or L-BFGS with an exact backtracking line search."""
    newton = method == "newton"
    dtype, eps = coef.dtype, float(np.finfo(coef.dtype).eps)
    evaluate = _evaluator(chunks, template, hessian=newton)
    start, passes = time.perf_counter(), 1
    point = evaluate(coef)
    history = [point[0]]
    if not newton:
        memory = optax.lbfgs(memory_size=method.memory_size, linesearch=None)
        update = precise_jit(memory.update)
        opt_state = memory.init(jnp.asarray(coef))
    stalled = False
    while np.max(np.abs(point[1])) > tol and len(history) <= max_iter and not stalled:
        objective, grad = point[0], point[1]
        if newton:
            direction = np.asarray(
                _newton_direction(template, point[2].astype(dtype), grad.astype(dtype)), np.float64
            )
        else:
            step, opt_state = update(jnp.asarray(grad, dtype), opt_state, jnp.asarray(coef))
            direction = np.asarray(step, np.float64)
        slope = float(np.vdot(grad, direction))
        if not (np.all(np.isfinite(direction)) and slope < 0):
            direction, slope = -grad, -float(np.vdot(grad, grad))
        t, stalled = 1.0, True
        for _ in range(41):
            trial_coef = (coef + t * direction).astype(dtype)
            trial = evaluate(trial_coef)
            passes += 1
            if _accept(objective, grad, trial[0], trial[1], slope, t, eps):
                coef, point, stalled = trial_coef, trial, False
                break
            t *= 0.5
        history.append(point[0])
        report(
            Progress(
                len(history) - 1,
                passes,
                point[0],
                float(np.max(np.abs(point[1]))),
                0.0 if stalled else t,
                time.perf_counter() - start,
            )
        )
    return _result(template, coef, point[0], point[1], history, max_iter, tol)


def _result(template, coef, objective, grad, history, max_iter, tol) -> FitResult:
    kkt_violation = float(np.max(np.abs(grad)))
    converged = kkt_violation <= tol
    coef, intercept = template.split(jnp.asarray(coef))
    record = np.full(max_iter + 1, np.nan)
    record[: len(history)] = history
    return FitResult(
        coef=np.asarray(coef),
        intercept=np.asarray(intercept),
        n_iter=np.asarray(len(history) - 1),
        converged=np.asarray(converged),
        stop_reason=np.asarray(stop_reason(converged, False, objective, kkt_violation)),
        objective=np.asarray(objective),
        kkt_violation=np.asarray(kkt_violation),
        history=record,
    )


def _minibatch(method, chunks, template, coef, *, max_iter, tol, report):
    """SGD/Adam over chunks in random order; the best iterate by exact ``F`` after each pass."""
    dtype = coef.dtype
    size = max(1, min(method.batch_size, chunks.rows))
    per_chunk = chunks.rows // size
    if method.learning_rate is None:  # estimated on the first chunk
        X, T, w = chunks[0]
        first = dataclasses.replace(
            template,
            X=jnp.asarray(X, dtype),
            targets=jnp.asarray(T),
            weights=jnp.asarray(w) / jnp.sum(jnp.asarray(w)),
        )
        rate = float(method.default_learning_rate(first))
    else:
        rate = method.learning_rate
    schedule = optax.exponential_decay(rate, per_chunk * len(chunks), method.decay_rate)
    optimizer = method.optimizer(schedule)
    scale = len(chunks) * chunks.rows / size  # minibatch sums estimate Σᵢ s̃ᵢ(…) unbiasedly

    @precise_jit
    def chunk_epoch(params, opt_state, key, X, T, w):
        rows = jax.random.permutation(key, X.shape[0])[: per_chunk * size].reshape(-1, size)

        def update(carry, batch):
            params, opt_state = carry
            problem = dataclasses.replace(
                template, X=X[batch].astype(dtype), targets=T[batch], weights=w[batch] * scale
            )
            grad = jax.grad(problem.smooth_objective)(params)
            updates, opt_state = optimizer.update(grad, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), None

        return jax.lax.scan(update, (params, opt_state), rows)[0]

    evaluate = _evaluator(chunks, template, hessian=False)
    start, passes = time.perf_counter(), 1
    best = (coef, *evaluate(coef))
    history = [best[1]]
    params, opt_state = jnp.asarray(coef), optimizer.init(jnp.asarray(coef))
    key = jax.random.PRNGKey(method.seed)
    rng = np.random.default_rng(method.seed)
    while np.max(np.abs(best[2])) > tol and len(history) <= max_iter:
        for c in rng.permutation(len(chunks)):
            key, subkey = jax.random.split(key)
            params, opt_state = chunk_epoch(params, opt_state, subkey, *chunks[c])
        candidate = np.asarray(params)
        objective, grad = evaluate(candidate)
        passes += 2
        if np.isfinite(objective) and objective < best[1]:
            best = (candidate, objective, grad)
        elif not np.isfinite(objective):  # a diverged running iterate restarts from the best
            params = jnp.asarray(best[0])
        history.append(best[1])
        rate_now = float(schedule((len(history) - 1) * per_chunk * len(chunks)))
        report(
            Progress(
                len(history) - 1,
                passes,
                best[1],
                float(np.max(np.abs(best[2]))),
                rate_now,
                time.perf_counter() - start,
            )
        )
    return _result(template, best[0], best[1], best[2], history, max_iter, tol)
