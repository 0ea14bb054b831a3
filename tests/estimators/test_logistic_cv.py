"""LogisticRegressionCV: the batched cross-validation against scikit-learn and per-fold loops."""

import warnings

import numpy as np
import pytest
import sklearn
from conftest import standardized
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    get_scorer,
    log_loss,
    roc_auc_score,
)
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, PredefinedSplit, StratifiedKFold

import jaxlogreg
from jaxlogreg import LogisticRegression, LogisticRegressionCV
from jaxlogreg.estimators import _fold_view
from jaxlogreg.solvers.auto import CV_CD_MAX_PARAMS, Purpose, auto_solver


def sklearn_cv(**params):
    params = dict(dict(use_legacy_attributes=True, max_iter=1000), **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return SkLogisticRegressionCV(**params)


def assert_same_choice(ours, reference):
    """The same C, or one whose mean validation score equals the chosen one's to 1e-6."""
    if ours.C_[0] != reference.C_[0]:
        ref_scores = next(iter(reference.scores_.values())).reshape(len(ours.scores_[1]), -1)
        means = ref_scores.mean(0)
        assert means[list(reference.Cs_).index(ours.C_[0])] == pytest.approx(means.max(), abs=1e-6)


def test_binary_l2_matches_sklearn():
    X, y = standardized("breast_cancer")
    ours = LogisticRegressionCV(tol=1e-12, max_iter=200).fit(X, y)
    reference = sklearn_cv(
        l1_ratios=(0,), scoring="neg_log_loss", solver="newton-cholesky", tol=1e-12
    ).fit(X, y)
    assert_same_choice(ours, reference)
    np.testing.assert_allclose(ours.Cs_, reference.Cs_)
    # At C = 1e4 some validation probabilities are below 1e-14: scikit-learn's 1 − p cancels
    # there, while the log-loss here is computed from log σ(±z) directly.
    np.testing.assert_allclose(
        ours.scores_[1][:, :-1], reference.scores_[1][:, :-1, 0], rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        ours.coefs_paths_[1][:, :-1], reference.coefs_paths_[1][:, :-1, 0], rtol=1e-5, atol=1e-6
    )


def test_multinomial_l2_matches_sklearn_on_accuracy_and_log_loss():
    X, y = standardized("wine")
    for scoring in ("neg_log_loss", "accuracy"):
        ours = LogisticRegressionCV(Cs=6, scoring=scoring, tol=1e-10).fit(X, y)
        reference = sklearn_cv(Cs=6, l1_ratios=(0,), scoring=scoring, tol=1e-10).fit(X, y)
        assert_same_choice(ours, reference)
        assert ours.C_.shape == (3,) and set(ours.scores_) == {0, 1, 2}
        np.testing.assert_allclose(
            ours.scores_[2][:, :4], reference.scores_[2][:, :4, 0], rtol=1e-5, atol=1e-5
        )


def test_binary_l1_matches_liblinear_without_intercept():
    X, y = standardized("breast_cancer")
    Cs = np.logspace(-2, 1, 6)
    ours = LogisticRegressionCV(
        Cs=Cs, l1_ratios=(1,), fit_intercept=False, tol=1e-10, max_iter=1000
    ).fit(X, y)
    reference = sklearn_cv(
        Cs=Cs,
        l1_ratios=(1,),
        solver="liblinear",
        fit_intercept=False,
        scoring="neg_log_loss",
        tol=1e-10,
    ).fit(X, y)
    assert_same_choice(ours, reference)
    np.testing.assert_allclose(ours.scores_[1], reference.scores_[1], rtol=1e-5, atol=1e-5)
    assert ours.solver_ == "cd" and ours.l1_ratio_[0] == 1.0
    assert np.all(np.diff(ours.cv_results_["n_nonzero"]) >= 0)  # weaker penalty, more features


@pytest.mark.parametrize("multi_class", ["multinomial", "ovr"])
def test_batched_fits_equal_per_fold_loops(multi_class):
    X, y = standardized("wine", slice(0, 6))
    Cs = [10.0, 0.01, 1.0]  # any order: the path runs them sorted
    cv = LogisticRegressionCV(Cs=Cs, cv=3, multi_class=multi_class, tol=1e-10, refit=False)
    cv.fit(X, y)
    train_loss, val_accuracy = np.zeros((3, 3)), np.zeros((3, 3))
    for f, (train, test) in enumerate(StratifiedKFold(3).split(X, y)):
        for c, C in enumerate(Cs):
            single = LogisticRegression(C=C, multi_class=multi_class, tol=1e-10)
            single.fit(X[train], y[train])
            for k in range(3):
                path = cv.coefs_paths_[k][f, c]
                np.testing.assert_allclose(path[:-1], single.coef_[k], rtol=1e-7, atol=1e-8)
                np.testing.assert_allclose(path[-1], single.intercept_[k], rtol=1e-7, atol=1e-8)
            proba = single.predict_proba(X[test])
            log_loss = -np.mean(np.log(proba[np.arange(len(test)), y[test]]))
            assert cv.scores_[0][f, c] == pytest.approx(-log_loss, rel=1e-8)
            fitted = single.predict_proba(X[train])[np.arange(len(train)), y[train]]
            train_loss[f, c] = -np.mean(np.log(fitted))
            val_accuracy[f, c] = np.mean(single.predict(X[test]) == y[test])
    np.testing.assert_allclose(cv.cv_results_["mean_train_loss"], train_loss.mean(0), rtol=1e-8)
    np.testing.assert_allclose(cv.cv_results_["mean_val_accuracy"], val_accuracy.mean(0))


def test_refit_false_averages_fold_coefficients_like_sklearn():
    X, y = standardized("breast_cancer", slice(0, 10))
    ours = LogisticRegressionCV(Cs=5, refit=False, tol=1e-12).fit(X, y)
    reference = sklearn_cv(
        Cs=5,
        l1_ratios=(0,),
        refit=False,
        scoring="neg_log_loss",
        solver="newton-cholesky",
        tol=1e-12,
    ).fit(X, y)
    np.testing.assert_allclose(ours.C_, reference.C_)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-6, atol=1e-8)


def test_sample_weights_count_in_fitting_and_scoring():
    X, y = standardized("breast_cancer", slice(0, 8))
    X, y = X[:200], y[:200]
    weights = np.ones(len(y))
    weights[::3] = 2.0
    doubled = np.flatnonzero(weights == 2.0)
    rows = np.r_[np.arange(len(y)), doubled]  # the duplicated data set
    folds = list(StratifiedKFold(4).split(X, y))
    position = {i: len(y) + j for j, i in enumerate(doubled)}

    def duplicated(index):
        return np.r_[index, [position[i] for i in index if i in position]]

    dup_folds = [(duplicated(train), duplicated(test)) for train, test in folds]
    for scoring in ("neg_log_loss", "accuracy", "roc_auc"):
        params = dict(Cs=5, scoring=scoring, tol=1e-12)
        weighted = LogisticRegressionCV(cv=folds, **params).fit(X, y, sample_weight=weights)
        repeated = LogisticRegressionCV(cv=dup_folds, **params).fit(X[rows], y[rows])
        np.testing.assert_allclose(weighted.scores_[1], repeated.scores_[1], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-8)
        unweighted = LogisticRegressionCV(cv=folds, **params).fit(X, y)
        assert not np.allclose(weighted.scores_[1], unweighted.scores_[1], rtol=1e-6)
    for key in ("mean_train_loss", "mean_val_loss", "mean_val_accuracy"):
        np.testing.assert_allclose(weighted.cv_results_[key], repeated.cv_results_[key], rtol=1e-9)


def test_one_standard_error_rule_and_diagnostics():
    X, y = standardized("breast_cancer")
    model = LogisticRegressionCV(Cs=12, tol=1e-8).fit(X, y)
    scores = model.scores_[1]
    mean, se = scores.mean(0), scores.std(0, ddof=1) / np.sqrt(len(scores))
    best = np.argmax(mean)
    eligible = model.Cs_[mean >= mean[best] - se[best]]
    assert model.C_1se_ == eligible.min() <= model.C_[0]
    assert model.lambda_1se_ == pytest.approx(1 / (model.C_1se_ * len(y)))
    assert model.lambda_min_ == pytest.approx(1 / (model.C_[0] * len(y)))
    results = model.cv_results_
    np.testing.assert_allclose(results["mean_val_score"], -results["mean_val_loss"])
    assert np.all(np.diff(results["mean_train_loss"]) < 0)  # weaker penalty fits training better
    assert results["mean_val_loss"][-1] > results["mean_train_loss"][-1] * 2  # overfitting shows
    assert results["mean_val_loss"][0] == pytest.approx(results["mean_train_loss"][0], rel=0.05)


def test_elastic_net_grid_shapes_and_prediction():
    X, y = standardized("iris")
    model = LogisticRegressionCV(Cs=3, cv=3, l1_ratios=[0.0, 0.5, 1.0], tol=1e-6, max_iter=300).fit(
        X, y
    )
    assert model.scores_[0].shape == (3, 3, 3)
    assert model.coefs_paths_[1].shape == (3, 3, 3, 5)
    assert model.n_iter_.shape == (1, 3, 3, 3)
    assert model.cv_results_["mean_val_loss"].shape == (3, 3)
    assert model.l1_ratio_[0] in (0.0, 0.5, 1.0)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert model.score(X, y) == pytest.approx(-log_loss(y, proba), rel=1e-12)  # the scoring


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(Cs=0), "Cs must be a positive integer"),
        (dict(Cs=[]), "Cs must be a positive integer or a non-empty"),
        (dict(Cs=[1.0, -1.0]), "every value of Cs must be a positive"),
        (dict(cv=1), "cv must be at least 2 folds"),
        (dict(cv="five"), "cv"),
        (dict(scoring="no_such_score"), "scoring must be None"),
        (dict(scoring={"a": "accuracy", "b": "roc_auc"}), "one score only"),
        (dict(penalty="elasticnet"), "needs l1_ratios"),
        (dict(l1_ratios=[2.0]), r"l1_ratios, .* in \[0, 1\]; got \[2.0\]"),
        (dict(l1_ratios=["a"]), "l1_ratios, the mixings to search, must be numbers"),
        (dict(l1_ratios=[]), "l1_ratios, the mixings to search, must be numbers"),
        (dict(dual=True), "dual=True"),
        (dict(l1_ratios=(1,), solver="newton"), "cannot handle an L1 penalty"),
        (dict(use_legacy_attributes="yes"), "use_legacy_attributes"),
        (dict(select="max"), r"select must be one of \['min', '1se'\]"),
    ],
)
def test_clear_errors_leave_the_estimator_unchanged(params, message):
    X, y = standardized("iris")
    model = LogisticRegressionCV(Cs=2, cv=3).fit(X, y)
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match=message):
        model.set_params(**params).fit(X, y)
    np.testing.assert_array_equal(model.coef_, coef)


def test_non_convergence_warns():
    X, y = standardized("breast_cancer", slice(0, 5))
    with pytest.warns(ConvergenceWarning, match="cross-validation fits"):
        LogisticRegressionCV(Cs=2, cv=2, max_iter=1, solver="newton").fit(X, y)


def test_save_and_load(tmp_path):
    X, y = standardized("wine")
    model = LogisticRegressionCV(Cs=[0.1, 1.0], cv=3).fit(X, y)
    model.save(tmp_path / "cv.npz")
    loaded = jaxlogreg.load(tmp_path / "cv.npz")
    assert type(loaded) is LogisticRegressionCV
    np.testing.assert_array_equal(loaded.C_, model.C_)
    assert loaded.lambda_1se_ == model.lambda_1se_
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_auto_solver_is_coordinate_descent_up_to_its_size_limit(rng):
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
    assert LogisticRegressionCV(Cs=2, cv=2).fit(X, y).solver_ == "cd"
    wide = rng.normal(size=(60, CV_CD_MAX_PARAMS))  # CV_CD_MAX_PARAMS + 1 coefficients
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert LogisticRegressionCV(Cs=2, cv=2).fit(wide, y).solver_ == "lbfgs"


def test_auto_solver_on_an_accelerator_is_the_estimators_rule():
    """Coordinate descent's one-at-a-time updates do not pay on a GPU: Newton (small) or L-BFGS
    without an L1 part, coordinate descent with one."""

    def cv_solver(l1, n_params, platform):
        return auto_solver(
            l1=l1, n_params=n_params, platform=platform, purpose=Purpose.CROSS_VALIDATION
        )

    assert cv_solver(False, 4, "cpu") == "cd"
    assert cv_solver(False, 4, "gpu") == "newton"
    assert cv_solver(False, CV_CD_MAX_PARAMS, "gpu") == "lbfgs"
    assert cv_solver(True, 4, "gpu") == "cd"


def _described(model):
    """The shapes (and dict keys) of the grid attributes, as scikit-learn 1.9 lays them out."""
    layout = {}
    for name in ("Cs_", "l1_ratios_", "coefs_paths_", "scores_", "C_", "l1_ratio_", "n_iter_"):
        value = getattr(model, name)
        if isinstance(value, dict):
            layout[name] = ([k.item() for k in value], [v.shape for v in value.values()])
        else:
            layout[name] = (type(value).__name__, np.shape(value))
    return layout


@pytest.mark.parametrize("dataset", ["iris", "breast_cancer"])
@pytest.mark.parametrize("l1_ratios", [None, (0,), (1,), (0.0, 0.5)])
def test_attribute_layout_is_sklearns(dataset, l1_ratios):
    """Every grid attribute has scikit-learn 1.9's shape and keys, binary and multinomial, with
    and without ``l1_ratios``, refit or not, legacy layout or not."""
    X, y = standardized(dataset, slice(0, 6))
    for refit in (True, False):
        for legacy in (True, False):
            params = dict(Cs=3, cv=3, l1_ratios=l1_ratios, refit=refit)
            params["use_legacy_attributes"] = legacy
            ours = LogisticRegressionCV(tol=1e-6, max_iter=300, **params).fit(X, y)
            solver = "saga" if l1_ratios is not None and any(l1_ratios) else "lbfgs"
            if not refit and l1_ratios is not None and len(l1_ratios) > 1:
                params["l1_ratios"] = np.array(l1_ratios)  # scikit-learn 1.9 fails on a tuple
            with warnings.catch_warnings():  # the shapes only: few iterations
                warnings.simplefilter("ignore", ConvergenceWarning)
                reference = sklearn_cv(solver=solver, max_iter=20, **params).fit(X, y)
            assert _described(ours) == _described(reference)


def test_l1_ratios_choose_the_penalty():
    """``l1_ratios=(1,)`` alone is the lasso (scikit-learn 1.9's rule), ``(0,)`` ridge; a named
    ``penalty`` wins over ``l1_ratios``, which then only warns."""
    X, y = standardized("breast_cancer", slice(0, 10))
    Cs = [0.01, 0.1]
    lasso = LogisticRegressionCV(Cs=Cs, cv=3, l1_ratios=(1,), tol=1e-8).fit(X, y)
    with pytest.warns(FutureWarning, match="penalty was deprecated"):
        named = LogisticRegressionCV(Cs=Cs, cv=3, penalty="l1", tol=1e-8).fit(X, y)
    np.testing.assert_allclose(lasso.coef_, named.coef_, rtol=1e-6, atol=1e-9)
    assert np.sum(lasso.coef_ == 0) > 0 and lasso.l1_ratio_[0] == 1.0
    ridge = LogisticRegressionCV(Cs=Cs, cv=3, l1_ratios=(0,), tol=1e-8).fit(X, y)
    assert np.all(ridge.coef_ != 0) and ridge.l1_ratio_[0] == 0.0
    with pytest.warns(UserWarning, match="l1_ratios=.* is ignored with penalty='l2'"):
        l2 = LogisticRegressionCV(Cs=Cs, cv=3, penalty="l2", l1_ratios=(1,), tol=1e-8)
        l2.fit(X, y)
    np.testing.assert_allclose(l2.coef_, ridge.coef_, rtol=1e-6, atol=1e-9)


def test_any_sklearn_scorer_scores_the_fold_fits_like_sklearn():
    """A scorer name, a scorer object and a plain callable score every fold fit as scikit-learn
    does (its labels/pos_label given, its fold's sample weights passed)."""
    X, y = standardized("breast_cancer", slice(0, 8))
    weights = np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0)
    Cs = [0.01, 0.1, 1.0]
    for scoring in ("neg_brier_score", "balanced_accuracy", "f1"):
        ours = LogisticRegressionCV(Cs=Cs, cv=4, scoring=scoring, tol=1e-12)
        ours.fit(X, y, sample_weight=weights)
        reference = sklearn_cv(
            Cs=Cs, cv=4, l1_ratios=(0,), scoring=scoring, solver="newton-cholesky", tol=1e-12
        ).fit(X, y, sample_weight=weights)
        np.testing.assert_allclose(
            ours.scores_[1], reference.scores_[1][..., 0], rtol=1e-7, atol=1e-9
        )
    calls = []

    def custom(estimator, X_test, y_test, sample_weight=None):
        calls.append((type(estimator), sample_weight))
        return -np.mean((estimator.predict_proba(X_test)[:, 1] - y_test) ** 2)

    model = LogisticRegressionCV(Cs=Cs, cv=4, scoring=custom, tol=1e-12).fit(X, y)
    brier = LogisticRegressionCV(Cs=Cs, cv=4, scoring="neg_brier_score", tol=1e-12).fit(X, y)
    np.testing.assert_allclose(model.scores_[1], brier.scores_[1], rtol=1e-12)
    assert len(calls) == 4 * len(Cs) and calls[0][1] is None
    assert issubclass(calls[0][0], LogisticRegression)  # a fitted view of the fold fit


@pytest.mark.parametrize("scoring", ["neg_log_loss", "accuracy", "roc_auc"])
def test_the_scores_computed_with_the_fits_stay_on_the_fast_path(monkeypatch, scoring):
    """The three scores computed in the batched program never go through the scorer views, and
    equal what the scorer views give."""
    X, y = standardized("wine", slice(0, 5))
    params = dict(Cs=[0.1, 1.0], cv=3, tol=1e-10)
    scorer = get_scorer("roc_auc_ovr" if scoring == "roc_auc" else scoring)  # 3 classes
    by_views = LogisticRegressionCV(scoring=scorer, **params).fit(X, y)

    def refuse(*args):
        raise AssertionError("the batched score went through the scorer views")

    monkeypatch.setattr(_fold_view, "scorer_scores", refuse)
    fast = LogisticRegressionCV(scoring=scoring, **params).fit(X, y)
    np.testing.assert_allclose(fast.scores_[0], by_views.scores_[0], rtol=1e-9, atol=1e-12)


def test_score_uses_the_scoring():
    """``score`` is the ``scoring``'s score of the fitted model, weighted (scikit-learn 1.9)."""
    X, y = standardized("wine", slice(0, 5))
    weights = np.linspace(0.5, 2.0, len(y))
    model = LogisticRegressionCV(Cs=[0.1, 1.0], cv=3, tol=1e-10).fit(X, y)
    proba = model.predict_proba(X)
    assert model.score(X, y) == pytest.approx(-log_loss(y, proba), rel=1e-12)
    weighted = -log_loss(y, proba, sample_weight=weights)
    assert model.score(X, y, sample_weight=weights) == pytest.approx(weighted, rel=1e-12)
    model.set_params(scoring="balanced_accuracy")
    assert model.score(X, y) == balanced_accuracy_score(y, model.predict(X))
    model.set_params(scoring="roc_auc")
    assert model.score(X, y) == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"))
    model.set_params(scoring=lambda estimator, X, y: 7.0)
    assert model.score(X, y) == 7.0


def test_groups_reach_the_splitter():
    """``fit(..., groups=)`` splits by group (with or without metadata routing): the same fits
    as the group folds given explicitly."""
    X, y = standardized("breast_cancer", slice(0, 5))
    groups = np.arange(len(y)) % 6
    folds = list(GroupKFold(3).split(X, y, groups))
    params = dict(Cs=[0.1, 1.0], tol=1e-10)
    explicit = LogisticRegressionCV(cv=folds, **params).fit(X, y)
    grouped = LogisticRegressionCV(cv=GroupKFold(3), **params).fit(X, y, groups=groups)
    np.testing.assert_array_equal(grouped.scores_[1], explicit.scores_[1])
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        grouped.fit(X, y, group=groups)


def test_select_1se_fits_the_largest_penalty_within_one_standard_error():
    """``select="1se"``: ``C_`` is glmnet's rule recomputed here from the fitted ``scores_``
    (the smallest ``C`` with mean ≥ best mean − sd/√F), and ``coef_`` is scikit-learn's fit at
    that ``C``; without a refit, the fold coefficients averaged there."""
    X, y = standardized("breast_cancer", slice(0, 10))
    params = dict(Cs=np.logspace(-3, 2, 11), cv=5, tol=1e-10)
    chosen = LogisticRegressionCV(select="1se", **params).fit(X, y)
    best = LogisticRegressionCV(**params).fit(X, y)
    np.testing.assert_array_equal(chosen.scores_[1], best.scores_[1])
    scores = chosen.scores_[1]
    mean = scores.mean(0)
    se = np.sqrt(((scores - mean) ** 2).sum(0) / (len(scores) - 1)) / np.sqrt(len(scores))
    top = np.argmax(mean)
    C_1se = chosen.Cs_[mean >= mean[top] - se[top]].min()
    assert C_1se < chosen.Cs_[top]  # the rule makes a difference here
    assert chosen.C_[0] == chosen.C_1se_ == best.C_1se_ == C_1se
    assert best.C_[0] == best.C_min_ == chosen.C_min_ == chosen.Cs_[top]
    assert chosen.lambda_1se_ == pytest.approx(1 / (C_1se * len(y)), rel=1e-12)
    np.testing.assert_allclose(chosen.cv_results_["se_val_score"], se, rtol=1e-12)
    reference = SkLogisticRegression(C=C_1se, solver="newton-cholesky", tol=1e-12).fit(X, y)
    np.testing.assert_allclose(chosen.coef_, reference.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(chosen.intercept_, reference.intercept_, rtol=1e-6, atol=1e-8)
    assert np.linalg.norm(chosen.coef_) < np.linalg.norm(best.coef_)
    averaged = LogisticRegressionCV(select="1se", refit=False, **params).fit(X, y)
    at_1se = chosen.coefs_paths_[1][:, list(chosen.Cs_).index(C_1se)].mean(0)
    np.testing.assert_allclose(averaged.coef_[0], at_1se[:-1], rtol=1e-12)
    assert averaged.intercept_[0] == pytest.approx(at_1se[-1], rel=1e-12)
    assert averaged.C_[0] == C_1se


def test_select_1se_over_l1_ratios_moves_c_at_the_best_mixing():
    X, y = standardized("breast_cancer", slice(0, 6))
    model = LogisticRegressionCV(
        Cs=np.logspace(-2, 1, 5), cv=3, l1_ratios=(0.0, 1.0), select="1se", tol=1e-8
    ).fit(X, y)
    scores = model.scores_[1]  # (F, L, A)
    mean = scores.mean(0)
    c, a = np.unravel_index(np.argmax(mean), mean.shape)
    se = scores[:, c, a].std(ddof=1) / np.sqrt(len(scores))
    assert model.l1_ratio_[0] == model.l1_ratios_[a]
    assert model.C_[0] == model.Cs_[mean[:, a] >= mean[c, a] - se].min() == model.C_1se_


def test_select_is_a_parameter_sklearn_can_clone_and_check():
    model = clone(LogisticRegressionCV(select="1se"))
    assert model.get_params()["select"] == "1se"
    X, y = standardized("iris")
    with pytest.raises(ValueError, match=r"select must be one of \['min', '1se'\], got 'lambda"):
        model.set_params(select="lambda.1se").fit(X, y)


def _manual_cv_log_loss(X, y, folds, Cs, sample_weight=None):
    """``(F, L)`` validation log-losses of scikit-learn fits on each fold's training rows."""
    weights = np.ones(len(y)) if sample_weight is None else sample_weight
    scores = np.empty((len(folds), len(Cs)))
    for f, (train, test) in enumerate(folds):
        for c, C in enumerate(Cs):
            fit = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-12)
            fit.fit(X[train], y[train], sample_weight=weights[train])
            proba = fit.predict_proba(X[test])
            scores[f, c] = -log_loss(y[test], proba, sample_weight=weights[test])
    return scores


@pytest.mark.parametrize("splitter", [GroupKFold(3), LeaveOneGroupOut()])
def test_groups_with_and_without_metadata_routing_equal_a_manual_group_cv(splitter):
    """Folds never split a group, and the scores equal a cross-validation by hand over the
    splitter's folds; the same with metadata routing enabled."""
    X, y = standardized("breast_cancer", slice(0, 5))
    X, y = X[:150], y[:150]
    groups = np.arange(len(y)) % 4
    Cs = [0.1, 1.0]
    folds = list(splitter.split(X, y, groups))
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
    ours = LogisticRegressionCV(Cs=Cs, cv=splitter, tol=1e-12).fit(X, y, groups=groups)
    expected = _manual_cv_log_loss(X, y, folds, Cs)
    np.testing.assert_allclose(ours.scores_[1], expected, rtol=1e-7, atol=1e-9)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = LogisticRegressionCV(Cs=Cs, cv=splitter, tol=1e-12).fit(X, y, groups=groups)
    np.testing.assert_array_equal(routed.scores_[1], ours.scores_[1])


def test_groups_need_a_group_splitter_and_foldid_is_a_predefined_split():
    """``groups`` with a splitter that ignores them is an error (as with routing); glmnet's
    ``foldid`` is ``cv=PredefinedSplit(foldid)``."""
    X, y = standardized("breast_cancer", slice(0, 5))
    X, y = X[:150], y[:150]
    with pytest.raises(ValueError, match=r"groups are ignored by cv=3.*GroupKFold"):
        LogisticRegressionCV(Cs=2, cv=3).fit(X, y, groups=np.arange(len(y)) % 4)
    foldid = np.arange(len(y)) % 3
    folds = [(np.flatnonzero(foldid != k), np.flatnonzero(foldid == k)) for k in range(3)]
    params = dict(Cs=[0.1, 1.0], tol=1e-12)
    predefined = LogisticRegressionCV(cv=PredefinedSplit(foldid), **params).fit(X, y)
    explicit = LogisticRegressionCV(cv=folds, **params).fit(X, y)
    np.testing.assert_array_equal(predefined.scores_[1], explicit.scores_[1])


def test_validation_scores_weight_each_sample_as_sklearns_metrics():
    """The built-in scores and a scorer weight the validation samples by ``sample_weight``
    (not by the class weights): each fold fit's score equals scikit-learn's metric with
    ``sample_weight=`` on the fold's rows, computed here from ``coefs_paths_``."""
    X, y = standardized("breast_cancer", slice(0, 6))
    X, y = X[:200], y[:200]
    weights = np.random.default_rng(3).uniform(0.2, 3.0, len(y))
    folds = list(StratifiedKFold(3).split(X, y))
    metrics = {
        "neg_log_loss": lambda t, z, w: -log_loss(t, expit(z), sample_weight=w),
        "accuracy": lambda t, z, w: accuracy_score(t, z > 0, sample_weight=w),
        "roc_auc": lambda t, z, w: roc_auc_score(t, z, sample_weight=w),
        "neg_brier_score": lambda t, z, w: -brier_score_loss(t, expit(z), sample_weight=w),
    }
    for scoring, metric in metrics.items():
        model = LogisticRegressionCV(
            Cs=[0.01, 1.0], cv=folds, scoring=scoring, class_weight="balanced", tol=1e-10
        ).fit(X, y, sample_weight=weights)
        for f, (_, test) in enumerate(folds):
            for c in range(2):
                path = model.coefs_paths_[1][f, c]
                z = X[test] @ path[:-1] + path[-1]
                weighted = metric(y[test], z, weights[test])
                assert model.scores_[1][f, c] == pytest.approx(weighted, rel=1e-9, abs=1e-12)
                if scoring != "accuracy":  # unweighted differs: the test can tell
                    assert abs(metric(y[test], z, None) - weighted) > 1e-4


CONSTRAINED = [
    ("breast_cancer", dict(lower_bounds=0.0, upper_bounds=[1.0] * 6)),
    ("breast_cancer", dict(lower_bounds=-0.3, standardize=True)),
    ("wine", dict(multinomial_l1="grouped")),
    ("wine", dict(upper_bounds=0.4, multi_class="ovr")),
]


@pytest.mark.parametrize(("name", "options"), CONSTRAINED)
def test_constrained_fold_paths_and_refit_equal_single_fits(name, options):
    """Box constraints and the grouped lasso in every fold fit (``coefs_paths_``) and the refit:
    each equals ``LogisticRegression`` with the same options on the fold's training rows."""
    X, y = standardized(name, slice(0, 6))
    X[:, [1, 4]] *= -1  # columns the positive class grows with, and others it shrinks with
    folds = list(StratifiedKFold(3).split(X, y))
    Cs, tight = [0.02, 0.2, 2.0], dict(tol=1e-10, max_iter=10**4)
    cv = LogisticRegressionCV(
        Cs=Cs, l1_ratios=[1.0], cv=folds, use_legacy_attributes=False, **tight, **options
    ).fit(X, y)
    for f, (train, _) in enumerate(folds):
        for c, C in enumerate(Cs):
            single = LogisticRegression(C=C, l1_ratio=1.0, **tight, **options)
            single.fit(X[train], y[train])
            expected = np.hstack([single.coef_, single.intercept_[:, None]])
            np.testing.assert_allclose(cv.coefs_paths_[f, 0, c], expected, atol=1e-6)
    refit = LogisticRegression(C=cv.C_, l1_ratio=1.0, **tight, **options).fit(X, y)
    np.testing.assert_allclose(cv.coef_, refit.coef_, atol=1e-6)
    assert np.any(cv.coefs_paths_[..., :-1] == 0)
