"""Hypergradient tuning: the cross-validation loss against scikit-learn fold by fold, its gradient
against central differences, tuning against a direct minimization of the CV curve, and per-feature
penalty factors that find the noise features."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from jaxlogreg.selection.tuning import (
    Folds,
    holdout,
    kfold,
    tune_penalty,
    validation_curve,
    validation_loss,
)

N, P = 150, 8
SIGNAL = 3  # the first features carry the signal, the others are noise


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, P))
    beta = np.r_[2.0, -1.5, 1.0, np.zeros(P - SIGNAL)]
    y = (X @ beta + rng.normal(size=N) > 0).astype(float)
    return X, y


@pytest.fixture(scope="module")
def folds(data):
    return kfold(*data, folds=4, seed=0)


def test_folds_are_stratified_masks_that_partition_the_rows(data, folds):
    _, y = data
    assert folds.train.shape == folds.valid.shape == (4, N)
    np.testing.assert_array_equal(folds.train + folds.valid, 1.0)
    np.testing.assert_array_equal(folds.valid.sum(axis=0), 1.0)  # each row validated once
    share = (folds.valid @ y) / folds.valid.sum(axis=1)
    assert np.ptp(share) < 0.05  # stratified: the same share of positives in every fold


def test_cv_loss_matches_scikit_learn_fold_by_fold(data, folds):
    X, y = data
    lams = np.array([3e-3, 3e-2])
    ours = validation_curve(lams, folds, tol=1e-12)
    for lam, value in zip(lams, ours, strict=True):
        losses = []
        for train, valid in zip(np.asarray(folds.train), np.asarray(folds.valid), strict=True):
            rows, held = train == 1, valid == 1
            model = LogisticRegression(C=1 / (lam * rows.sum()), tol=1e-12, max_iter=1000)
            model.fit(X[rows], y[rows])
            losses.append(log_loss(y[held], model.predict_proba(X[held])))
        assert value == pytest.approx(np.mean(losses), rel=1e-6)


def test_holdout_loss_and_its_gradient(data):
    X, y = data
    split = holdout(X[:100], y[:100], X[100:], y[100:])

    model = LogisticRegression(C=1 / (0.01 * 100), solver="newton-cholesky", tol=1e-12)
    direct = log_loss(y[100:], model.fit(X[:100], y[:100]).predict_proba(X[100:]))

    @jax.jit
    @jax.value_and_grad
    def of_split(log_lam):
        return validation_loss(log_lam, split, tol=1e-12)

    log_lam, h = jnp.log(0.01), 1e-5
    value, grad = of_split(log_lam)
    assert float(value) == pytest.approx(direct, rel=1e-8)
    finite_difference = (of_split(log_lam + h)[0] - of_split(log_lam - h)[0]) / (2 * h)
    assert float(grad) == pytest.approx(float(finite_difference), rel=1e-5)


def test_tuning_reaches_the_minimum_of_the_cv_curve(folds):
    result = tune_penalty(folds, lam=0.1, steps=40, learning_rate=0.3, tol=1e-10)
    assert result.converged.all()
    assert result.losses[0] > result.validation_loss
    # The minimizer of the CV curve by repeated grid refinement (no derivatives).
    low, high = np.log(1e-4), np.log(1.0)
    for _ in range(4):
        grid = np.linspace(low, high, 9)
        curve = validation_curve(np.exp(grid), folds, tol=1e-10)
        best = int(np.argmin(curve))
        low, high = grid[max(best - 1, 0)], grid[min(best + 1, 8)]
    # The curve is flat at its minimum (V'' ≈ 0.01 in log λ): λ within 5%, V within 1e-5.
    assert abs(np.log(result.lam) - grid[best]) <= 0.05
    assert result.validation_loss <= curve[best] * (1 + 1e-5)
    assert abs(result.grads[result.best_step]) <= 1e-3


def test_tuned_penalty_factors_single_out_the_noise_features(folds):
    scalar = tune_penalty(folds, lam=0.01, steps=40, learning_rate=0.2)
    per_feature = tune_penalty(folds, lam=0.01, steps=40, learning_rate=0.2, tune_factors=True)
    assert per_feature.penalty_factors.shape == (41, P)
    log_factors = np.log(per_feature.penalty_factor)
    assert np.mean(log_factors[SIGNAL:]) >= np.mean(log_factors[:SIGNAL]) + 2
    assert np.max(log_factors[:SIGNAL]) < np.min(log_factors[SIGNAL:])
    assert per_feature.validation_loss < scalar.validation_loss


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(lam=0.0), "lam must be > 0"),
        (dict(steps=-1), "steps must be a non-negative integer"),
        (dict(learning_rate=0.0), "learning_rate must be > 0"),
        (dict(l1_ratio=0.5, solver="newton"), "cannot handle an L1 penalty"),
        (dict(loss="multinomial"), "one-hot rows"),
    ],
)
def test_bad_settings_are_rejected(folds, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tune_penalty(folds, **kwargs)


def test_bad_folds_are_rejected(data):
    X, y = data
    with pytest.raises(TypeError, match="folds must be a Folds"):
        tune_penalty((X, y))
    with pytest.raises(ValueError, match="folds must be an integer between 2"):
        kfold(X, y, folds=1)
    assert isinstance(kfold(X, y, folds=2), Folds)
