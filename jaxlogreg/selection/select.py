"""Model selection from cross-validation scores: which ``(C, l1_ratio)`` wins.

The validation scores ``(F, L, A)`` of ``F`` folds × ``L`` values of ``C`` × ``A`` values of
``l1_ratio`` (higher is better) are summarized over the folds by their mean ``m`` and its
standard error ``se = sd/√F`` (``sd`` the sample standard deviation over the folds, ``ddof=1``:
glmnet's ``cvsd`` with folds of equal weight). Two rules choose (``SELECTS``):

- ``"min"`` (scikit-learn's, glmnet's ``lambda.min``): the highest mean score, ``argmax m``
  (the first of equal ones, in the order of ``Cs``, as scikit-learn);
- ``"1se"`` (glmnet's ``lambda.1se``): the smallest ``C`` — the largest penalty
  ``λ = 1/(C·Σs)`` — whose mean score is within one standard error of the best,
  ``m ≥ m[best] − se[best]``, at the ``l1_ratio`` of the best: the simplest model the data
  cannot tell apart from the best one. Over a grid of ``l1_ratios`` the mixing is the best
  one's and only ``C`` moves (glmnet cross-validates ``λ`` for one ``α`` at a time).
"""

from __future__ import annotations

import numpy as np

from ..core.penalties import lam_of_C

__all__ = [
    "SELECTS",
    "best_index",
    "cv_results",
    "fold_average",
    "one_standard_error_index",
    "selected_indices",
    "standard_error",
]

#: The selection rules, by the names of ``LogisticRegressionCV(select=...)``.
SELECTS = ("min", "1se")


def best_index(scores: np.ndarray) -> tuple[int, int]:
    """The ``(C, l1_ratio)`` index of the highest mean validation score over the folds
    (``scores (F, L, A)``; the first of equal ones)."""
    mean_scores = scores.mean(axis=0)
    return np.unravel_index(np.argmax(mean_scores), mean_scores.shape)


def standard_error(scores: np.ndarray) -> np.ndarray:
    """The standard error ``(L, A)`` of the mean score over the folds, ``sd/√F`` with the sample
    standard deviation (``ddof=1``; zero for a single fold)."""
    n_folds = len(scores)
    return np.std(scores, axis=0, ddof=min(1, n_folds - 1)) / np.sqrt(n_folds)


def one_standard_error_index(
    scores: np.ndarray, Cs: np.ndarray, best: tuple[int, int]
) -> tuple[int, int]:
    """glmnet's ``lambda.1se`` rule (module docstring): the index of the smallest ``C`` at the
    ``l1_ratio`` of ``best`` whose mean score is at least ``m[best] − se[best]``; the first such
    index when ``Cs`` repeats a value. The best itself always qualifies."""
    mean_scores = scores[:, :, best[1]].mean(axis=0)
    threshold = mean_scores[best[0]] - standard_error(scores)[best]
    eligible = np.flatnonzero(mean_scores >= threshold)
    return int(eligible[np.argmin(Cs[eligible])]), int(best[1])


def selected_indices(scores: np.ndarray, Cs: np.ndarray) -> dict[str, tuple[int, int]]:
    """The ``(C, l1_ratio)`` index chosen by each rule of ``SELECTS`` (``scores (F, L, A)``)."""
    best = best_index(scores)
    return {"min": best, "1se": one_standard_error_index(scores, Cs, best)}


def fold_average(fits, scores: np.ndarray, Cs, l1_ratios):
    """scikit-learn's choice without a refit: each fold's own best ``(C, l1_ratio)`` (``scores
    (F, L, A)``), and the means over the folds of those fits' ``coef`` and ``intercept`` and of
    those ``C`` and ``l1_ratio``."""
    flat_best = np.argmax(scores.reshape(len(scores), -1), axis=1)
    best = np.unravel_index(flat_best, scores.shape[1:])
    folds = np.arange(len(scores))
    coef, intercept = fits.coef[folds, *best].mean(0), fits.intercept[folds, *best].mean(0)
    return coef, intercept, np.mean(Cs[best[0]]), np.mean(l1_ratios[best[1]])


def cv_results(
    fits, scores: np.ndarray, Cs: np.ndarray, l1_ratios: np.ndarray, total_weight
) -> dict[str, np.ndarray]:
    """Diagnostics ``(L, A)`` per ``C`` and ``l1_ratio``: the grid (``C``, ``lambda`` over all
    samples, ``l1_ratio``), the mean number of nonzero weights, the mean, the standard deviation
    (``ddof=0``, as scikit-learn's search results) and the standard error of the mean
    (``standard_error``, the one of the ``"1se"`` rule) across folds of the validation score,
    and the means and standard deviations of the training and validation log-loss and
    accuracy. ``fits`` is a ``selection.cv.CrossValidation``."""
    mean_scores = scores.mean(axis=0)
    grid = np.broadcast_to(Cs[:, None], mean_scores.shape)
    results = {
        "C": grid,
        "lambda": lam_of_C(grid, total_weight),
        "l1_ratio": np.broadcast_to(l1_ratios, mean_scores.shape),
        "n_nonzero": np.count_nonzero(fits.coef, axis=(-2, -1)).mean(0),
        "mean_val_score": mean_scores,
        "std_val_score": scores.std(0),
        "se_val_score": standard_error(scores),
    }
    for name, values in (("loss", fits.mean_loss), ("accuracy", fits.mean_accuracy)):
        for split, per_fold in zip(("train", "val"), values, strict=True):
            results[f"mean_{split}_{name}"] = per_fold.mean(0)
            results[f"std_{split}_{name}"] = per_fold.std(0)
    return results
