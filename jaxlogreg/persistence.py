"""Saving and loading fitted estimators as plain arrays plus JSON metadata (no pickle).

A model file is an uncompressed ``.npz`` archive (a zip file whose entries carry CRC-32
checksums): ``__metadata__`` is a UTF-8 JSON document and every other entry one numpy array.
The metadata holds ``format`` (``"jaxlogreg-model"``), ``format_version``, the ``estimator``
class name, its constructor ``params`` and its fitted ``attributes`` (every public attribute
ending in ``_``). Values are JSON, with tagged objects for what JSON lacks:

- ``{"__array__": key}``: an array stored under ``key`` (top-level arrays under the attribute
  name, e.g. ``coef_``), restored with its exact dtype and bits; ``"scalar": true`` marks a
  numpy scalar (a 0-d entry);
- ``{"__object_array__": [...], "shape": [...]}``: an object array of Python values (string
  class labels, feature names);
- ``{"__tuple__": [...]}``, ``{"__dict__": [[key, value], ...]}``, ``{"__float__": "nan"}``
  (non-finite floats, which JSON lacks);
- ``{"__splitter__": "KFold", "params": {...}}``: a scikit-learn cross-validation splitter
  (``LogisticRegressionCV(cv=KFold(...))``), rebuilt from ``sklearn.model_selection`` by class
  name and constructor parameters. A ``RandomState`` object as its ``random_state`` cannot be
  saved: use an int seed.

Runtime-only parameters (``RUNTIME_ONLY_PARAMS``: a ``mesh`` of devices) describe the machine,
not the model: they are saved as ``None``. Any other value that cannot be represented is an
error naming it. Floats are written with ``repr`` (shortest round-trip form) and arrays as raw
bytes, so a round trip is bit-exact.

This module imports only numpy and the standard library: ``read_model`` reads a model where
JAX is not installed (load this file on its own with ``importlib``); ``load`` also needs the
estimator classes, i.e. ``jaxlogreg`` itself.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["FORMAT_VERSION", "RUNTIME_ONLY_PARAMS", "load", "read_model", "save"]

FORMAT = "jaxlogreg-model"
FORMAT_VERSION = 2
#: Constructor parameters saved as ``None``: they describe where a model runs, not the model.
RUNTIME_ONLY_PARAMS = ("mesh",)
#: The estimators that can be saved, found by their public name in ``jaxlogreg`` (never by the
#: module that defines them, which may move).
ESTIMATORS = (
    "LogisticRegression",
    "LogisticRegressionCV",
    "LinearRegression",
    "Ridge",
    "Lasso",
    "ElasticNet",
    "PolynomialFeatures",
)
_SPLITTERS = "sklearn.model_selection"
_METADATA = "__metadata__"


class _Unsavable(TypeError):
    """A value with no representation; ``save`` names the parameter or attribute."""


def _splitter_params(splitter) -> dict:
    """Constructor parameters of a scikit-learn splitter (as its ``repr`` finds them)."""
    params = {}
    for name in inspect.signature(type(splitter).__init__).parameters:
        if name in ("self", "args", "kwargs"):
            continue
        value = getattr(splitter, name, None)
        if value is None and name in getattr(splitter, "cvargs", {}):  # Repeated*Fold
            value = splitter.cvargs[name]
        params[name] = value
    return params


def _encode(value, key: str, arrays: dict):
    """JSON form of ``value``; arrays go into ``arrays`` under keys derived from ``key``."""
    if isinstance(value, np.generic) and value.dtype != object:  # before str, float: subclasses
        arrays[key] = np.asarray(value)
        return {"__array__": key, "scalar": True}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.ndarray) and value.dtype == object:
        items = [_encode(v, f"{key}/{i}", arrays) for i, v in enumerate(value.ravel().tolist())]
        return {"__object_array__": items, "shape": list(value.shape)}
    if isinstance(value, np.ndarray) or (hasattr(value, "__array__") and hasattr(value, "dtype")):
        arrays[key] = np.asarray(value)
        return {"__array__": key}
    if isinstance(value, list | tuple):
        items = [_encode(v, f"{key}/{i}", arrays) for i, v in enumerate(value)]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict):
        return {
            "__dict__": [
                [_encode(k, f"{key}/{i}/key", arrays), _encode(v, f"{key}/{i}", arrays)]
                for i, (k, v) in enumerate(value.items())
            ]
        }
    if type(value).__module__.startswith(_SPLITTERS) and hasattr(value, "split"):
        try:
            params = {
                name: _encode(v, f"{key}/{name}", arrays)
                for name, v in _splitter_params(value).items()
            }
        except _Unsavable as error:
            raise _Unsavable(f"{type(value).__name__}: {error}") from None
        return {"__splitter__": type(value).__name__, "params": params}
    raise _Unsavable(f"a {type(value).__module__}.{type(value).__qualname__} cannot be saved")


def save(estimator, path) -> None:
    """Write a fitted jaxlogreg estimator to ``path`` (``.npz``, see the module docstring)."""
    name = type(estimator).__name__
    if name not in ESTIMATORS or type(estimator) is not _estimator_class(name):
        raise TypeError(f"cannot save a {name}: only jaxlogreg estimators ({list(ESTIMATORS)})")
    arrays: dict[str, np.ndarray] = {}
    params, attributes = {}, {}
    for what, source, target, prefix in (
        ("parameter", estimator.get_params(deep=False), params, "params/"),
        ("attribute", vars(estimator), attributes, ""),
    ):
        for key, value in source.items():
            if what == "parameter" and key in RUNTIME_ONLY_PARAMS:
                target[key] = None
                continue
            if what == "attribute" and (key.startswith("_") or not key.endswith("_")):
                continue
            try:
                target[key] = _encode(value, prefix + key, arrays)
            except _Unsavable as error:
                raise ValueError(f"cannot save {what} {key!r} of {name}: {error}") from None
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": name,
        "params": params,
        "attributes": attributes,
    }
    text = json.dumps(metadata, allow_nan=False).encode("utf-8")
    with open(Path(path), "wb") as f:
        np.savez(f, **{_METADATA: np.frombuffer(text, np.uint8)}, **arrays)


def read_model(path) -> tuple[dict, dict[str, np.ndarray]]:
    """The metadata and arrays of a model file, checked, with numpy only.

    Raises ``ValueError`` for a corrupted, truncated or foreign file, or one written in a
    newer (or older, incompatible) format. For a fitted linear model, ``arrays["coef_"]`` and
    ``arrays["intercept_"]`` (or ``metadata["attributes"]["intercept_"]``, a float for 1-D
    targets) give ``decision = X @ coef_.T + intercept_``.
    """
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a lone .npy array
            raise ValueError("an array file, not an archive")
        with archive:
            if _METADATA not in archive.files:
                raise ValueError("no jaxlogreg metadata in the archive")
            metadata = json.loads(archive[_METADATA].tobytes().decode("utf-8"))
            arrays = {key: archive[key] for key in archive.files if key != _METADATA}
    except FileNotFoundError:
        raise
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"{path} is not a readable jaxlogreg model file ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(f"{path} is not a jaxlogreg model file (its metadata has no format tag)")
    version = metadata.get("format_version")
    if not isinstance(version, int):
        raise ValueError(f"{path} is not a jaxlogreg model file (no format version)")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer jaxlogreg (model format {version}); this version "
            f"reads format {FORMAT_VERSION}: upgrade jaxlogreg to load it"
        )
    if version < FORMAT_VERSION:
        raise ValueError(
            f"{path} is in the old model format {version}; this version reads format "
            f"{FORMAT_VERSION}: refit and save the model again"
        )
    if not (
        isinstance(metadata.get("estimator"), str)
        and isinstance(metadata.get("params"), dict)
        and isinstance(metadata.get("attributes"), dict)
    ):
        raise ValueError(f"{path} is not a valid jaxlogreg model file (incomplete metadata)")
    return metadata, arrays


def _decode(value, arrays: dict):
    """Inverse of ``_encode``; ``KeyError``/``TypeError``/``ValueError`` when malformed."""
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        array = arrays[value["__array__"]]
        return array[()] if value.get("scalar") else array
    if "__object_array__" in value:
        items = [_decode(v, arrays) for v in value["__object_array__"]]
        result = np.empty(len(items), dtype=object)
        result[:] = items
        return result.reshape(value["shape"])
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["__dict__"]}
    if "__float__" in value:
        return float(value["__float__"])
    if "__splitter__" in value:
        module = importlib.import_module(_SPLITTERS)
        name = value["__splitter__"]
        splitter = getattr(module, name, None) if name in module.__all__ else None
        if not (inspect.isclass(splitter) and hasattr(splitter, "split")):
            raise ValueError(f"unknown cross-validation splitter {name!r}")
        return splitter(**{k: _decode(v, arrays) for k, v in value["params"].items()})
    raise ValueError(f"unknown value tag {sorted(value)!r}")


def _estimator_class(name: str) -> type:
    """The estimator class ``jaxlogreg.<name>``."""
    return getattr(importlib.import_module("jaxlogreg"), name)


def load(path):
    """Read an estimator written by ``save`` (or ``estimator.save(path)``).

    Raises ``ValueError`` (with the reason) for a damaged, foreign or incompatible file.
    """
    metadata, arrays = read_model(path)
    name = metadata["estimator"]
    if name not in ESTIMATORS:
        raise ValueError(f"{path} holds an unknown estimator {name!r}")
    cls = _estimator_class(name)
    try:
        params = {k: _decode(v, arrays) for k, v in metadata["params"].items()}
        attributes = {k: _decode(v, arrays) for k, v in metadata["attributes"].items()}
        estimator = cls(**params)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"{path} is not a valid {name} model file ({error!r})") from None
    for key, value in attributes.items():
        if not (key.isidentifier() and key.endswith("_") and not key.startswith("_")):
            raise ValueError(f"{path} is not a valid {name} model file (attribute {key!r})")
        setattr(estimator, key, value)
    return estimator
