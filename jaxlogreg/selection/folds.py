"""Folds as weight masks: every fold of a cross-validation is the same problem with 0/1 weights,
so all folds share one compiled program and one ``vmap``. And the metadata of a
cross-validation (``groups`` for the splitter, ``sample_weight`` for the scorer), routed as
scikit-learn 1.9's ``LogisticRegressionCV`` routes it."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
from sklearn import get_config
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    get_routing_for_object,
    process_routing,
)

__all__ = ["fold_masks", "masks_of_splits", "metadata_router", "routed_metadata"]


def masks_of_splits(splits: Iterable, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 training and held-out masks ``(n_folds, n)`` of ``(train_index, test_index)`` pairs."""
    splits = list(splits)
    train = np.zeros((len(splits), n_samples))
    test = np.zeros((len(splits), n_samples))
    for f, (train_index, test_index) in enumerate(splits):
        train[f, train_index] = 1.0
        test[f, test_index] = 1.0
    return train, test


def fold_masks(cv, X, y, weights, class_factor, split_params) -> tuple[np.ndarray, np.ndarray]:
    """0/1 train and test masks ``(n_folds, n)`` of the splits of ``cv`` (``split_params``, e.g.
    ``groups``, go to its ``split``); every fold must train and test on samples of positive
    weight (``weights`` × ``class_factor`` for training, ``weights`` for testing). ``groups``
    given to a splitter that ignores them (``cv=5``, ``KFold``, a list of splits) is an error,
    as with metadata routing enabled: the folds would split the groups."""
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool) and cv < 2:
        raise ValueError(f"cv must be at least 2 folds, got cv={cv}")
    splitter = check_cv(cv, y, classifier=True)
    if "groups" in split_params and not get_routing_for_object(splitter).consumes(
        "split", ["groups"]
    ):
        raise ValueError(
            f"groups are ignored by cv={cv!r}, whose folds may split a group: pass a group "
            "splitter such as cv=GroupKFold(5) or cv=LeaveOneGroupOut() (a custom splitter "
            "declares __metadata_request__split = {'groups': True}), or drop groups"
        )
    splits = list(splitter.split(X, y, **split_params))
    if not splits:
        raise ValueError(f"cv={cv!r} produced no train/test split")
    train, test = masks_of_splits(splits, X.shape[0])
    fold_weight = (train * weights * class_factor).sum(axis=1)
    if np.any(fold_weight <= 0) or np.any((test * weights).sum(axis=1) <= 0):
        raise ValueError(
            "every cross-validation fold needs training and test samples of positive weight"
        )
    return train, test


def metadata_router(owner, cv, scorer) -> MetadataRouter:
    """scikit-learn's routing of a cross-validating estimator: its own requests, the splitter's
    ``split`` (from ``fit``) and the scorer (from ``fit`` and ``score``)."""
    scoring = MethodMapping().add(caller="score", callee="score").add(caller="fit", callee="score")
    return (
        MetadataRouter(owner=owner)
        .add_self_request(owner)
        .add(splitter=cv, method_mapping=MethodMapping().add(caller="fit", callee="split"))
        .add(scorer=scorer, method_mapping=scoring)
    )


def routed_metadata(owner, method: str, params: dict) -> tuple[dict, dict]:
    """``(split_params, score_params)`` of ``owner.<method>(…, **params)``: with metadata routing
    enabled, as the requests say (``process_routing``); without, ``sample_weight`` to the scorer
    (as scikit-learn) and, from ``fit``, ``groups`` to the splitter (jaxlogreg's addition);
    anything else is an error."""
    params = {key: value for key, value in params.items() if value is not None}
    if get_config()["enable_metadata_routing"]:
        routed = process_routing(owner, method, **params)
        split = routed.splitter.split if method == "fit" else {}
        return dict(split), dict(routed.scorer.score)
    known = {"sample_weight", "groups"} if method == "fit" else {"sample_weight"}
    if set(params) - known:
        raise ValueError(
            f"{type(owner).__name__}.{method} takes {sorted(known)} without metadata routing; "
            f"got {sorted(set(params) - known)}: enable it with "
            "sklearn.set_config(enable_metadata_routing=True) and set the requests"
        )
    split = {"groups": params["groups"]} if "groups" in params else {}
    score = {"sample_weight": params["sample_weight"]} if "sample_weight" in params else {}
    return split, score
