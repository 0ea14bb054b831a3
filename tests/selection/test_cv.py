"""Cross-validation's computation: per-sample metrics, and the model-selection rules."""

import numpy as np
import pytest

from jaxlogreg.core.targets import class_log_proba
from jaxlogreg.selection.cv import (
    CrossValidation,
    best_index,
    fold_average,
    one_standard_error_C,
    sample_metrics,
)


def test_binary_sample_metrics_equal_the_two_column_form():
    """The binary shortcut (the true class's ``log σ(±z)``, class 1 when ``z > 0``) gives what
    the two-column log-probabilities give, ties at ``z = 0`` and clipped extremes included; where
    ``log σ(z)`` and ``log σ(−z)`` round to one value (``|z|`` below ~1e-17) it predicts by the
    sign of ``z``, as ``predict`` does, not by the tie."""
    z = np.array([-800.0, -40.0, -1.5, -1e-6, 0.0, 1e-6, 0.3, 37.0, 800.0])
    Z = np.tile(z, 2)[:, None]
    y_index = np.repeat([0, 1], len(z))
    losses, correct = sample_metrics(Z, y_index, "binary")
    log_p = class_log_proba(Z, "binary")
    eps = np.finfo(float).eps
    expected = -np.clip(log_p[np.arange(len(Z)), y_index], np.log(eps), np.log1p(-eps))
    np.testing.assert_allclose(losses, expected, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(correct, np.argmax(log_p, axis=1) == y_index)
    tiny = np.array([[-1e-300], [1e-300]])
    _, correct = sample_metrics(tiny, np.array([1, 1]), "binary")
    np.testing.assert_array_equal(correct, [0.0, 1.0])


@pytest.mark.parametrize("mode", ["multinomial", "ovr"])
def test_multiclass_sample_metrics_are_the_true_class_log_loss(rng, mode):
    Z = rng.normal(size=(50, 3)) * 3
    y_index = rng.integers(0, 3, 50)
    losses, correct = sample_metrics(Z, y_index, mode)
    log_p = class_log_proba(Z, mode)
    np.testing.assert_allclose(losses, -log_p[np.arange(50), y_index], rtol=1e-14)
    np.testing.assert_array_equal(correct, np.argmax(Z, axis=1) == y_index)


# Two folds × three C × one l1_ratio; fold 0 is best at C index 2, fold 1 at C index 1.
SCORES = np.array([[[0.1], [0.5], [0.6]], [[0.2], [0.7], [0.4]]])
CS = np.array([0.1, 1.0, 10.0])


def test_the_best_mean_score_wins():
    assert best_index(SCORES) == (1, 0)  # means 0.15, 0.6, 0.5


def test_one_standard_error_rule_takes_the_smallest_c_within_one_error():
    # standard error of C index 1: std([0.5, 0.7], ddof=1)/√2 = 0.1; 0.6 − 0.1 = 0.5 ≤ mean 0.5
    assert one_standard_error_C(SCORES, CS, (1, 0)) == 1.0
    # best mean 1.0 at C index 1, its standard error 0.9: the mean 0.15 of C = 0.1 is within
    loose = np.array([[[0.1], [0.1], [0.6]], [[0.2], [1.9], [0.4]]])
    assert one_standard_error_C(loose, CS, (1, 0)) == 0.1


def test_without_refit_the_folds_own_best_fits_are_averaged():
    coef = np.arange(2 * 3 * 1 * 1 * 2, dtype=float).reshape(2, 3, 1, 1, 2)
    intercept = coef[..., 0]
    fits = CrossValidation(coef, intercept, *[None] * 6)
    W, b, C, l1_ratio = fold_average(fits, SCORES, CS, np.array([0.5]))
    np.testing.assert_array_equal(W, (coef[0, 2, 0] + coef[1, 1, 0]) / 2)
    np.testing.assert_array_equal(b, (intercept[0, 2, 0] + intercept[1, 1, 0]) / 2)
    assert C == pytest.approx(5.5)
    assert l1_ratio == 0.5
