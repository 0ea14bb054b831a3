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
  as the in-memory Newton solver does (it equals the IRLS step). The backtracking line search
  tests ``F`` exactly, with the in-memory solvers' acceptance test: each trial is a pass that also
  returns ``∇F`` and ``∇²F`` there, so an iteration whose unit step is accepted costs one pass.
  When no trial passes, the fit stops (``StopReason.STALLED``).
- ``"lbfgs"``: optax's L-BFGS direction from the secant pairs, the same line search with gradient
  passes.
- ``"sgd"``, ``"adam"`` (approximate): the solver's optax update on minibatches of each chunk,
  chunks in a random order; a minibatch ``B`` weighs its rows by ``n'/|B|`` (``n'`` rows after
  padding), an unbiased estimate of ``∇F``. The default SGD rate comes from the first chunk.
  After every pass, ``F`` and its gradient are evaluated exactly (a second pass, for progress
  and the stopping rule) and the best iterate is kept.

Data: a ``.npy`` or ``.parquet`` path, an array, ``np.memmap``, or a sparse ``X`` kept sparse
(``scipy.sparse``, ``.npz``, libsvm/svmlight text): see ``jaxlogreg.scale.chunks``.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._validation import check_penalty_factor, check_positive_int, check_positive_number
from ..core.losses import Loss, get_loss
from ..core.penalties import ElasticNetPenalty
from ..core.problem import Problem
from ..engine.functional import FitResult
from ..precision import precise_jit
from ..solvers import LBFGS, SGD, Adam, get_solver
from ..solvers._linesearch import smooth_step_accepted
from ..solvers.newton import solve_newton_system
from ..solvers.stop import stop_reason
from . import sharding
from .chunks import Chunks, find_classes, make_chunks
from .sparse_chunks import check_sparse_newton, in_dtype, rows_in_dtype

__all__ = ["Progress", "find_classes", "fit_out_of_core"]

SOLVER_NAMES = ("newton", "lbfgs", "sgd", "adam")
#: Most halvings of the line search's step ``t = 1, ½, ¼, …`` before the fit stops (stalled).
MAX_HALVINGS = 40


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
    chunk = Problem(in_dtype(X, dtype), T, weights, zero, loss, fit_intercept)
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
        X: ``(n, p)`` features: a ``.npy``/``.parquet`` (``y``: the target column) path, an
            array, ``np.memmap``, or sparse: scipy, ``.npz``, libsvm/svmlight (``y=None``).
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
        A ``FitResult`` (NumPy arrays); ``history`` holds ``F`` per iteration, NaN-padded;
        ``stop_reason`` says why the fit stopped (``solvers.stop.StopReason``).
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
    chunks, K = make_chunks(X, y, sample_weight, loss, classes, chunk_rows, dtype, mesh)
    template = _template(chunks, K, lam, penalty_factor, loss, fit_intercept)
    d = template.n_params_per_output
    check_sparse_newton(method, chunks, K * d)
    coef = np.zeros((K, d), dtype) if init is None else np.asarray(init, dtype).reshape(K, d)
    coef = np.asarray(template.center_classes(jnp.asarray(coef)))
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


def _template(chunks: Chunks, K: int, lam, penalty_factor, loss, fit_intercept) -> Problem:
    """A ``Problem`` without rows: the penalty, loss and layout the shared helpers need (the
    data live in ``chunks``)."""
    p, dtype = chunks.X.shape[1], chunks.dtype
    factor = check_penalty_factor(penalty_factor, p)
    factors = np.concatenate([factor, np.zeros(int(fit_intercept))]).astype(dtype)
    penalty = ElasticNetPenalty(jnp.asarray(lam, dtype), jnp.zeros((), dtype), jnp.asarray(factors))
    empty = (jnp.zeros((0, p), dtype), jnp.zeros((0, K), dtype), jnp.zeros(0, dtype))
    return Problem(*empty, penalty, loss, fit_intercept)


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
    options = dict(loss=template.loss, fit_intercept=template.fit_intercept, hessian=hessian)
    return partial(_data_pass, chunks, penalty=template.penalty, **options)


@precise_jit
def _newton_direction(template, hessian, grad):
    return solve_newton_system(template, hessian, -grad)


def _direction_rule(method, template, coef):
    """``(direction, memory)``: ``direction(coef, point, memory) -> (D, memory)`` is the search
    direction (float64) at ``coef``, whose pass gave ``point``; ``memory`` is L-BFGS's secant
    memory (``None`` for Newton)."""
    if method == "newton":

        def newton(coef, point, memory):
            hessian, grad = point[2].astype(coef.dtype), point[1].astype(coef.dtype)
            return np.asarray(_newton_direction(template, hessian, grad), np.float64), memory

        return newton, None
    lbfgs = optax.lbfgs(memory_size=method.memory_size, linesearch=None)
    update = precise_jit(lbfgs.update)

    def quasi_newton(coef, point, memory):
        step, memory = update(jnp.asarray(point[1], coef.dtype), memory, jnp.asarray(coef))
        return np.asarray(step, np.float64), memory

    return quasi_newton, lbfgs.init(jnp.asarray(coef))


def _line_search(evaluate, coef, point, direction):
    """Backtracking on the exact ``F`` along ``direction`` (the negative gradient when that is not
    a finite descent direction) with the in-memory solvers' test (``smooth_step_accepted``):
    ``(coef, point, t, passes)``; ``t = 0`` with ``coef`` and ``point`` unchanged when no step
    ``t = 1, ½, ¼, …`` (``MAX_HALVINGS`` halvings) passes."""
    objective, grad = point[0], point[1]
    eps = float(np.finfo(coef.dtype).eps)  # F is summed in float64, but Θ is in coef's dtype
    slope = float(np.vdot(grad, direction))
    if not (np.all(np.isfinite(direction)) and slope < 0):
        direction, slope = -grad, -float(np.vdot(grad, grad))
    grad_l1 = np.sum(np.abs(grad))
    t = 1.0
    for passes in range(1, MAX_HALVINGS + 2):
        trial_coef = (coef + t * direction).astype(coef.dtype)
        trial = evaluate(trial_coef)
        new_grad_l1 = np.sum(np.abs(trial[1]))
        if smooth_step_accepted(objective, trial[0], t, slope, grad_l1, new_grad_l1, eps=eps):
            return trial_coef, trial, t, passes
        t *= 0.5
    return coef, point, 0.0, MAX_HALVINGS + 1


def _exact(method, chunks, template, coef, *, max_iter, tol, report):
    """Newton (``method == "newton"``) or L-BFGS with an exact backtracking line search."""
    evaluate = _evaluator(chunks, template, hessian=method == "newton")
    direction, memory = _direction_rule(method, template, coef)
    start, passes = time.perf_counter(), 1
    point = evaluate(coef)
    history, stalled = [point[0]], False
    while np.max(np.abs(point[1])) > tol and len(history) <= max_iter and not stalled:
        step, memory = direction(coef, point, memory)
        coef, point, t, trials = _line_search(evaluate, coef, point, step)
        passes, stalled = passes + trials, t == 0.0
        history.append(point[0])
        kkt_violation = float(np.max(np.abs(point[1])))
        seconds = time.perf_counter() - start
        report(Progress(len(history) - 1, passes, point[0], kkt_violation, t, seconds))
    return _result(template, coef, point, history, max_iter, tol, stalled=stalled)


def _result(template, coef, point, history, max_iter, tol, *, stalled=False) -> FitResult:
    """The ``FitResult`` of the iterate ``coef`` whose pass gave ``point = (F, ∇F, …)``."""
    objective, kkt_violation = point[0], float(np.max(np.abs(point[1])))
    converged = kkt_violation <= tol
    coef, intercept = template.split(jnp.asarray(coef))
    record = np.full(max_iter + 1, np.nan)
    record[: len(history)] = history
    return FitResult(
        coef=np.asarray(coef),
        intercept=np.asarray(intercept),
        n_iter=np.asarray(len(history) - 1),
        converged=np.asarray(converged),
        stop_reason=np.asarray(stop_reason(converged, stalled, objective, kkt_violation)),
        objective=np.asarray(objective),
        kkt_violation=np.asarray(kkt_violation),
        history=record,
    )


def _learning_rate(method, chunks, template) -> float:
    """The minibatch method's rate; by default its own estimate on the first chunk."""
    if method.learning_rate is not None:
        return method.learning_rate
    X, T, w = chunks[0]
    first = dataclasses.replace(
        template,
        X=in_dtype(X, chunks.dtype),
        targets=jnp.asarray(T),
        weights=jnp.asarray(w) / jnp.sum(jnp.asarray(w)),
    )
    return float(method.default_learning_rate(first))


def _chunk_epoch(template, optimizer, size: int, per_chunk: int, scale: float):
    """``(params, opt_state, key, X, T, w) -> (params, opt_state)``: the optimizer's updates on
    ``per_chunk`` random minibatches of ``size`` rows of one chunk, their rows weighted by
    ``scale`` (compiled)."""
    dtype = template.X.dtype

    @precise_jit
    def chunk_epoch(params, opt_state, key, X, T, w):
        rows = jax.random.permutation(key, X.shape[0])[: per_chunk * size].reshape(-1, size)

        def update(carry, batch):
            params, opt_state = carry
            problem = dataclasses.replace(
                template,
                X=rows_in_dtype(X, batch, dtype),
                targets=T[batch],
                weights=w[batch] * scale,
            )
            grad = jax.grad(problem.smooth_value)(params)
            updates, opt_state = optimizer.update(grad, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), None

        return jax.lax.scan(update, (params, opt_state), rows)[0]

    return chunk_epoch


def _minibatch(method, chunks, template, coef, *, max_iter, tol, report):
    """SGD/Adam over chunks in random order; the best iterate by exact ``F`` after each pass."""
    size = max(1, min(method.batch_size, chunks.rows))
    per_chunk = chunks.rows // size
    rate = _learning_rate(method, chunks, template)
    schedule = optax.exponential_decay(rate, per_chunk * len(chunks), method.decay_rate)
    optimizer = method.optimizer(schedule)
    scale = len(chunks) * chunks.rows / size  # minibatch sums estimate Σᵢ s̃ᵢ(…) unbiasedly
    chunk_epoch = _chunk_epoch(template, optimizer, size, per_chunk, scale)
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
        kkt_violation = float(np.max(np.abs(best[2])))
        seconds = time.perf_counter() - start
        report(Progress(len(history) - 1, passes, best[1], kkt_violation, rate_now, seconds))
    return _result(template, best[0], best[1:], history, max_iter, tol)
