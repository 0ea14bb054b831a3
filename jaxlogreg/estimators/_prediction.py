"""The predictions of a fitted linear classifier, with an optional offset.

The decision values are ``X Wᵀ + b + o``: ``o`` is a known per-sample term (glmnet's and glum's
``offset``), ``(n,)`` for a logit (two classes) and one-vs-rest (the same in every class), or
``(n, K)`` (one column per class; a softmax of more than two classes needs it): see
``jaxlogreg.core.targets.score_offset``. A model fitted with an offset predicts new samples
with theirs; without one, ``o = 0``.
"""

from __future__ import annotations

import jax.experimental.sparse
import numpy as np
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.metrics import accuracy_score

from .._validation import as_sparse_csr
from ..core.targets import choose_mode, class_log_proba, score_offset

__all__ = ["OffsetClassifierMixin"]


class OffsetClassifierMixin(LinearClassifierMixin):
    """``decision_function``, ``predict``, ``predict_proba``, ``predict_log_proba`` and
    ``score``, each with ``offset=None``; the estimator holds ``coef_``, ``intercept_``,
    ``classes_`` and ``multi_class``."""

    def decision_function(self, X, offset=None):
        """Decision values ``X Wᵀ + b + o``: ``(n_samples,)`` for two classes, else
        ``(n_samples, n_classes)``; a sparse ``X`` (a BCOO as a CSR matrix) stays sparse.
        ``offset``: ``(n_samples,)`` or ``(n_samples, n_classes)`` (module docstring)."""
        if isinstance(X, jax.experimental.sparse.BCOO):
            X = as_sparse_csr(X)
        scores = super().decision_function(X)
        if offset is None:
            return scores
        mode = choose_mode(self.multi_class, len(self.classes_))
        offset = score_offset(offset, scores.shape[0], len(self.classes_), mode)
        return scores + (offset[:, 0] if scores.ndim == 1 else offset)

    def predict(self, X, offset=None):
        """Class labels, ``(n_samples,)``: the largest decision value's class (a positive
        logit's for two classes)."""
        if offset is None:
            return super().predict(X)
        scores = self.decision_function(X, offset)
        indices = (scores > 0).astype(np.intp) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[indices]

    def predict_proba(self, X, offset=None):
        """Class probabilities, ``(n_samples, n_classes)``."""
        return np.exp(self.predict_log_proba(X, offset))

    def predict_log_proba(self, X, offset=None):
        """Logarithms of the class probabilities, computed without overflow
        (``jaxlogreg.core.targets.class_log_proba``)."""
        scores = self.decision_function(X, offset)
        mode = choose_mode(self.multi_class, len(self.classes_))
        return class_log_proba(scores.reshape(len(scores), -1), mode)

    def score(self, X, y, sample_weight=None, offset=None):
        """Mean accuracy on ``(X, y)`` (weighted by ``sample_weight``), with ``offset``."""
        return accuracy_score(y, self.predict(X, offset), sample_weight=sample_weight)
