"""``LogisticRegressionCV``: cross-validated ``C`` (and ``l1_ratio``) with the scikit-learn face.

The checks, the attributes, the warnings and the refit live here; the batched computation of all
fold × ``Cs`` × ``l1_ratios`` fits, their scores and the model selection are
``jaxlogreg.selection.cv``'s. Fold ``f`` minimizes, for each ``C``, scikit-learn's objective
``C · Σᵢ sᵢ mᶠᵢ ℓᵢ + (1 − α)/2 ‖W‖² + α ‖W‖₁`` (``mᶠ`` its 0/1 training mask, ``sᵢ`` sample ×
class weights). ``select="min"`` (scikit-learn's rule) takes the ``(C, l1_ratio)`` with the
highest mean validation score, ``select="1se"`` glmnet's one-standard-error rule
(``jaxlogreg.selection.select``); both are reported. ``refit=True`` refits on all data from the
fold average at the chosen index; ``refit=False`` averages the fold coefficients at each fold's
best index (``"min"``, as scikit-learn) or at the one-standard-error index (``"1se"``).

The log-loss, accuracy and ROC AUC are computed with the fits; any other scikit-learn scorer runs
on a fitted ``LogisticRegression`` view of each fold fit, on the fold's validation rows.

glmnet's options are ``LogisticRegression``'s: ``penalty_factor`` in every fold fit and the refit;
``standardize`` scales each fold by the standard deviations of its own training rows (glmnet's
``cv.glmnet``), so the folds then run one after the other; an ``offset`` stays with its row in
the fold fits, the validation scores and the refit; ``lower_bounds``, ``upper_bounds`` and
``multinomial_l1`` hold in every fold fit (on the original scale) and the refit.

A sparse ``X`` (``scipy.sparse``, or a JAX BCOO) is never densified: the folds are weight masks
over one sparse design, the scorers get row slices of the CSR matrix and the refit is
``LogisticRegression``'s sparse fit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from sklearn.metrics import get_scorer
from sklearn.utils.metadata_routing import UNUSED
from sklearn.utils.validation import check_is_fitted

from .._validation import (
    check_choice,
    check_finite_result,
    check_penalty_factor,
    check_sample_weight,
    unchanged_on_error,
)
from ..core.penalties import UNSET, lam_of_C
from ..core.standardization import feature_scales, scale_columns
from ..core.targets import choose_mode, class_weights, score_offset
from ..selection.cv import (
    CrossValidation,
    check_scoring,
    concatenate_folds,
    cross_validate,
    validation_scores,
)
from ..selection.fold_report import report_fold_fits
from ..selection.folds import fold_masks, metadata_router, routed_metadata
from ..selection.grid import check_Cs, check_l1_ratios
from ..selection.select import SELECTS, cv_results, fold_average, selected_indices
from ..solvers.auto import Purpose
from ._constraints import fit_constraints
from ._fold_view import FoldView, fold_scorer_scores
from .logistic import LogisticRegression

__all__ = ["LogisticRegressionCV"]


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression with ``C`` (and ``l1_ratio``) chosen by cross-validation.

    All folds × ``Cs`` × ``l1_ratios`` fits run as one compiled, batched program: folds are 0/1
    sample-weight masks, the ``C`` grid is a warm-started regularization path (see the module
    docstring). Prediction is ``LogisticRegression``'s. ``X`` may be dense or sparse
    (``scipy.sparse`` csr/csc/coo, JAX BCOO); a sparse ``X`` stays sparse throughout.

    Parameters:
        Cs: number of ``C`` values (``np.logspace(-4, 4, Cs)``) or a list of them.
        l1_ratios: elastic-net mixing values to search (0 ridge, 1 lasso, between: elastic
            net); ``None`` is ridge alone and drops the ``l1_ratio`` axis of the attributes.
        cv: number of folds (``StratifiedKFold(cv)`` without shuffling), ``None`` (5), a
            scikit-learn splitter, or an iterable of ``(train_indices, test_indices)``.
        penalty: deprecated by scikit-learn 1.8 and understood as 1.9 does: leave it unset
            (``"deprecated"``) and the penalty follows from ``l1_ratios``; ``"l2"``, ``"l1"`` or
            ``"elasticnet"`` name it (``l1_ratios`` then used only with ``"elasticnet"``).
        scoring: the validation score to maximize: ``None``/``"neg_log_loss"`` (default),
            any name of ``sklearn.metrics.get_scorer_names()``, or a callable
            ``scorer(estimator, X, y)``. ``"neg_log_loss"``, ``"accuracy"`` and ``"roc_auc"``
            (one-vs-rest macro average with more than two classes) are computed with the fits;
            other scorers get a fitted ``LogisticRegression`` per fold fit and the fold's
            validation rows. The validation scores are weighted by ``sample_weight`` (not by
            the class weights): the built-in scores weight each validation sample, and a scorer
            gets the fold's weights as ``sample_weight=`` (with metadata routing: as requested).
        select: how the ``(C, l1_ratio)`` is chosen from the mean validation scores ``m`` over
            the folds and their standard errors ``se = sd/√n_folds`` (sample standard deviation,
            ``cv_results_["se_val_score"]``): ``"min"`` (default, scikit-learn's rule, glmnet's
            ``lambda.min``) the highest mean score; ``"1se"`` (glmnet's ``lambda.1se``) the
            smallest ``C`` — the largest penalty — with ``m ≥ m_best − se_best``, at the
            ``l1_ratio`` of the best (only ``C`` moves over a grid of ``l1_ratios``).
        refit: refit on all data at the chosen ``(C, l1_ratio)``, started from the fold average
            there; else average the fold coefficients at each fold's best index (``"min"``, as
            scikit-learn) or at the one-standard-error index (``"1se"``).
        solver: as in ``LogisticRegression``, except that ``"auto"`` picks ``"cd"`` on a CPU up
            to ``jaxlogreg.solvers.auto.CV_CD_MAX_PARAMS`` coefficients also without an L1 part:
            its Hessian, built rarely, is handed along each path and its rebuilds are shared by
            the folds.
        use_legacy_attributes: ``True`` (default): scikit-learn's dict layouts of ``scores_``
            and ``coefs_paths_``; ``False``: its new array layouts (see Attributes).
        multi_class, class_weight, fit_intercept, dual, intercept_scaling, max_iter, tol,
            verbose, random_state: as in ``LogisticRegression`` (``tol`` and ``max_iter`` hold
            for every fit on the grid; the refit gets every parameter the two share). As in
            scikit-learn, ``random_state`` is the solver's, never the folds': pass a splitter
            with its own ``random_state`` (``StratifiedKFold(5, shuffle=True, ...)``) as ``cv``.
        n_jobs: accepted and stored; no effect: all fits run in one compiled program.
        penalty_factor: per-feature penalty multipliers, as in ``LogisticRegression`` (``0``:
            unpenalized, used as given), in every fold fit and the refit.
        standardize: as in ``LogisticRegression``; each fold fit divides the columns by the
            standard deviations of its own training rows (as glmnet's ``cv.glmnet``, whose fold
            fits standardize on their data), the refit by those of all rows; the folds then run
            one after the other (one compiled program, one fold at a time).
        lower_bounds, upper_bounds, multinomial_l1: as in ``LogisticRegression`` (box
            constraints on ``coef_``, the grouped multinomial lasso), in every fold fit and the
            refit; they need ``solver`` ``"prox"`` or ``"cd"``, bounds without an L1 part also
            ``"lbfgs"`` (``"auto"`` picks ``"cd"`` with an L1 part, else ``"lbfgs"``).

    ``fit(X, y, sample_weight=None, offset=None, **params)`` and the prediction methods take
    ``LogisticRegression``'s ``offset``: each row keeps its own in the fold fits, in the
    validation scores (any ``scoring``) and in the refit.

    Attributes:
        coef_, intercept_, classes_, n_features_in_, feature_names_in_: as ``LogisticRegression``.
        Cs_: the ``C`` grid; l1_ratios_: the mixings ``α`` fitted (``[0.]`` when ``l1_ratios``
            is ``None``).
        C_, l1_ratio_: the values chosen by ``select``, ``(1,)`` for two classes, else
            ``(n_classes,)`` (floats when ``use_legacy_attributes=False``); ``coef_`` and
            ``intercept_`` are fitted at them.
        scores_: ``{class: (n_folds, n_Cs[, n_l1_ratios])}`` validation scores (the
            ``l1_ratio`` axis unless ``l1_ratios`` is ``None``); the same array for every class
            (only the positive class for binary problems), as in scikit-learn. New layout:
            ``(n_folds, n_l1_ratios, n_Cs)``.
        coefs_paths_: ``{class: (n_folds, n_Cs[, n_l1_ratios], n_features + fit_intercept)}``
            fold coefficients (intercept last). New layout: ``(n_folds, n_l1_ratios, n_Cs,
            n_classes or 1, n_features + fit_intercept)``.
        n_iter_: ``(1, n_folds, n_Cs[, n_l1_ratios])`` iterations of the fold fits, at least 1
            (a warm-started fit that needed no step counts one); new layout ``(n_folds,
            n_l1_ratios, n_Cs)``.
        cv_results_: diagnostics per ``C`` (rows) and ``l1_ratio`` (columns, unless
            ``l1_ratios`` is ``None``): ``C``, ``lambda``, the means and standard deviations
            across folds (``mean_``/``std_``) of ``train_loss``, ``val_loss``,
            ``train_accuracy``, ``val_accuracy`` (weighted) and ``val_score``, and
            ``n_nonzero`` (mean number of nonzero weights). A training loss far below the
            validation loss flags overfitting; both high flags underfitting.
        C_min_, lambda_min_: the ``C`` of the highest mean validation score (rule ``"min"``),
            and in the glmnet convention ``λ = 1/(C·Σᵢ sᵢ)`` over all samples (sample × class
            weights), for the objective ``(1/Σs)·Σ sᵢ ℓᵢ + λ[(1−α)/2‖W‖² + α‖W‖₁]``.
        C_1se_, lambda_1se_: the same for the one-standard-error rule (``"1se"``, glmnet's
            ``lambda.1se``), whichever rule ``select`` names.
        solver_: the solver used.
    """

    _auto_purpose = Purpose.CROSS_VALIDATION
    # as scikit-learn 1.9: score's sample_weight goes to the scorer
    __metadata_request__score = {"sample_weight": UNUSED}  # noqa: RUF012

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios=None,
        fit_intercept=True,
        cv=5,
        dual=False,
        penalty=UNSET,
        scoring=None,
        solver="auto",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        refit=True,
        intercept_scaling=1.0,
        random_state=None,
        use_legacy_attributes=True,
        multi_class="auto",
        select="min",
        penalty_factor=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
        multinomial_l1="ungrouped",
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes
        self.multi_class = multi_class
        self.select = select
        self.penalty_factor = penalty_factor
        self.standardize = standardize
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds
        self.multinomial_l1 = multinomial_l1

    def fit(self, X, y, sample_weight=None, offset=None, **params):
        """Fit every fold × ``C`` × ``l1_ratio``, choose, refit; on error the estimator is left
        as it was. ``offset``: as in ``LogisticRegression.fit``, each row's own in the fold fits,
        the validation scores and the refit. ``params``: metadata for the splitter and the
        scorer, routed as scikit-learn 1.9 does with
        ``sklearn.set_config(enable_metadata_routing=True)``; without routing, ``sample_weight``
        reaches the scorer and ``groups`` the splitter (a group splitter: ``cv=GroupKFold(k)``,
        ``LeaveOneGroupOut()``; folds never split a group)."""
        routed = routed_metadata(self, "fit", dict(params, sample_weight=sample_weight))
        with unchanged_on_error(self):
            self._fit(X, y, sample_weight, offset, *routed)
        return self

    def _fit(self, X, y, sample_weight, offset, split_params, score_params):
        self._check_primal_options()
        Cs = check_Cs(self.Cs)
        l1_ratios = check_l1_ratios(self.penalty, self.l1_ratios)
        fast_scoring, scorer = check_scoring(self.scoring)
        check_choice("use_legacy_attributes", self.use_legacy_attributes, (True, False))
        check_choice("select", self.select, SELECTS)
        l1 = bool(np.any(l1_ratios > 0))
        tol, max_iter = self._check_solver_options(l1)
        X, y, classes, y_index = self._classification_data(X, y)
        sparse = scipy.sparse.issparse(X)
        mode = choose_mode(self.multi_class, len(classes))
        constraints = fit_constraints(self, mode, len(classes), X.shape[1])
        bounded = constraints.checked.bounded
        l1_part = l1 or constraints.grouped
        solver = self._solver_for(l1_part, len(classes), X.shape[1], sparse=sparse, bounds=bounded)
        weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
        # computed once on all data, as scikit-learn does
        per_class = class_weights(self.class_weight, classes, y, sample_weight)
        class_factor = per_class[y_index]
        train_mask, test_mask = fold_masks(self.cv, X, y, weights, class_factor, split_params)

        offset = score_offset(offset, len(y), len(classes), mode)
        fold_data = (weights, class_factor, train_mask, test_mask)
        options = dict(solver=solver, max_iter=max_iter, offset=offset)
        options.update(grouped=constraints.grouped)
        grid = (Cs, l1_ratios, tol)
        fits = self._cross_validate(X, y_index, mode, fold_data, grid, options, constraints)
        fast = set(score_params) <= {"sample_weight"}  # the fit's weights or none, unrouted
        if fast_scoring and fast and score_params.get("sample_weight") is sample_weight:
            fold = (X, y_index, weights, test_mask, mode, offset)
            scores = validation_scores(fast_scoring, fits, *fold)
        else:
            fold = (classes, score_params, test_mask, offset)
            scores = fold_scorer_scores(self, scorer, fits, X, y, *fold)
        indices = selected_indices(scores, Cs)
        class_weight = None
        if self.class_weight is not None:
            class_weight = dict(zip(classes.tolist(), per_class.tolist(), strict=True))
        grid = (fits, scores, Cs, l1_ratios)
        refit = (class_weight, solver, offset)
        chosen = self._chosen_fit(X, y, sample_weight, *grid, indices, *refit)
        coef_, intercept_, C_, l1_ratio_ = chosen
        check_finite_result(coef_, intercept_)
        report_fold_fits(fits, solver, tol, max_iter, verbose=self.verbose, stacklevel=3)

        n_rows = 1 if len(classes) == 2 else len(classes)
        self.classes_, self.fitted_with_offset_ = classes, offset is not None
        self.coef_ = np.array(coef_, np.float64).reshape(n_rows, X.shape[1])
        self.intercept_ = np.array(intercept_, np.float64).reshape(n_rows)
        self.solver_ = solver
        self.C_ = np.full(n_rows, C_)
        self.l1_ratio_ = np.full(n_rows, l1_ratio_)
        total_weight = float((weights * class_factor).sum())
        self._set_grid(fits, scores, indices, Cs, l1_ratios, total_weight)

    def _chosen_fit(self, X, y, sample_weight, fits, scores, Cs, l1_ratios, indices, *refit):
        """``(coef, intercept, C, l1_ratio)`` at the index ``indices[self.select]``: refitted
        (``refit = (class_weight, solver)``) from the fold average there, or the fold average
        itself; without a refit, ``"min"`` averages each fold's own best fit (scikit-learn)."""
        if not self.refit and self.select == "min":
            return fold_average(fits, scores, Cs, l1_ratios)
        index = indices[self.select]
        C_, l1_ratio_ = Cs[index[0]], l1_ratios[index[1]]
        fold_mean = fits.coef[:, *index].mean(0), fits.intercept[:, *index].mean(0)
        if not self.refit:
            return *fold_mean, C_, l1_ratio_
        return *self._refit(X, y, sample_weight, C_, l1_ratio_, *refit, fold_mean), C_, l1_ratio_

    def score(self, X, y, sample_weight=None, offset=None, **params):
        """The ``scoring`` score of the model on ``(X, y)`` (``None``: the negative log-loss;
        ``"roc_auc"`` with more than two classes: ``"roc_auc_ovr"``, as in the fit), weighted
        by ``sample_weight``, with the samples' ``offset``, as scikit-learn 1.9's
        ``LogisticRegressionCV.score`` (``params`` routed to the scorer with metadata routing
        enabled)."""
        check_is_fitted(self)
        _, score_params = routed_metadata(self, "score", dict(params, sample_weight=sample_weight))
        name, scorer = check_scoring(self.scoring)
        if name == "roc_auc" and len(self.classes_) > 2:
            scorer = get_scorer("roc_auc_ovr")
        model = self
        if offset is not None:  # the scorer predicts through a view that adds the offsets
            model = FoldView(multi_class=self.multi_class, fit_intercept=self.fit_intercept)
            fitted = ("coef_", "intercept_", "classes_", "n_features_in_", "feature_names_in_")
            model.__dict__.update({k: v for k, v in vars(self).items() if k in fitted})
            model.rows_offset_ = offset
        return scorer(model, X, y, **score_params)

    def get_metadata_routing(self):
        """scikit-learn's metadata routing: to the ``cv`` splitter and the ``scoring`` scorer."""
        return metadata_router(self, self.cv, check_scoring(self.scoring)[1])

    def _set_grid(self, fits: CrossValidation, scores, indices, Cs, l1_ratios, total_weight):
        """The attributes of the whole grid in scikit-learn 1.9's layouts: ``Cs_``,
        ``l1_ratios_``, ``scores_``, ``coefs_paths_``, ``n_iter_``; and the ``C`` and ``λ`` of
        both rules (``indices``) and ``cv_results_``."""

        def grid_axes(a, axis):  # drop the l1_ratio axis when no l1_ratios were given
            return a if self.l1_ratios is not None else np.take(a, 0, axis=axis)

        labels = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        paths = fits.coef
        if self.fit_intercept:
            paths = np.concatenate([fits.coef, fits.intercept[..., None]], axis=-1)
        n_iter = np.maximum(fits.n_iter, 1)
        self.Cs_, self.l1_ratios_ = Cs, l1_ratios
        if self.use_legacy_attributes:
            self.scores_ = {label: grid_axes(scores, 2) for label in labels}
            self.coefs_paths_ = {
                label: grid_axes(paths[..., k, :], 2) for k, label in enumerate(labels)
            }
            self.n_iter_ = grid_axes(n_iter, 2)[None]
        else:  # (F, L, A, …) -> (F, A, L, …)
            self.scores_, self.n_iter_ = np.swapaxes(scores, 1, 2), np.swapaxes(n_iter, 1, 2)
            self.coefs_paths_ = np.swapaxes(paths, 1, 2)
            self.C_, self.l1_ratio_ = float(self.C_[0]), float(self.l1_ratio_[0])
        self.C_min_, self.C_1se_ = (float(Cs[indices[rule][0]]) for rule in ("min", "1se"))
        self.lambda_min_ = float(lam_of_C(self.C_min_, total_weight))
        self.lambda_1se_ = float(lam_of_C(self.C_1se_, total_weight))
        results = cv_results(fits, scores, Cs, l1_ratios, total_weight)
        self.cv_results_ = {key: grid_axes(np.array(value), 1) for key, value in results.items()}

    def _cross_validate(self, X, y_index, mode, fold_data, grid, options, constraints):
        """``selection.cv.cross_validate`` of every fold; with ``standardize``, fold by fold on
        the columns divided by the ``σ`` of the fold's training rows (as glmnet's ``cv.glmnet``,
        whose fold fits standardize on their own data; ``LogisticRegression._standardized``),
        the coefficients reported on the original scale (``constraints``' bounds scaled with
        the columns)."""
        check_choice("standardize", self.standardize, (False, True))
        options.update(fit_intercept=bool(self.fit_intercept))
        options.update(penalty_factor=check_penalty_factor(self.penalty_factor, X.shape[1]))
        problem = (y_index, int(y_index.max()) + 1, mode)
        if not self.standardize:
            bounds = constraints.bounds(np.ones(X.shape[1]), X.dtype)
            return cross_validate(X, *problem, *fold_data, *grid, bounds=bounds, **options)
        weights, class_factor, train_mask, test_mask = fold_data
        fits = []
        for train, test in zip(train_mask, test_mask, strict=True):
            scales = feature_scales(X, weights * class_factor * train)
            masks = (train[None], test[None])
            fold = (weights, class_factor, *masks)
            bounds = constraints.bounds(scales, X.dtype)
            scaled = scale_columns(X, scales)
            fit = cross_validate(scaled, *problem, *fold, *grid, bounds=bounds, **options)
            fits.append(fit._replace(coef=fit.coef / scales))
        return concatenate_folds(fits)

    def _refit(self, X, y, sample_weight, C, l1_ratio, class_weight, solver, offset, init):
        """``coef_`` and ``intercept_`` of ``LogisticRegression`` on all data at the chosen
        ``(C, l1_ratio)``, started at ``init = (W, b)`` (the fold average), with every parameter
        the two estimators share (``penalty_factor``, ``standardize`` among them) and the
        ``offset``; its ``objective_`` is kept."""
        shared = set(LogisticRegression._get_param_names())
        params = {k: v for k, v in self.get_params(deep=False).items() if k in shared}
        params.update(penalty=UNSET, C=C, l1_ratio=l1_ratio, solver=solver)
        params.update(class_weight=class_weight, warm_start=True)
        model = LogisticRegression(**params)
        model.coef_, model.intercept_ = init
        model.fit(X, y, sample_weight, offset)
        self.objective_ = model.objective_
        return model.coef_, model.intercept_
