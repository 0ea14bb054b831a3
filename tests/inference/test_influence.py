"""Influence functions against refits: the up-weighting derivative against central differences of
reweighted refits, the leave-one-out estimate against exact leave-one-out refits, and the
sample-weight gradient of implicit differentiation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from jaxlogreg import fit
from jaxlogreg.inference.influence import influence
from jaxlogreg.losses import get_loss

N, P, K = 200, 4, 3
LAM = 0.02
EPS = 1e-6  # central-difference step in the up-weight ε
PROBED = np.array([0, 17, 58, 101, 160])  # training points whose up-weighting is refitted


def make_data(loss, seed=0):
    rng = np.random.default_rng(seed)
    X, X_test = rng.normal(size=(N, P)), rng.normal(size=(80, P))
    truth = rng.normal(size=(P, K))
    if loss == "binary":
        y = (X @ truth[:, 0] + rng.normal(size=N) > 0).astype(float)
        y_test = (X_test @ truth[:, 0] + rng.normal(size=80) > 0).astype(float)
    else:
        y = np.eye(K)[np.argmax(X @ truth + rng.gumbel(size=(N, K)), axis=1)]
        y_test = np.eye(K)[np.argmax(X_test @ truth + rng.gumbel(size=(80, K)), axis=1)]
    return X, y, X_test, y_test


def refit_test_losses(data, weights, lams, *, loss, l1_ratio, solver):
    """The mean test loss after refitting with each row of ``weights (B, n)`` and ``lams (B,)``."""
    X, y, X_test, y_test = data
    T_test = jnp.asarray(y_test).reshape(len(y_test), -1)

    def test_loss(w, lam):
        result = fit(
            X, y, lam=lam, l1_ratio=l1_ratio, loss=loss, sample_weight=w, solver=solver, tol=1e-12
        )
        Z = X_test @ result.coef.T + result.intercept
        return jnp.mean(get_loss(loss).pointwise(Z, T_test)), result.converged

    losses, converged = jax.jit(jax.vmap(test_loss))(jnp.asarray(weights), jnp.asarray(lams))
    assert bool(jnp.all(converged))
    return np.asarray(losses)


def upweighted(i, eps):
    """Weights and λ whose fit minimizes ``F + ε ℓᵢ``: the normalized weights ``1/n + ε eᵢ``
    sum to ``1 + ε``, which ``fit`` divides out, so ``λ`` is divided by ``1 + ε`` as well."""
    w = np.full(N, 1.0 / N)
    w[i] += eps
    return w, LAM / (1 + eps)


def test_upweight_and_leave_one_out_against_refits_binary():
    data = make_data("binary")
    result = influence(*data, lam=LAM, tol=1e-12)
    # One batch: the n leave-one-out refits, the n refits with half of one point's weight
    # removed, then ±ε up-weightings of the probed points.
    rows = [(1.0 - np.eye(N)[i], LAM) for i in range(N)]
    rows += [(1.0 - 0.5 * np.eye(N)[i], LAM) for i in range(N)]
    rows += [upweighted(i, sign * EPS) for i in PROBED for sign in (1, -1)]
    weights, lams = map(np.array, zip(*rows, strict=True))
    losses = refit_test_losses(data, weights, lams, loss="binary", l1_ratio=0.0, solver="newton")
    plus, minus = losses[2 * N :].reshape(-1, 2).T
    np.testing.assert_allclose(result.upweight[PROBED], (plus - minus) / (2 * EPS), rtol=1e-6)
    # Leaving a point out is a finite change (s̃ᵢ = 1/200): the first-order estimate
    # ΔLᵢ ≈ −s̃ᵢ(Iᵢ − Ī) is off by second-order terms, here 16% of the largest change at most,
    # and removing half the weight (estimate halved) divides that error by about four.
    estimate = np.asarray(result.leave_one_out)
    left_out = losses[:N] - float(result.test_loss)
    halved = losses[N : 2 * N] - float(result.test_loss)
    error = np.max(np.abs(estimate - left_out))
    assert error <= 0.2 * np.max(np.abs(left_out))
    assert np.corrcoef(estimate, left_out)[0, 1] >= 0.995
    assert 3.5 <= error / np.max(np.abs(estimate / 2 - halved)) <= 4.5


def test_upweight_against_refits_multinomial_elastic_net():
    data = make_data("multinomial")
    options = dict(loss="multinomial", l1_ratio=0.5, solver="cd")
    result = influence(*data, lam=LAM, tol=1e-12, **options)
    rows = [upweighted(i, sign * EPS) for i in PROBED for sign in (1, -1)]
    weights, lams = map(np.array, zip(*rows, strict=True))
    plus, minus = refit_test_losses(data, weights, lams, **options).reshape(-1, 2).T
    np.testing.assert_allclose(result.upweight[PROBED], (plus - minus) / (2 * EPS), rtol=1e-5)


def test_sample_weight_gradient_is_the_centred_influence():
    """``∂L/∂sᵢ = (Iᵢ − Ī)/Σs``: the explicit formula against implicit differentiation."""
    X, y, X_test, y_test = make_data("binary")
    weights = np.random.default_rng(3).uniform(0.5, 2.0, N)
    result = influence(X, y, X_test, y_test, lam=LAM, sample_weight=weights, tol=1e-12)

    def test_loss(w):
        fitted = fit(X, y, lam=LAM, sample_weight=w, tol=1e-12)
        z = X_test @ fitted.coef[0] + fitted.intercept[0]
        return jnp.mean(jax.nn.softplus(z) - y_test * z)

    gradient = jax.jit(jax.grad(test_loss))(jnp.asarray(weights))
    normalized = weights / weights.sum()
    centred = result.upweight - jnp.dot(normalized, result.upweight)
    np.testing.assert_allclose(gradient, centred / weights.sum(), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(result.leave_one_out, -weights * gradient, rtol=1e-8, atol=1e-14)


def test_warns_when_the_fit_did_not_converge():
    X, y, X_test, y_test = make_data("binary")
    with pytest.warns(ConvergenceWarning, match="influences assume an exact solution"):
        result = influence(X, y, X_test, y_test, lam=LAM, tol=1e-30)  # below rounding
    assert not bool(result.converged)


def test_test_set_must_match_the_training_columns():
    X, y, X_test, y_test = make_data("binary")
    with pytest.raises(ValueError, match=r"X_test .* must have 4 features"):
        influence(X, y, X_test[:, :3], y_test, lam=LAM)
