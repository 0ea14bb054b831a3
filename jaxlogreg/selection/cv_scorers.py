"""The scikit-learn scorers of ``LogisticRegressionCV``: which scores the fits compute in their
own program (``SCORINGS``), and any other scorer run on a fitted view of each fold fit, told all
the classes (a validation fold may miss some)."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
from sklearn.metrics import get_scorer, get_scorer_names, make_scorer

__all__ = ["SCORINGS", "check_scoring", "scorer_scores", "with_labels"]

#: The validation scores computed with the fits, in one program (any other scorer:
#: ``scorer_scores``).
SCORINGS = ("neg_log_loss", "accuracy", "roc_auc")


def check_scoring(scoring):
    """``(name, scorer)``: ``name`` one of ``SCORINGS`` (computed with the fits) or ``None``;
    ``scorer`` the scikit-learn scorer. ``scoring`` is ``None`` (``"neg_log_loss"``), a name of
    ``sklearn.metrics.get_scorer_names()`` or a callable ``scorer(estimator, X, y)``."""
    scoring = "neg_log_loss" if scoring is None else scoring
    if isinstance(scoring, str) and scoring in get_scorer_names():
        return (scoring if scoring in SCORINGS else None), get_scorer(scoring)
    if callable(scoring):
        return None, scoring
    raise ValueError(
        "scoring must be None (the negative log-loss), a name of "
        f"sklearn.metrics.get_scorer_names() or a callable scorer(estimator, X, y); got "
        f"{scoring!r} (one score only: LogisticRegressionCV maximizes a single score)"
    )


def scorer_scores(score: Callable, fits, test_mask) -> np.ndarray:
    """The validation score ``(F, L, A)`` of every fit of ``fits`` (``selection.cv``'s
    ``CrossValidation``) by ``score(coef (K, p), intercept (K,),
    rows)``, ``rows`` the indices of the fold's validation samples: a scikit-learn scorer run
    on a fitted view of the batched coefficients, without refitting. The calls come in
    scikit-learn's order: by fold, then ``l1_ratio``, then ``C``."""
    scores = np.empty(fits.n_iter.shape)
    for f, mask in enumerate(test_mask > 0):
        rows = np.flatnonzero(mask)
        for a, c in np.ndindex(scores.shape[2], scores.shape[1]):
            scores[f, c, a] = score(fits.coef[f, c, a], fits.intercept[f, c, a], rows)
    return scores


def with_labels(scorer, classes):
    """``scorer`` told all the ``classes`` (``labels=``; binary: ``pos_label=`` the last) when
    its metric takes them, as scikit-learn's cross-validation does: a validation fold may miss
    some classes."""
    function = getattr(scorer, "_score_func", None)
    parameters = inspect.signature(function).parameters if function is not None else {}
    if "labels" not in parameters:
        return scorer
    kwargs = dict(getattr(scorer, "_kwargs", {}), labels=classes)
    if len(classes) == 2 and "pos_label" in parameters:
        kwargs["pos_label"] = classes[-1]
    return make_scorer(
        function,
        greater_is_better=scorer._sign == 1,
        response_method=scorer._response_method,
        **kwargs,
    )
