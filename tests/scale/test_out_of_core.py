"""Out-of-core fits: chunked passes over files give the in-memory (full-data) solution.

References: ``jaxlogreg.fit`` on the data in memory (float64, tight tolerance), scikit-learn's
Newton-Cholesky solver for the estimator-level fit.
"""

import itertools

import jax
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import jaxlogreg
from jaxlogreg.cli import main
from jaxlogreg.out_of_core import find_classes, fit_out_of_core, logistic_regression
from jaxlogreg.solvers import SGD, Adam
from jaxlogreg.solvers.stop import StopReason

LAM = 1e-2


def make_binary(rng, n=503, p=5, dtype=np.float64):
    X = rng.normal(size=(n, p)).astype(dtype)
    y = (X @ rng.normal(size=p) + rng.logistic(size=n) > 0).astype(dtype)
    return X, y


@pytest.fixture(scope="module")
def binary_files(tmp_path_factory):
    rng = np.random.default_rng(0)
    X, y = make_binary(rng)
    weights = rng.uniform(0.5, 2.0, size=len(y))
    folder = tmp_path_factory.mktemp("binary")
    for name, array in (("X", X), ("y", y), ("w", weights)):
        np.save(folder / f"{name}.npy", array)
    reference = jaxlogreg.fit(X, y, lam=LAM, sample_weight=weights, tol=1e-13)
    return folder, X, y, weights, reference


@pytest.mark.parametrize(
    "solver, chunk_rows", [("newton", 97), ("newton", 503), ("newton", 4096), ("lbfgs", 128)]
)
def test_exact_solvers_equal_in_memory_fit(binary_files, solver, chunk_rows):
    folder, *_, reference = binary_files
    result = fit_out_of_core(
        folder / "X.npy",
        folder / "y.npy",
        sample_weight=folder / "w.npy",
        lam=LAM,
        solver=solver,
        chunk_rows=chunk_rows,
        tol=1e-12,
    )
    assert bool(result.converged)
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.intercept, reference.intercept, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.objective, reference.objective, rtol=1e-14)


def test_multinomial_labels_and_memmap_input(tmp_path):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, size=400)
    X = rng.normal(size=(400, 4)) + np.eye(3)[labels] @ rng.normal(size=(3, 4))
    names = np.array(["setosa", "versicolor", "virginica"])[labels]
    np.save(tmp_path / "labels.npy", names)
    np.save(tmp_path / "X.npy", X)
    classes = find_classes(tmp_path / "labels.npy", chunk_rows=64)
    np.testing.assert_array_equal(classes, ["setosa", "versicolor", "virginica"])
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    result = fit_out_of_core(
        mapped, tmp_path / "labels.npy", lam=LAM, loss="multinomial", classes=classes,
        chunk_rows=64, tol=1e-12,
    )  # fmt: skip
    reference = jaxlogreg.fit(X, np.eye(3)[labels], lam=LAM, loss="multinomial", tol=1e-13)
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.intercept, reference.intercept, rtol=0, atol=1e-10)


def test_squared_loss_equals_in_memory_fit():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4))
    y = X @ rng.normal(size=4) + rng.normal(size=300)
    result = fit_out_of_core(X, y, lam=LAM, loss="squared", chunk_rows=70, tol=1e-12)
    reference = jaxlogreg.fit(X, y, lam=LAM, loss="squared", tol=1e-13)
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-10)


@pytest.mark.parametrize("solver, tol", [("newton", 1e-6), ("lbfgs", 1e-7)])
def test_float32(tmp_path, solver, tol):
    X, y = make_binary(np.random.default_rng(3), n=2003, dtype=np.float32)
    np.save(tmp_path / "X.npy", X)
    with jax.enable_x64(False):
        reference = jaxlogreg.fit(X, y, lam=LAM, tol=1e-6)
        result = fit_out_of_core(
            tmp_path / "X.npy", y, lam=LAM, solver=solver, chunk_rows=300, tol=tol
        )
    assert result.coef.dtype == np.float32
    assert np.asarray(reference.coef).dtype == np.float32
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-6)
    np.testing.assert_allclose(result.intercept, reference.intercept, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "solver", [SGD(learning_rate=0.05, batch_size=32), Adam(learning_rate=0.02, batch_size=32)]
)
def test_minibatch_solvers_approach_the_solution(binary_files, solver):
    _, X, y, weights, reference = binary_files
    result = fit_out_of_core(
        X, y, sample_weight=weights, lam=LAM, solver=solver, chunk_rows=128, max_iter=30
    )
    history = result.history[np.isfinite(result.history)]
    assert np.all(np.diff(history) <= 0)  # the best iterate is kept
    assert float(result.objective) - float(reference.objective) < 1e-4
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=0.05)


def test_progress_reports_every_iteration(binary_files):
    _, X, y, *_ = binary_files
    seen = []
    result = fit_out_of_core(X, y, lam=LAM, chunk_rows=100, tol=1e-10, progress=seen.append)
    assert [info.iteration for info in seen] == list(range(1, int(result.n_iter) + 1))
    assert all(b.passes > a.passes for a, b in itertools.pairwise(seen))
    assert seen[-1].kkt_violation <= 1e-10
    np.testing.assert_allclose(seen[-1].objective, float(result.objective))


def test_a_line_search_without_a_decrease_stops_the_fit_as_stalled():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(100, 3)) * 1e160  # every trial step overflows the squared loss
    y = rng.normal(size=100)
    seen = []
    with np.errstate(over="ignore", invalid="ignore"):
        result = fit_out_of_core(X, y, lam=0.0, loss="squared", chunk_rows=50, progress=seen.append)
    assert StopReason(int(result.stop_reason)) is StopReason.STALLED
    assert not bool(result.converged) and int(result.n_iter) == 1
    assert seen[-1].step == 0.0
    assert seen[-1].passes == 42  # the first pass, then trials at t = 1, 1/2, ..., 2^-40


def test_estimator_warns_when_the_fit_does_not_converge():
    X, y = make_binary(np.random.default_rng(4), n=200)
    with pytest.warns(ConvergenceWarning, match=r"out-of-core 'lbfgs' fit did not converge"):
        model = logistic_regression(X, y, solver="lbfgs", max_iter=2, tol=1e-12)
    assert model.n_iter_[0] == 2


def test_estimator_matches_scikit_learn(tmp_path):
    X, y = make_binary(np.random.default_rng(4), n=400)
    labels = np.where(y == 1, "yes", "no")
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "labels.npy", labels)
    model = logistic_regression(
        tmp_path / "X.npy", tmp_path / "labels.npy", C=0.3, chunk_rows=64, tol=1e-12
    )
    reference = SkLogisticRegression(C=0.3, solver="newton-cholesky", tol=1e-12).fit(X, labels)
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_parquet_row_groups(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, size=350)
    X = rng.normal(size=(350, 3)) + np.eye(3)[labels] @ rng.normal(size=(3, 3))
    names = np.array(["a", "b", "c"])[labels]
    table = pa.table({"x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2], "label": names})
    pq.write_table(table, tmp_path / "data.parquet", row_group_size=70)
    model = logistic_regression(
        tmp_path / "data.parquet", "label", C=2.0, chunk_rows=100, tol=1e-12
    )
    reference = jaxlogreg.LogisticRegression(C=2.0, solver="newton", tol=1e-12).fit(X, names)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-10)


def test_cli_fit_on_npy_files(tmp_path, capsys):
    X, y = make_binary(np.random.default_rng(6), n=300)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y.astype(int))
    config = tmp_path / "job.toml"
    config.write_text('[model]\nC = 0.5\n[out_of_core]\ntol = 1e-10\nsolver = "lbfgs"\n')
    argv = ["fit", "--data", str(tmp_path / "X.npy"), "--target", str(tmp_path / "y.npy")]
    argv += ["--chunk-rows", "64", "--config", str(config), "--output", str(tmp_path / "run")]
    assert main(argv) == 0
    assert "Wrote model.npz" in capsys.readouterr().out
    model = jaxlogreg.load(tmp_path / "run" / "model.npz")
    reference = SkLogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12).fit(
        X, y.astype(int)
    )
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-8)
    assert main(["fit", "--data", str(tmp_path / "X.npy"), "--target", "missing.npy"]) == 2


def test_clear_errors(tmp_path, binary_files):
    folder, X, y, _, _ = binary_files
    np.save(tmp_path / "fortran.npy", np.asfortranarray(X))
    with pytest.raises(ValueError, match="Fortran order"):
        fit_out_of_core(tmp_path / "fortran.npy", y, lam=LAM)
    with pytest.raises(ValueError, match="y has 10 rows but X has 503"):
        fit_out_of_core(X, y[:10], lam=LAM)
    with pytest.raises(ValueError, match=r"label 2\.0, which is not in classes"):
        fit_out_of_core(X, np.where(y == 1, 2.0, 0.0), lam=LAM, classes=[0.0, 1.0])
    bad = X.copy()
    bad[300, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values in rows 256 to 383"):
        fit_out_of_core(bad, y, lam=LAM, chunk_rows=128)
    with pytest.raises(ValueError, match="chunk_rows must be a positive integer"):
        fit_out_of_core(X, y, lam=LAM, chunk_rows=0)
    with pytest.raises(ValueError, match="out-of-core solver must be one of"):
        fit_out_of_core(X, y, lam=LAM, solver="cd")
    with pytest.raises(FileNotFoundError, match="data file not found"):
        fit_out_of_core(folder / "absent.npy", y, lam=LAM)
