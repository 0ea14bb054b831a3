"""``LogisticRegressionCV``: cross-validated ``C`` (and ``l1_ratio``) in one batched program.

A cross-validation fold is a 0/1 mask ``mᶠ`` on the samples: fold ``f`` trains with the weights
``sᵢ·mᶠᵢ`` and is scored on its test samples. Every fold has the same shapes, so all folds ×
``Cs`` × ``l1_ratios`` are solved by ONE compiled program: ``jax.vmap`` over ``l1_ratios`` and
over the fold masks of the regularization-path core ``jaxlogreg.path.path``, which runs the ``C``
grid in increasing order (decreasing ``λ``) with warm starts. Fold ``f`` minimizes, for each
``C``, scikit-learn's objective

    C · Σᵢ sᵢ mᶠᵢ ℓᵢ + (1 − α)/2 ‖W‖² + α ‖W‖₁,

i.e. the glmnet-convention objective with ``λᶠ = 1/(C · Σᵢ sᵢ mᶠᵢ)`` (``sᵢ`` includes class
weights), so the ``λ`` grid differs per fold. The validation scores and the diagnostics (training
and validation log-loss and accuracy of every fit) are computed in the same program.

Model selection follows scikit-learn: the ``(C, l1_ratio)`` with the highest mean validation score
wins; ``refit=True`` refits on all data from the fold average, ``refit=False`` averages the fold
coefficients at each fold's best index. The glmnet one-standard-error rule is reported as well.
"""

from __future__ import annotations

import numbers
import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import check_cv
from sklearn.utils.class_weight import compute_class_weight

from .._validation import (
    check_choice,
    check_finite_result,
    check_positive_int,
    check_positive_number,
    check_sample_weight,
    to_device,
)
from ..core.targets import MULTI_CLASS, choose_mode, encode_targets
from ..engine.path import null_init, path
from ..precision import precise_jit
from ..solvers import SOLVERS, get_solver
from ..solvers.auto import auto_solver
from .logistic import LogisticRegression

__all__ = ["LogisticRegressionCV"]

SCORINGS = ("neg_log_loss", "accuracy", "roc_auc")
CV_PENALTIES = ("l2", "l1", "elasticnet")
#: Most coefficients (``K·(p + 1)``) for which ``solver="auto"`` cross-validates with ``"cd"``
#: without an L1 part, on a CPU; beyond, its Hessian (``n·m²`` per build and fold) costs more than
#: the gradient passes of L-BFGS.
CV_CD_MAX_PARAMS = 256


def _default_cv_solver(l1: bool, n_params: int, platform: str) -> str:
    """``solver="auto"`` in cross-validation (see ``LogisticRegressionCV``) on ``platform``.

    On accelerators, where a pass over the data is cheap and coordinate descent's one-at-a-time
    updates are not, the estimator's rule (measured on an H100: 5 folds × 20 C on 10⁶ × 100,
    float64, Newton 1.4 s, coordinate descent 2.6 s).
    """
    if platform == "cpu" and n_params <= CV_CD_MAX_PARAMS:
        return "cd"
    return auto_solver(l1=l1, n_params=n_params)


def _log_proba(Z, mode: str):
    """Class log-probabilities ``(…, n, n_classes)`` from decision values ``Z (…, n, K)``.

    Binary (``K = 1``): ``[log σ(−z), log σ(z)]``; multinomial: ``log softmax(z)``; one-vs-rest:
    ``log σ(zₖ) − log Σⱼ σ(zⱼ)`` (the normalized one-vs-rest probabilities).
    """
    if Z.shape[-1] == 1:
        return jnp.concatenate([jax.nn.log_sigmoid(-Z), jax.nn.log_sigmoid(Z)], axis=-1)
    if mode == "ovr":
        log_p = jax.nn.log_sigmoid(Z)
        return log_p - jax.nn.logsumexp(log_p, axis=-1, keepdims=True)
    return jax.nn.log_softmax(Z, axis=-1)


def _sample_metrics(Z, y_index, mode: str):
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
        log_p = _log_proba(Z, mode)
        log_p_true = log_p[..., jnp.arange(Z.shape[-2]), y_index]
        correct = jnp.argmax(log_p, axis=-1) == y_index
    losses = -jnp.clip(log_p_true, jnp.log(eps), jnp.log1p(-eps))
    return losses, correct.astype(Z.dtype)


def _decision_coef(coef, intercept, mode: str):
    """The solver's ``coef (…, K, p)``, ``intercept (…, K)`` as decision weights: a two-class
    softmax becomes its equivalent binary logit ``θ₁ − θ₀``."""
    if mode == "binary-softmax":
        return coef[..., 1:, :] - coef[..., :1, :], intercept[..., 1:] - intercept[..., :1]
    return coef, intercept


@partial(
    precise_jit,
    static_argnames=(
        "loss",
        "solver",
        "fit_intercept",
        "max_iter",
        "mode",
        "ovr_batch",
    ),
)
def _cross_validate(
    X,
    y_index,
    targets,
    sample_weight,
    class_factor,
    train_mask,
    test_mask,
    lambdas,
    l1_ratios,
    tol,
    *,
    loss,
    solver,
    fit_intercept,
    max_iter,
    mode,
    ovr_batch,
):
    """All fold × ``C`` × ``l1_ratio`` fits and their metrics, as one program.

    Shapes: ``X (n, p)``; ``y_index (n,)`` class indices; ``targets (n, K)``, or
    ``(n_classes, n, 1)`` with ``ovr_batch``; ``sample_weight``, ``class_factor`` ``(n,)``; 0/1
    ``train_mask``, ``test_mask`` ``(F, n)``; ``lambdas (F, L)`` decreasing; ``l1_ratios (A,)``.
    Fold ``f`` fits with the weights ``sᵢ·cᵢ·mᶠᵢ`` (``c``: class weights), each path starting at
    the fold's intercept-only optimum. Returns ``coef (A, F, L, K, p)``, ``intercept
    (A, F, L, K)``, iterations, convergence and KKT violations ``(A, F, L)``, and the log-loss
    and accuracy ``(2, A, F, L)``: their ``s``-weighted means over the training ([0]) and the
    test ([1]) samples of each fold.
    """
    p = X.shape[1]
    static = dict(loss=loss, fit_intercept=fit_intercept)
    # Working sets branch on the data (``lax.switch``), and under ``vmap`` every branch would run;
    # the solver takes its own costly decisions jointly over the batch axes (``Solver.batched``).
    axes = ("l1_ratios", "folds", "classes") if ovr_batch else ("l1_ratios", "folds")
    method = get_solver(solver).batched(axes)
    core = partial(path, solver=method, max_iter=max_iter, screening=False, **static)
    start = partial(null_init, **static)
    if ovr_batch:  # one binary problem per class: targets (n_classes, n, 1)
        core = jax.vmap(
            core, in_axes=(None, 0, None, None, None, None, 0, None), axis_name="classes"
        )
        start = jax.vmap(start, in_axes=(None, 0, None))
    fit_weights = sample_weight * class_factor * train_mask  # (F, n)
    init = jax.vmap(start, in_axes=(None, None, 0))(X, targets, fit_weights)
    folds = jax.vmap(core, in_axes=(None, None, 0, 0, None, None, 0, None), axis_name="folds")
    grid = jax.vmap(
        folds, in_axes=(None, None, None, None, 0, None, None, None), axis_name="l1_ratios"
    )
    fits = grid(X, targets, fit_weights, lambdas, l1_ratios, jnp.ones(p, X.dtype), init, tol)
    coef, intercept, n_iter, converged = fits.coef, fits.intercept, fits.n_iter, fits.converged
    kkt_violation = fits.kkt_violation
    if ovr_batch:  # (A, F, n_classes, L, 1, …) -> (A, F, L, n_classes, …)
        coef = jnp.moveaxis(coef[..., 0, :], 2, 3)
        intercept = jnp.moveaxis(intercept[..., 0], 2, 3)
        n_iter, converged, kkt_violation = n_iter.max(2), converged.all(2), kkt_violation.max(2)

    W, b = _decision_coef(coef, intercept, mode)
    Z = jnp.einsum("np,aflkp->aflnk", X, W) + b[..., None, :]
    losses, correct = _sample_metrics(Z, y_index, mode)
    metric_weights = sample_weight * jnp.stack([train_mask, test_mask])  # (2, F, n)
    metric_weights = metric_weights / metric_weights.sum(-1, keepdims=True)
    mean_loss = jnp.einsum("afln,tfn->tafl", losses, metric_weights)
    mean_accuracy = jnp.einsum("afln,tfn->tafl", correct, metric_weights)
    return coef, intercept, n_iter, converged, kkt_violation, mean_loss, mean_accuracy


def _check_Cs(Cs) -> np.ndarray:
    """``Cs``: an int ``k ≥ 1`` (``np.logspace(-4, 4, k)``) or a 1-D list of positive values."""
    if isinstance(Cs, numbers.Integral) and not isinstance(Cs, bool):
        return np.logspace(-4, 4, check_positive_int("Cs", Cs))
    if isinstance(Cs, bool | str) or np.ndim(Cs) != 1 or len(Cs) == 0:
        raise ValueError(
            f"Cs must be a positive integer or a non-empty 1-D list of C values, got {Cs!r}"
        )
    for C in Cs:
        check_positive_number("every value of Cs", C, allow_inf=True)
    return np.asarray(Cs, dtype=np.float64)


def _check_l1_ratios(penalty, l1_ratios) -> np.ndarray:
    """The elastic-net mixing values to search: ``l1_ratios`` for ``"elasticnet"``, else 0 or 1."""
    check_choice("penalty", penalty, CV_PENALTIES)
    if penalty != "elasticnet":
        if l1_ratios is not None:
            warnings.warn(
                f"l1_ratios={l1_ratios!r} is ignored: it is used only with penalty='elasticnet'",
                UserWarning,
                stacklevel=4,
            )
        return np.array([1.0 if penalty == "l1" else 0.0])
    values = np.asarray([] if l1_ratios is None else l1_ratios, dtype=object)
    if (
        values.ndim != 1
        or len(values) == 0
        or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and 0 <= v <= 1 for v in values
        )
    ):
        raise ValueError(
            "penalty='elasticnet' needs l1_ratios, a non-empty list of numbers in [0, 1]; "
            f"got {l1_ratios!r}"
        )
    return values.astype(np.float64)


def _fold_masks(cv, X, y, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 train and test masks ``(n_folds, n)`` of the splits of ``cv``."""
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool) and cv < 2:
        raise ValueError(f"cv must be at least 2 folds, got cv={cv}")
    splits = list(check_cv(cv, y, classifier=True).split(X, y))
    if not splits:
        raise ValueError(f"cv={cv!r} produced no train/test split")
    train = np.zeros((len(splits), n_samples))
    test = np.zeros((len(splits), n_samples))
    for f, (train_index, test_index) in enumerate(splits):
        train[f, train_index] = 1.0
        test[f, test_index] = 1.0
    return train, test


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression with ``C`` (and ``l1_ratio``) chosen by cross-validation.

    All folds × ``Cs`` × ``l1_ratios`` fits run as one compiled, batched program: folds are 0/1
    sample-weight masks, the ``C`` grid is a warm-started regularization path (see the module
    docstring). Prediction is ``LogisticRegression``'s.

    Parameters:
        Cs: number of ``C`` values (``np.logspace(-4, 4, Cs)``) or a list of them.
        l1_ratios: elastic-net mixing values to search, with ``penalty="elasticnet"``.
        cv: number of folds (``StratifiedKFold(cv)`` without shuffling), a scikit-learn splitter,
            or an iterable of ``(train_indices, test_indices)``.
        penalty: ``"l2"`` (default), ``"l1"`` or ``"elasticnet"``.
        scoring: validation score to maximize: ``None``/``"neg_log_loss"`` (default),
            ``"accuracy"`` or ``"roc_auc"`` (one-vs-rest macro average with more than two
            classes). Sample weights weight the score.
        refit: refit on all data at the best ``(C, l1_ratio)``, started from the fold average;
            else average the fold coefficients at each fold's best index.
        solver: as in ``LogisticRegression``, except that ``"auto"`` picks ``"cd"`` on a CPU up
            to ``CV_CD_MAX_PARAMS`` coefficients also without an L1 part: its Hessian, built
            rarely, is handed along each path and its rebuilds are shared by the folds.
        multi_class, class_weight, fit_intercept, max_iter, tol, verbose: as in
            ``LogisticRegression`` (``tol`` and ``max_iter`` hold for every fit on the grid).

    Attributes:
        coef_, intercept_, classes_, n_features_in_, feature_names_in_: as ``LogisticRegression``.
        Cs_: the ``C`` grid; l1_ratios_: the ``l1_ratio`` grid.
        C_, l1_ratio_: the chosen values, ``(1,)`` for two classes, else ``(n_classes,)``.
        scores_: ``{class: (n_folds, n_Cs)}`` (``(n_folds, n_Cs, n_l1_ratios)`` for
            ``"elasticnet"``) validation scores; the same array for every class (only the
            positive class for binary problems), as in scikit-learn.
        coefs_paths_: ``{class: (n_folds, n_Cs[, n_l1_ratios], n_features + fit_intercept)}``
            fold coefficients (intercept last).
        n_iter_: ``(1, n_folds, n_Cs[, n_l1_ratios])`` iterations of the fold fits.
        cv_results_: diagnostics per ``C`` (rows) and ``l1_ratio`` (columns, for
            ``"elasticnet"``): ``C``, ``lambda``, ``mean_train_loss``, ``std_train_loss``,
            ``mean_val_loss``, ``std_val_loss``, ``mean_train_accuracy``, ``mean_val_accuracy``,
            ``std_val_accuracy``, ``mean_val_score``, ``std_val_score`` (across folds;
            log-loss and accuracy weighted by the sample weights) and ``n_nonzero`` (mean number
            of nonzero weights). A training loss far below the validation loss flags
            overfitting; both high flags underfitting.
        lambda_min_: the best ``C`` in the glmnet convention, ``λ = 1/(C·Σᵢ sᵢ)`` over all
            samples (sample × class weights), for the objective
            ``(1/Σs)·Σ sᵢ ℓᵢ + λ[(1−α)/2‖W‖² + α‖W‖₁]``.
        C_1se_, lambda_1se_: the one-standard-error rule (glmnet's ``lambda.1se``): the smallest
            ``C`` (largest ``λ``) at the chosen ``l1_ratio`` whose mean validation score is at
            least the best mean minus the best's standard error ``std/√n_folds``.
        solver_: the solver used.
    """

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios=None,
        cv=5,
        penalty="l2",
        scoring=None,
        refit=True,
        multi_class="auto",
        class_weight=None,
        fit_intercept=True,
        solver="auto",
        max_iter=100,
        tol=1e-4,
        verbose=0,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.penalty = penalty
        self.scoring = scoring
        self.refit = refit
        self.multi_class = multi_class
        self.class_weight = class_weight
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def _fit(self, X, y, sample_weight):
        Cs = _check_Cs(self.Cs)
        l1_ratios = _check_l1_ratios(self.penalty, self.l1_ratios)
        scoring = "neg_log_loss" if self.scoring is None else self.scoring
        if not isinstance(scoring, str) or scoring not in SCORINGS:
            raise ValueError(f"scoring must be None or one of {list(SCORINGS)!r}, got {scoring!r}")
        tol = check_positive_number("tol", self.tol)
        max_iter = check_positive_int("max_iter", self.max_iter)
        check_choice("multi_class", self.multi_class, MULTI_CLASS)
        check_choice("solver", self.solver, ("auto", *SOLVERS))
        l1 = bool(np.any(l1_ratios > 0))
        if self.solver != "auto":
            get_solver(self.solver, l1=l1)

        X, y, classes, y_index = self._classification_data(X, y)
        dtype = X.dtype
        n_classes = len(classes)
        n_params = (1 if n_classes == 2 else n_classes) * (X.shape[1] + 1)
        solver = self.solver
        if solver == "auto":
            solver = _default_cv_solver(l1, n_params, jax.default_backend())
        weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
        class_weight = None
        class_factor = np.ones_like(weights)
        if self.class_weight is not None:  # computed once on all data, as scikit-learn does
            per_class = compute_class_weight(
                self.class_weight, classes=classes, y=y, sample_weight=sample_weight
            )
            class_weight = dict(zip(classes.tolist(), per_class.tolist(), strict=True))
            class_factor = per_class[y_index]
        train_mask, test_mask = _fold_masks(self.cv, X, y, X.shape[0])
        fold_weight = (train_mask * weights * class_factor).sum(axis=1)
        if np.any(fold_weight <= 0) or np.any((test_mask * weights).sum(axis=1) <= 0):
            raise ValueError(
                "every cross-validation fold needs training and test samples of positive weight"
            )

        mode = choose_mode(self.multi_class, n_classes)
        order = np.argsort(Cs, kind="stable")  # increasing C: decreasing λ, the warm-start order
        lambdas = 1.0 / (Cs[order][None, :] * fold_weight[:, None])  # (F, L)
        targets, loss = encode_targets(y_index, n_classes, mode)
        W, b, n_iter, converged, kkt_violation, mean_loss, mean_accuracy = _cross_validate(
            to_device(X),
            jnp.asarray(y_index),
            jnp.asarray(targets, dtype),
            jnp.asarray(weights, dtype),
            jnp.asarray(class_factor, dtype),
            jnp.asarray(train_mask, dtype),
            jnp.asarray(test_mask, dtype),
            jnp.asarray(lambdas, dtype),
            jnp.asarray(l1_ratios, dtype),
            jnp.asarray(tol, dtype),
            loss=loss,
            solver=solver,
            fit_intercept=bool(self.fit_intercept),
            max_iter=max_iter,
            mode=mode,
            ovr_batch=mode == "ovr",
        )
        unsort = np.argsort(order)

        def sklearn_axes(values):  # (A, F, L, …), sorted Cs -> (F, L, A, …), the order of Cs
            return np.moveaxis(np.asarray(values)[:, :, unsort], 0, 2)

        W, b = (sklearn_axes(v).astype(np.float64) for v in _decision_coef(W, b, mode))
        n_iter, converged = sklearn_axes(n_iter), sklearn_axes(converged)
        # (2, F, L, A): means over the training [0] and validation [1] samples of each fold
        mean_loss = np.stack([sklearn_axes(m) for m in mean_loss]).astype(np.float64)
        mean_accuracy = np.stack([sklearn_axes(m) for m in mean_accuracy]).astype(np.float64)

        if scoring == "neg_log_loss":
            scores = -mean_loss[1]
        elif scoring == "accuracy":
            scores = mean_accuracy[1]
        else:
            scores = self._roc_auc(X, y_index, weights, test_mask, W, b, mode)

        mean_scores = scores.mean(axis=0)  # (L, A)
        best_C, best_a = np.unravel_index(np.argmax(mean_scores), mean_scores.shape)
        if self.refit:
            C_, l1_ratio_ = Cs[best_C], l1_ratios[best_a]
            init = W[:, best_C, best_a].mean(0), b[:, best_C, best_a].mean(0)
            model = self._refit(X, y, sample_weight, C_, l1_ratio_, class_weight, solver, init)
            coef_, intercept_, self.objective_ = model.coef_, model.intercept_, model.objective_
        else:  # each fold's best index, as scikit-learn
            flat_best = np.argmax(scores.reshape(len(scores), -1), axis=1)
            best = np.unravel_index(flat_best, mean_scores.shape)
            folds = np.arange(len(scores))
            C_, l1_ratio_ = np.mean(Cs[best[0]]), np.mean(l1_ratios[best[1]])
            coef_, intercept_ = W[folds, *best].mean(0), b[folds, *best].mean(0)
        check_finite_result(coef_, intercept_)
        self._report_cv(solver, n_iter, converged, float(np.max(kkt_violation)), tol, max_iter)

        n_folds = len(scores)
        standard_error = np.std(scores, axis=0, ddof=min(1, n_folds - 1)) / np.sqrt(n_folds)
        threshold = mean_scores[best_C, best_a] - standard_error[best_C, best_a]
        C_1se = float(np.min(Cs[mean_scores[:, best_a] >= threshold]))
        total_weight = float((weights * class_factor).sum())

        def grid_axes(a, axis):  # drop the l1_ratio axis unless the penalty is elastic-net
            return a if self.penalty == "elasticnet" else np.take(a, 0, axis=axis)

        n_rows = 1 if n_classes == 2 else n_classes
        labels = classes[1:] if n_classes == 2 else classes
        paths = np.concatenate([W, b[..., None]], axis=-1) if self.fit_intercept else W
        self.classes_ = classes
        self.coef_ = np.asarray(coef_, np.float64).reshape(n_rows, X.shape[1])
        self.intercept_ = np.asarray(intercept_, np.float64).reshape(n_rows)
        self.solver_ = solver
        self.Cs_ = Cs
        self.l1_ratios_ = l1_ratios
        self.C_ = np.full(n_rows, C_)
        self.l1_ratio_ = np.full(n_rows, l1_ratio_)
        self.scores_ = {label: grid_axes(scores, 2) for label in labels}
        self.coefs_paths_ = {
            label: grid_axes(paths[..., k, :], 2) for k, label in enumerate(labels)
        }
        self.n_iter_ = grid_axes(n_iter, 2)[None]
        self.lambda_min_ = 1.0 / (Cs[best_C] * total_weight)
        self.C_1se_ = C_1se
        self.lambda_1se_ = 1.0 / (C_1se * total_weight)
        grid = np.broadcast_to(Cs[:, None], mean_scores.shape)
        results = {
            "C": grid,
            "lambda": 1.0 / (grid * total_weight),
            "l1_ratio": np.broadcast_to(l1_ratios, mean_scores.shape),
            "n_nonzero": np.count_nonzero(W, axis=(-2, -1)).mean(0),
            "mean_val_score": mean_scores,
            "std_val_score": scores.std(0),
        }
        for name, values in (("loss", mean_loss), ("accuracy", mean_accuracy)):
            for split, per_fold in zip(("train", "val"), values, strict=True):
                results[f"mean_{split}_{name}"] = per_fold.mean(0)
                results[f"std_{split}_{name}"] = per_fold.std(0)
        self.cv_results_ = {key: grid_axes(np.array(value), 1) for key, value in results.items()}

    def _refit(self, X, y, sample_weight, C, l1_ratio, class_weight, solver, init):
        """``LogisticRegression`` on all data at the chosen ``(C, l1_ratio)``, started at
        ``init = (W, b)`` (the fold average)."""
        elastic = self.penalty == "elasticnet"
        model = LogisticRegression(
            self.penalty,
            C=C,
            l1_ratio=l1_ratio if elastic else None,
            fit_intercept=self.fit_intercept,
            solver=solver,
            multi_class=self.multi_class,
            max_iter=self.max_iter,
            tol=self.tol,
            class_weight=class_weight,
            warm_start=True,
            verbose=self.verbose,
        )
        model.coef_, model.intercept_ = init
        return model.fit(X, y, sample_weight)

    @staticmethod
    def _roc_auc(X, y_index, weights, test_mask, W, b, mode):
        """Weighted validation ROC AUC ``(F, L, A)`` (one-vs-rest macro average for > 2 classes)."""
        n_classes = int(y_index.max()) + 1
        scores = np.empty(W.shape[:3])
        for f, mask in enumerate(test_mask > 0):
            Z = np.einsum("np,lakp->lank", X[mask], W[f]) + b[f][:, :, None, :]
            for index in np.ndindex(*Z.shape[:2]):
                if n_classes == 2:
                    prediction = Z[index][:, 0]
                else:
                    prediction = np.exp(np.asarray(_log_proba(jnp.asarray(Z[index]), mode)))
                scores[f][index] = roc_auc_score(
                    y_index[mask],
                    prediction,
                    sample_weight=weights[mask],
                    multi_class="ovr",
                    labels=np.arange(n_classes) if n_classes > 2 else None,
                )
        return scores

    def _report_cv(self, solver, n_iter, converged, violation, tol, max_iter) -> None:
        if self.verbose > 0:
            print(
                f"LogisticRegressionCV(solver={solver!r}): {converged.sum()} of {converged.size} "
                f"fold fits converged, at most {n_iter.max()} iterations"
            )
        if not converged.all():
            warnings.warn(
                f"solver {solver!r} did not converge on {converged.size - converged.sum()} of "
                f"{converged.size} cross-validation fits (max_iter={max_iter}, tol={tol:g}); the "
                f"largest KKT violation is {violation:.3e}. "
                "Increase max_iter, standardize the features, drop the smallest-penalty Cs, "
                "loosen tol, or enable float64 with jax.config.update('jax_enable_x64', True).",
                ConvergenceWarning,
                stacklevel=3,
            )
