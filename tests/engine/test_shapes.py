"""Shape-stable programs (``engine.shapes``): rows padded to a ladder of sizes.

Padding must be exact (zero-weight rows change no solution) and must keep the number of compiled
programs down: a refit on a new row count inside a bucket compiles nothing. Compiles are counted
with JAX's own compilation events, never timed.
"""

import jax
import numpy as np
import pytest
import scipy.sparse
from conftest import counted_compiles
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import jaxlogreg
from jaxlogreg.core.design import take_rows
from jaxlogreg.engine import shapes
from jaxlogreg.engine.shapes import (
    MAX_PADDED_BYTES,
    ROWS_PER_OCTAVE,
    SMALL_PASS,
    bucket_rows,
    pad_rows,
    padded_on_device,
    padded_sparse_design,
    row_bucket,
)


@pytest.mark.parametrize("d", [2, 31, 101, 1001, 20_001])
def test_the_ladder_pads_little_and_never_shrinks(d):
    sizes = np.unique(np.geomspace(1, 3_000_000, 400).astype(int))
    buckets = np.array([row_bucket(int(n), d) for n in sizes])
    assert np.all(buckets >= sizes)
    assert np.all(np.diff(buckets) >= 0)  # more rows never get a smaller program
    allowed = np.maximum(sizes / ROWS_PER_OCTAVE, SMALL_PASS / d)
    assert np.all(buckets - sizes <= allowed)
    assert all(row_bucket(int(b), d) == b for b in buckets)  # a bucket is its own bucket


def test_nearby_row_counts_share_a_bucket_and_far_ones_do_not():
    assert row_bucket(455, 31) == row_bucket(456, 31) == row_bucket(500, 31)
    assert row_bucket(100_000, 101) - 100_000 <= 100_000 / ROWS_PER_OCTAVE
    assert row_bucket(100_000, 101) != row_bucket(200_000, 101)


def test_padding_is_zeros_on_the_host_and_the_device(rng):
    X = rng.normal(size=(7, 3))
    np.testing.assert_array_equal(pad_rows(X, 10), np.vstack([X, np.zeros((3, 3))]))
    stacked = rng.normal(size=(2, 7, 1))  # one-vs-rest targets: rows on axis 1
    assert pad_rows(stacked, 9, axis=1).shape == (2, 9, 1)
    assert pad_rows(X, 7) is X
    for transposed in (False, True):
        padded = np.asarray(padded_on_device(X, 10, transposed=transposed))
        expected = np.vstack([X, np.zeros((3, 3))])
        np.testing.assert_array_equal(padded, expected.T if transposed else expected)
        on_device = padded_on_device(jax.numpy.asarray(X), 10, transposed=transposed)
        np.testing.assert_array_equal(np.asarray(on_device), padded)


def test_padded_fits_equal_unpadded_ones(rng):
    """The estimator pads; the functional ``fit`` does not: the two agree to rounding."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:300]
    y = y[:300]
    weights = rng.uniform(0.5, 2.0, len(y))
    assert row_bucket(len(X), X.shape[1] + 1) > len(X)
    for solver in ("newton", "lbfgs", "cd"):
        model = jaxlogreg.LogisticRegression(C=0.5, solver=solver, tol=1e-10, max_iter=1000)
        model.fit(X, y, sample_weight=weights)
        lam = 1.0 / (0.5 * weights.sum())
        ref = jaxlogreg.fit(
            X, y, lam=lam, sample_weight=weights, solver="newton", tol=1e-12, max_iter=100
        )
        np.testing.assert_allclose(model.coef_, ref.coef, atol=1e-7)
        np.testing.assert_allclose(model.intercept_, ref.intercept, atol=1e-7)


def test_a_refit_on_a_new_row_count_inside_a_bucket_compiles_nothing():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    d = X.shape[1] + 1
    sizes = [n for n in range(300, len(X) + 1, 7) if row_bucket(n, d) == row_bucket(569, d)]
    assert len(sizes) >= 5
    jaxlogreg.LogisticRegression().fit(X[: sizes[0]], y[: sizes[0]])
    with counted_compiles() as compiles:
        for n in sizes[1:]:
            jaxlogreg.LogisticRegression().fit(X[:n], y[:n])
    assert compiles[0] == 0


def test_cross_validation_folds_compile_one_program():
    """scikit-learn's 5 folds of 455 or 456 rows: one compiled fit, not one per fold size."""
    X, y = load_breast_cancer(return_X_y=True)
    with counted_compiles() as compiles:
        cross_val_score(make_pipeline(StandardScaler(), jaxlogreg.LogisticRegression()), X, y)
    assert compiles[0] <= 1


def test_large_data_are_padded_only_where_they_are_copied_anyway():
    """A padded copy of a large ``X`` would double a fit's memory."""
    itemsize = 8
    n = MAX_PADDED_BYTES // (100 * itemsize) + 1  # just over the limit at 100 columns
    X = np.lib.stride_tricks.as_strided(np.zeros(1), (n, 100), (0, 0))  # no memory
    assert bucket_rows(X) == n
    assert bucket_rows(X, copied=True) == row_bucket(n, 101)
    assert bucket_rows(X[:1000]) == row_bucket(1000, 101)


def test_a_padded_sparse_design_is_the_padded_matrix():
    """Empty rows appended, stored values padded with zeros (in the last row), the row-gather
    capacity a power of two: the matrix and its row gathers are those of the padded dense X."""
    X = scipy.sparse.random(37, 11, density=0.2, random_state=0, format="csr")
    n_rows = bucket_rows(X)
    assert n_rows == row_bucket(37, -(-X.nnz // 37) + 1) > 37
    D = padded_sparse_design(X, n_rows)
    expected = np.vstack([X.toarray(), np.zeros((n_rows - 37, 11))])
    np.testing.assert_array_equal(np.asarray(D.todense()), expected)
    assert D.shape == (n_rows, 11)
    assert D.data.shape == (row_bucket(X.nnz, 1),) and D.data.shape[0] > X.nnz
    largest = int(np.diff(X.indptr).max())
    assert D.max_row_nnz >= largest and D.max_row_nnz & (D.max_row_nnz - 1) == 0
    rows = jax.numpy.asarray([0, 36, n_rows - 1, 5])
    np.testing.assert_array_equal(np.asarray(take_rows(D, rows).todense()), expected[rows])


def test_large_sparse_data_are_padded_by_their_stored_values(monkeypatch):
    """Sparse ``X`` is large when its stored values are, whatever its dense form: then neither
    rows nor values are padded."""
    rng = np.random.default_rng(0)  # 10 values a row at random columns of 10⁶: 8 GB dense
    rows, cols = np.repeat(np.arange(1000), 10), rng.integers(0, 10**6, 10_000)
    X = scipy.sparse.csr_matrix((rng.random(10_000), (rows, cols)), shape=(1000, 10**6))
    assert bucket_rows(X) == row_bucket(1000, -(-X.nnz // 1000) + 1) > 1000
    monkeypatch.setattr(shapes, "MAX_PADDED_BYTES", X.data.nbytes - 1)
    assert bucket_rows(X) == 1000
    D = padded_sparse_design(X, 1000)
    assert D.data.shape == (X.nnz,) and D.max_row_nnz == int(np.diff(X.indptr).max())
