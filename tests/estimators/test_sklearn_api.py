"""The scikit-learn face of LogisticRegression and LogisticRegressionCV, against scikit-learn:
balanced class weights with sample weights, the accepted-but-unused parameters, sparse and
writable coefficients, iteration counts, the penalty chosen by ``l1_ratio`` and ``C`` (and the
deprecated ``penalty``), ``max_iter=0``, the dtype of the fit, ``dual`` and
``intercept_scaling``."""

import warnings

import jax
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import standardized
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from jaxlogreg import LogisticRegression, LogisticRegressionCV
from jaxlogreg.inference.fitted import fitted_problem
from jaxlogreg.persistence import load


def positive_weights(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(0.2, 3.0, n)


@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_balanced_class_weight_counts_the_sample_weights(name):
    X, y = standardized(name)
    weights = positive_weights(len(y))
    ours = LogisticRegression(class_weight="balanced", tol=1e-10).fit(X, y, weights)
    reference = SkLogisticRegression(
        class_weight="balanced", solver="newton-cholesky", tol=1e-10, max_iter=1000
    )
    reference.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, rtol=1e-6, atol=1e-6)

    per_class = compute_class_weight("balanced", classes=ours.classes_, y=y, sample_weight=weights)
    expected = weights * per_class[np.searchsorted(ours.classes_, y)]
    fitted = fitted_problem(ours, X, y, sample_weight=weights)
    np.testing.assert_allclose(fitted.total_weight, expected.sum(), rtol=1e-12)


def test_cv_refit_uses_the_sample_weighted_balanced_class_weights():
    X, y = standardized("breast_cancer")
    weights = positive_weights(len(y))
    cv = LogisticRegressionCV(Cs=[0.3], cv=3, class_weight="balanced", tol=1e-10)
    cv.fit(X, y, weights)
    single = LogisticRegression(C=0.3, class_weight="balanced", tol=1e-10).fit(X, y, weights)
    np.testing.assert_allclose(cv.coef_, single.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        (LogisticRegression, dict(random_state=7)),
        (LogisticRegressionCV, dict(random_state=7, n_jobs=2, Cs=2, cv=2)),
    ],
)
def test_random_state_and_n_jobs_survive_clone_and_persistence(estimator, params, tmp_path):
    model = estimator(**params)
    assert {k: model.get_params()[k] for k in params} == params
    assert {k: clone(model).get_params()[k] for k in params} == params
    X, y = standardized("iris")
    model.fit(X, y)
    model.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert {k: loaded.get_params()[k] for k in params} == params
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_random_state_does_not_change_a_fit():
    X, y = standardized("iris")
    fits = [LogisticRegression(random_state=seed, tol=1e-8).fit(X, y) for seed in (0, 1)]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)


@pytest.mark.parametrize("estimator", [LogisticRegression, LogisticRegressionCV])
def test_sparsify_densify_and_writable_coefficients(estimator):
    X, y = standardized("iris")
    options = dict(Cs=3, l1_ratios=[1.0]) if estimator is LogisticRegressionCV else {}
    model = estimator(l1_ratio=1.0, solver="cd") if not options else estimator(**options)
    model.fit(X, y)
    dense_coef, predictions = model.coef_.copy(), model.predict_proba(X)

    assert model.sparsify() is model
    assert sp.issparse(model.coef_) and model.coef_.format == "csr"
    np.testing.assert_array_equal(model.coef_.toarray(), dense_coef)
    np.testing.assert_allclose(model.predict_proba(X), predictions, rtol=1e-12)

    assert model.densify() is model
    assert isinstance(model.coef_, np.ndarray)
    np.testing.assert_array_equal(model.coef_, dense_coef)

    model.coef_[:] = 0
    model.intercept_[:] = 0
    np.testing.assert_allclose(model.predict_proba(X), 1 / len(model.classes_))


@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_logistic_coefficients_are_writable_arrays(name):
    X, y = standardized(name)
    model = LogisticRegression().fit(X, y)
    assert model.coef_.flags.writeable and model.intercept_.flags.writeable
    model.coef_[:] = 0
    assert not model.coef_.any()


def test_cv_n_iter_is_at_least_one():
    X, y = standardized("breast_cancer")
    # a tiny C: every fit after the first on the path starts at its optimum
    model = LogisticRegressionCV(Cs=np.full(4, 1e-8), cv=3).fit(X, y)
    assert model.n_iter_.shape == (1, 3, 4)
    assert model.n_iter_.min() >= 1


def test_a_sparsified_model_warm_starts_and_saves_dense(tmp_path):
    X, y = standardized("breast_cancer")
    model = LogisticRegression(warm_start=True).fit(X, y)
    dense = model.coef_.copy()
    model.sparsify()
    model.save(tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    assert isinstance(loaded.coef_, np.ndarray)
    np.testing.assert_array_equal(loaded.coef_, dense)
    model.fit(X, y)  # warm start from the sparse coefficients
    assert model.n_iter_.max() <= 1
    np.testing.assert_allclose(model.coef_, dense, rtol=1e-6, atol=1e-8)


# --- the penalty: l1_ratio and C, as scikit-learn 1.9 -----------------------------------------


def test_the_parameters_are_scikit_learns_with_its_defaults():
    ours, theirs = LogisticRegression().get_params(), SkLogisticRegression().get_params()
    assert set(theirs) <= set(ours)
    differ = {k for k in theirs if ours[k] != theirs[k]}
    assert differ == {"solver"}  # "auto" picks among jaxlogreg's solvers


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_l1_ratio_alone_fits_the_lasso_and_the_elastic_net(l1_ratio):
    X, y = standardized("breast_cancer")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation or other warning on this path
        ours = LogisticRegression(l1_ratio=l1_ratio, C=0.1, tol=1e-10).fit(X, y)
        reference = SkLogisticRegression(
            l1_ratio=l1_ratio, C=0.1, solver="saga", tol=1e-10, max_iter=10_000
        ).fit(X, y)
    np.testing.assert_array_equal(ours.coef_ == 0, reference.coef_ == 0)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-5)


def test_C_inf_is_no_penalty():
    X, y = standardized("breast_cancer", slice(0, 5))  # not separable: the MLE exists
    ours = LogisticRegression(C=np.inf, l1_ratio=1.0, tol=1e-10).fit(X, y)
    reference = SkLogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-6)
    with pytest.warns(FutureWarning, match="penalty was deprecated"):
        unpenalized = LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(unpenalized.coef_, ours.coef_, rtol=1e-8)


UNSET = "deprecated"


@pytest.mark.parametrize(
    ("penalty", "l1_ratio", "C"),
    [
        (UNSET, 0.0, 1.0),
        (UNSET, 1.0, 1.0),
        (UNSET, 0.5, 1.0),
        (UNSET, None, 1.0),
        (UNSET, 0.5, np.inf),
        (UNSET, 1.0, np.inf),
        ("l2", 0.0, 1.0),
        ("l2", None, 1.0),
        ("l2", 0.5, 1.0),
        ("l1", 0.0, 1.0),
        ("l1", 1.0, 1.0),
        ("elasticnet", 0.5, 1.0),
        ("elasticnet", 0.0, 2.0),
        (None, 0.0, 1.0),
        (None, 0.5, 2.0),
        (None, 1.0, np.inf),
    ],
)
def test_penalty_warns_as_scikit_learn_and_fits_the_same_penalty(penalty, l1_ratio, C):
    X, y = standardized("breast_cancer", slice(0, 4))
    params = dict(penalty=penalty, l1_ratio=l1_ratio, C=C, tol=1e-10)

    def fit_and_warnings(estimator):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = estimator.fit(X, y)
        categories = [w.category for w in caught if w.category is not ConvergenceWarning]
        return model, sorted(c.__name__ for c in categories)

    ours, our_warnings = fit_and_warnings(LogisticRegression(**params))
    sk_model = SkLogisticRegression(**params, solver="saga", max_iter=100_000)
    reference, sk_warnings = fit_and_warnings(sk_model)
    assert our_warnings == sk_warnings
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-5)


def test_contradictions_are_errors_as_in_scikit_learn():
    X, y = standardized("iris")
    params = dict(penalty="elasticnet", l1_ratio=None)
    with pytest.raises(ValueError, match="l1_ratio must be specified"), pytest.warns(FutureWarning):
        SkLogisticRegression(**params, solver="saga").fit(X, y)
    with pytest.raises(ValueError, match="penalty='elasticnet' needs l1_ratio"):
        LogisticRegression(**params).fit(X, y)


# --- max_iter=0 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_max_iter_zero_returns_the_starting_model_with_a_warning(name):
    X, y = standardized(name)
    with pytest.warns(ConvergenceWarning):
        reference = SkLogisticRegression(solver="newton-cholesky", max_iter=0).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="max_iter=0"):
        ours = LogisticRegression(max_iter=0).fit(X, y)
    np.testing.assert_array_equal(ours.coef_, reference.coef_)
    np.testing.assert_array_equal(ours.intercept_, reference.intercept_)
    assert ours.n_iter_.tolist() == [0]


def test_max_iter_zero_returns_the_warm_start():
    X, y = standardized("breast_cancer")
    model = LogisticRegression(C=1.0, warm_start=True).fit(X, y)
    start = model.coef_.copy(), model.intercept_.copy()
    with pytest.warns(ConvergenceWarning, match="max_iter=0"):
        model.set_params(C=0.01, max_iter=0).fit(X, y)  # the start is not the new optimum
    np.testing.assert_array_equal(model.coef_, start[0])
    np.testing.assert_array_equal(model.intercept_, start[1])
    assert model.n_iter_.tolist() == [0]


# --- the dtype of the fit follows X ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_float32_X_fits_and_predicts_in_float32(name, tmp_path):
    X, y = standardized(name)
    X32 = X.astype(np.float32)
    single = LogisticRegression(tol=1e-5).fit(X32, y)
    for values in (
        single.coef_,
        single.intercept_,
        single.decision_function(X32),
        single.predict_proba(X32),
        single.predict_log_proba(X32),
    ):
        assert values.dtype == np.float32
    double = LogisticRegression(tol=1e-10).fit(X, y)
    assert double.coef_.dtype == double.intercept_.dtype == np.float64
    np.testing.assert_allclose(single.coef_, double.coef_, rtol=1e-3, atol=1e-3)
    with jax.enable_x64(False):  # the same float32 program as without float64
        default = LogisticRegression(tol=1e-5).fit(X32, y)
    np.testing.assert_array_equal(single.coef_, default.coef_)
    single.save(tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    assert loaded.coef_.dtype == loaded.intercept_.dtype == np.float32
    np.testing.assert_array_equal(loaded.predict_proba(X32), single.predict_proba(X32))


def test_float64_X_without_float64_fits_in_float32_with_one_warning():
    X, y = standardized("iris")
    with jax.enable_x64(False), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LogisticRegression().fit(X, y)
    assert [w.category for w in caught] == [DataConversionWarning]
    assert "jax.config.update('jax_enable_x64', True)" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert model.coef_.dtype == model.intercept_.dtype == np.float32


def test_integer_X_fits_in_float64_as_scikit_learn_converts_it():
    X, y = standardized("iris")
    integers = np.round(4 * X).astype(np.int64)
    model = LogisticRegression(tol=1e-10).fit(integers, y)
    assert model.coef_.dtype == np.float64
    reference = LogisticRegression(tol=1e-10).fit(integers.astype(np.float64), y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)


# --- dual and intercept_scaling -------------------------------------------------------------------


def test_intercept_scaling_is_ignored_as_scikit_learn_ignores_it_and_dual_is_refused():
    X, y = standardized("breast_cancer")
    default = LogisticRegression(tol=1e-10).fit(X, y)
    scaled = LogisticRegression(tol=1e-10, intercept_scaling=7.0, dual=False).fit(X, y)
    np.testing.assert_array_equal(scaled.coef_, default.coef_)
    sk_default = SkLogisticRegression(tol=1e-10).fit(X, y)
    sk_scaled = SkLogisticRegression(tol=1e-10, intercept_scaling=7.0).fit(X, y)
    np.testing.assert_array_equal(sk_scaled.coef_, sk_default.coef_)
    with pytest.raises(ValueError, match="dual=False"):
        SkLogisticRegression(dual=True).fit(X, y)
    with pytest.raises(ValueError, match="Use dual=False"):
        LogisticRegression(dual=True).fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_random_state_seeds_the_minibatch_solvers(solver):
    X, y = standardized("breast_cancer")
    X, y = X[:200], y[:200]

    def coef(random_state):
        model = LogisticRegression(solver=solver, max_iter=3, random_state=random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X, y).coef_

    np.testing.assert_array_equal(coef(3), coef(3))
    np.testing.assert_array_equal(coef(None), coef(None))
    assert not np.array_equal(coef(3), coef(4))
    assert not np.array_equal(coef(3), coef(None))
