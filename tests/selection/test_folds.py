"""Folds as weight masks, and the metadata routed to the splitter and the scorer."""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.metrics import get_scorer
from sklearn.model_selection import GroupKFold, KFold

from jaxlogreg import LogisticRegressionCV
from jaxlogreg.selection.folds import fold_masks, masks_of_splits, routed_metadata


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


def test_fold_masks_pass_groups_and_refuse_empty_folds():
    X, y = np.zeros((6, 1)), np.array([0, 1, 0, 1, 0, 1])
    groups = np.array([0, 0, 1, 1, 2, 2])
    ones = np.ones(6)
    train, test = fold_masks(GroupKFold(3), X, y, ones, ones, {"groups": groups})
    for f in range(3):  # each fold holds out one whole group
        assert len(set(groups[test[f] > 0])) == 1
        assert not set(groups[test[f] > 0]) & set(groups[train[f] > 0])
    with pytest.raises(ValueError, match="positive weight"):
        fold_masks(KFold(3), X, y, np.r_[0.0, 0.0, ones[2:]], ones, {})
    with pytest.raises(ValueError, match="at least 2 folds"):
        fold_masks(1, X, y, ones, ones, {})


def test_metadata_goes_where_sklearn_routes_it():
    """Without routing: ``sample_weight`` to the scorer, ``groups`` to the splitter, anything
    else an error; with routing: as the scorer's requests say."""
    owner = LogisticRegressionCV(scoring=get_scorer("accuracy"))
    weights, groups = np.ones(4), np.arange(4)
    split, score = routed_metadata(owner, "fit", {"sample_weight": weights, "groups": groups})
    assert split["groups"] is groups and score["sample_weight"] is weights
    assert routed_metadata(owner, "score", {"sample_weight": None}) == ({}, {})
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        routed_metadata(owner, "fit", {"extra": 1})
    with config_context(enable_metadata_routing=True):
        for request in (True, False):
            owner.set_params(
                scoring=get_scorer("accuracy").set_score_request(sample_weight=request)
            )
            _, score = routed_metadata(owner, "fit", {"sample_weight": weights})
            assert ("sample_weight" in score) is request
