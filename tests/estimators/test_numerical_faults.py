"""Numerically hard data: every fit is finite and right (against scikit-learn), or says honestly
what went wrong (separation, bad scaling, non-convergence, overflow)."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import standardized
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import jaxlogreg
from jaxlogreg import (
    Lasso,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    NumericalError,
    PerfectSeparationWarning,
    regularization_path,
)
from jaxlogreg.inference.separation import is_separable

SEPARATION = r"maximum-likelihood estimate of the unpenalized model does not exist.*Add a penalty"


def sklearn_fit(X, y, **params):
    """scikit-learn's tightly converged fit (``penalty=None`` spelled ``C=inf``, its 1.8+ way)."""
    if "penalty" in params and params.pop("penalty") is None:
        params["C"] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SkLogisticRegression(tol=1e-12, max_iter=10_000, **params).fit(X, y)


def no_separation_warning(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        return fit()


# --- perfect separation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "target", "params"),
    [
        ("iris", "setosa", dict(penalty=None)),
        ("iris", "setosa", dict(penalty=None, solver="lbfgs")),
        ("iris", "setosa", dict(C=np.inf)),
        ("breast_cancer", None, dict(penalty=None)),
        ("iris", None, dict(penalty=None)),  # setosa separates from the rest: no multinomial MLE
        ("iris", None, dict(penalty=None, multi_class="ovr")),
    ],
)
def test_separable_data_without_penalty_warns_and_stays_finite(dataset, target, params):
    X, y = standardized(dataset)
    if target == "setosa":
        y = (y == 0).astype(int)
    with pytest.warns(PerfectSeparationWarning, match=SEPARATION):
        model = LogisticRegression(**params).fit(X, y)
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    if target == "setosa":
        np.testing.assert_array_equal(model.predict(X), y)
    # a penalty gives the MLE back: no warning
    no_separation_warning(lambda: LogisticRegression(C=1.0).fit(X, y))


def test_quasi_complete_separation_is_detected_by_the_linear_program():
    # x ≥ 0 for class 1 and x ≤ 0 for class 0, with samples of both classes at x = 0
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    x[:20] = 0.0
    y = (x > 0).astype(int)
    y[:10] = 1
    X = np.column_stack([x, rng.normal(size=200)])
    A = np.column_stack([X, np.ones(200)])
    assert is_separable(A, y, 2)
    assert not is_separable(A, rng.permutation(y), 2)
    with pytest.warns(PerfectSeparationWarning, match=SEPARATION):
        model = LogisticRegression(penalty=None).fit(X, y)
    assert np.all(np.isfinite(model.coef_))


def test_overlapping_classes_get_no_warning_and_the_unpenalized_mle():
    X, y = standardized("breast_cancer", slice(0, 2))
    assert not is_separable(np.column_stack([X, np.ones(len(X))]), y, 2)
    model = no_separation_warning(lambda: LogisticRegression(penalty=None, tol=1e-10).fit(X, y))
    reference = sklearn_fit(X, y, penalty=None)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=1e-6)


def test_a_path_ending_unpenalized_on_separable_data_warns():
    X, y = standardized("iris")
    with pytest.warns(PerfectSeparationWarning, match=SEPARATION):
        path = regularization_path(X, (y == 0).astype(int), lambdas=[0.1, 0.0], max_iter=50)
    assert np.all(np.isfinite(path.coef))


# --- collinear, constant and identical columns and rows ------------------------------------


@pytest.fixture(scope="module")
def four():
    return standardized("breast_cancer", slice(0, 4))


@pytest.mark.parametrize(
    "extra",
    ["duplicate", "collinear", "constant"],
)
def test_redundant_columns_give_the_fit_of_the_data_without_them(four, extra):
    X, y = four
    column = {
        "duplicate": X[:, 0],
        "collinear": X[:, 0] + 2.0 * X[:, 1],
        "constant": np.full(len(X), 3.0),
    }[extra]
    wide = np.column_stack([X, column])
    # unpenalized: the coefficients are not unique, the probabilities are
    model = no_separation_warning(lambda: LogisticRegression(penalty=None, tol=1e-10).fit(wide, y))
    assert np.all(np.isfinite(model.coef_))
    np.testing.assert_allclose(
        model.predict_proba(wide), sklearn_fit(X, y, penalty=None).predict_proba(X), atol=1e-8
    )
    # ridge: unique, scikit-learn's on the same data
    model = LogisticRegression(C=0.5, tol=1e-10).fit(wide, y)
    reference = sklearn_fit(wide, y, C=0.5)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-6, atol=1e-7)
    if extra == "duplicate":  # the penalty splits the weight equally
        np.testing.assert_allclose(model.coef_[0, 0], model.coef_[0, -1], rtol=1e-8)
    if extra == "constant":  # the unpenalized intercept absorbs a constant column
        np.testing.assert_allclose(model.coef_[0, -1], 0.0, atol=1e-8)


def test_all_identical_rows_give_the_class_frequency():
    X = np.tile([1.5, -2.0, 3.0], (60, 1))
    y = (np.arange(60) % 5 == 0).astype(int)  # 12 of 60 positive
    for params in (dict(C=1.0), dict(penalty=None)):
        model = no_separation_warning(lambda p=params: LogisticRegression(**p, tol=1e-10).fit(X, y))
        np.testing.assert_allclose(model.predict_proba(X[:2])[:, 1], 0.2, rtol=1e-8)
    penalized = LogisticRegression(C=1.0, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(penalized.coef_, 0.0, atol=1e-10)
    for cls in (LinearRegression, Lasso):
        ours = cls().fit(X, y.astype(float))
        np.testing.assert_allclose(ours.predict(X[:2]), 0.2, rtol=1e-10)
        np.testing.assert_allclose(ours.coef_, SkLinearRegression().fit(X, y).coef_, atol=1e-12)


def test_one_positive_in_100_000():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 2))
    y = np.zeros(100_000, int)
    y[0] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converges, no warning of any kind
        model = LogisticRegression(C=1.0, tol=1e-10).fit(X, y)
    reference = sklearn_fit(X, y, C=1.0)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=1e-6)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), rtol=1e-6)


# --- magnitudes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e30, 1e-30])
def test_extreme_feature_magnitudes_warn_and_stay_finite(four, scale):
    X, y = four
    odd = X[:200].copy()  # fewer rows: the fits below run to max_iter
    odd[:, 2] *= scale
    y = y[:200]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for fit in (
            lambda: LogisticRegression().fit(odd, y),
            lambda: Lasso(alpha=0.01, max_iter=50).fit(odd, y.astype(float)),
            lambda: regularization_path(odd, y, n_lambdas=3, max_iter=50),
        ):
            with pytest.warns(UserWarning, match=r"column 2 has magnitude .*standardize X"):
                result = fit()
            coef = getattr(result, "coef_", getattr(result, "coef", None))
            assert np.all(np.isfinite(coef))
    # the closed form is scale-free: scikit-learn's predictions
    ours = LinearRegression().fit(odd, y.astype(float))
    np.testing.assert_allclose(
        ours.predict(odd), SkLinearRegression().fit(odd, y).predict(odd), rtol=1e-6, atol=1e-8
    )


# --- non-convergence and overflow ---------------------------------------------------------


GRADIENT = r"\d\.\d{3}e[+-]\d{2}"


@pytest.mark.parametrize(
    ("fit", "message"),
    [
        (
            lambda X, y: LogisticRegression(max_iter=2).fit(X, y),
            rf"largest gradient component is {GRADIENT} > tol=0\.0001\. Increase max_iter",
        ),
        (
            lambda X, y: LogisticRegressionCV(Cs=2, cv=2, max_iter=2, refit=False).fit(X, y),
            rf"largest KKT violation is {GRADIENT}\. Increase max_iter",
        ),
        (
            lambda X, y: regularization_path(X, y, n_lambdas=2, max_iter=2),
            rf"largest KKT violation is {GRADIENT}\. Increase max_iter",
        ),
        (
            lambda X, y: Lasso(alpha=1e-3, max_iter=2).fit(X, y.astype(float)),
            rf"largest KKT violation is {GRADIENT} > tol=0\.0001\. Increase max_iter",
        ),
    ],
)
def test_non_convergence_warns_with_the_gradient_norm_and_what_to_change(four, fit, message):
    X, y = four
    with pytest.warns(ConvergenceWarning, match=message):
        fit(X, y)


def test_an_overflowing_fit_raises_and_leaves_the_estimator_unchanged(four, monkeypatch):
    X, y = four
    model = LogisticRegression().fit(X, y)
    coef = model.coef_.copy()
    solve = jaxlogreg.estimators._placement.solve

    def overflowing(*args, **kwargs):
        result = solve(*args, **kwargs)
        return result._replace(coef=result.coef * jnp.inf)

    monkeypatch.setattr(jaxlogreg.estimators._placement, "solve", overflowing)
    with pytest.raises(NumericalError, match=r"the fit overflowed.*Standardize X") as error:
        model.fit(X, y)
    assert isinstance(error.value, ValueError) and isinstance(error.value, FloatingPointError)
    np.testing.assert_array_equal(model.coef_, coef)
