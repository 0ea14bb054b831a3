"""A fitted ``LogisticRegression`` that adds the offsets of the rows it is scored on: how
``LogisticRegressionCV`` runs a scikit-learn scorer on a fold fit, or on itself with offsets."""

from __future__ import annotations

import numpy as np

from ..selection.cv import scorer_scores, with_labels
from .logistic import LogisticRegression

__all__ = ["FoldView", "fold_scorer_scores"]


class FoldView(LogisticRegression):
    """A fitted ``LogisticRegression`` for a scorer (a fold fit, or the model), whose decision
    values add ``rows_offset_``, the offsets of the rows it is scored on (``None``: none)."""

    def decision_function(self, X, offset=None):
        return super().decision_function(X, self.rows_offset_ if offset is None else offset)


def fold_scorer_scores(estimator, scorer, fits, X, y, classes, score_params, test, offset):
    """The validation score ``(F, L, A)`` of every fold fit of ``estimator`` (a
    ``LogisticRegressionCV``) by a scikit-learn ``scorer``, on a fitted ``LogisticRegression``
    view of the fit's coefficients (no refit) that adds the validation rows' offsets, with the
    fold's rows of ``score_params`` (its sample weights)."""
    scorer = with_labels(scorer, classes)
    view = FoldView(multi_class=estimator.multi_class, fit_intercept=estimator.fit_intercept)
    view.classes_, view.n_features_in_ = classes, X.shape[1]
    per_row = {  # per-sample metadata, cut to each fold's rows as scikit-learn does
        k: np.asarray(v) for k, v in score_params.items() if np.shape(v) == (X.shape[0],)
    }

    def score(coef, intercept, rows):
        view.coef_, view.intercept_ = coef, intercept
        view.rows_offset_ = None if offset is None else offset[rows]
        params = dict(score_params, **{k: v[rows] for k, v in per_row.items()})
        return scorer(view, X[rows], y[rows], **params)

    return scorer_scores(score, fits, test)
