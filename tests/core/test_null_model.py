"""The intercept-only model: its mean and intercept zero the risk's gradient, and its
log-likelihood matches the closed forms (entropies of the weighted class shares)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import xlogy

from jaxlogreg.core.null_model import null_coef, null_log_likelihood, null_mean
from jaxlogreg.losses import BINARY, MULTINOMIAL, SQUARED


@pytest.fixture
def classes(rng):
    """Labels of three classes, their one-hot rows and positive weights."""
    y = rng.integers(0, 3, 60)
    return y, np.eye(3)[y], rng.uniform(0.5, 2.0, 60)


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL, SQUARED], ids=lambda loss: loss.name)
def test_the_null_intercept_zeroes_the_gradient_of_the_risk(classes, loss):
    _, onehot, s = classes
    T = jnp.asarray(onehot if loss is MULTINOMIAL else onehot[:, 1:])
    weights = jnp.asarray(s / s.sum())
    coef = null_coef(T, weights, 4, loss, True)
    assert coef.shape == (T.shape[1], 5) and np.all(coef[:, :4] == 0)

    def risk(b):
        return jnp.dot(weights, loss.pointwise(jnp.broadcast_to(b, T.shape), T))

    np.testing.assert_allclose(jax.grad(risk)(coef[:, -1]), 0.0, atol=1e-14)
    np.testing.assert_allclose(null_mean(T, weights, loss, True), weights @ T, rtol=1e-14)
    if loss is MULTINOMIAL:
        assert float(jnp.sum(coef[:, -1])) == pytest.approx(0.0, abs=1e-14)  # centred


def test_without_an_intercept_the_null_model_is_zero(classes):
    _, onehot, s = classes
    T = jnp.asarray(onehot)
    weights = jnp.asarray(s / s.sum())
    assert np.all(null_coef(T, weights, 4, MULTINOMIAL, False) == 0)
    np.testing.assert_allclose(null_mean(T, weights, MULTINOMIAL, False), 1 / 3, rtol=1e-14)
    np.testing.assert_allclose(null_mean(T[:, :1], weights, BINARY, False), 0.5, rtol=1e-14)


def test_null_log_likelihood_closed_forms(classes):
    y, onehot, s = classes
    total = s.sum()
    share = np.bincount(y, s, minlength=3) / total
    entropy = np.sum(xlogy(share, share))
    binary_entropy = xlogy(share, share) + xlogy(1 - share, 1 - share)
    cases = [
        (onehot, MULTINOMIAL, True, total * entropy),
        (onehot[:, 1:2], BINARY, True, total * binary_entropy[1]),
        (onehot, BINARY, True, total * np.sum(binary_entropy)),  # one-vs-rest: K binary problems
        (onehot, MULTINOMIAL, False, -total * np.log(3.0)),
        (onehot[:, 1:2], BINARY, False, -total * np.log(2.0)),
        (onehot, BINARY, False, -total * 3 * np.log(2.0)),
    ]
    for T, loss, fit_intercept, expected in cases:
        got = null_log_likelihood(jnp.asarray(T), jnp.asarray(s), loss, fit_intercept)
        assert float(got) == pytest.approx(expected, rel=1e-13)
