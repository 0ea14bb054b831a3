"""``jaxlogreg.fit(offset=)``: against statsmodels and a direct minimization, its shape rules,
and implicit derivatives with respect to the offset against finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from scipy.special import logsumexp

import jaxlogreg


def binary_data(rng, n=120, p=3):
    X = rng.normal(size=(n, p))
    offset = rng.normal(size=n)
    logit = X @ np.linspace(1.0, -0.5, p) + offset + 0.2
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return X, y, offset


def test_unpenalized_offset_matches_statsmodels(rng):
    sm = pytest.importorskip("statsmodels.api")
    X, y, offset = binary_data(rng)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), offset=offset)
    ref = ref.fit(tol=1e-13)
    result = jaxlogreg.fit(X, y, lam=0.0, offset=offset, tol=1e-12)
    np.testing.assert_allclose(result.coef[0], ref.params[1:], atol=1e-8)
    np.testing.assert_allclose(result.intercept[0], ref.params[0], atol=1e-8)
    column = jaxlogreg.fit(X, y, lam=0.0, offset=offset[:, None], tol=1e-12)
    np.testing.assert_allclose(column.coef, result.coef, atol=1e-12)


def test_multinomial_offset_matches_direct_minimization(rng):
    """``(n, K)`` offsets against the ridge-penalized softmax objective minimized by BFGS."""
    n, p, K, lam = 90, 2, 3, 0.05
    X = rng.normal(size=(n, p))
    offset = rng.normal(size=(n, K))
    y = rng.integers(0, K, size=n)
    T = np.eye(K)[y]

    def objective(theta):
        W, b = theta[: K * p].reshape(K, p), theta[K * p :]
        Z = X @ W.T + b + offset
        return np.mean(logsumexp(Z, axis=1) - np.sum(T * Z, axis=1)) + lam / 2 * np.sum(W**2)

    ref = scipy.optimize.minimize(objective, np.zeros(K * (p + 1)), method="BFGS", tol=1e-12)
    result = jaxlogreg.fit(X, T, lam=lam, loss="multinomial", offset=offset, tol=1e-12)
    W_ref = ref.x[: K * p].reshape(K, p)
    np.testing.assert_allclose(result.coef, W_ref, atol=1e-5)
    b_ref = ref.x[K * p :]
    np.testing.assert_allclose(result.intercept, b_ref - b_ref.mean(), atol=1e-5)


def test_offset_shape_errors(rng):
    X, y, offset = binary_data(rng, n=20)
    with pytest.raises(ValueError, match=r"offset must have shape \(20,\) or \(20, 1\)"):
        jaxlogreg.fit(X, y, lam=0.1, offset=offset[:10])
    with pytest.raises(ValueError, match="finite"):
        jaxlogreg.fit(X, y, lam=0.1, offset=np.full(20, np.nan))
    T = np.eye(3)[rng.integers(0, 3, size=20)]
    with pytest.raises(ValueError, match=r"one column per class, shape \(20, 3\)"):
        jaxlogreg.fit(X, T, lam=0.1, loss="multinomial", offset=offset)


def _central_difference(f, x, direction, h=1e-5):
    return (f(x + h * direction) - f(x - h * direction)) / (2 * h)


@pytest.mark.parametrize(("l1_ratio", "solver"), [(0.0, "newton"), (1.0, "cd")])
def test_grad_wrt_offset_matches_finite_differences(l1_ratio, solver, rng):
    """``jax.grad`` through the implicit derivative of the solution in the offset: ridge, and a
    lasso whose support does not change within the step."""
    X, y, offset = binary_data(rng, n=80, p=4)
    weights = rng.normal(size=(1, 4))

    def f(o):
        result = jaxlogreg.fit(
            X, y, lam=0.02, l1_ratio=l1_ratio, offset=o, solver=solver, tol=1e-13, max_iter=500
        )
        return jnp.sum(weights * result.coef) + 0.7 * result.intercept[0]

    grad = np.asarray(jax.grad(f)(jnp.asarray(offset)))
    assert np.any(np.abs(grad) > 1e-4)
    for direction in (np.eye(80)[3], np.eye(80)[41], rng.normal(size=80)):
        expected = _central_difference(lambda o: float(f(o)), offset, direction)
        np.testing.assert_allclose(grad @ direction, expected, rtol=1e-5, atol=1e-8)


def test_vmap_over_offsets_equals_loop(rng):
    X, y, _ = binary_data(rng, n=60)
    offsets = rng.normal(size=(3, 60))
    batched = jax.vmap(lambda o: jaxlogreg.fit(X, y, lam=0.05, offset=o).coef)(offsets)
    for o, coef in zip(offsets, batched, strict=True):
        np.testing.assert_allclose(coef, jaxlogreg.fit(X, y, lam=0.05, offset=o).coef, atol=1e-10)
