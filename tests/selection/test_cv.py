"""Cross-validation's computation: per-sample metrics, and the model-selection rules."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import get_scorer

from jaxlogreg.core.targets import class_log_proba
from jaxlogreg.selection.cv import (
    CrossValidation,
    check_scoring,
    sample_metrics,
    scorer_scores,
    with_labels,
)
from jaxlogreg.selection.select import best_index, fold_average, one_standard_error_index


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
    assert CS[one_standard_error_index(SCORES, CS, (1, 0))[0]] == 1.0
    # best mean 1.0 at C index 1, its standard error 0.9: the mean 0.15 of C = 0.1 is within
    loose = np.array([[[0.1], [0.1], [0.6]], [[0.2], [1.9], [0.4]]])
    assert CS[one_standard_error_index(loose, CS, (1, 0))[0]] == 0.1


def test_without_refit_the_folds_own_best_fits_are_averaged():
    coef = np.arange(2 * 3 * 1 * 1 * 2, dtype=float).reshape(2, 3, 1, 1, 2)
    intercept = coef[..., 0]
    fits = CrossValidation(coef, intercept, *[None] * 6)
    W, b, C, l1_ratio = fold_average(fits, SCORES, CS, np.array([0.5]))
    np.testing.assert_array_equal(W, (coef[0, 2, 0] + coef[1, 1, 0]) / 2)
    np.testing.assert_array_equal(b, (intercept[0, 2, 0] + intercept[1, 1, 0]) / 2)
    assert C == pytest.approx(5.5)
    assert l1_ratio == 0.5


def test_check_scoring_takes_any_single_sklearn_scorer():
    assert check_scoring(None)[0] == "neg_log_loss"
    assert check_scoring("roc_auc")[0] == "roc_auc"
    name, scorer = check_scoring("balanced_accuracy")
    assert name is None and scorer._score_func.__name__ == "balanced_accuracy_score"
    assert check_scoring(len) == (None, len)
    for bad in ("no_such_score", ["accuracy"], {"a": "accuracy"}):
        with pytest.raises(ValueError, match="scoring must be None"):
            check_scoring(bad)


def test_with_labels_tells_the_scorer_every_class():
    """A validation fold with one class: the Brier score needs the labels (binary: the positive
    one) to score at all."""

    class Constant(ClassifierMixin, BaseEstimator):
        classes_ = np.array(["a", "b"])

        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

    y = np.array(["b", "b"])
    brier = get_scorer("neg_brier_score")
    with pytest.raises(ValueError):
        brier(Constant(), np.zeros((2, 1)), y)
    scorer = with_labels(brier, Constant.classes_)
    assert scorer(Constant(), np.zeros((2, 1)), y) == pytest.approx(-0.25)  # (½ − 1)²
    accuracy = get_scorer("accuracy")
    assert with_labels(accuracy, Constant.classes_) is accuracy  # takes no labels


def test_scorer_scores_calls_in_sklearns_order():
    """By fold, then ``l1_ratio``, then ``C``, each fit on its fold's validation rows."""
    coef = np.arange(2 * 3 * 2).reshape(2, 3, 2, 1, 1).astype(float)
    fits = CrossValidation(coef, coef[..., 0], np.zeros((2, 3, 2)), *[None] * 5)
    test_mask = np.array([[1, 0, 1], [0, 1, 0]])
    calls = []

    def score(W, b, rows):
        calls.append((W.item(), tuple(rows)))
        return W.item()

    scores = scorer_scores(score, fits, test_mask)
    np.testing.assert_array_equal(scores, coef[..., 0, 0])
    assert [c[0] for c in calls] == [0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11]
    assert {c[1] for c in calls[:6]} == {(0, 2)} and {c[1] for c in calls[6:]} == {(1,)}
