"""Penalties: prox against brute-force minimization, KKT residuals, unpenalized intercept; the
penalty an estimator's ``penalty``, ``l1_ratio`` and ``C`` choose (scikit-learn 1.9's table)."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar

from jaxlogreg.penalties import (
    UNSET,
    ElasticNetPenalty,
    l1_ratio_of,
    penalty_of,
    soft_threshold,
)


def penalty(lam=0.3, l1_ratio=0.6, factors=(1.0, 2.0, 0.0)):
    return ElasticNetPenalty(jnp.asarray(lam), jnp.asarray(l1_ratio), jnp.asarray(factors))


def test_value_matches_formula():
    pen = penalty()
    coef = jnp.array([[1.0, -2.0, 5.0], [0.5, 0.0, -3.0]])
    factors = np.array([1.0, 2.0, 0.0])
    c = np.asarray(coef)
    expected = 0.3 * np.sum(factors * (0.4 / 2 * c**2 + 0.6 * np.abs(c)))
    np.testing.assert_allclose(pen.value(coef), expected, rtol=1e-14)


def test_intercept_column_is_never_penalized():
    pen = penalty()
    coef = jnp.array([[0.0, 0.0, 7.0]])
    assert float(pen.value(coef)) == 0.0
    np.testing.assert_array_equal(pen.prox_l1(coef, 10.0)[:, 2], coef[:, 2])


def test_prox_is_the_minimizer_of_the_proximal_problem():
    pen = penalty()
    step = 0.7
    for v in [-3.0, -0.1, 0.0, 0.05, 0.4, 2.5]:
        coef = jnp.full((1, 3), v)
        prox = np.asarray(pen.prox_l1(coef, step))[0]
        for j, w in enumerate(np.asarray(pen.l1_weights())):
            best = minimize_scalar(
                lambda x, w=w, v=v: 0.5 * (x - v) ** 2 + step * w * abs(x),
                bounds=(-10, 10),
                method="bounded",
                options={"xatol": 1e-12},
            ).x
            np.testing.assert_allclose(prox[j], best, atol=1e-8)


def test_kkt_residual_is_zero_exactly_at_optimality():
    pen = penalty(lam=1.0, l1_ratio=1.0, factors=(1.0, 1.0, 1.0))
    coef = jnp.array([[0.0, 2.0, -1.0]])
    # at zero: |g| <= 1 is optimal; off zero: g = -sign(coef)
    grad = jnp.array([[0.5, -1.0, 1.0]])
    np.testing.assert_allclose(pen.kkt_residual(coef, grad), [[0.0, 0.0, 0.0]])
    grad = jnp.array([[1.5, 0.0, 0.0]])
    np.testing.assert_allclose(pen.kkt_residual(coef, grad), [[0.5, 1.0, 1.0]])


def test_soft_threshold_is_the_prox_of_the_absolute_value():
    x = jnp.array([-3.0, -0.5, 0.0, 0.2, 2.0])
    np.testing.assert_array_equal(soft_threshold(x, 0.5), [-2.5, 0.0, 0.0, 0.0, 1.5])
    np.testing.assert_array_equal(soft_threshold(x, 0.0), x)
    pen = penalty()
    coef = jnp.array([[1.0, -2.0, 5.0]])
    np.testing.assert_array_equal(
        pen.prox_l1(coef, 0.7), soft_threshold(coef, 0.7 * pen.l1_weights())
    )


F, U = FutureWarning, UserWarning


@pytest.mark.parametrize(
    ("penalty", "l1_ratio", "C", "expected", "warned"),
    [
        (UNSET, 0.0, 2.0, (2.0, 0.0), []),
        (UNSET, 1, 2.0, (2.0, 1.0), []),
        (UNSET, 0.3, 2.0, (2.0, 0.3), []),
        (UNSET, None, 2.0, (2.0, 0.0), [F]),
        (UNSET, 1.0, np.inf, (np.inf, 0.0), []),
        (UNSET, 0.3, np.inf, (np.inf, 0.0), [U]),
        ("l2", 0.0, 2.0, (2.0, 0.0), [F]),
        ("l2", None, 2.0, (2.0, 0.0), [F, U]),
        ("l2", 0.3, 2.0, (2.0, 0.0), [F, U, U]),
        ("l1", 0.0, 2.0, (2.0, 1.0), [F, U]),
        ("l1", 1.0, 2.0, (2.0, 1.0), [F]),
        ("elasticnet", 0.3, 2.0, (2.0, 0.3), [F]),
        (None, 0.0, 1.0, (np.inf, 0.0), [F]),
        (None, 0.0, 2.0, (np.inf, 0.0), [F, U]),
    ],
)
def test_penalty_of_follows_scikit_learn(penalty, l1_ratio, C, expected, warned):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert penalty_of(penalty, l1_ratio, C) == expected
    assert [w.category for w in caught] == warned
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the mapping alone never warns
        alpha = l1_ratio_of(penalty, l1_ratio)
    if np.isfinite(expected[0]):  # penalized: the same mixing
        assert alpha == expected[1]


@pytest.mark.parametrize(
    ("penalty", "l1_ratio", "error", "message"),
    [
        ("elasticnet", None, ValueError, "needs l1_ratio"),
        ("l3", 0.0, ValueError, "penalty must be one of"),
        (UNSET, 1.5, ValueError, r"l1_ratio must be in \[0, 1\]"),
        (UNSET, "half", TypeError, "l1_ratio must be a number"),
    ],
)
def test_penalty_of_refuses_what_scikit_learn_refuses(penalty, l1_ratio, error, message):
    with pytest.raises(error, match=message):
        penalty_of(penalty, l1_ratio, 1.0)


def bounded(lower, upper, **kwargs):
    pen = penalty(**kwargs)
    return pen._replace(lower=jnp.asarray(lower), upper=jnp.asarray(upper))


def test_prox_with_bounds_is_the_minimizer_on_the_box():
    """Soft-thresholding then clipping minimizes ``½(x − v)² + t·w|x|`` over ``[l, u]``."""
    lower, upper = [[-0.5, 0.0, -np.inf]], [[0.2, 1.0, np.inf]]
    pen, step = bounded(lower, upper), 0.7
    for v in [-3.0, -0.4, -0.1, 0.0, 0.05, 0.4, 2.5]:
        prox = np.asarray(pen.prox_l1(jnp.full((1, 3), v), step))[0]
        for j, w in enumerate(np.asarray(pen.l1_weights())):
            best = minimize_scalar(
                lambda x, w=w, v=v: 0.5 * (x - v) ** 2 + step * w * abs(x),
                bounds=(max(lower[0][j], -10), min(upper[0][j], 10)),
                method="bounded",
                options={"xatol": 1e-12},
            ).x
            np.testing.assert_allclose(prox[j], best, atol=1e-8)


def test_kkt_residual_at_a_bound_is_the_projected_gradient():
    """A coefficient on its bound with the gradient pushing outward is optimal; pushing inward
    it is not: the residual is the inward push, plus the L1 level where the move towards zero
    also shrinks ``|Θ|`` (off zero), less it at zero."""
    pen = bounded([[-1.0, 0.0, -np.inf]], [[0.5, np.inf, np.inf]], lam=1.0, l1_ratio=0.5)
    w = np.asarray(pen.l1_weights())  # 0.5, 1.0, 0.0
    at_bounds = jnp.array([[-1.0, 0.0, 0.0]])
    outward = jnp.array([[3.0, 5.0, 0.0]])  # F decreases beyond the bound
    np.testing.assert_allclose(pen.kkt_residual(at_bounds, outward), [[0.0, 0.0, 0.0]])
    inward = jnp.array([[-3.0, -5.0, 0.0]])
    np.testing.assert_allclose(pen.kkt_residual(at_bounds, inward), [[3.0 + w[0], 5.0 - w[1], 0]])
    upper = jnp.array([[0.5, 0.0, 0.0]])
    np.testing.assert_allclose(pen.kkt_residual(upper, jnp.array([[-2.0, 0, 0]])), [[0, 0, 0]])
    np.testing.assert_allclose(pen.kkt_residual(upper, jnp.array([[2.0, 0, 0]])), [[2.5, 0, 0]])


def grouped(**kwargs):
    return penalty(**kwargs)._replace(grouped=True)


def test_grouped_value_and_block_prox():
    """``P₁ = λα Σⱼ ϖⱼ ‖Θ₍:,ⱼ₎‖₂``; its prox, block soft-thresholding, is the numerical
    minimizer of ``½‖U − V‖² + t·P₁(U)``."""
    pen, step = grouped(), 0.7
    V = np.array([[1.0, -0.2, 5.0], [0.5, 0.1, -3.0]])
    w = np.asarray(pen.l1_weights())
    np.testing.assert_allclose(
        pen.value(jnp.asarray(V)),
        0.3 * np.sum(np.array([1.0, 2.0, 0.0]) * 0.4 / 2 * V**2) + w @ np.linalg.norm(V, axis=0),
        rtol=1e-14,
    )
    prox = np.asarray(pen.prox_l1(jnp.asarray(V), step))
    for j in range(3):
        best = minimize(
            lambda u, j=j: 0.5 * np.sum((u - V[:, j]) ** 2) + step * w[j] * np.linalg.norm(u),
            V[:, j] + 0.01,
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-14},
        ).x
        np.testing.assert_allclose(prox[:, j], best, atol=1e-6)
    assert np.all(prox[:, 1] == 0)  # ‖V₍:,₁₎‖ ≈ 0.22 < t·w₁ = 0.504: the whole column drops


def test_grouped_kkt_residual():
    pen = grouped(lam=1.0, l1_ratio=1.0, factors=(1.0, 1.0, 0.0))
    coef = jnp.array([[0.0, 3.0, 1.0], [0.0, -4.0, 2.0]])
    # zero column: ‖g‖ ≤ 1 is optimal; nonzero: g = −Θ/‖Θ‖; no L1 part: g = 0
    grad = jnp.array([[0.6, -0.6, 0.0], [0.8, 0.8, 0.0]])
    np.testing.assert_allclose(pen.kkt_residual(coef, grad), np.zeros((2, 3)), atol=1e-15)
    grad = jnp.array([[1.2, 0.0, 3.0], [1.6, 0.0, 4.0]])
    np.testing.assert_allclose(pen.kkt_residual(coef, grad), [[1.0, 1.0, 5.0]] * 2)
