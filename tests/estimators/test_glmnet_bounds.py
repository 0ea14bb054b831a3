"""Box constraints (``lower_bounds``/``upper_bounds``, glmnet's ``lower.limits``/``upper.limits``)
and the grouped multinomial lasso (``multinomial_l1="grouped"``) through ``LogisticRegression``
and ``jaxlogreg.fit``: glmnet and cvxpy (Clarabel) references, one-vs-rest rows, derivatives,
and the errors that name the fix."""

import jax
import numpy as np
import pytest
import scipy.sparse
from conftest import BOX_LOWER, BOX_UPPER, glmnet_fit, standardized
from sklearn.datasets import load_breast_cancer

import jaxlogreg

INF = np.inf
LOWER, UPPER = BOX_LOWER, BOX_UPPER


@pytest.fixture(scope="module")
def cancer():
    return standardized("breast_cancer", slice(0, 10))


@pytest.mark.parametrize(
    ("l1_ratio", "solver"),
    [(1.0, "auto"), (1.0, "prox"), (0.0, "auto"), (0.0, "prox"), (0.0, "lbfgs")],
)
def test_bounds_equal_glmnet(cancer, l1_ratio, solver):
    """``C`` is glmnet's ``λ = 1/(C·n)``; glmnet's ``standardize=False``."""
    X, y = cancer
    C = 0.4
    coef, intercept = glmnet_fit(X, y, 1 / (C * len(y)), l1_ratio)
    model = jaxlogreg.LogisticRegression(
        C=C,
        l1_ratio=l1_ratio,
        lower_bounds=LOWER,
        upper_bounds=UPPER,
        solver=solver,
        tol=1e-10,
        max_iter=1000,
    ).fit(X, y)
    np.testing.assert_allclose(model.coef_[0], coef, atol=1e-5)
    np.testing.assert_allclose(model.intercept_[0], intercept, atol=1e-5)
    assert np.sum(np.isin(coef, np.r_[LOWER, UPPER])) >= 3  # bounds that bind
    auto = "cd" if l1_ratio > 0 else "lbfgs"  # bounds on a ridge: projected quasi-Newton
    assert model.solver_ == (auto if solver == "auto" else solver)


def test_bounds_on_the_original_scale_with_standardize():
    """With ``standardize=True`` the bounds hold for ``coef_`` on the original scale, as glmnet's
    limits with its default ``standardize = TRUE``."""
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :6] / X[:, :6].mean(0)  # unequal spreads, none standardized
    lower, upper = np.array([-2.0, -INF, 0, -INF, -1.0, 0]), np.array([INF, 0.1, INF, 0, 0, INF])
    C = 0.1
    coef, intercept = glmnet_fit(
        X, y, 1 / (C * len(y)), 1.0, standardize=True, lower=lower, upper=upper
    )
    model = jaxlogreg.LogisticRegression(
        C=C, l1_ratio=1.0, lower_bounds=lower, upper_bounds=upper, standardize=True, tol=1e-10
    ).fit(X, y)
    np.testing.assert_allclose(model.coef_[0], coef, atol=1e-5)
    np.testing.assert_allclose(model.intercept_[0], intercept, atol=1e-5)


def test_one_vs_rest_takes_one_row_of_bounds_per_class():
    X, y = standardized("iris")
    lower = np.array([[-0.5] * 4, [-0.3, -INF, 0.0, -0.1], [-INF] * 4])
    upper = np.array([[1.0] * 4, [0.2] * 4, [INF, 0.0, INF, 1.5]])
    C = 0.5
    model = jaxlogreg.LogisticRegression(
        C=C, l1_ratio=0.5, lower_bounds=lower, upper_bounds=upper, multi_class="ovr", tol=1e-10
    ).fit(X, y)
    for k in range(3):
        coef, intercept = glmnet_fit(
            X, (y == k).astype(int), 1 / (C * len(y)), 0.5, lower=lower[k], upper=upper[k]
        )
        np.testing.assert_allclose(model.coef_[k], coef, atol=1e-5)
        np.testing.assert_allclose(model.intercept_[k], intercept, atol=1e-5)


def cvxpy_grouped(X, y, C, l1_ratio):
    """scikit-learn's objective with the grouped L1 part, ``C·Σℓᵢ + (1−α)/2‖W‖² +
    α Σⱼ‖W₍:,ⱼ₎‖``, by Clarabel: ``(value, W)``."""
    cp = pytest.importorskip("cvxpy")
    n, p = X.shape
    K = int(y.max()) + 1
    T = np.eye(K)[y]
    W, b = cp.Variable((K, p)), cp.Variable(K)
    Z = X @ W.T + np.ones((n, 1)) @ cp.reshape(b, (1, K), order="C")
    loss = cp.sum(cp.log_sum_exp(Z, axis=1)) - cp.sum(cp.multiply(T, Z))
    penalty = (1 - l1_ratio) / 2 * cp.sum_squares(W) + l1_ratio * cp.sum(cp.norm(W, 2, axis=0))
    problem = cp.Problem(cp.Minimize(C * loss + penalty))
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return problem.value, W.value


@pytest.mark.parametrize("solver", ["cd", "prox"])
def test_grouped_lasso_equals_cvxpy(solver):
    X, y = standardized("iris")
    C, l1_ratio = 0.05, 0.9
    value, W = cvxpy_grouped(X, y, C, l1_ratio)
    model = jaxlogreg.LogisticRegression(
        C=C, l1_ratio=l1_ratio, multinomial_l1="grouped", solver=solver, tol=1e-10, max_iter=1000
    ).fit(X, y)
    # objective_ is the glmnet-convention objective: scikit-learn's divided by C·n.
    np.testing.assert_allclose(model.objective_ * C * len(y), value, rtol=1e-6)
    np.testing.assert_allclose(model.coef_, W, atol=1e-5)
    zero = np.all(model.coef_ == 0, axis=0)
    assert zero.any() and not zero.all()
    assert np.all((model.coef_ == 0) == zero[None])  # a feature's classes all zero or none


def test_functional_fit_takes_bounds_and_groups(cancer):
    X, y = cancer
    lam = 0.005
    coef, intercept = glmnet_fit(X, y, lam, 1.0)
    result = jaxlogreg.fit(
        X, y, lam=lam, l1_ratio=1.0, solver="cd", lower_bounds=LOWER, upper_bounds=UPPER, tol=1e-10
    )
    np.testing.assert_allclose(np.asarray(result.coef)[0], coef, atol=1e-5)
    np.testing.assert_allclose(float(result.intercept[0]), intercept, atol=1e-5)
    Xi, yi = standardized("iris")
    T = np.eye(3)[yi]
    options = dict(lam=0.05, l1_ratio=0.8, loss="multinomial", multinomial_l1="grouped", tol=1e-10)
    cd, prox = (jaxlogreg.fit(Xi, T, solver=s, **options) for s in ("cd", "prox"))
    np.testing.assert_allclose(cd.coef, prox.coef, atol=1e-6)
    assert np.any(np.all(np.asarray(cd.coef) == 0, axis=0))


def test_derivatives_hold_a_bounded_coefficient_fixed(cancer):
    """``d coef / d lam`` of a bounded fit (implicit differentiation) against central finite
    differences; a coefficient on its bound has derivative zero."""
    X, y = cancer
    options = dict(l1_ratio=0.5, solver="cd", lower_bounds=LOWER, upper_bounds=UPPER, tol=1e-12)

    def coef(lam):
        return jaxlogreg.fit(X, y, lam=lam, max_iter=500, **options).coef[0]

    lam, h = 0.005, 1e-6
    derivative = np.asarray(jax.jacfwd(coef)(lam))
    difference = (np.asarray(coef(lam + h)) - np.asarray(coef(lam - h))) / (2 * h)
    np.testing.assert_allclose(derivative, difference, atol=1e-4)
    on_bound = np.isin(np.asarray(coef(lam)), np.r_[LOWER, UPPER])
    assert on_bound.any() and np.all(derivative[on_bound] == 0)


def test_errors_name_the_fix(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match=r"solver='prox', solver='cd' or solver='lbfgs'"):
        jaxlogreg.LogisticRegression(lower_bounds=0, solver="newton").fit(X, y)
    with pytest.raises(ValueError, match=r"solver='prox' or solver='cd'"):
        jaxlogreg.LogisticRegression(lower_bounds=0, solver="lbfgs", l1_ratio=0.5).fit(X, y)
    with pytest.raises(ValueError, match=r"solver='prox', solver='cd' or solver='lbfgs'"):
        jaxlogreg.fit(X, y, lam=0.1, solver="newton", upper_bounds=1.0)
    with pytest.raises(ValueError, match="multinomial"):
        jaxlogreg.LogisticRegression(multinomial_l1="grouped").fit(X, y)
    with pytest.raises(ValueError, match="multinomial"):
        jaxlogreg.fit(X, y, lam=0.1, solver="cd", multinomial_l1="grouped")
    with pytest.raises(ValueError, match="multinomial_l1 must be one of"):
        jaxlogreg.LogisticRegression(multinomial_l1="group").fit(X, y)
    with pytest.raises(ValueError, match=r"lower_bounds must be <= 0"):
        jaxlogreg.LogisticRegression(lower_bounds=0.5).fit(X, y)
    with pytest.raises(ValueError, match=r"upper_bounds must be a number, a \(10,\) vector"):
        jaxlogreg.LogisticRegression(upper_bounds=np.ones(3)).fit(X, y)
    with pytest.raises(ValueError, match="multi_class='auto'"):
        jaxlogreg.LogisticRegression(lower_bounds=0, multi_class="multinomial").fit(X, y)
    with pytest.raises(ValueError, match="working_sets=False"):
        jaxlogreg.fit(X, y, lam=0.1, l1_ratio=1.0, solver="cd", lower_bounds=0, working_sets=True)
    Xi, yi = standardized("iris")
    with pytest.raises(ValueError, match="cannot be combined"):
        jaxlogreg.LogisticRegression(multinomial_l1="grouped", lower_bounds=0).fit(Xi, yi)
    grouped = dict(loss="multinomial", solver="cd", multinomial_l1="grouped", l1_ratio=1.0)
    with pytest.raises(NotImplementedError, match="grouped"):
        jax.grad(lambda lam: jaxlogreg.fit(Xi, np.eye(3)[yi], lam=lam, **grouped).coef.sum())(0.05)


def test_sparse_x_and_save_load_keep_the_bounds(cancer, tmp_path):
    X, y = cancer
    X = np.where(np.abs(X) > 0.3, X, 0.0)
    options = dict(C=0.4, l1_ratio=1.0, lower_bounds=LOWER, upper_bounds=UPPER, tol=1e-10)
    dense = jaxlogreg.LogisticRegression(**options).fit(X, y)
    sparse = jaxlogreg.LogisticRegression(**options).fit(scipy.sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-7)
    dense.save(tmp_path / "model")
    loaded = jaxlogreg.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.lower_bounds, LOWER)
    np.testing.assert_array_equal(loaded.upper_bounds, UPPER)
    np.testing.assert_array_equal(loaded.predict_proba(X), dense.predict_proba(X))
