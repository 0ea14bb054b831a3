"""Save/load: bit-exact round trips for every estimator, clear errors for damaged or foreign
files, and a reader that works without JAX."""

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import standardized
from sklearn.datasets import load_diabetes
from sklearn.model_selection import KFold

import jaxlogreg
from jaxlogreg import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    PolynomialFeatures,
    Ridge,
)
from jaxlogreg.persistence import FORMAT_VERSION, read_model


def _iris():
    X, y = standardized("iris")
    return pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"]), np.array(["a", "b", "c"])[y]


def _diabetes(targets):
    X, y = load_diabetes(return_X_y=True)
    return X[:120, :6], (y if targets == 1 else np.column_stack([y, -y]))[:120]


CASES = {  # name -> (estimator, data)
    "binary": (lambda: LogisticRegression(C=0.5), lambda: standardized("breast_cancer", slice(8))),
    "multinomial": (
        lambda: LogisticRegression(C=2.0, class_weight={"a": 2.0, "b": 1.0, "c": 0.5}, verbose=0),
        _iris,
    ),
    "ovr": (lambda: LogisticRegression(multi_class="ovr", penalty=None), _iris),
    "cv": (lambda: LogisticRegressionCV(Cs=[0.1, 1.0], cv=3), _iris),
    "cv-splitter": (
        lambda: LogisticRegressionCV(Cs=[0.1, 1.0], cv=KFold(3, shuffle=True, random_state=0)),
        _iris,
    ),
    "linear": (LinearRegression, lambda: _diabetes(1)),
    "ridge": (lambda: Ridge(alpha=0.3), lambda: _diabetes(1)),  # shapes shared by pairs:
    "lasso": (lambda: Lasso(alpha=0.5), lambda: _diabetes(2)),  # one compilation each
    "elasticnet": (lambda: ElasticNet(alpha=0.1, l1_ratio=0.3), lambda: _diabetes(2)),
    "polynomial": (lambda: PolynomialFeatures(3), lambda: _diabetes(1)),
}


def _assert_identical(a, b, where="estimator"):
    """Same types and, for floats and arrays, the same bits."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype == object:
            for i, (x, y) in enumerate(zip(a.ravel(), b.ravel(), strict=True)):
                _assert_identical(x, y, f"{where}[{i}]")
        else:
            assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for (ka, va), kb in zip(a.items(), b, strict=True):
            _assert_identical(ka, kb, where)
            _assert_identical(va, b[kb], f"{where}[{ka!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_identical(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b), where
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), where
    else:
        assert a == b, where


def _fitted_attributes(estimator):
    return {k: v for k, v in vars(estimator).items() if k.endswith("_") and k[0] != "_"}


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_is_bit_exact(case, tmp_path):
    make, data = CASES[case]
    X, y = data()
    model = make().fit(X, y)
    model.save(tmp_path / "model.npz")
    loaded = jaxlogreg.load(tmp_path / "model.npz")
    assert type(loaded) is type(model)
    params, original = loaded.get_params(), model.get_params()
    if case == "cv-splitter":  # a new, equal splitter
        assert repr(params.pop("cv")) == repr(original.pop("cv"))
    _assert_identical(params, original, "params")
    _assert_identical(_fitted_attributes(loaded), _fitted_attributes(model), "attributes")
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    elif hasattr(model, "predict"):
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    else:
        np.testing.assert_array_equal(loaded.transform(X), model.transform(X))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved binary model, its data and the file's bytes."""
    path = tmp_path_factory.mktemp("model") / "model.npz"
    X, y = standardized("breast_cancer", slice(8))
    model = LogisticRegression(C=0.5).fit(X, y)
    model.save(path)
    return model, X, path


def _write(path, metadata, arrays):
    text = json.dumps(metadata).encode()
    np.savez(path, __metadata__=np.frombuffer(text, np.uint8), **arrays)


def test_damaged_and_foreign_files_raise_clear_errors(saved, tmp_path):
    model, _, path = saved
    data = path.read_bytes()
    bad = tmp_path / "bad.npz"

    def load_fails(content, match):
        bad.write_bytes(content)
        with pytest.raises(ValueError, match=match):
            jaxlogreg.load(bad)

    at = data.index(model.coef_.tobytes())  # flip a bit in the coefficients
    load_fails(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :], "not a readable.*CRC")
    at = data.index(b'"format_version"')  # and in the metadata
    load_fails(data[:at] + b"X" + data[at + 1 :], "not a readable.*CRC")
    load_fails(data[: len(data) // 2], "not a readable")  # truncated
    load_fails(b"", "not a readable")
    load_fails(b"coef,intercept\n1,2\n", "not a readable")
    np.save(tmp_path / "array.npy", np.ones(3))
    with pytest.raises(ValueError, match="array file, not an archive"):
        jaxlogreg.load(tmp_path / "array.npy")
    np.savez(bad, coef_=np.ones(3))
    with pytest.raises(ValueError, match="no jaxlogreg metadata"):
        jaxlogreg.load(bad)

    metadata, arrays = read_model(path)
    for change, match in [
        ({"format": "other-model"}, "not a jaxlogreg model file"),
        ({"format_version": FORMAT_VERSION + 1}, "newer jaxlogreg.*upgrade"),
        ({"format_version": 1}, "old model format 1"),
        ({"estimator": "SVC"}, "unknown estimator 'SVC'"),
        ({"params": {"C": 1.0, "no_such_param": 1}}, "not a valid LogisticRegression"),
        ({"attributes": {"coef_": {"__array__": "missing"}}}, "not a valid LogisticRegression"),
        ({"attributes": {"__class__": 1}}, "not a valid LogisticRegression"),
    ]:
        _write(bad, {**metadata, **change}, arrays)
        with pytest.raises(ValueError, match=match):
            jaxlogreg.load(bad)
    with pytest.raises(FileNotFoundError):
        jaxlogreg.load(tmp_path / "missing.npz")


def test_read_model_needs_only_numpy(saved, tmp_path):
    model, X, path = saved
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", model.decision_function(X))
    module = Path(jaxlogreg.__file__).with_name("persistence.py")
    script = textwrap.dedent(
        f"""
        import importlib.util, sys
        sys.modules["jax"] = None  # `import jax` now raises ImportError
        spec = importlib.util.spec_from_file_location("standalone", {str(module)!r})
        persistence = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(persistence)
        import numpy as np
        metadata, arrays = persistence.read_model({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        decision = (X @ arrays["coef_"].T + arrays["intercept_"]).ravel()
        assert np.array_equal(decision, np.load({str(tmp_path / "expected.npy")!r}))
        assert metadata["estimator"] == "LogisticRegression"
        assert metadata["params"]["C"] == 0.5
        assert not any(name.startswith(("jax", "jaxlogreg")) and module is not None
                       for name, module in sys.modules.items())
        try:
            import jax
        except ImportError:
            print("read without jax")
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "read without jax"


def test_unsavable_values_are_named_and_runtime_only_ones_dropped(saved, tmp_path, monkeypatch):
    model = saved[0]
    with pytest.raises(ValueError, match=r"parameter 'class_weight'.*cannot be saved"):
        broken = LogisticRegression(C=0.5)
        broken.__dict__.update(_fitted_attributes(model))
        broken.class_weight = object()
        broken.save(tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()

    splitter = KFold(3, shuffle=True, random_state=np.random.RandomState(0))
    cv = LogisticRegressionCV(cv=splitter)
    cv.__dict__.update(_fitted_attributes(model))
    with pytest.raises(ValueError, match=r"parameter 'cv'.*KFold.*RandomState"):
        cv.save(tmp_path / "x.npz")

    # A device mesh describes where a model runs: saved as None (it cannot be serialized).
    params = LogisticRegression.get_params
    monkeypatch.setattr(
        LogisticRegression,
        "get_params",
        lambda self, deep=True: {**params(self, deep), "mesh": object()},
    )
    model.save(tmp_path / "mesh.npz")
    assert read_model(tmp_path / "mesh.npz")[0]["params"]["mesh"] is None

    with pytest.raises(TypeError, match="only jaxlogreg estimators"):
        jaxlogreg.persistence.save(KFold(), tmp_path / "x.npz")
