"""LogisticRegression as a scikit-learn estimator: the protocol, labels, weights, warm starts,
warnings, errors that leave the estimator untouched, persistence."""

import warnings

import jax
import numpy as np
import pandas as pd
import pytest
from conftest import standardized
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.utils.estimator_checks import check_estimator

import jaxlogreg
from jaxlogreg import LogisticRegression
from jaxlogreg.solvers.auto import NEWTON_MAX_PARAMS


def test_check_estimator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(LogisticRegression(), on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 50


def test_string_labels_and_pandas_feature_names():
    X, y = standardized("iris")
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    model = LogisticRegression(tol=1e-8).fit(frame, names)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    assert list(model.feature_names_in_) == ["sl", "sw", "pl", "pw"]
    assert model.coef_.shape == (3, 4) and model.intercept_.shape == (3,)
    assert model.score(frame, names) > 0.95
    numeric = LogisticRegression(tol=1e-8).fit(X, y)
    np.testing.assert_allclose(model.coef_, numeric.coef_, rtol=1e-10)


def test_probabilities_are_consistent():
    X, y = standardized("wine")
    for multi_class in ("multinomial", "ovr"):
        model = LogisticRegression(multi_class=multi_class).fit(X, y)
        proba = model.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(np.log(proba), model.predict_log_proba(X), rtol=1e-10)
        np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))
        assert model.n_iter_.shape == ((3,) if multi_class == "ovr" else (1,))


def test_binary_softmax_is_the_binary_logit_with_twice_c():
    # A 2-class softmax penalizes ‖W₀‖² + ‖W₁‖² with W₀ = −W₁ at the optimum: ½‖W₁ − W₀‖²/2.
    X, y = standardized("breast_cancer")
    softmax = LogisticRegression(C=0.3, multi_class="multinomial", tol=1e-10).fit(X, y)
    logit = LogisticRegression(C=0.6, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(softmax.coef_, logit.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(softmax.intercept_, logit.intercept_, rtol=1e-8)


def test_class_weight_equals_the_matching_sample_weight():
    X, y = standardized("wine")
    weights = {0: 2.0, 1: 0.5, 2: 1.0}
    by_class = LogisticRegression(class_weight=weights, tol=1e-10).fit(X, y)
    by_sample = LogisticRegression(tol=1e-10).fit(
        X, y, sample_weight=np.array([weights[c] for c in y])
    )
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-9)
    balanced = LogisticRegression(class_weight="balanced", tol=1e-10).fit(X, y)
    reference = SkLogisticRegression(
        class_weight="balanced", solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X, y)
    np.testing.assert_allclose(balanced.coef_, reference.coef_, rtol=1e-6, atol=1e-8)


def test_duplicated_rows_equal_doubled_weights():
    X, y = standardized("breast_cancer")
    weights = np.ones(len(y))
    weights[:50] = 2.0
    weighted = LogisticRegression(tol=1e-10).fit(X, y, sample_weight=weights)
    duplicated = LogisticRegression(tol=1e-10).fit(np.vstack([X, X[:50]]), np.r_[y, y[:50]])
    np.testing.assert_allclose(weighted.coef_, duplicated.coef_, rtol=1e-9)


def test_warm_start_starts_from_the_previous_fit():
    X, y = standardized("digits")
    cold = LogisticRegression(C=0.1, solver="newton", tol=1e-10).fit(X, y)
    warm = LogisticRegression(C=0.1, solver="newton", tol=1e-10, warm_start=True)
    warm.fit(X, y)
    warm.set_params(C=0.11).fit(X, y)
    fresh = LogisticRegression(C=0.11, solver="newton", tol=1e-10).fit(X, y)
    assert warm.n_iter_[0] < fresh.n_iter_[0]
    np.testing.assert_allclose(warm.coef_, fresh.coef_, rtol=1e-6, atol=1e-8)
    assert cold.n_iter_[0] >= 3


def test_non_convergence_warns_with_what_to_change():
    X, y = standardized("breast_cancer")
    with pytest.warns(ConvergenceWarning, match=r"max_iter=2.*Increase max_iter"):
        LogisticRegression(max_iter=2).fit(X, y)


def test_auto_solver_choice():
    X, y = standardized("breast_cancer")
    assert LogisticRegression().fit(X, y).solver_ == "newton"
    assert LogisticRegression(l1_ratio=1, C=0.1).fit(X, y).solver_ == "cd"
    X, y = standardized("digits")
    assert 10 * 65 > NEWTON_MAX_PARAMS
    assert LogisticRegression().fit(X, y).solver_ == "lbfgs"


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_sparse_penalties_match_sklearn_saga(l1_ratio):
    X, y = standardized("breast_cancer")
    ours = LogisticRegression(C=0.1, l1_ratio=l1_ratio, tol=1e-10).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkLogisticRegression(
            C=0.1, l1_ratio=l1_ratio, solver="saga", tol=1e-12, max_iter=100_000
        ).fit(X, y)
    np.testing.assert_array_equal(ours.coef_ == 0, ref.coef_ == 0)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (dict(penalty="l3"), ValueError, "penalty must be one of"),
        (dict(C=-1.0), ValueError, "C must be a positive number"),
        (dict(C="big"), TypeError, "C must be a positive number"),
        (dict(tol=0.0), ValueError, "tol must be a positive"),
        (dict(max_iter=-1), ValueError, "max_iter must be a non-negative integer"),
        (dict(max_iter=1.5), ValueError, "max_iter must be a non-negative integer"),
        (dict(solver="saga"), ValueError, "solver must be one of"),
        (dict(multi_class="crammer"), ValueError, "multi_class must be one of"),
        (dict(penalty="elasticnet", l1_ratio=None), ValueError, "needs l1_ratio"),
        (dict(penalty="elasticnet", l1_ratio=2.0), ValueError, r"l1_ratio must be in \[0, 1\]"),
        (dict(l1_ratio=1, solver="lbfgs"), ValueError, "cannot handle an L1 penalty.*'cd'"),
        (dict(l1_ratio=1.5), ValueError, r"l1_ratio must be in \[0, 1\]"),
        (dict(dual=True), ValueError, "dual=True .* not available.*Use dual=False"),
        (dict(dual="no"), TypeError, "dual must be True or False"),
        (dict(intercept_scaling=0.0), ValueError, "intercept_scaling must be a positive"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, error, message):
    X, y = standardized("iris")
    with pytest.raises(error, match=message):
        LogisticRegression(**params).fit(X, y)


def test_bad_data_raises_clear_errors():
    X, y = standardized("iris")
    with pytest.raises(ValueError, match="only 1 class"):
        LogisticRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        LogisticRegression().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="sums to zero"):
        LogisticRegression().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(NotFittedError):
        LogisticRegression().predict(X)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(X[:, :3])


def test_a_failed_fit_leaves_the_estimator_as_it_was():
    X, y = standardized("iris")
    model = LogisticRegression().fit(X, y)
    before = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in vars(model).items()}
    with pytest.raises(ValueError):
        model.fit(X[:, :2], np.zeros(len(y)))
    assert vars(model).keys() == before.keys()
    for key, value in before.items():
        np.testing.assert_array_equal(getattr(model, key), value)
    unfitted = LogisticRegression()
    with pytest.raises(ValueError):
        unfitted.fit(X, np.zeros(len(y)))
    assert not hasattr(unfitted, "coef_") and not hasattr(unfitted, "n_features_in_")


def test_float32_estimator():
    X, y = standardized("breast_cancer")
    reference = LogisticRegression(tol=1e-10).fit(X, y)
    with jax.enable_x64(False):
        single = LogisticRegression(tol=1e-4).fit(X, y)
    np.testing.assert_allclose(single.coef_, reference.coef_, rtol=1e-3, atol=1e-3)
    np.testing.assert_array_equal(single.predict(X), reference.predict(X))


def test_save_load_round_trip_is_exact(tmp_path):
    X, y = standardized("iris")
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    labels = np.array(["a", "b", "c"])[y]
    class_weight = {"a": 2.0, "b": 1.0, "c": 1.0}
    model = LogisticRegression(C=0.5, class_weight=class_weight).fit(frame, labels)
    model.save(tmp_path / "model.npz")
    loaded = jaxlogreg.load(tmp_path / "model.npz")
    assert loaded.get_params() == model.get_params()
    for name in ("coef_", "intercept_", "classes_", "n_iter_", "feature_names_in_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))
    (tmp_path / "broken.npz").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a readable jaxlogreg model file"):
        jaxlogreg.load(tmp_path / "broken.npz")


def test_refitting_the_estimator_with_the_same_shapes_does_not_recompile():
    from jaxlogreg.engine.functional import solve

    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 5))
    LogisticRegression(C=1.0).fit(X, X[:, 0] > 0)
    compiled = solve._cache_size()
    X2 = rng.normal(size=(80, 5))
    LogisticRegression(C=0.3, tol=1e-6).fit(X2, X2[:, 1] > 0.2, sample_weight=np.ones(80))
    assert solve._cache_size() == compiled
