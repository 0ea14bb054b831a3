"""Model files written by an earlier release keep loading, and predict what they predicted then."""

import json
from pathlib import Path

import numpy as np
import pytest

import jaxlogreg

MODELS = Path(__file__).parent / "fixtures" / "models"
EXPECTED = json.loads((MODELS / "expected.json").read_text())
CLASSES = {
    "logistic_binary": "LogisticRegression",
    "logistic_multinomial": "LogisticRegression",
    "logistic_ovr_l1": "LogisticRegression",
    "logistic_cv": "LogisticRegressionCV",
    "linear_regression": "LinearRegression",
    "ridge": "Ridge",
    "lasso": "Lasso",
    "elastic_net": "ElasticNet",
    "polynomial_features": "PolynomialFeatures",
}


def _probe(name: str) -> np.ndarray:
    """The first rows of the data each file was fitted on (as make_models.py builds them)."""
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.preprocessing import StandardScaler

    if name in ("linear_regression", "ridge", "lasso", "elastic_net"):
        X = load_diabetes(return_X_y=True)[0][:120, :6]
    else:
        X = load_iris(return_X_y=True)[0]
    return StandardScaler().fit_transform(X)[:7]


def test_every_fixture_is_checked():
    assert sorted(p.stem for p in MODELS.glob("*.npz")) == sorted(CLASSES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_saved_model_loads_and_predicts_as_before(name):
    model = jaxlogreg.load(MODELS / f"{name}.npz")
    assert type(model) is getattr(jaxlogreg, CLASSES[name])
    X = _probe(name)
    if name == "polynomial_features":
        got = model.transform(X)
    elif hasattr(model, "predict_proba"):
        if hasattr(model, "feature_names_in_"):
            import pandas as pd

            X = pd.DataFrame(X, columns=list(model.feature_names_in_))
        got = model.predict_proba(X)
    else:
        got = model.predict(X)
    np.testing.assert_allclose(got, np.asarray(EXPECTED[name]), rtol=1e-12, atol=1e-14)
