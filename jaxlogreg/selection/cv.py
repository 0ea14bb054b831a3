"""Cross-validation of ``C`` (and ``l1_ratio``) in one batched program, and its model selection.

A cross-validation fold is a 0/1 mask ``mᶠ`` on the samples (``jaxlogreg.selection.folds``): fold
``f`` trains with the weights ``sᵢ·mᶠᵢ`` and is scored on its test samples. Every fold has the
same shapes, so all folds × ``Cs`` × ``l1_ratios`` are solved by ONE compiled program: ``jax.vmap``
over ``l1_ratios`` and over the fold masks of the regularization-path core
``jaxlogreg.engine.path.path``, which runs the ``C`` grid in increasing order (decreasing ``λ``)
with warm starts. A sparse ``X`` (CSR) stays sparse: one ``core.design.SparseDesign`` shared by
the whole batch (never batched itself), its rows padded like a dense ``X`` (``engine.shapes``),
and the linear predictors of the metrics are ``core.design.matmul_t``. Fold ``f`` minimizes, for
each ``C``, scikit-learn's objective

    C · Σᵢ sᵢ mᶠᵢ ℓᵢ + (1 − α)/2 ‖W‖² + α ‖W‖₁

(the penalty weighted per feature by ``penalty_factor``, ``ℓᵢ`` of ``zᵢ = xᵢW + b + oᵢ`` with the
row's offset ``oᵢ``, in the fits and the validation scores alike),

i.e. the glmnet-convention objective with ``λᶠ = 1/(C · Σᵢ sᵢ mᶠᵢ)`` (``sᵢ`` includes class
weights), so the ``λ`` grid differs per fold. The validation scores and the diagnostics (training
and validation log-loss and accuracy of every fit) are computed in the same program.

The validation scores are weighted by the sample weights (not the class weights), with the
built-in scores and with any scorer (``sample_weight=``). Which ``(C, l1_ratio)`` wins is
``jaxlogreg.selection.select``'s: scikit-learn's highest mean score, or glmnet's
one-standard-error rule.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse
from sklearn.metrics import roc_auc_score

from ..core.design import matmul_t
from ..core.penalties import lam_of_C
from ..core.targets import (
    Mode,
    class_log_proba,
    encode_offset,
    encode_targets,
    logit_of_softmax,
)
from ..engine.path import null_init, path
from ..engine.shapes import bucket_rows, pad_rows, padded_on_device, padded_sparse_design
from ..precision import precise_jit
from ..solvers import get_solver
from .cv_scorers import SCORINGS, check_scoring, scorer_scores, with_labels

__all__ = [
    "SCORINGS",
    "CrossValidation",
    "check_scoring",
    "concatenate_folds",
    "cross_validate",
    "sample_metrics",
    "scorer_scores",
    "validation_scores",
    "with_labels",
]


class CrossValidation(NamedTuple):
    """Every fold fit of a grid (NumPy), in scikit-learn's axes: folds ``F``, the ``Cs`` in
    their given order ``L``, ``l1_ratios`` ``A``.

    Attributes:
        coef: decision weights ``(F, L, A, K, p)`` (a two-class softmax as its logit, ``K = 1``);
            intercept: ``(F, L, A, K)``; both float64.
        n_iter, converged, stop_reason, kkt_violation: ``(F, L, A)``, the worst over the classes
            of one-vs-rest.
        mean_loss, mean_accuracy: ``(2, F, L, A)`` log-loss and accuracy, ``s``-weighted means
            over the training ([0]) and the validation ([1]) samples of each fold.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    stop_reason: np.ndarray
    kkt_violation: np.ndarray
    mean_loss: np.ndarray
    mean_accuracy: np.ndarray


def sample_metrics(Z, y_index, mode: Mode):
    """Per-sample log-loss and 0/1 correctness ``(…, n)`` of decision values ``Z (…, n, K)``.

    Probabilities are clipped to ``[ε, 1 − ε]`` like scikit-learn's. Binary: the true class's
    ``log σ(±z)`` alone (half the work of both columns), and class 1 is predicted when ``z > 0``,
    as ``predict`` does (the two columns' ``argmax`` would tie to class 0 below ``|z| ≈ 1e-17``).
    """
    eps = jnp.finfo(Z.dtype).eps
    if Z.shape[-1] == 1:
        z, positive = Z[..., 0], y_index == 1
        log_p_true = jax.nn.log_sigmoid(jnp.where(positive, z, -z))
        correct = (z > 0) == positive
    else:
        log_p = class_log_proba(Z, mode, jnp)
        log_p_true = log_p[..., jnp.arange(Z.shape[-2]), y_index]
        correct = jnp.argmax(log_p, axis=-1) == y_index
    losses = -jnp.clip(log_p_true, jnp.log(eps), jnp.log1p(-eps))
    return losses, correct.astype(Z.dtype)


def _solved_grid(
    X,
    targets,
    fit_weights,
    lambdas,
    l1_ratios,
    penalty_factor,
    offset,
    tol,
    bounds,
    *,
    ovr,
    **options,
):
    """``path`` vmapped over the folds (``fit_weights``, ``lambdas``) and the ``l1_ratios``, each
    path starting at its fold's intercept-only optimum (given the offset); with ``ovr`` over the
    classes too (one binary problem per class, ``targets`` and ``offset`` ``(n_classes, n, 1)``).
    ``offset``: the solver's (``core.targets.encode_offset``), shared by the folds, or ``None``.
    Returns a ``FitResult`` ``(A, F, L, …)``, or ``(A, F, n_classes, L, …)`` with ``ovr``."""
    static = dict(loss=options["loss"], fit_intercept=options["fit_intercept"])
    # Working sets branch on the data (``lax.switch``), and under ``vmap`` every branch would run;
    # the solver takes its own costly decisions jointly over the batch axes (``Solver.batched``).
    axes = ("l1_ratios", "folds", "classes") if ovr else ("l1_ratios", "folds")
    method = get_solver(options.pop("solver")).batched(axes)

    def core(targets, weights, lambdas, l1_ratio, init, offset, bounds):
        arguments = (X, targets, weights, lambdas, l1_ratio, penalty_factor, init, tol)
        lower, upper = bounds
        box = dict(offset=offset, lower=lower, upper=upper)
        return path(*arguments, solver=method, screening=False, **box, **options)

    def start(targets, weights, offset):
        return null_init(X, targets, weights, offset=offset, **static)

    if ovr:
        core = jax.vmap(core, in_axes=(0, None, None, None, 0, 0, 0), axis_name="classes")
        start = jax.vmap(start, in_axes=(0, None, 0))
    init = jax.vmap(start, in_axes=(None, 0, None))(targets, fit_weights, offset)
    folds = jax.vmap(core, in_axes=(None, 0, 0, None, 0, None, None), axis_name="folds")
    axes = (None, None, None, 0, None, None, None)
    grid = jax.vmap(folds, in_axes=axes, axis_name="l1_ratios")
    return grid(targets, fit_weights, lambdas, l1_ratios, init, offset, bounds)


def _linear_predictors(X, coef):
    """``X Wᵀ`` of every fit: ``(…, n, K)`` for ``coef (…, K, p)``, one ``matmul_t`` with all
    the fits' rows stacked (``X`` dense or a ``SparseDesign``, never densified)."""
    batch, p = coef.shape[:-1], coef.shape[-1]
    Z = matmul_t(X, coef.reshape(-1, p))  # (n, batch)
    return jnp.moveaxis(Z.reshape(X.shape[0], *batch), 0, -2)


@partial(
    precise_jit,
    static_argnames=("loss", "solver", "fit_intercept", "max_iter", "mode", "grouped"),
)
def _fold_fits(
    X,
    y_index,
    targets,
    sample_weight,
    class_factor,
    train_mask,
    test_mask,
    lambdas,
    l1_ratios,
    penalty_factor,
    offsets,
    tol,
    bounds,
    *,
    loss,
    solver,
    fit_intercept,
    max_iter,
    mode,
    grouped,
):
    """All fold × ``C`` × ``l1_ratio`` fits and their metrics, as one program.

    Shapes: ``X (n, p)`` (dense, or a ``SparseDesign``); ``y_index (n,)`` class indices;
    ``targets (n, K)``, or ``(n_classes, n, 1)`` one-vs-rest; ``sample_weight``,
    ``class_factor`` ``(n,)``; 0/1 ``train_mask``, ``test_mask`` ``(F, n)``; ``lambdas (F, L)``
    decreasing; ``l1_ratios (A,)``; ``penalty_factor (p,)``; ``offsets``: ``None`` or the pair
    (the solver's offset, ``encode_offset``; the decision values' ``(n, K)``, ``score_offset``);
    ``bounds``: ``(lower, upper)``, each ``None`` or ``(K, p)`` (``(n_classes, 1, p)``
    one-vs-rest), shared by the folds and the ``λ``; ``grouped``: the grouped L1 part.
    Fold ``f`` fits with the weights ``sᵢ·cᵢ·mᶠᵢ`` (``c``: class weights). Returns the decision
    weights ``(A, F, L, K, p)`` and intercepts ``(A, F, L, K)``, iterations, convergence, stop
    reasons and KKT violations ``(A, F, L)``, and the log-loss and accuracy ``(2, A, F, L)``:
    their ``s``-weighted means over the training ([0]) and the test ([1]) samples of each fold.
    """
    ovr = mode == Mode.OVR
    fit_weights = sample_weight * class_factor * train_mask  # (F, n)
    options = dict(loss=loss, solver=solver, fit_intercept=fit_intercept, max_iter=max_iter)
    options.update(grouped=grouped)
    solver_offset, decision_offset = (None, 0.0) if offsets is None else offsets
    grid = (lambdas, l1_ratios, penalty_factor, solver_offset, tol, bounds)
    fits = _solved_grid(X, targets, fit_weights, *grid, ovr=ovr, **options)
    coef, intercept, n_iter, converged = fits.coef, fits.intercept, fits.n_iter, fits.converged
    stop_reason, kkt_violation = fits.stop_reason, fits.kkt_violation
    if ovr:  # (A, F, n_classes, L, 1, …) -> (A, F, L, n_classes, …); the worst class
        coef = jnp.moveaxis(coef[..., 0, :], 2, 3)
        intercept = jnp.moveaxis(intercept[..., 0], 2, 3)
        n_iter, converged = n_iter.max(2), converged.all(2)
        stop_reason, kkt_violation = stop_reason.max(2), kkt_violation.max(2)
    if mode == Mode.BINARY_SOFTMAX:
        coef, intercept = logit_of_softmax(coef, intercept)

    Z = _linear_predictors(X, coef) + intercept[..., None, :] + decision_offset
    losses, correct = sample_metrics(Z, y_index, mode)
    metric_weights = sample_weight * jnp.stack([train_mask, test_mask])  # (2, F, n)
    metric_weights = metric_weights / metric_weights.sum(-1, keepdims=True)
    mean_loss = jnp.einsum("afln,tfn->tafl", losses, metric_weights)
    mean_accuracy = jnp.einsum("afln,tfn->tafl", correct, metric_weights)
    diagnostics = (n_iter, converged, stop_reason, kkt_violation)
    return coef, intercept, *diagnostics, mean_loss, mean_accuracy


def cross_validate(
    X,
    y_index: np.ndarray,
    n_classes: int,
    mode: Mode,
    sample_weight: np.ndarray,
    class_factor: np.ndarray,
    train_mask: np.ndarray,
    test_mask: np.ndarray,
    Cs: np.ndarray,
    l1_ratios: np.ndarray,
    tol: float,
    *,
    solver: str,
    fit_intercept: bool,
    max_iter: int,
    penalty_factor: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    bounds: tuple | None = None,
    grouped: bool = False,
) -> CrossValidation:
    """Fit and score every fold × ``Cs`` × ``l1_ratios`` (module docstring) in one program.

    ``X (n, p)`` in the computation dtype, dense or CSR (kept sparse); ``y_index (n,)`` class
    indices; ``sample_weight`` and the class weights ``class_factor`` ``(n,)``; 0/1 fold masks
    ``(F, n)``; ``penalty_factor (p,)`` (``None``: ones); ``offset``: ``None`` or the decision
    values' offset ``(n, K)`` of ``core.targets.score_offset``, each row's in every fold (in the
    training fits and the validation scores alike). Fold ``f`` fits at
    ``λᶠ = lam_of_C(C, Σᵢ sᵢcᵢmᶠᵢ)`` for each ``C``, the ``C`` in increasing order (decreasing
    ``λ``, the warm-start order); the results come back in the order of ``Cs``. ``bounds``:
    ``None`` or ``(lower, upper)`` as ``core.constraints.ModelConstraints.bounds`` lays them out
    for the columns of ``X``; ``grouped``: the grouped multinomial L1 part (both need a
    proximal ``solver``).
    """
    dtype = X.dtype
    order = np.argsort(Cs, kind="stable")
    fold_weight = (train_mask * sample_weight * class_factor).sum(axis=1)
    lambdas = lam_of_C(Cs[order][None, :], fold_weight[:, None])  # (F, L)
    targets, loss = encode_targets(y_index, n_classes, mode)
    # rows padded with zero weight (engine.shapes): nearby row counts share one program
    n_rows = bucket_rows(X)
    per_row = (y_index, sample_weight, class_factor, train_mask, test_mask)
    y_index, sample_weight, class_factor, train_mask, test_mask = (
        pad_rows(a, n_rows, axis=np.ndim(a) - 1) for a in per_row
    )
    targets = pad_rows(targets, n_rows, axis=np.ndim(targets) - 2)
    offsets = None
    if offset is not None:  # the solver's layout, and the decision values'
        solver_offset = encode_offset(offset, mode)
        solver_offset = pad_rows(solver_offset, n_rows, axis=solver_offset.ndim - 2)
        offsets = tuple(jnp.asarray(o, dtype) for o in (solver_offset, pad_rows(offset, n_rows)))
    factors = np.ones(X.shape[1]) if penalty_factor is None else penalty_factor
    arrays = (sample_weight, class_factor, train_mask, test_mask, lambdas, l1_ratios, factors)
    sparse = scipy.sparse.issparse(X)
    *fits, mean_loss, mean_accuracy = _fold_fits(
        padded_sparse_design(X, n_rows) if sparse else padded_on_device(X, n_rows),
        jnp.asarray(y_index),
        jnp.asarray(targets, dtype),
        *(jnp.asarray(a, dtype) for a in arrays),
        offsets,
        jnp.asarray(tol, dtype),
        (None, None) if bounds is None else bounds,
        loss=loss,
        solver=solver,
        fit_intercept=fit_intercept,
        max_iter=max_iter,
        mode=mode,
        grouped=bool(grouped),
    )
    unsort = np.argsort(order)

    def sklearn_axes(values):  # (A, F, L, …), sorted Cs -> (F, L, A, …), the order of Cs
        return np.moveaxis(np.asarray(values)[:, :, unsort], 0, 2)

    coef, intercept, *diagnostics = (sklearn_axes(v) for v in fits)
    return CrossValidation(
        coef.astype(np.float64),
        intercept.astype(np.float64),
        *diagnostics,
        np.stack([sklearn_axes(m) for m in mean_loss]).astype(np.float64),
        np.stack([sklearn_axes(m) for m in mean_accuracy]).astype(np.float64),
    )


def concatenate_folds(fits: list[CrossValidation]) -> CrossValidation:
    """One ``CrossValidation`` of the folds of several (e.g. one fold at a time), in order."""
    fold_axis = {"mean_loss": 1, "mean_accuracy": 1}  # (2, F, …); the others (F, …)
    return CrossValidation(
        *(
            np.concatenate(values, axis=fold_axis.get(name, 0))
            for name, values in zip(CrossValidation._fields, zip(*fits, strict=True), strict=True)
        )
    )


def validation_scores(
    scoring: str,
    fits: CrossValidation,
    X,
    y_index,
    sample_weight,
    test_mask,
    mode: Mode,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """The validation score ``(F, L, A)`` of every fit: ``scoring`` one of ``SCORINGS``, weighted
    by ``sample_weight``, with the decision values' ``offset (n, K)`` (``cross_validate``)."""
    if scoring == "neg_log_loss":
        return -fits.mean_loss[1]
    if scoring == "accuracy":
        return fits.mean_accuracy[1]
    offset = np.zeros((len(y_index), 1)) if offset is None else offset
    return _roc_auc(X, y_index, sample_weight, test_mask, fits.coef, fits.intercept, mode, offset)


def _roc_auc(X, y_index, sample_weight, test_mask, W, b, mode: Mode, offset) -> np.ndarray:
    """Weighted validation ROC AUC ``(F, L, A)`` (one-vs-rest macro average for > 2 classes);
    ``X`` dense or CSR (its rows sliced, still sparse), ``offset (n, K)`` or ``(n, 1)``."""
    n_classes = int(y_index.max()) + 1
    scores = np.empty(W.shape[:3])
    for f, mask in enumerate(test_mask > 0):
        rows = np.flatnonzero(mask)
        Z = np.asarray(X[rows] @ W[f].reshape(-1, W.shape[-1]).T)  # (n_f, L·A·K)
        Z = np.moveaxis(Z.reshape(len(rows), *W.shape[1:4]), 0, 2) + b[f][:, :, None, :]
        Z = Z + offset[rows]
        for index in np.ndindex(*Z.shape[:2]):
            if n_classes == 2:
                prediction = Z[index][:, 0]
            else:
                log_proba = class_log_proba(jnp.asarray(Z[index]), mode, jnp)
                prediction = np.exp(np.asarray(log_proba))
            scores[f][index] = roc_auc_score(
                y_index[mask],
                prediction,
                sample_weight=sample_weight[mask],
                multi_class="ovr",
                labels=np.arange(n_classes) if n_classes > 2 else None,
            )
    return scores
