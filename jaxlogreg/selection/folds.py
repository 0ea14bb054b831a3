"""Folds as weight masks: every fold of a cross-validation is the same problem with 0/1 weights,
so all folds share one compiled program and one ``vmap``."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["masks_of_splits"]


def masks_of_splits(splits: Iterable, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 training and held-out masks ``(n_folds, n)`` of ``(train_index, test_index)`` pairs."""
    splits = list(splits)
    train = np.zeros((len(splits), n_samples))
    test = np.zeros((len(splits), n_samples))
    for f, (train_index, test_index) in enumerate(splits):
        train[f, train_index] = 1.0
        test[f, test_index] = 1.0
    return train, test
