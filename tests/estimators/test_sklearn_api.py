"""The scikit-learn face of LogisticRegression and LogisticRegressionCV, against scikit-learn:
balanced class weights with sample weights, the accepted-but-unused parameters, sparse and
writable coefficients, iteration counts."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import standardized
from sklearn.base import clone
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
    model = estimator(
        penalty="l1", solver="cd", **({"Cs": 3} if estimator is LogisticRegressionCV else {})
    )
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
