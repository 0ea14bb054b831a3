"""Bad input at every boundary (estimators, ``regularization_path``, ``fit``, CLI): a clear error
naming the argument and the fix, and an estimator that raises stays exactly as it was."""

import copy
import warnings

import jax
import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import jaxlogreg
from jaxlogreg import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    cli,
    regularization_path,
)

N, P = 30, 3
X0 = np.random.default_rng(0).normal(size=(N, P))
Y0 = (X0[:, 0] + np.random.default_rng(1).normal(size=N) > 0).astype(int)

ESTIMATORS = {
    "logistic": lambda: LogisticRegression(),
    "cv": lambda: LogisticRegressionCV(Cs=2, cv=2),
    "linear": lambda: LinearRegression(),
    "ridge": lambda: Ridge(),
    "lasso": lambda: Lasso(alpha=0.01),
    "elasticnet": lambda: ElasticNet(alpha=0.01),
}
CLASSIFIERS = ("logistic", "cv", "path")


def fit_with(name, X, y, sample_weight=None, **params):
    """Fit ``name`` (an estimator, ``"path"`` or ``"fit"``) and return its coefficients."""
    if name == "path":
        return regularization_path(X, y, n_lambdas=3, sample_weight=sample_weight, **params).coef
    if name == "fit":
        params.setdefault("lam", 0.1)
        return jaxlogreg.fit(X, y, sample_weight=sample_weight, **params).coef
    model = ESTIMATORS[name]().set_params(**params)
    return model.fit(X, y, sample_weight=sample_weight).coef_


ALL = (*ESTIMATORS, "path", "fit")


def with_nan(a, value=np.nan):
    a = np.array(a, dtype=float)
    a.flat[0] = value
    return a


# (X, y, sample_weight), the error, and a fragment of its message: the same for every fitter
BAD_DATA = {
    "nan in X": ((with_nan(X0), Y0, None), ValueError, r"X contains NaN"),
    "inf in X": ((with_nan(X0, np.inf), Y0, None), ValueError, r"X contains (NaN or )?infinity"),
    "nan in y": ((X0, with_nan(Y0), None), ValueError, r"y contains NaN"),
    "nan weight": ((X0, Y0, with_nan(np.ones(N))), ValueError, "sample_weight contains NaN"),
    "inf weight": ((X0, Y0, with_nan(np.ones(N), np.inf)), ValueError, "infinity"),
    "negative weight": ((X0, Y0, -np.ones(N)), ValueError, "sample_weight must be non-negative"),
    "zero weights": ((X0, Y0, np.zeros(N)), ValueError, "sample_weight sums to zero"),
    "weight length": (
        (X0, Y0, np.ones(N - 1)),
        ValueError,
        r"sample_weight must have shape \(30,\)",
    ),
    "len(X) != len(y)": (
        (X0, Y0[:-1], None),
        ValueError,
        r"inconsistent numbers of samples: \[30, 29\]|y of shape \(29,\) does not match X",
    ),
    "1-D X": ((X0[:, 0], Y0, None), ValueError, r"Expected 2D array|X must be 2-D"),
    "3-D X": ((X0[:, :, None], Y0, None), ValueError, r"X must be 2-D"),
    "empty X": ((X0[:0], Y0[:0], None), ValueError, r"0 sample\(s\)|X has no samples"),
    "mixed types": (
        (np.array([[1.0, "a", 2.0]] * N, dtype=object), Y0, None),
        ValueError,
        r"X must hold numbers only .*column 1 holds 'a' \(str\).*OneHotEncoder",
    ),
    "unconvertible object": (
        (np.array([[1.0, {"a": 1}, 2.0]] * N, dtype=object), Y0, None),
        TypeError,
        r"X must hold numbers only .*column 1 holds \{'a': 1\}",
    ),
}


@pytest.mark.parametrize("case", BAD_DATA)
@pytest.mark.parametrize("name", ALL)
def test_bad_data_is_a_clear_error(name, case):
    (X, y, sample_weight), error, message = BAD_DATA[case]
    with pytest.raises(error, match=message):
        fit_with(name, X, y, sample_weight)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_a_single_class_is_a_clear_error(name):
    with pytest.raises(ValueError, match="only 1 class"):
        fit_with(name, X0, np.ones(N, int))


def test_infinite_values_message_says_what_to_do():
    with pytest.raises(ValueError, match="Remove or clip the infinite values"):
        LogisticRegression().fit(with_nan(X0, np.inf), Y0)
    with pytest.raises(ValueError, match=r"reshape it, e\.g\. X\.reshape"):
        Ridge().fit(X0[:, :, None], Y0)


@pytest.mark.parametrize(
    ("name", "params", "error", "message"),
    [
        ("logistic", dict(C=0.0), ValueError, "C must be a positive number, got 0.0"),
        ("logistic", dict(C=float("nan")), ValueError, "C must be a positive number"),
        ("cv", dict(Cs=[1.0, 0.0]), ValueError, "every value of Cs must be a positive"),
        ("ridge", dict(alpha=-1.0), ValueError, "alpha must be a finite number >= 0"),
        ("lasso", dict(alpha=float("nan")), ValueError, "alpha must be a finite number >= 0"),
        ("path", dict(lambdas=[1.0, -0.1]), ValueError, "lambdas must be >= 0"),
        ("fit", dict(lam=-1.0), ValueError, "lam must be >= 0"),
        ("fit", dict(lam=float("nan")), ValueError, "lam must be >= 0 and finite"),
        (
            "logistic",
            dict(penalty="elasticnet", l1_ratio=1.5),
            ValueError,
            r"l1_ratio must be in \[0, 1\]",
        ),
        ("cv", dict(penalty="elasticnet", l1_ratios=[-0.5]), ValueError, r"l1_ratios, .*\[0, 1\]"),
        ("elasticnet", dict(l1_ratio=-0.1), ValueError, r"l1_ratio must be in \[0, 1\]"),
        ("path", dict(l1_ratio=2.0), ValueError, r"l1_ratio must be in \[0, 1\]"),
        ("fit", dict(l1_ratio=1.5), ValueError, r"l1_ratio must be in \[0, 1\]"),
        ("logistic", dict(solver="saga"), ValueError, "solver must be one of"),
        ("cv", dict(solver="saga"), ValueError, "solver must be one of"),
        ("elasticnet", dict(solver="saga"), ValueError, "solver must be one of"),
        ("path", dict(solver="saga"), ValueError, "solver must be one of"),
        ("fit", dict(solver="saga"), ValueError, "unknown solver 'saga'"),
        ("logistic", dict(penalty="l3"), ValueError, "penalty must be one of"),
        ("cv", dict(penalty=None), ValueError, "penalty must be one of"),
        ("logistic", dict(multi_class="crammer"), ValueError, "multi_class must be one of"),
        ("cv", dict(multi_class="crammer"), ValueError, "multi_class must be one of"),
        ("path", dict(multi_class="crammer"), ValueError, "multi_class must be one of"),
        ("logistic", dict(l1_ratio=1, solver="newton"), ValueError, r"cannot handle an L1.*'cd'"),
        ("cv", dict(penalty="elasticnet", l1_ratios=[0.5], solver="lbfgs"), ValueError, "L1"),
        ("elasticnet", dict(solver="newton"), ValueError, "cannot handle an L1 penalty"),
        ("path", dict(l1_ratio=1.0, solver="lbfgs"), ValueError, "cannot handle an L1 penalty"),
        ("fit", dict(l1_ratio=0.5, solver="newton"), ValueError, "cannot handle an L1 penalty"),
        ("logistic", dict(max_iter=-1), ValueError, "max_iter must be a non-negative integer"),
        ("lasso", dict(max_iter=0), ValueError, "max_iter must be a positive integer"),
        ("lasso", dict(tol=-1.0), ValueError, "tol must be a positive"),
    ],
)
def test_bad_hyperparameters_are_clear_errors(name, params, error, message):
    with pytest.raises(error, match=message):
        fit_with(name, X0, Y0, **params)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_predict_before_fit_and_with_the_wrong_number_of_features(name):
    model = ESTIMATORS[name]()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict(X0)
    model.fit(X0, Y0)
    with pytest.raises(ValueError, match=r"X has 2 features, but \w+ is expecting 3"):
        model.predict(X0[:, :2])


@pytest.mark.parametrize("name", ALL)
def test_object_float16_pandas_polars_and_sparse_inputs_give_the_float64_fit(name):
    """The same fit from every input type; sparse input stays sparse (other products, so equal
    to rounding)."""
    expected = np.asarray(fit_with(name, X0, Y0))
    inputs = {
        "object": (X0.astype(object), Y0),
        "pandas": (pd.DataFrame(X0, columns=list("abc")), pd.Series(Y0)),
        "polars": (pl.DataFrame(X0, schema=list("abc")), pl.Series(Y0)),
        "csr": (scipy.sparse.csr_matrix(X0), Y0),
        "csc array": (scipy.sparse.csc_array(X0), Y0),
    }
    for kind, (X, y) in inputs.items():
        rounding = 1e-12 if scipy.sparse.issparse(X) else 0.0
        fitted = np.asarray(fit_with(name, X, y))
        np.testing.assert_allclose(fitted, expected, rtol=0, atol=rounding, err_msg=kind)
    # float16 data is the float16-rounded float64 data, computed in float64
    half = X0.astype(np.float16)
    np.testing.assert_array_equal(
        np.asarray(fit_with(name, half, Y0)), np.asarray(fit_with(name, half.astype(float), Y0))
    )


@pytest.mark.parametrize("frame", [pd.DataFrame, pl.DataFrame])
def test_data_frames_keep_their_feature_names(frame):
    model = LogisticRegression().fit(frame({"a": X0[:, 0], "b": X0[:, 1]}), Y0)
    assert list(model.feature_names_in_) == ["a", "b"]
    with pytest.raises(ValueError, match=r"X must hold numbers only .*column 'city' holds 'Paris'"):
        LogisticRegression().fit(pd.DataFrame({"a": X0[:, 0], "city": ["Paris"] * N}), Y0)


@pytest.mark.parametrize("name", ["linear", "ridge", "lasso", "fit"])
def test_text_targets_of_a_regressor_are_a_clear_error(name):
    params = {"loss": "squared"} if name == "fit" else {}
    message = r"y must hold numbers only .*holds 'bee' \(str\).*must be numeric"
    with pytest.raises(ValueError, match=message):
        fit_with(name, X0, np.array(["ant", "bee"])[Y0], **params)


@pytest.mark.parametrize("name", ["logistic", "ridge", "path"])
def test_values_beyond_the_float32_range_are_refused_without_x64(name):
    huge = X0.copy()
    huge[3, 1] = 1e300  # finite in float64, infinite in float32
    with jax.enable_x64(False), pytest.raises(ValueError, match=r"beyond the range of float32"):
        fit_with(name, huge, Y0)


@pytest.mark.parametrize("name", ALL)
def test_sparse_input_is_never_densified(name, monkeypatch):
    """Every fitter computes on the nonzeros of a sparse X: densifying it raises here."""

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    for kind in (scipy.sparse.csr_matrix, scipy.sparse.csr_array, scipy.sparse.csc_matrix):
        monkeypatch.setattr(kind, "toarray", refuse)
        monkeypatch.setattr(kind, "todense", refuse)
    y = Y0 if name in CLASSIFIERS else Y0.astype(float)
    coef = np.asarray(fit_with(name, scipy.sparse.csr_matrix(X0), y))
    assert np.all(np.isfinite(coef))


def test_functional_fit_checks_init_and_penalty_factor_shapes():
    with pytest.raises(ValueError, match=r"init must have shape \(1, 4\)"):
        jaxlogreg.fit(X0, Y0, lam=0.1, init=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="penalty_factor must be finite and non-negative"):
        jaxlogreg.fit(X0, Y0, lam=0.1, penalty_factor=-np.ones(P))


# --- no half-fitted state -----------------------------------------------------------------


def snapshot(model):
    return copy.deepcopy(vars(model))


def assert_same_state(model, state):
    assert vars(model).keys() == state.keys()
    for key, value in state.items():
        if isinstance(value, dict):
            assert value.keys() == getattr(model, key).keys(), key
            for k in value:
                np.testing.assert_array_equal(getattr(model, key)[k], value[k], err_msg=key)
        else:
            np.testing.assert_array_equal(getattr(model, key), value, err_msg=key)


FAILURES = {
    # fails in the input checks, after scikit-learn recorded n_features_in_
    "bad weights": (lambda m: m.fit(X0[:, :2], Y0, sample_weight=-np.ones(N)), ValueError),
    "bad data": (lambda m: m.fit(with_nan(X0), Y0), ValueError),
    # fails after the solve, when the warning is turned into an error
    "warning as error": (lambda m: m.set_params(tol=1e-300).fit(X0, Y0), Warning),
}


@pytest.mark.parametrize(
    ("name", "failure"),
    [
        (name, failure)
        for name in ESTIMATORS
        for failure in FAILURES
        # the closed forms (no iterations) have no convergence warning to turn into an error
        if not (failure == "warning as error" and name in ("linear", "ridge"))
    ],
)
def test_a_failed_fit_leaves_the_estimator_as_it_was(name, failure):
    action, error = FAILURES[failure]
    for model in (ESTIMATORS[name]().fit(X0, Y0), ESTIMATORS[name]()):
        params, before = model.get_params(), snapshot(model)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            with pytest.raises(error):
                action(model)
        model.set_params(**params)  # undo the action's own set_params
        assert_same_state(model, before)


# --- command line and configuration --------------------------------------------------------


def run_cli(capsys, *argv):
    code = cli.main([str(arg) for arg in argv])
    _, err = capsys.readouterr()
    return code, err


def test_cli_config_with_a_wrong_type_is_a_one_line_error(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('[model]\nC = "large"\n')
    code, err = run_cli(capsys, "run", "--config", config, "--output", tmp_path / "out")
    assert code == 2
    assert err.count("\n") == 1 and "'model.C' must be of type float" in err


def test_cli_data_with_an_infinite_value_is_a_one_line_error(tmp_path, capsys):
    data = tmp_path / "data.csv"
    rows = [f"{x:.3f},{'yes' if x > 0 else 'no'}" for x in X0[:, 0]]
    data.write_text("x,label\n" + "\n".join([*rows[:-1], "inf,yes"]) + "\n")
    code, err = run_cli(capsys, "fit", "--data", data, "--target", "label", "--output", tmp_path)
    assert code == 2
    assert err.startswith("jaxlogreg: error: ")
    assert "column 'x' must hold numbers" in err and "holds 'inf'" in err
    assert err.count("\n") == 1


def test_cli_unknown_option_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "--learning-rate", "3"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --learning-rate" in capsys.readouterr().err


def test_to_device_keeps_values_and_dtype_and_passes_jax_arrays_through():
    from jaxlogreg._validation import to_device

    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    moved = to_device(X)
    assert isinstance(moved, jax.Array) and moved.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(moved), X)
    assert to_device(moved) is moved
    np.testing.assert_array_equal(np.asarray(to_device([[1.0, 2.0]])), [[1.0, 2.0]])
    np.testing.assert_array_equal(np.asarray(to_device(X, transposed=True)), X.T)
    np.testing.assert_array_equal(np.asarray(to_device(moved, transposed=True)), X.T)
    np.testing.assert_array_equal(np.asarray(to_device(X[:, ::2])), X[:, ::2])


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="host memory is the device's on a CPU")
def test_to_device_lays_out_x_transposed_in_aligned_memory_the_cpu_uses_as_it_is():
    """On a CPU ``to_device(X, transposed=True)`` copies ``Xᵀ`` once, into aligned memory that
    the device array then uses; an aligned C-contiguous ``X`` is not copied at all."""
    from jaxlogreg._validation import HOST_ALIGNMENT, aligned_empty, to_device

    X = np.arange(300 * 8, dtype=np.float64).reshape(300, 8)
    moved = to_device(X, transposed=True)
    assert moved.unsafe_buffer_pointer() % HOST_ALIGNMENT == 0
    np.testing.assert_array_equal(np.asarray(moved), X.T)
    first = X[0, 1]
    X[0, 1] = -1.0  # the device array is a copy
    assert float(moved[1, 0]) == first

    aligned = aligned_empty((300, 8), np.float32)
    assert aligned.ctypes.data % HOST_ALIGNMENT == 0 and aligned.flags.writeable
    aligned[:] = 2.0
    assert to_device(aligned).unsafe_buffer_pointer() == aligned.ctypes.data
    assert aligned_empty((0, 8), np.float64).shape == (0, 8)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="host memory is the device's on a CPU")
@pytest.mark.parametrize("order", ["C", "F"])
def test_to_device_copies_a_large_unaligned_x_once_into_aligned_memory(monkeypatch, order):
    """An ``X`` the device cannot use as it is (unaligned, or not C-contiguous) and of at least
    ``HOST_COPY_MIN_BYTES`` is copied by NumPy into aligned memory, which the device array
    then uses: equal values, aligned, independent of ``X``."""
    from jaxlogreg import _validation

    monkeypatch.setattr(_validation, "HOST_COPY_MIN_BYTES", 0)
    base = _validation.aligned_empty((300 * 8 + 1,), np.float64)
    base[:] = np.arange(base.size)
    X = base[1:].reshape(300, 8)  # one element past an aligned start
    X = np.asfortranarray(X) if order == "F" else X
    assert not _validation._device_uses_as_is(X)
    moved = _validation.to_device(X)
    assert moved.unsafe_buffer_pointer() % _validation.HOST_ALIGNMENT == 0
    assert moved.unsafe_buffer_pointer() != X.ctypes.data
    np.testing.assert_array_equal(np.asarray(moved), X)
    first = X[0, 1]
    X[0, 1] = -1.0  # the device array is a copy
    assert float(moved[0, 1]) == first


def test_fit_rejects_non_finite_data_also_inside_a_callers_jit():
    X = np.ones((5, 2))
    X[2, 1] = np.inf
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        jax.jit(lambda lam: jaxlogreg.fit(X, y, lam=lam).coef)(0.1)
