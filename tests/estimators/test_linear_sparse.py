"""Least-squares estimators on a sparse X: kept sparse (never densified nor centred), the same
answer as on the dense X and as scikit-learn's on the same sparse X.

References (float64): our fit on ``X.toarray()`` (1e-10), scikit-learn's LinearRegression
(lsqr, tol 1e-12: 1e-7), Ridge (sparse_cg, tol 1e-12: 1e-9), Lasso and ElasticNet (coordinate
descent, tol 1e-12: 1e-8).
"""

import contextlib

import numpy as np
import pytest
import scipy.sparse
import sklearn.linear_model as sk
from jax.experimental import sparse as jsparse

from jaxlogreg import ElasticNet, Lasso, LinearRegression, Ridge
from jaxlogreg.estimators import linear


def make_sparse(seed=0, n=300, p=40, density=0.2, n_targets=None):
    rng = np.random.default_rng(seed)
    X = scipy.sparse.random(n, p, density=density, random_state=seed, format="csr")
    X.data = rng.normal(size=X.nnz) + 1.0  # column means far from 0: centring matters
    coef = rng.normal(size=(p,) if n_targets is None else (p, n_targets))
    y = X @ coef + 3.0 + 0.1 * rng.normal(size=(n,) if n_targets is None else (n, n_targets))
    return X, y, rng.uniform(0.5, 2.0, size=n)


@contextlib.contextmanager
def no_densification(monkeypatch):
    """Every way of making a scipy.sparse matrix dense raises inside the block."""

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    with monkeypatch.context() as patch:
        for cls in (scipy.sparse.csr_matrix, scipy.sparse.csc_matrix, scipy.sparse.coo_matrix):
            patch.setattr(cls, "toarray", refuse)
            patch.setattr(cls, "todense", refuse)
        yield


CASES = [
    (LinearRegression(), sk.LinearRegression(tol=1e-12), 1e-7),
    (Ridge(alpha=2.0), sk.Ridge(alpha=2.0, solver="sparse_cg", tol=1e-12), 1e-9),
    (Lasso(alpha=0.01, tol=1e-10, max_iter=10000), sk.Lasso(0.01, tol=1e-12, max_iter=10**5), 1e-8),
    (
        ElasticNet(alpha=0.02, l1_ratio=0.3, tol=1e-10, max_iter=10000),
        sk.ElasticNet(alpha=0.02, l1_ratio=0.3, tol=1e-12, max_iter=10**5),
        1e-8,
    ),
]


@pytest.mark.parametrize(
    "ours, reference, atol", CASES, ids=["LinearRegression", "Ridge", "Lasso", "ElasticNet"]
)
def test_sparse_fit_matches_scikit_learn_and_the_dense_fit(monkeypatch, ours, reference, atol):
    X, y, weights = make_sparse()
    with no_densification(monkeypatch):
        fitted = ours.fit(X, y, sample_weight=weights)
        predictions = fitted.predict(X)
    expected = reference.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(fitted.coef_, expected.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(fitted.intercept_, expected.intercept_, rtol=0, atol=atol)
    dense = type(ours)(**ours.get_params()).fit(X.toarray(), y, sample_weight=weights)
    np.testing.assert_allclose(fitted.coef_, dense.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(predictions, dense.predict(X.toarray()), rtol=0, atol=1e-9)


@pytest.mark.parametrize("Estimator", [LinearRegression, Ridge])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_closed_form_on_sparse_x_equals_dense_multi_output(Estimator, fit_intercept):
    X, Y, weights = make_sparse(seed=1, n_targets=3)
    params = dict(fit_intercept=fit_intercept)
    sparse = Estimator(**params).fit(X.tocsc(), Y, sample_weight=weights)
    dense = Estimator(**params).fit(X.toarray(), Y, sample_weight=weights)
    assert sparse.coef_.shape == (3, 40)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=0, atol=1e-10)


def test_rank_deficient_sparse_x_gets_the_minimum_norm_solution():
    X, y, _ = make_sparse(seed=2, n=30, p=50, density=0.3)  # p > n, and a duplicated column
    X = scipy.sparse.hstack([X, X[:, :1]], format="csr")
    sparse = LinearRegression().fit(X, y)
    dense = LinearRegression().fit(X.toarray(), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(sparse.coef_[0], sparse.coef_[-1], rtol=0, atol=1e-8)
    np.testing.assert_allclose(sparse.predict(X), y, rtol=0, atol=1e-8)


@pytest.mark.parametrize("Estimator, params", [(Ridge, dict(alpha=2.0)), (LinearRegression, {})])
def test_wide_sparse_x_is_solved_iteratively(monkeypatch, Estimator, params):
    X, y, weights = make_sparse(seed=3)
    monkeypatch.setattr(linear, "MAX_GRAM_FEATURES", 10)  # 40 features: "wide"
    monkeypatch.setattr(
        linear, "sparse_normal_equations", lambda *a, **k: pytest.fail("Gram matrix built")
    )
    with no_densification(monkeypatch):
        sparse = Estimator(**params).fit(X, y, sample_weight=weights)
    dense = Estimator(**params).fit(X.toarray(), y, sample_weight=weights)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=0, atol=1e-8)


@pytest.mark.slow
def test_a_sparse_x_too_large_to_densify_is_fitted():
    """Dense, this X would take 2.4 GB : only its
    nonzeros are ever stored. Each column holds 2 of the 20,000 rows."""
    n, p = 20_000, 15_000
    rng = np.random.default_rng(4)
    rows = rng.integers(0, n, size=2 * p)
    values = rng.normal(size=2 * p)
    X = scipy.sparse.csr_matrix((values, (rows, np.repeat(np.arange(p), 2))), shape=(n, p))
    y = X @ np.where(np.arange(p) < 20, 1.0, 0.0) + 0.1 * rng.normal(size=n)
    model = Lasso(alpha=1e-3, tol=1e-9).fit(X, y)
    reference = sk.Lasso(alpha=1e-3, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-6)


def test_bcoo_input_is_kept_sparse():
    X, y, _ = make_sparse(seed=5)
    bcoo = jsparse.BCOO.from_scipy_sparse(X)
    np.testing.assert_allclose(
        Ridge(alpha=1.0).fit(bcoo, y).coef_, Ridge(alpha=1.0).fit(X, y).coef_, rtol=0, atol=1e-12
    )
