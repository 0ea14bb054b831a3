"""Box constraints and the grouped multinomial lasso along ``regularization_path``: the path
equals single ``LogisticRegression`` fits at each ``λ``, ``λ_max`` counts only the feasible
directions (closed form at the null model), and grouped columns enter together."""

import numpy as np
import pytest
from conftest import standardized

from jaxlogreg import LogisticRegression, regularization_path

TOL = 1e-10


@pytest.fixture(scope="module")
def cancer():
    X, y = standardized("breast_cancer", slice(0, 8))
    X[:, [1, 4]] *= -1  # two columns the positive class grows with, the others shrink
    return X[:200], y[:200]


@pytest.fixture(scope="module")
def wine():
    return standardized("wine", slice(0, 6))


def single_fits(X, y, lambdas, **options):
    """``(coef, intercept)`` of ``LogisticRegression`` at each ``λ`` (``C = 1/(λn)``)."""
    fits = [
        LogisticRegression(
            C=1 / (lam * len(y)), l1_ratio=1.0, tol=TOL, max_iter=10**4, **options
        ).fit(X, y)
        for lam in lambdas
    ]
    return np.array([f.coef_ for f in fits]), np.array([f.intercept_ for f in fits])


def test_nonnegative_path_equals_single_fits_and_starts_at_feasible_lambda_max(cancer):
    X, y = cancer
    result = regularization_path(
        X, y, l1_ratio=1.0, n_lambdas=6, lambda_min_ratio=0.02, lower_bounds=0.0, tol=TOL
    )
    coef, intercept = single_fits(X, y, result.lambdas, lower_bounds=0.0)
    np.testing.assert_allclose(result.coef, coef[:, 0], atol=1e-6)
    np.testing.assert_allclose(result.intercept, intercept[:, 0], atol=1e-6)
    assert result.coef.min() >= 0.0
    # null model: mean ȳ; a coefficient can only grow, so only −G_j > 0 counts
    G = X.T @ (y.mean() - y) / len(y)
    assert G.max() > -G.min() > 0  # the unbounded λ_max would be another column's
    np.testing.assert_allclose(result.lambdas[0], -G.min(), rtol=1e-10)
    assert np.all(result.coef[0] == 0)
    below = regularization_path(
        X, y, l1_ratio=1.0, lambdas=[0.98 * -G.min()], lower_bounds=0.0, tol=TOL
    )
    entered = np.flatnonzero(below.coef[0])
    np.testing.assert_array_equal(entered, [np.argmin(G)])
    assert below.coef[0, entered[0]] > 0


def test_both_bounds_zero_keep_a_column_out(cancer):
    X, y = cancer
    lower, upper = np.full(8, -np.inf), np.full(8, np.inf)
    G = X.T @ (y.mean() - y) / len(y)
    top = np.argmax(np.abs(G))
    lower[top] = upper[top] = 0.0
    result = regularization_path(
        X, y, l1_ratio=1.0, n_lambdas=4, lower_bounds=lower, upper_bounds=upper, tol=TOL
    )
    np.testing.assert_allclose(result.lambdas[0], np.delete(np.abs(G), top).max(), rtol=1e-10)
    assert np.all(result.coef[:, top] == 0)


def test_grouped_path_equals_grouped_single_fits(wine):
    X, y = wine
    result = regularization_path(
        X, y, l1_ratio=1.0, n_lambdas=6, lambda_min_ratio=0.05, multinomial_l1="grouped", tol=TOL
    )
    coef, intercept = single_fits(X, y, result.lambdas, multinomial_l1="grouped")
    np.testing.assert_allclose(result.coef, coef, atol=1e-6)
    np.testing.assert_allclose(result.intercept, intercept, atol=1e-6)
    nonzero = result.coef != 0  # (L, K, p)
    assert np.all(nonzero.all(axis=1) | ~nonzero.any(axis=1))
    active = nonzero.all(axis=1).sum(axis=1)  # features in the model at each λ
    assert active[0] == 0 and np.any((0 < active) & (active < X.shape[1]))
    # grouped λ_max: the largest column norm of the null model's gradient
    Y = np.eye(3)[np.unique(y, return_inverse=True)[1]]
    G = X.T @ (Y.mean(axis=0) - Y) / len(y)  # (p, K)
    np.testing.assert_allclose(result.lambdas[0], np.linalg.norm(G, axis=1).max(), rtol=1e-10)
    assert np.all(result.coef[0] == 0)


def test_one_vs_rest_path_takes_each_class_row(wine):
    X, y = wine
    upper = np.where(np.arange(6) % 2 == 0, 0.0, np.inf) * np.ones((3, 1))
    upper[1] = np.inf
    options = dict(lower_bounds=-0.5, upper_bounds=upper, multi_class="ovr")
    result = regularization_path(X, y, l1_ratio=1.0, n_lambdas=4, tol=TOL, **options)
    coef, _ = single_fits(X, y, result.lambdas, **options)
    np.testing.assert_allclose(result.coef, coef, atol=1e-6)
    assert result.coef.min() >= -0.5 - 1e-12
    assert np.all(result.coef <= upper + 1e-12)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (dict(lower_bounds=0.0, solver="lbfgs"), "solver='prox' or solver='cd'"),
        (dict(lower_bounds=0.0, solver="newton", l1_ratio=0.0), "solver='lbfgs'"),
        (dict(multinomial_l1="grouped"), "multinomial"),
        (dict(lower_bounds=0.5), "lower_bounds must be <= 0"),
        (dict(lower_bounds=0.0, multi_class="multinomial"), "multi_class='auto'"),
    ],
)
def test_bad_constraints_name_the_fix(cancer, options, match):
    X, y = cancer
    with pytest.raises(ValueError, match=match):
        regularization_path(X, y, n_lambdas=2, **{"l1_ratio": 1.0, **options})
