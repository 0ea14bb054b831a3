"""Saving and loading fitted estimators as plain arrays plus JSON metadata (no pickle).

A model file is an ``.npz`` archive: one entry per fitted array attribute and ``__metadata__``,
a JSON document with the format version, the estimator class, its parameters and, for
classifiers, the class labels. Attributes an estimator does not have (a regressor's
``classes_``, a closed-form fit's ``n_iter_``) are left out. Only numpy and the standard library
are needed to read it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["FORMAT_VERSION", "load", "save"]

FORMAT_VERSION = 1
_ARRAYS = ("coef_", "intercept_", "n_iter_", "C_", "l1_ratio_")
_SCALARS = ("n_features_in_", "solver_", "objective_", "C_1se_", "lambda_min_", "lambda_1se_")


def _json_value(value):
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {"__dict__": [[_json_value(k), _json_value(v)] for k, v in value.items()]}
    return value


def _python_value(value):
    if isinstance(value, dict) and "__dict__" in value:
        return {k: v for k, v in value["__dict__"]}
    return value


def save(estimator, path) -> None:
    """Write a fitted estimator to ``path`` (``.npz``)."""
    metadata = {
        "format": "jaxlogreg-model",
        "format_version": FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "params": {k: _json_value(v) for k, v in estimator.get_params().items()},
        "attributes": {
            k: _json_value(getattr(estimator, k)) for k in _SCALARS if hasattr(estimator, k)
        },
        "feature_names_in": (
            estimator.feature_names_in_.tolist()
            if hasattr(estimator, "feature_names_in_")
            else None
        ),
    }
    if hasattr(estimator, "classes_"):
        metadata["classes"] = estimator.classes_.tolist()
        metadata["classes_dtype"] = estimator.classes_.dtype.str
    arrays = {
        name: np.asarray(getattr(estimator, name)) for name in _ARRAYS if hasattr(estimator, name)
    }
    metadata_bytes = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    with open(Path(path), "wb") as f:
        np.savez(f, __metadata__=metadata_bytes, **arrays)


def load(path):
    """Read a model written by ``save``; a clear ``ValueError`` for anything else."""
    from . import cv, linear, logistic

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            metadata = json.loads(archive["__metadata__"].tobytes().decode())
            arrays = {name: archive[name] for name in _ARRAYS if name in archive.files}
    except FileNotFoundError:
        raise
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a readable jaxlogreg model file ({error})") from None
    if metadata.get("format") != "jaxlogreg-model":
        raise ValueError(f"{path} is not a jaxlogreg model file")
    if metadata.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer jaxlogreg (format {metadata['format_version']}); "
            f"this version reads format {FORMAT_VERSION}: upgrade jaxlogreg"
        )
    estimators = {
        "LogisticRegression": logistic.LogisticRegression,
        "LogisticRegressionCV": cv.LogisticRegressionCV,
        "LinearRegression": linear.LinearRegression,
        "Ridge": linear.Ridge,
        "Lasso": linear.Lasso,
        "ElasticNet": linear.ElasticNet,
    }
    cls = estimators.get(metadata["estimator"])
    if cls is None:
        raise ValueError(f"{path} holds an unknown estimator {metadata['estimator']!r}")
    params = {k: _python_value(v) for k, v in metadata["params"].items()}
    estimator = cls(**params)
    for name, value in arrays.items():
        setattr(estimator, name, value if value.ndim else value[()])  # 0-d: a numpy scalar
    for name, value in metadata["attributes"].items():
        setattr(estimator, name, value)
    if "classes" in metadata:
        dtype = metadata["classes_dtype"]
        dtype = np.dtype(dtype) if dtype != "|O" else object
        estimator.classes_ = np.asarray(metadata["classes"], dtype=dtype)
    if metadata["feature_names_in"] is not None:
        estimator.feature_names_in_ = np.asarray(metadata["feature_names_in"], dtype=object)
    return estimator
