"""Classification targets: modes, the two-class softmax ↔ logit, class log-probabilities."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import expit, log_expit, log_softmax

from jaxlogreg.core.targets import (
    Mode,
    choose_mode,
    class_log_proba,
    encode_targets,
    logit_of_softmax,
    softmax_of_logit,
)


@pytest.mark.parametrize(
    ("multi_class", "n_classes", "mode"),
    [
        ("auto", 2, Mode.BINARY),
        ("ovr", 2, Mode.BINARY),
        ("multinomial", 2, Mode.BINARY_SOFTMAX),
        ("auto", 3, Mode.MULTINOMIAL),
        ("multinomial", 3, Mode.MULTINOMIAL),
        ("ovr", 3, Mode.OVR),
    ],
)
def test_choose_mode(multi_class, n_classes, mode):
    assert choose_mode(multi_class, n_classes) is mode
    assert mode == mode.value  # a StrEnum: equal to its string


def test_encode_targets_shapes():
    y = np.array([0, 2, 1, 2])
    assert encode_targets(y, 3, Mode.OVR)[0].shape == (3, 4, 1)
    np.testing.assert_array_equal(encode_targets(y, 3, Mode.MULTINOMIAL)[0], np.eye(3)[y])
    np.testing.assert_array_equal(encode_targets(y % 2, 2, Mode.BINARY)[0][:, 0], y % 2)


def test_the_centred_softmax_of_a_logit_gives_back_the_logit(rng):
    theta = rng.normal(size=(1, 4))
    softmax = softmax_of_logit(theta)
    np.testing.assert_array_equal(softmax.sum(axis=0), 0.0)
    coef, intercept = logit_of_softmax(softmax[:, :-1], softmax[:, -1])
    np.testing.assert_allclose(coef, theta[:, :-1], rtol=1e-15)
    np.testing.assert_allclose(intercept, theta[:, -1], rtol=1e-15)


@pytest.mark.parametrize("scale", [0.1, 5.0, 50.0])
def test_class_log_proba_against_scipy(rng, scale):
    z = rng.normal(size=40) * scale
    binary = class_log_proba(z[:, None], Mode.BINARY)
    np.testing.assert_array_equal(binary, np.stack([log_expit(-z), log_expit(z)], axis=1))
    Z = rng.normal(size=(40, 3)) * scale
    np.testing.assert_array_equal(class_log_proba(Z, Mode.MULTINOMIAL), log_softmax(Z, axis=1))
    p = expit(Z)
    np.testing.assert_allclose(
        np.exp(class_log_proba(Z, Mode.OVR)), p / p.sum(axis=1, keepdims=True), rtol=1e-13
    )


def test_one_vs_rest_probabilities_do_not_underflow_to_nan():
    """``σ(z)`` underflows to 0 for every class at ``z ≈ −800``; the log form does not."""
    log_p = class_log_proba(np.array([[-800.0, -801.0, -900.0]]), Mode.OVR)
    assert np.all(np.isfinite(log_p))
    np.testing.assert_allclose(np.exp(log_p).sum(), 1.0, rtol=1e-12)


@pytest.mark.parametrize("mode", [Mode.BINARY, Mode.MULTINOMIAL, Mode.OVR])
def test_numpy_and_jax_give_the_same_log_probabilities(rng, mode):
    Z = rng.normal(size=(2, 30, 1 if mode == Mode.BINARY else 4)) * 4
    jitted = jax.jit(class_log_proba, static_argnames=("mode", "xp"))
    ours = np.asarray(jitted(jnp.asarray(Z), mode, jnp))
    np.testing.assert_allclose(ours, class_log_proba(Z, mode), rtol=1e-14, atol=1e-15)
