"""LogisticRegressionCV: the batched cross-validation against scikit-learn and per-fold loops."""

import warnings

import numpy as np
import pytest
from conftest import standardized
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.estimator_checks import check_estimator

import jaxlogreg
from jaxlogreg import LogisticRegression, LogisticRegressionCV
from jaxlogreg.solvers.auto import CV_CD_MAX_PARAMS, Purpose, auto_solver


def sklearn_cv(**params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return SkLogisticRegressionCV(use_legacy_attributes=True, max_iter=1000, **params)


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
        Cs=Cs, penalty="l1", fit_intercept=False, tol=1e-10, max_iter=1000
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
    np.testing.assert_allclose(ours.scores_[1], reference.scores_[1][..., 0], rtol=1e-5, atol=1e-5)
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
    model = LogisticRegressionCV(
        Cs=3, cv=3, penalty="elasticnet", l1_ratios=[0.0, 0.5, 1.0], tol=1e-6, max_iter=300
    ).fit(X, y)
    assert model.scores_[0].shape == (3, 3, 3)
    assert model.coefs_paths_[1].shape == (3, 3, 3, 5)
    assert model.n_iter_.shape == (1, 3, 3, 3)
    assert model.cv_results_["mean_val_loss"].shape == (3, 3)
    assert model.l1_ratio_[0] in (0.0, 0.5, 1.0)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert model.score(X, y) > 0.9


@pytest.mark.slow  # about 3 minutes: every check's data shape compiles the batched program
def test_check_estimator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(LogisticRegressionCV(Cs=3, cv=3), on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert failed == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(Cs=0), "Cs must be a positive integer"),
        (dict(Cs=[]), "Cs must be a positive integer or a non-empty"),
        (dict(Cs=[1.0, -1.0]), "every value of Cs must be a positive"),
        (dict(cv=1), "cv must be at least 2 folds"),
        (dict(cv="five"), "cv"),
        (dict(scoring="f1"), "scoring must be None or one of"),
        (dict(penalty="elasticnet"), "needs l1_ratios"),
        (dict(penalty="elasticnet", l1_ratios=[2.0]), "needs l1_ratios"),
        (dict(penalty="l1", solver="newton"), "cannot handle an L1 penalty"),
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
