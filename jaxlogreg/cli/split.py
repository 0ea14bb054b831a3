"""The train/test split every job on a table fits on: split, optionally standardized, optionally
expanded into polynomial features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ..estimators.features import PolynomialFeatures
from .config import Config
from .datasets import Dataset


@dataclass(frozen=True)
class Split:
    """A dataset's training and test features and label codes (0..K-1)."""

    name: str
    feature_names: tuple[str, ...]
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def prepare_split(dataset: Dataset, config: Config) -> tuple[Any, ...]:
    """Split, optionally standardize, optionally expand into polynomial features:
    `(X_train, X_test, y_train, y_test, scaler, features, offsets)`; scaler and features may be
    None, `offsets` is `(train, test)` of the dataset's offset, or `(None, None)`.
    A sparse `X` stays sparse: standardizing divides by the standard deviations without
    centring, and polynomial features are refused."""
    data = config["data"]
    degree = config["features"]["polynomial_degree"]
    sparse = scipy.sparse.issparse(dataset.X)
    if sparse and degree > 1:
        raise ValueError(
            "features.polynomial_degree > 1 is not available for sparse data: set it to 1"
        )
    arrays = (dataset.X, dataset.y) + (() if dataset.offset is None else (dataset.offset,))
    X_train, X_test, y_train, y_test, *offsets = train_test_split(
        *arrays, test_size=data["test_size"], random_state=data["seed"], stratify=dataset.y
    )
    scaler = StandardScaler(with_mean=not sparse).fit(X_train) if data["standardize"] else None
    if scaler is not None:
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    features = PolynomialFeatures(degree).fit(X_train) if degree > 1 else None
    if features is not None:
        X_train, X_test = features.transform(X_train), features.transform(X_test)
    offsets = tuple(offsets) or (None, None)
    return X_train, X_test, y_train, y_test, scaler, features, offsets


def split_of(dataset: Dataset, config: Config) -> Split:
    """The prepared split of `dataset` (`prepare_split`) with the names of its features."""
    X_train, X_test, y_train, y_test, _, features, _ = prepare_split(dataset, config)
    names = dataset.feature_names
    if features is not None:
        names = tuple(features.get_feature_names_out(names))
    return Split(dataset.name, names, X_train, X_test, y_train, y_test)
