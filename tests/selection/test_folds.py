"""Folds as weight masks."""

import numpy as np
from sklearn.model_selection import KFold

from jaxlogreg.selection.folds import masks_of_splits


def test_masks_of_splits_mark_each_folds_rows():
    splits = [(np.array([0, 2, 3]), np.array([1, 4])), (np.array([1, 4]), np.array([0]))]
    train, test = masks_of_splits(splits, 5)
    np.testing.assert_array_equal(train, [[1, 0, 1, 1, 0], [0, 1, 0, 0, 1]])
    np.testing.assert_array_equal(test, [[0, 1, 0, 0, 1], [1, 0, 0, 0, 0]])


def test_masks_of_a_kfold_partition_the_rows():
    train, test = masks_of_splits(KFold(4).split(np.zeros(10)), 10)
    assert train.shape == test.shape == (4, 10)
    np.testing.assert_array_equal(train + test, 1.0)
    np.testing.assert_array_equal(test.sum(axis=0), 1.0)
