"""``regularization_path`` and the path engine with offsets and standardization: against loops of
``LogisticRegression`` fits, statsmodels ``GLM(offset=)``, a direct minimization of the null
model and the KKT conditions at ``λ_max``."""

import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
from scipy.special import expit, log_softmax

import jaxlogreg
from jaxlogreg import LogisticRegression
from jaxlogreg.core.losses import BINARY, MULTINOMIAL
from jaxlogreg.engine.path import lambda_max, null_init


def binary_data(rng, n=150, scales=(1.0, 2.0, 0.5, 1.0)):
    X = rng.normal(size=(n, len(scales))) * np.asarray(scales)
    offset = rng.normal(size=n)
    logit = X @ (np.array([1.0, -0.6, 0.0, 0.4]) / np.asarray(scales)) + offset - 0.3
    y = (rng.random(n) < expit(logit)).astype(int)
    return X, y, offset


def _quiet_path(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # separation/scale notes are not tested
        return jaxlogreg.regularization_path(*args, **kwargs)


def test_ridge_path_with_offset_equals_loop_of_estimators(rng):
    """``λ = 1/(C·n)``: every point of the path is a ``LogisticRegression(offset)`` fit."""
    X, y, offset = binary_data(rng)
    lambdas = np.array([0.3, 0.05, 0.01, 0.001])
    path = _quiet_path(X, y, lambdas=lambdas, offset=offset, tol=1e-10)
    for lam, coef, intercept in zip(lambdas, path.coef, path.intercept, strict=True):
        model = LogisticRegression(C=1 / (lam * len(y)), tol=1e-10).fit(X, y, offset=offset)
        np.testing.assert_allclose(coef, model.coef_[0], atol=1e-7)
        np.testing.assert_allclose(intercept, model.intercept_[0], atol=1e-7)


def test_lasso_path_with_offset_ends_at_statsmodels(rng):
    """Screened lasso path with an offset; its unpenalized end is statsmodels' GLM fit."""
    sm = pytest.importorskip("statsmodels.api")
    X, y, offset = binary_data(rng)
    path = _quiet_path(
        X, y, lambdas=[0.05, 0.02, 0.005, 0.0], l1_ratio=1.0, offset=offset, tol=1e-11
    )
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), offset=offset)
    ref = ref.fit(tol=1e-13)
    np.testing.assert_allclose(path.coef[-1], ref.params[1:], atol=1e-7)
    np.testing.assert_allclose(path.intercept[-1], ref.params[0], atol=1e-7)
    for lam, coef, intercept in zip([0.05, 0.02], path.coef, path.intercept, strict=False):
        model = LogisticRegression(C=1 / (lam * len(y)), l1_ratio=1.0, solver="cd", tol=1e-11)
        model.fit(X, y, offset=offset)
        np.testing.assert_allclose(coef, model.coef_[0], atol=1e-7)
        np.testing.assert_allclose(intercept, model.intercept_[0], atol=1e-7)


def test_null_model_with_offset_matches_statsmodels(rng):
    """The intercept-only fit with an offset (no closed form) is statsmodels' intercept-only
    GLM; without an intercept the null model is ``Θ = 0``."""
    sm = pytest.importorskip("statsmodels.api")
    X, y, offset = binary_data(rng)
    offset = 3 * offset  # far from the offset-free start
    weights = rng.uniform(0.5, 2.0, size=len(y))
    ref = sm.GLM(
        y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=offset, var_weights=weights
    ).fit(tol=1e-13)
    T = y[:, None].astype(float)
    init = null_init(X, T, weights, None, offset[:, None], loss=BINARY, fit_intercept=True)
    np.testing.assert_allclose(init[0, :-1], 0.0)
    np.testing.assert_allclose(init[0, -1], ref.params[0], atol=1e-10)
    no_intercept = null_init(X, T, weights, None, offset[:, None], loss=BINARY, fit_intercept=False)
    np.testing.assert_array_equal(no_intercept, 0.0)


def test_multinomial_null_model_with_offset_matches_direct_minimization(rng):
    n, K = 120, 3
    X = rng.normal(size=(n, 2))
    offset = 2 * rng.normal(size=(n, K))
    T = np.eye(K)[rng.integers(0, K, size=n)]

    def risk(b):
        return -np.mean(np.sum(T * log_softmax(b + offset, axis=1), axis=1))

    ref = scipy.optimize.minimize(risk, np.zeros(K), method="BFGS", tol=1e-12).x
    init = null_init(X, T, np.ones(n), None, offset, loss=MULTINOMIAL, fit_intercept=True)
    np.testing.assert_allclose(init[:, -1], ref - ref.mean(), atol=1e-6)
    np.testing.assert_allclose(np.sum(init[:, -1]), 0.0, atol=1e-12)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_lambda_max_with_offset_is_the_kkt_threshold(alpha, rng):
    """Just above ``λ_max`` every coefficient is zero (at it, one sits on its threshold up to
    rounding); just below it one enters. ``λ_max`` itself is the
    largest ``|Xᵀ(μ⁰ − y)|/(nα)`` at the intercept-only GLM fit with the offset (statsmodels)."""
    sm = pytest.importorskip("statsmodels.api")
    X, y, offset = binary_data(rng)
    ref = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=offset)
    mu = ref.fit(tol=1e-13).fittedvalues
    expected = np.max(np.abs(X.T @ (mu - y))) / (len(y) * alpha)
    T = y[:, None].astype(float)
    top = float(
        lambda_max(
            X, T, np.ones(len(y)), alpha, None, offset[:, None], loss=BINARY, fit_intercept=True
        )
    )
    np.testing.assert_allclose(top, expected, rtol=1e-9)
    path = _quiet_path(
        X, y, lambdas=[(1 + 1e-6) * top, 0.99 * top], l1_ratio=alpha, offset=offset, tol=1e-12
    )
    np.testing.assert_array_equal(path.coef[0], 0.0)
    assert np.count_nonzero(path.coef[1]) == 1
    default = _quiet_path(X, y, n_lambdas=3, l1_ratio=alpha, offset=offset)
    np.testing.assert_allclose(default.lambdas[0], top, rtol=1e-10)


def test_one_vs_rest_path_with_per_class_offsets(rng):
    """One-vs-rest with an ``(n, K)`` offset: class ``k``'s problem takes column ``k``."""
    n, K = 120, 3
    X = rng.normal(size=(n, 3))
    y = np.argmax(X @ rng.normal(size=(3, K)) + rng.gumbel(size=(n, K)), axis=1)
    offset = rng.normal(size=(n, K))
    lambdas = np.array([0.1, 0.01])
    path = _quiet_path(X, y, lambdas=lambdas, multi_class="ovr", offset=offset, tol=1e-10)
    for k in range(K):
        for i, lam in enumerate(lambdas):
            model = LogisticRegression(C=1 / (lam * n), tol=1e-10)
            model.fit(X, (y == k).astype(int), offset=offset[:, k])
            np.testing.assert_allclose(path.coef[i, k], model.coef_[0], atol=1e-7)
            np.testing.assert_allclose(path.intercept[i, k], model.intercept_[0], atol=1e-7)


def test_multinomial_path_with_offset_equals_estimator(rng):
    n, K = 120, 3
    X = rng.normal(size=(n, 2))
    y = rng.integers(0, K, size=n)
    offset = rng.normal(size=(n, K))
    path = _quiet_path(X, y, lambdas=[0.02], offset=offset, tol=1e-10)
    model = LogisticRegression(C=1 / (0.02 * n), tol=1e-10).fit(X, y, offset=offset)
    np.testing.assert_allclose(path.coef[0], model.coef_, atol=1e-7)
    np.testing.assert_allclose(path.intercept[0], model.intercept_, atol=1e-7)


@pytest.mark.parametrize("sparse", [False, True])
def test_standardized_path_equals_standardized_estimator(sparse, rng):
    """``standardize=True`` as ``LogisticRegression(standardize=True)`` (glmnet's convention),
    dense and sparse alike, with weights and penalty factors."""
    X, y, offset = binary_data(rng)
    weights = rng.uniform(0.5, 2.0, size=len(y))
    factors = np.array([1.0, 0.5, 2.0, 0.0])
    X_in = scipy.sparse.csr_matrix(X) if sparse else X
    lambdas = np.array([0.02, 0.005])
    path = _quiet_path(
        X_in,
        y,
        lambdas=lambdas,
        l1_ratio=0.5,
        standardize=True,
        sample_weight=weights,
        penalty_factor=factors,
        offset=offset,
        tol=1e-11,
    )
    for lam, coef, intercept in zip(lambdas, path.coef, path.intercept, strict=True):
        model = LogisticRegression(
            C=1 / (lam * weights.sum()),
            l1_ratio=0.5,
            solver="cd",
            standardize=True,
            penalty_factor=factors,
            tol=1e-11,
        ).fit(X, y, sample_weight=weights, offset=offset)
        np.testing.assert_allclose(coef, model.coef_[0], atol=1e-7)
        np.testing.assert_allclose(intercept, model.intercept_[0], atol=1e-7)


def test_standardized_lambda_max_is_that_of_the_scaled_columns(rng):
    X, y, _ = binary_data(rng)
    sigma = np.std(X, axis=0)
    scaled = _quiet_path(X / sigma, y, n_lambdas=2, l1_ratio=1.0)
    standardized = _quiet_path(X, y, n_lambdas=2, l1_ratio=1.0, standardize=True)
    np.testing.assert_allclose(standardized.lambdas, scaled.lambdas, rtol=1e-12)
    np.testing.assert_allclose(standardized.coef, scaled.coef / sigma, atol=1e-9)


def test_path_offset_shape_error(rng):
    X, y, offset = binary_data(rng, n=40)
    with pytest.raises(ValueError, match=r"offset must have shape \(40,\)"):
        jaxlogreg.regularization_path(X, y, lambdas=[0.1], offset=offset[:30])
