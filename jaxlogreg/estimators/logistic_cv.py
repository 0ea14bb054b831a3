"""``LogisticRegressionCV``: cross-validated ``C`` (and ``l1_ratio``) with the scikit-learn face.

The checks, the attributes, the warnings and the refit live here; the batched computation of all
fold × ``Cs`` × ``l1_ratios`` fits, their scores and the model selection are
``jaxlogreg.selection.cv``'s. Fold ``f`` minimizes, for each ``C``, scikit-learn's objective
``C · Σᵢ sᵢ mᶠᵢ ℓᵢ + (1 − α)/2 ‖W‖² + α ‖W‖₁`` (``mᶠ`` its 0/1 training mask, ``sᵢ`` sample ×
class weights). The ``(C, l1_ratio)`` with the highest mean validation score wins: ``refit=True``
refits on all data from the fold average, ``refit=False`` averages the fold coefficients at each
fold's best index (as scikit-learn). The glmnet one-standard-error rule is reported as well.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.model_selection import check_cv

from .._validation import (
    check_choice,
    check_finite_result,
    check_positive_int,
    check_positive_number,
    check_sample_weight,
)
from ..core.penalties import lam_of_C
from ..core.targets import choose_mode, class_weights
from ..selection.cv import (
    SCORINGS,
    CrossValidation,
    best_index,
    cross_validate,
    cv_results,
    fold_average,
    one_standard_error_C,
    validation_scores,
)
from ..selection.folds import masks_of_splits
from ..solvers.auto import Purpose
from ..solvers.stop import warn_not_converged
from .logistic import LogisticRegression

__all__ = ["LogisticRegressionCV"]

CV_PENALTIES = ("l2", "l1", "elasticnet")
#: What to try when cross-validation fits do not converge.
CV_ADVICE = (
    "Increase max_iter, standardize the features, drop the smallest-penalty Cs, loosen tol, or "
    "enable float64 with jax.config.update('jax_enable_x64', True)."
)


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


def _check_scoring(scoring) -> str:
    """``scoring``: ``None`` (``"neg_log_loss"``) or one of ``SCORINGS``."""
    scoring = "neg_log_loss" if scoring is None else scoring
    if not isinstance(scoring, str) or scoring not in SCORINGS:
        raise ValueError(f"scoring must be None or one of {list(SCORINGS)!r}, got {scoring!r}")
    return scoring


def _fold_masks(cv, X, y, weights, class_factor) -> tuple[np.ndarray, np.ndarray]:
    """0/1 train and test masks ``(n_folds, n)`` of the splits of ``cv``; every fold must train
    and test on samples of positive weight."""
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool) and cv < 2:
        raise ValueError(f"cv must be at least 2 folds, got cv={cv}")
    splits = list(check_cv(cv, y, classifier=True).split(X, y))
    if not splits:
        raise ValueError(f"cv={cv!r} produced no train/test split")
    train, test = masks_of_splits(splits, X.shape[0])
    fold_weight = (train * weights * class_factor).sum(axis=1)
    if np.any(fold_weight <= 0) or np.any((test * weights).sum(axis=1) <= 0):
        raise ValueError(
            "every cross-validation fold needs training and test samples of positive weight"
        )
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
            to ``jaxlogreg.solvers.auto.CV_CD_MAX_PARAMS`` coefficients also without an L1 part:
            its Hessian, built rarely, is handed along each path and its rebuilds are shared by
            the folds.
        multi_class, class_weight, fit_intercept, max_iter, tol, verbose, random_state: as in
            ``LogisticRegression`` (``tol`` and ``max_iter`` hold for every fit on the grid).
        n_jobs: accepted for scikit-learn compatibility and stored; no effect: all fits run in
            one compiled program.

    Attributes:
        coef_, intercept_, classes_, n_features_in_, feature_names_in_: as ``LogisticRegression``.
        Cs_: the ``C`` grid; l1_ratios_: the ``l1_ratio`` grid.
        C_, l1_ratio_: the chosen values, ``(1,)`` for two classes, else ``(n_classes,)``.
        scores_: ``{class: (n_folds, n_Cs)}`` (``(n_folds, n_Cs, n_l1_ratios)`` for
            ``"elasticnet"``) validation scores; the same array for every class (only the
            positive class for binary problems), as in scikit-learn.
        coefs_paths_: ``{class: (n_folds, n_Cs[, n_l1_ratios], n_features + fit_intercept)}``
            fold coefficients (intercept last).
        n_iter_: ``(1, n_folds, n_Cs[, n_l1_ratios])`` iterations of the fold fits, at least 1
            (a warm-started fit that needed no step counts one).
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

    _auto_purpose = Purpose.CROSS_VALIDATION

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
        n_jobs=None,
        verbose=0,
        random_state=None,
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
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    def _fit(self, X, y, sample_weight):
        Cs = _check_Cs(self.Cs)
        l1_ratios = _check_l1_ratios(self.penalty, self.l1_ratios)
        scoring = _check_scoring(self.scoring)
        l1 = bool(np.any(l1_ratios > 0))
        tol, max_iter = self._check_solver_options(l1)
        X, y, classes, y_index = self._classification_data(X, y)
        solver = self._solver_for(l1, len(classes), X.shape[1])
        weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
        # computed once on all data, as scikit-learn does
        per_class = class_weights(self.class_weight, classes, y, sample_weight)
        class_factor = per_class[y_index]
        train_mask, test_mask = _fold_masks(self.cv, X, y, weights, class_factor)

        mode = choose_mode(self.multi_class, len(classes))
        fold_data = (weights, class_factor, train_mask, test_mask)
        options = dict(solver=solver, fit_intercept=bool(self.fit_intercept), max_iter=max_iter)
        fits = cross_validate(
            X, y_index, len(classes), mode, *fold_data, Cs, l1_ratios, tol, **options
        )
        scores = validation_scores(scoring, fits, X, y_index, weights, test_mask, mode)
        best = best_index(scores)
        if self.refit:
            C_, l1_ratio_ = Cs[best[0]], l1_ratios[best[1]]
            class_weight = None
            if self.class_weight is not None:
                class_weight = dict(zip(classes.tolist(), per_class.tolist(), strict=True))
            init = fits.coef[:, *best].mean(0), fits.intercept[:, *best].mean(0)
            refit = (C_, l1_ratio_, class_weight, solver, init)
            coef_, intercept_ = self._refit(X, y, sample_weight, *refit)
        else:  # each fold's best index, as scikit-learn
            coef_, intercept_, C_, l1_ratio_ = fold_average(fits, scores, Cs, l1_ratios)
        check_finite_result(coef_, intercept_)
        self._report_cv(solver, fits, tol, max_iter)

        n_rows = 1 if len(classes) == 2 else len(classes)
        self.classes_ = classes
        self.coef_ = np.array(coef_, np.float64).reshape(n_rows, X.shape[1])
        self.intercept_ = np.array(intercept_, np.float64).reshape(n_rows)
        self.solver_ = solver
        self.C_ = np.full(n_rows, C_)
        self.l1_ratio_ = np.full(n_rows, l1_ratio_)
        total_weight = float((weights * class_factor).sum())
        self._set_grid(fits, scores, best, Cs, l1_ratios, total_weight)

    def _set_grid(self, fits: CrossValidation, scores, best, Cs, l1_ratios, total_weight):
        """The attributes of the whole grid: ``Cs_``, ``l1_ratios_``, ``scores_``,
        ``coefs_paths_``, ``n_iter_``, ``lambda_min_``, the one-standard-error rule and
        ``cv_results_``."""

        def grid_axes(a, axis):  # drop the l1_ratio axis unless the penalty is elastic-net
            return a if self.penalty == "elasticnet" else np.take(a, 0, axis=axis)

        labels = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        paths = fits.coef
        if self.fit_intercept:
            paths = np.concatenate([fits.coef, fits.intercept[..., None]], axis=-1)
        C_1se = one_standard_error_C(scores, Cs, best)
        self.Cs_ = Cs
        self.l1_ratios_ = l1_ratios
        self.scores_ = {label: grid_axes(scores, 2) for label in labels}
        self.coefs_paths_ = {
            label: grid_axes(paths[..., k, :], 2) for k, label in enumerate(labels)
        }
        self.n_iter_ = np.maximum(grid_axes(fits.n_iter, 2), 1)[None]
        self.lambda_min_ = lam_of_C(Cs[best[0]], total_weight)[()]
        self.C_1se_ = C_1se
        self.lambda_1se_ = float(lam_of_C(C_1se, total_weight))
        results = cv_results(fits, scores, Cs, l1_ratios, total_weight)
        self.cv_results_ = {key: grid_axes(np.array(value), 1) for key, value in results.items()}

    def _refit(self, X, y, sample_weight, C, l1_ratio, class_weight, solver, init):
        """``coef_`` and ``intercept_`` of ``LogisticRegression`` on all data at the chosen
        ``(C, l1_ratio)``, started at ``init = (W, b)`` (the fold average); its ``objective_``
        is kept."""
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
            random_state=self.random_state,
        )
        model.coef_, model.intercept_ = init
        model.fit(X, y, sample_weight)
        self.objective_ = model.objective_
        return model.coef_, model.intercept_

    def _report_cv(self, solver, fits: CrossValidation, tol, max_iter) -> None:
        """The verbose line, and a ``ConvergenceWarning`` unless every fold fit converged."""
        converged = fits.converged
        if self.verbose > 0:
            print(
                f"LogisticRegressionCV(solver={solver!r}): {converged.sum()} of {converged.size} "
                f"fold fits converged, at most {fits.n_iter.max()} iterations"
            )
        if not converged.all():
            failed = ~converged
            warn_not_converged(
                f"solver {solver!r}",
                fits.stop_reason[failed],
                float(np.max(fits.kkt_violation)),
                tol,
                max_iter=max_iter,
                where=f"on {failed.sum()} of {converged.size} cross-validation fits",
                advice=CV_ADVICE,
                stacklevel=3,
            )
