"""Where a classifier's fit starts: zeros, or with ``warm_start`` the previous fit's model."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from ..core.targets import Mode, softmax_of_logit

__all__ = ["warm_start_init"]


def warm_start_init(estimator, mode: Mode, n_classes: int, n_features: int) -> np.ndarray:
    """Starting coefficients ``(K, d)`` (``(K, 1, d)`` for one-vs-rest) of ``estimator``'s fit:
    its ``coef_`` and ``intercept_`` with ``warm_start`` when their shapes match, else zeros (a
    two-class logit becomes the softmax rows ``softmax_of_logit`` for ``BINARY_SOFTMAX``)."""
    rows = {Mode.BINARY: 1, Mode.BINARY_SOFTMAX: 2}.get(mode, n_classes)
    d = n_features + int(bool(estimator.fit_intercept))
    init = np.zeros((rows, d))
    previous = getattr(estimator, "coef_", None)
    if scipy.sparse.issparse(previous):  # after sparsify()
        previous = previous.toarray()
    if estimator.warm_start and previous is not None and previous.shape[1] == n_features:
        full = np.hstack([previous, estimator.intercept_[:, None]])[:, :d]
        if mode == Mode.BINARY_SOFTMAX and len(full) == 1:
            init = softmax_of_logit(full)
        elif len(full) == rows:
            init = full
    return init[:, None, :] if mode == Mode.OVR else init
