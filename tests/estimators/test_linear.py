"""Least-squares regressors against scikit-learn's, in float64 (see conftest.py)."""

import numpy as np
import pytest
from sklearn import linear_model
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import jaxlogreg
from jaxlogreg import ElasticNet, Lasso, LinearRegression, Ridge
from jaxlogreg.estimators.linear import normal_equations

TOL = 1e-8


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def assert_same_fit(ours, reference):
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, rtol=0, atol=TOL)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_matches_sklearn(diabetes, fit_intercept):
    X, y = diabetes
    ours = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    assert_same_fit(ours, linear_model.LinearRegression(fit_intercept=fit_intercept).fit(X, y))


def test_linear_regression_rank_deficient_gives_minimum_norm(diabetes):
    X, y = diabetes
    X = np.column_stack([X, X[:, 0]])  # a duplicated column: the Gram matrix is singular
    ours = LinearRegression().fit(X, y)
    assert_same_fit(ours, linear_model.LinearRegression().fit(X, y))
    assert ours.coef_[0] == pytest.approx(ours.coef_[-1], abs=TOL)


@pytest.mark.parametrize("alpha", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_matches_sklearn(diabetes, alpha, fit_intercept):
    X, y = diabetes
    ours = Ridge(alpha, fit_intercept=fit_intercept).fit(X, y)
    reference = linear_model.Ridge(alpha, fit_intercept=fit_intercept, solver="cholesky")
    assert_same_fit(ours, reference.fit(X, y))


def test_ridge_with_sample_weights_matches_sklearn(diabetes, rng):
    X, y = diabetes
    weights = rng.uniform(0.1, 3.0, size=len(y))
    ours = Ridge(5.0).fit(X, y, sample_weight=weights)
    reference = linear_model.Ridge(5.0, solver="cholesky").fit(X, y, sample_weight=weights)
    assert_same_fit(ours, reference)


def test_ridge_alpha_is_glmnet_lambda_times_weight_sum(diabetes, rng):
    """Ridge(alpha) = jaxlogreg.fit(loss="squared", lam=alpha/Σs)."""
    X, y = diabetes
    weights = rng.uniform(0.5, 2.0, size=len(y))
    ours = Ridge(10.0).fit(X, y, sample_weight=weights)
    result = jaxlogreg.fit(
        X, y, lam=10.0 / weights.sum(), loss="squared", sample_weight=weights, tol=1e-10
    )
    np.testing.assert_allclose(ours.coef_, result.coef[0], rtol=0, atol=1e-7)


def test_multi_target_ridge_matches_sklearn(diabetes):
    X, y = diabetes
    Y = np.column_stack([y, X[:, :2] @ [1.0, -2.0] + 0.1 * y])
    ours = Ridge(2.0).fit(X, Y)
    assert ours.coef_.shape == (2, X.shape[1]) and ours.intercept_.shape == (2,)
    assert_same_fit(ours, linear_model.Ridge(2.0, solver="cholesky").fit(X, Y))
    np.testing.assert_allclose(ours.predict(X), linear_model.Ridge(2.0).fit(X, Y).predict(X))


def test_normal_equations_intercept_is_unpenalized(diabetes):
    """The closed form equals (AᵀSA + Λ)⁻¹AᵀSy with Λ = diag(alpha, …, alpha, 0)."""
    X, y = diabetes
    s = np.linspace(0.5, 1.5, len(y))
    A = np.column_stack([X, np.ones(len(y))])
    penalty = np.diag(np.r_[np.full(X.shape[1], 3.0), 0.0])
    expected = np.linalg.solve(A.T @ (s[:, None] * A) + penalty, A.T @ (s * y))
    W, b = normal_equations(X, y[:, None], s, 3.0, fit_intercept=True)
    np.testing.assert_allclose(np.r_[W[0], b], expected, rtol=1e-10)


@pytest.mark.parametrize("alpha", [0.05, 1.0, 5.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lasso_matches_sklearn(diabetes, alpha, fit_intercept):
    X, y = diabetes
    ours = Lasso(alpha, fit_intercept=fit_intercept, tol=1e-10).fit(X, y)
    reference = linear_model.Lasso(alpha, fit_intercept=fit_intercept, tol=1e-14, max_iter=10**5)
    assert_same_fit(ours, reference.fit(X, y))
    assert isinstance(ours.n_iter_, int) and ours.n_iter_ >= 1


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.05, 0.2), (0.5, 0.5), (2.0, 0.9)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_elastic_net_matches_sklearn(diabetes, alpha, l1_ratio, fit_intercept):
    X, y = diabetes
    ours = ElasticNet(alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-10)
    reference = linear_model.ElasticNet(
        alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-14, max_iter=10**5
    )
    assert_same_fit(ours.fit(X, y), reference.fit(X, y))


def test_lasso_multi_target_solves_each_target(diabetes):
    X, y = diabetes
    Y = np.column_stack([y, -0.5 * y + 10.0])
    ours = Lasso(1.0, tol=1e-10).fit(X, Y)
    assert ours.coef_.shape == (2, X.shape[1]) and len(ours.n_iter_) == 2
    reference = linear_model.Lasso(1.0, tol=1e-14, max_iter=10**5).fit(X, Y)
    assert_same_fit(ours, reference)


def test_lasso_warm_start_starts_at_the_previous_solution(diabetes):
    X, y = diabetes
    model = Lasso(1.0, tol=1e-10, warm_start=True).fit(X, y)
    assert model.fit(X, y).n_iter_ <= 1 < Lasso(1.0, tol=1e-10).fit(X, y).n_iter_


def test_lasso_non_convergence_warns(diabetes):
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        Lasso(0.01, tol=1e-12, max_iter=1, solver="prox").fit(X, y)


@pytest.mark.parametrize("cls", [Ridge, Lasso, ElasticNet])
def test_negative_alpha_is_a_clear_error_and_leaves_the_estimator_unchanged(diabetes, cls):
    X, y = diabetes
    model = cls(1.0).fit(X, y)
    coef = model.coef_.copy()
    model.set_params(alpha=-1.0)
    with pytest.raises(ValueError, match=r"alpha must be a finite number >= 0, got -1\.0"):
        model.fit(X[:, :3], y)
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.n_features_in_ == X.shape[1]


@pytest.mark.parametrize(
    "model",
    [LinearRegression(), Ridge(0.3), Lasso(0.5), ElasticNet(0.5, l1_ratio=0.3)],
    ids=type,
)
@pytest.mark.parametrize("multi_target", [False, True])
def test_save_load_round_trip_is_exact(diabetes, tmp_path, model, multi_target):
    X, y = diabetes
    Y = np.column_stack([y, 2.0 * y]) if multi_target else y
    model.fit(X, Y)
    model.save(tmp_path / "model.npz")
    loaded = jaxlogreg.load(tmp_path / "model.npz")
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    np.testing.assert_array_equal(loaded.intercept_, model.intercept_)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert not hasattr(loaded, "classes_")


@parametrize_with_checks([LinearRegression(), Ridge(), Lasso(), ElasticNet()])
def test_sklearn_compatible(estimator, check):
    check(estimator)
