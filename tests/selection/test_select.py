"""The model-selection rules on score tables computed by hand: scikit-learn's highest mean and
glmnet's one-standard-error rule."""

import numpy as np
import pytest

from jaxlogreg.selection.grid import check_Cs
from jaxlogreg.selection.select import (
    SELECTS,
    cv_results,
    one_standard_error_index,
    selected_indices,
    standard_error,
)

# Four folds × four C (increasing) × one l1_ratio. Mean scores: C index 0: -0.70, 1: -0.52,
# 2: -0.50 (the best), 3: -0.55. The best's sample standard deviation over the folds:
# deviations ±0.04, ±0.02 -> sd = √((2·0.0016 + 2·0.0004)/3) = √(0.004/3), se = sd/2 ≈ 0.018257.
# Threshold -0.50 - 0.018257 = -0.518257: C index 1 (mean -0.52) is just outside, index 3
# (-0.55) too, so the rule stays at the best; widen the spread and C index 1 comes in.
TABLE = np.array(
    [
        [-0.70, -0.50, -0.46, -0.60],
        [-0.68, -0.54, -0.54, -0.50],
        [-0.72, -0.50, -0.48, -0.56],
        [-0.70, -0.54, -0.52, -0.54],
    ]
)[..., None]
CS = np.array([0.01, 0.1, 1.0, 10.0])


def test_the_standard_error_is_the_sample_sd_over_root_folds():
    se = standard_error(TABLE)
    assert se[2, 0] == pytest.approx(np.sqrt(0.004 / 3) / 2, rel=1e-12)
    by_hand = [np.sqrt(np.sum((c - c.mean()) ** 2) / 3) / 2 for c in TABLE[..., 0].T]
    np.testing.assert_allclose(se[:, 0], by_hand, rtol=1e-12)
    assert standard_error(TABLE[:1]).tolist() == [[0.0]] * 4  # one fold: no spread


def test_one_standard_error_rule_on_a_hand_made_table():
    assert selected_indices(TABLE, CS) == {"min": (2, 0), "1se": (2, 0)}
    wide = TABLE.copy()
    wide[:, 2, 0] = [-0.40, -0.60, -0.42, -0.58]  # same mean -0.50, se = √(0.0328/3)/2 ≈ 0.052
    assert selected_indices(wide, CS) == {"min": (2, 0), "1se": (1, 0)}
    wide[:, 2, 0] = [-0.20, -0.80, -0.30, -0.70]  # se ≈ 0.147: C index 0 (-0.70) is not in
    assert selected_indices(wide, CS)["1se"] == (1, 0)
    wide[:, 0, 0] = -0.62  # now within: the largest penalty wins
    assert selected_indices(wide, CS)["1se"] == (0, 0)


def test_the_rule_takes_the_smallest_c_even_past_a_worse_one_and_whatever_the_order():
    """As glmnet's ``max(lambda[cvm <= cvm_min + cvsd_min])``: every ``C`` within one error
    qualifies, not only a contiguous run, and the order of ``Cs`` does not matter."""
    scores = np.array([[[-0.50], [-0.90], [-0.40]], [[-0.52], [-0.90], [-0.52]]])
    Cs = np.array([0.01, 0.1, 1.0])  # means -0.51, -0.90, -0.46; se of the best 0.06
    assert one_standard_error_index(scores, Cs, (2, 0)) == (0, 0)
    order = np.array([2, 0, 1])
    assert one_standard_error_index(scores[:, order], Cs[order], (0, 0)) == (1, 0)


def test_over_l1_ratios_only_c_moves_at_the_best_mixing():
    """The mixing is the best's; a smaller ``C`` of another mixing within one error does not
    count."""
    other = np.full_like(TABLE, -0.501)  # a second l1_ratio: every C nearly as good
    scores = np.concatenate([TABLE, other], axis=-1)
    wide = scores.copy()
    wide[:, 2, 0] = [-0.40, -0.60, -0.42, -0.58]
    assert selected_indices(wide, CS) == {"min": (2, 0), "1se": (1, 0)}


def test_the_rules_are_named_by_select_and_cv_results_show_the_error():
    assert SELECTS == tuple(selected_indices(TABLE, CS))
    fits = type("Fits", (), {})()
    fits.coef = np.zeros((4, 4, 1, 1, 2))
    fits.mean_loss = fits.mean_accuracy = np.zeros((2, 4, 4, 1))
    results = cv_results(fits, TABLE, CS, np.array([0.0]), total_weight=10.0)
    np.testing.assert_array_equal(results["se_val_score"], standard_error(TABLE))
    np.testing.assert_allclose(results["std_val_score"], TABLE.std(0), rtol=1e-15)
    np.testing.assert_allclose(results["lambda"][:, 0], 1 / (CS * 10.0), rtol=1e-15)


def test_cs_checks_name_the_fix():
    np.testing.assert_array_equal(check_Cs(3), np.logspace(-4, 4, 3))
    with pytest.raises(ValueError, match="non-empty 1-D list of C values"):
        check_Cs([])
