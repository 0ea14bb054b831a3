"""Out-of-core fits of a sparse X (scipy.sparse, .npz, libsvm/svmlight): chunks stay sparse and
give the in-memory solution.

References: ``jaxlogreg.fit`` on the dense X in memory and the dense out-of-core fit (float64,
1e-8), scikit-learn's ``load_svmlight_file`` for the chunked reader and its
``LogisticRegression`` for the estimator-level fit.
"""

import contextlib

import numpy as np
import pytest
import scipy.sparse
from conftest import COMPILE_EVENT
from jax import monitoring
from sklearn.datasets import dump_svmlight_file, load_svmlight_file
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import jaxlogreg
from jaxlogreg.out_of_core import find_classes, fit_out_of_core, logistic_regression
from jaxlogreg.scale import sparse_chunks
from jaxlogreg.scale.sparse_chunks import SvmlightRows

LAM = 1e-2


def make_sparse(seed=0, n=503, p=40, density=0.1, n_classes=2):
    rng = np.random.default_rng(seed)
    X = scipy.sparse.random(n, p, density=density, random_state=seed, format="csr")
    X.data = rng.normal(size=X.nnz)
    scores = X @ rng.normal(size=(p, n_classes)) + rng.gumbel(size=(n, n_classes))
    labels = np.argmax(scores, axis=1) if n_classes > 2 else (scores[:, 0] > scores[:, 1])
    return X, labels.astype(np.float64)


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    X, y = make_sparse()
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    folder = tmp_path_factory.mktemp("sparse")
    scipy.sparse.save_npz(folder / "X.npz", X)
    dump_svmlight_file(X, y, str(folder / "data.svm"), zero_based=False)
    reference = jaxlogreg.fit(X.toarray(), y, lam=LAM, sample_weight=weights, tol=1e-13)
    return folder, X, y, weights, reference


@contextlib.contextmanager
def no_densification(monkeypatch):
    """Every way of making a scipy.sparse matrix dense raises inside the block."""

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    with monkeypatch.context() as patch:
        for cls in (scipy.sparse.csr_matrix, scipy.sparse.csr_array, scipy.sparse.coo_matrix):
            patch.setattr(cls, "toarray", refuse)
            patch.setattr(cls, "todense", refuse)
        yield


@contextlib.contextmanager
def counted_chunk_compiles():
    """Counts the compilations of the per-chunk program inside the block (``count[0]``)."""
    count = [0]

    def listener(event, duration, fun_name="", **kwargs):
        count[0] += event == COMPILE_EVENT and "_chunk_terms" in fun_name

    monitoring.register_event_duration_secs_listener(listener)
    try:
        yield count
    finally:
        monitoring.unregister_event_duration_listener(listener)


@pytest.mark.parametrize("source", ["csr", "csc", "npz", "svm"])
@pytest.mark.parametrize("solver, chunk_rows", [("newton", 97), ("newton", 4096), ("lbfgs", 128)])
def test_sparse_chunks_equal_the_in_memory_fit(binary, monkeypatch, source, solver, chunk_rows):
    folder, X, y, weights, reference = binary
    data = {
        "csr": (X, y),
        "csc": (X.tocsc(), y),
        "npz": (folder / "X.npz", y),
        "svm": (folder / "data.svm", None),
    }[source]
    with no_densification(monkeypatch):
        result = fit_out_of_core(
            *data, sample_weight=weights, lam=LAM, solver=solver, chunk_rows=chunk_rows, tol=1e-11
        )
    assert bool(result.converged)
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-8)
    np.testing.assert_allclose(result.intercept, reference.intercept, rtol=0, atol=1e-8)
    np.testing.assert_allclose(result.objective, reference.objective, rtol=1e-12)


def test_sparse_and_dense_out_of_core_fits_agree(binary):
    _, X, y, weights, _ = binary
    options = dict(sample_weight=weights, lam=LAM, chunk_rows=100, tol=1e-11)
    sparse = fit_out_of_core(X, y, **options)
    dense = fit_out_of_core(X.toarray(), y, **options)
    np.testing.assert_allclose(sparse.coef, dense.coef, rtol=0, atol=1e-10)
    np.testing.assert_allclose(sparse.intercept, dense.intercept, rtol=0, atol=1e-10)
    assert int(sparse.n_iter) == int(dense.n_iter)


def test_multinomial_and_squared_losses_on_sparse_chunks():
    X, labels = make_sparse(seed=2, n=300, p=25, density=0.2, n_classes=3)
    classes = np.unique(labels)
    T = np.eye(3)[labels.astype(int)]
    for loss, y, kwargs in (("multinomial", labels, dict(classes=classes)), ("squared", T, {})):
        result = fit_out_of_core(X, y, lam=LAM, loss=loss, chunk_rows=64, tol=1e-11, **kwargs)
        reference = jaxlogreg.fit(X.toarray(), T, lam=LAM, loss=loss, tol=1e-13)
        np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-8)
        np.testing.assert_allclose(result.intercept, reference.intercept, rtol=0, atol=1e-8)


def test_chunks_of_one_fit_share_one_program(binary):
    _, X, y, *_ = binary
    with counted_chunk_compiles() as compiles:
        result = fit_out_of_core(X, y, lam=LAM, chunk_rows=89)  # 6 chunks, unequal stored counts
    assert bool(result.converged) and int(result.n_iter) > 1
    assert compiles[0] == 1


@pytest.mark.parametrize("zero_based", [True, False])
def test_svmlight_reader_matches_scikit_learn(tmp_path, monkeypatch, zero_based):
    monkeypatch.setattr(sparse_chunks, "SCAN_LINES", 8)  # the first pass parses 8 lines a time
    X, y = make_sparse(seed=3, n=57, p=12, density=0.3)
    first = scipy.sparse.csr_matrix(np.full((57, 1), float(zero_based)))
    X = scipy.sparse.hstack([first, X[:, 1:]], format="csr")
    X.eliminate_zeros()  # column 0 (index 0 when zero_based) stored only when zero_based
    path = tmp_path / "data.libsvm"
    dump_svmlight_file(X, y, str(path), zero_based=zero_based, comment="written by a test")
    with open(path, "ab") as file:
        file.write(b"# a trailing comment line\n\n")
    rows = SvmlightRows(path)
    expected_X, expected_y = load_svmlight_file(str(path))
    assert rows.shape == expected_X.shape
    got = scipy.sparse.vstack([rows.read(a, min(a + 10, 57)) for a in range(0, 57, 10)])
    assert (got != expected_X).nnz == 0
    np.testing.assert_array_equal(find_classes(path), np.unique(expected_y))


def test_estimator_on_a_svmlight_file_matches_scikit_learn(binary, monkeypatch):
    folder, X, y, *_ = binary
    with no_densification(monkeypatch):
        model = logistic_regression(folder / "data.svm", None, C=0.5, chunk_rows=64, tol=1e-10)
    reference = SkLogisticRegression(C=0.5, tol=1e-12, solver="newton-cholesky").fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_bad_sparse_inputs_name_the_fix(binary, tmp_path):
    folder, X, y, *_ = binary
    with pytest.raises(ValueError, match="holds its labels"):
        fit_out_of_core(folder / "data.svm", y, lam=LAM)
    with pytest.raises(FileNotFoundError, match="not found"):
        fit_out_of_core(tmp_path / "missing.npz", y, lam=LAM)
    (tmp_path / "bad.svm").write_text("1 3:x\n")
    with pytest.raises(ValueError, match="libsvm/svmlight"):
        fit_out_of_core(tmp_path / "bad.svm", None, lam=LAM)
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit_out_of_core(bad, y, lam=LAM)


def test_newton_on_wide_sparse_chunks_is_refused_as_in_memory():
    X, y = make_sparse(seed=6, n=50, p=120, density=0.05)  # 121 coefficients
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        fit_out_of_core(X, y, lam=LAM, solver="newton")
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        jaxlogreg.fit(X, y, lam=LAM, solver="newton")
    assert bool(fit_out_of_core(X, y, lam=LAM, solver="lbfgs", tol=1e-8).converged)


def test_sparse_chunks_refuse_a_mesh(binary):
    import jax
    from jax.sharding import Mesh

    _, X, y, *_ = binary
    mesh = Mesh(np.array(jax.devices()[:1]), ("rows",))
    with pytest.raises(ValueError, match="mesh=None"):
        fit_out_of_core(X, y, lam=LAM, mesh=mesh)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatches_of_sparse_chunks_follow_the_dense_path(binary, solver):
    _, X, y, weights, _ = binary
    options = dict(sample_weight=weights, lam=LAM, chunk_rows=128, solver=solver, max_iter=3)
    sparse = fit_out_of_core(X, y, **options)
    dense = fit_out_of_core(X.toarray(), y, **options)
    np.testing.assert_allclose(sparse.coef, dense.coef, rtol=0, atol=1e-10)
    np.testing.assert_allclose(sparse.history, dense.history, rtol=1e-12)
