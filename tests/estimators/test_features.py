"""PolynomialFeatures against scikit-learn's, and in a pipeline with LogisticRegression."""

import jax
import numpy as np
import pytest
from sklearn import preprocessing
from sklearn.datasets import make_circles
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from jaxlogreg import LogisticRegression, PolynomialFeatures
from jaxlogreg.estimators.features import polynomial_features


@pytest.mark.parametrize("degree", [1, 2, 3])
@pytest.mark.parametrize("interaction_only", [False, True])
@pytest.mark.parametrize("include_bias", [False, True])
def test_matches_sklearn(rng, degree, interaction_only, include_bias):
    X = rng.normal(size=(20, 4))
    X[0, 1] = 0.0  # 0⁰ = 1
    params = dict(degree=degree, interaction_only=interaction_only, include_bias=include_bias)
    ours = PolynomialFeatures(**params).fit(X)
    reference = preprocessing.PolynomialFeatures(**params).fit(X)
    np.testing.assert_allclose(ours.transform(X), reference.transform(X), rtol=1e-13, atol=0)
    assert ours.n_output_features_ == reference.n_output_features_
    np.testing.assert_array_equal(ours.powers_, reference.powers_)
    names = ["a", "b", "c", "d"]
    assert list(ours.get_feature_names_out(names)) == list(reference.get_feature_names_out(names))
    assert list(ours.get_feature_names_out()) == list(reference.get_feature_names_out())


def test_transform_is_a_pure_jittable_function(rng):
    X = rng.normal(size=(5, 2))
    powers = PolynomialFeatures(2).fit(X).powers_
    expected = np.column_stack([X[:, 0], X[:, 1], X[:, 0] ** 2, X[:, 0] * X[:, 1], X[:, 1] ** 2])
    np.testing.assert_allclose(polynomial_features(X, powers), expected, rtol=1e-14)
    batched = jax.vmap(polynomial_features, in_axes=(0, None))(np.stack([X, 2 * X]), powers)
    np.testing.assert_allclose(batched[1], polynomial_features(2 * X, powers), rtol=1e-14)


def test_negative_values_with_odd_powers(rng):
    X = -np.abs(rng.normal(size=(6, 2)))
    np.testing.assert_allclose(
        PolynomialFeatures(3).fit_transform(X),
        preprocessing.PolynomialFeatures(3, include_bias=False).fit_transform(X),
        rtol=1e-13,
    )


def test_bad_degree_is_a_clear_error():
    with pytest.raises(ValueError, match="degree must be a positive integer, got 0"):
        PolynomialFeatures(0).fit(np.ones((3, 2)))


def test_pipeline_separates_circles():
    X, y = make_circles(n_samples=400, noise=0.05, factor=0.5, random_state=0)
    linear = LogisticRegression().fit(X, y)
    assert linear.score(X, y) < 0.6
    pipeline = make_pipeline(PolynomialFeatures(2), LogisticRegression(C=100.0)).fit(X, y)
    assert pipeline.score(X, y) > 0.95
    names = pipeline[0].get_feature_names_out(["x1", "x2"])
    assert list(names) == ["x1", "x2", "x1^2", "x1 x2", "x2^2"]


@parametrize_with_checks([PolynomialFeatures(), PolynomialFeatures(3, interaction_only=True)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
