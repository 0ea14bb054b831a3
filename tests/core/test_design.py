"""The design-matrix operations (``jaxlogreg.core.design``) on sparse matrices against NumPy."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

from jaxlogreg.core import design
from jaxlogreg.core.design import (
    SparseDesign,
    is_sparse,
    matmul_t,
    rmatmul,
    sparse_weighted_gram,
    squares_rmatmul,
    take_rows,
)

SHAPES = [(30, 12), (7, 40), (50, 3)]


def random_csr(n, p, seed, dtype=np.float64, density=0.2):
    """A random CSR matrix with its first row and its last column empty."""
    X = sp.random(n, p, density=density, random_state=seed, format="csr", dtype=np.float64)
    X = X.tolil()
    X[0, :] = 0
    X[:, p - 1] = 0
    X = X.tocsr().astype(dtype)
    X.eliminate_zeros()
    X.sort_indices()
    return X


def design_of(X):
    return SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape)


def tolerance(dtype):
    return 1e-12 if dtype == np.float64 else 1e-5


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request):
    if request.param == np.float64:
        yield request.param
    else:
        with jax.enable_x64(False):
            yield request.param


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("K", [1, 3])
def test_products_match_numpy(shape, K, dtype):
    X = random_csr(*shape, seed=shape[0] + K, dtype=dtype)
    D, dense = design_of(X), X.toarray().astype(np.float64)
    rng = np.random.default_rng(0)
    W = rng.standard_normal((K, shape[1])).astype(dtype)
    R = rng.standard_normal((shape[0], K)).astype(dtype)
    tol = tolerance(dtype)
    assert D.dtype == dtype and D.cols.dtype == np.int32
    np.testing.assert_allclose(matmul_t(D, jnp.asarray(W)), dense @ W.T, atol=tol, rtol=tol)
    np.testing.assert_allclose(rmatmul(jnp.asarray(R), D), R.T @ dense, atol=tol, rtol=tol)
    np.testing.assert_allclose(
        squares_rmatmul(jnp.asarray(R), D), R.T @ dense**2, atol=tol, rtol=tol
    )
    np.testing.assert_allclose(D.todense(), dense)


@pytest.mark.parametrize("shape", SHAPES)
def test_weighted_gram(shape, dtype, monkeypatch):
    X = random_csr(*shape, seed=3, dtype=dtype)
    dense = X.toarray().astype(np.float64)
    v = np.random.default_rng(1).random(shape[0]).astype(dtype)
    expected = dense.T @ (v[:, None] * dense)
    D, tol = design_of(X), tolerance(dtype)
    # Row chunks of one row and of every row; column blocks of 4 (a partial last one) and of all.
    for elements in (1, 2**22):
        monkeypatch.setattr("jaxlogreg.core.design.GRAM_CHUNK_ELEMENTS", elements)
        gram = design._pair_gram(D, jnp.asarray(v))
        np.testing.assert_allclose(gram, expected, atol=tol, rtol=tol)
    for elements in (4 * shape[0], 2**22):
        monkeypatch.setattr("jaxlogreg.core.design.GRAM_BLOCK_ELEMENTS", elements)
        gram = design._column_block_gram(D, jnp.asarray(v))
        np.testing.assert_allclose(gram, expected, atol=tol, rtol=tol)
    gram = sparse_weighted_gram(D, jnp.asarray(v))
    np.testing.assert_allclose(gram, expected, atol=tol, rtol=tol)


def test_weighted_gram_form_follows_the_cost_rule():
    """Short rows take the row outer products; one dense row among short ones makes every row
    that long (its slots), and the column blocks take over."""
    X = random_csr(200, 300, seed=4, density=0.02)
    assert design._pair_gram is _gram_form(X)
    X = X.tolil()
    X[5, :] = np.arange(1.0, 301.0)
    X = X.tocsr()
    X.sort_indices()
    assert design._column_block_gram is _gram_form(X)
    v = np.random.default_rng(2).random(200)
    gram = sparse_weighted_gram(design_of(X), jnp.asarray(v))
    np.testing.assert_allclose(gram, X.T @ (v[:, None] * X.toarray()), atol=1e-12, rtol=1e-12)


def _gram_form(X):
    """The form ``sparse_weighted_gram`` takes for ``X`` (both forms recorded when called)."""
    called = []
    D, v = design_of(X), jnp.ones(X.shape[0])
    originals = design._pair_gram, design._column_block_gram
    try:
        for form in originals:
            setattr(design, form.__name__, lambda *args, form=form: called.append(form))
        sparse_weighted_gram(D, v)
    finally:
        design._pair_gram, design._column_block_gram = originals
    (form,) = called
    return form


def test_take_rows():
    X = random_csr(40, 9, seed=5)
    rows = np.array([0, 3, 3, 39, 17])
    sub = take_rows(design_of(X), jnp.asarray(rows))
    assert sub.shape == (5, 9) and sub.by_columns is None
    np.testing.assert_allclose(sub.todense(), X.toarray()[rows])
    W = np.random.default_rng(2).standard_normal((2, 9))
    np.testing.assert_allclose(matmul_t(sub, jnp.asarray(W)), X.toarray()[rows] @ W.T)


def test_empty_matrix():
    X = sp.csr_matrix((5, 4))
    D = design_of(X)
    assert D.data.shape == (1,) and D.max_row_nnz == 1
    np.testing.assert_array_equal(D.todense(), np.zeros((5, 4)))
    np.testing.assert_array_equal(matmul_t(D, jnp.ones((1, 4))), np.zeros((5, 1)))
    np.testing.assert_array_equal(rmatmul(jnp.ones((5, 2)), D), np.zeros((2, 4)))


def test_pytree_jit_and_vmap():
    X = random_csr(20, 6, seed=11)
    D = design_of(X)
    leaves, treedef = jax.tree_util.tree_flatten(D)
    assert jax.tree_util.tree_unflatten(treedef, leaves).shape == (20, 6)
    assert is_sparse(D) and not is_sparse(jnp.ones((2, 2)))
    traces = []

    @jax.jit
    def predictors(design, W):
        traces.append(None)
        return matmul_t(design, W)

    W = jnp.asarray(np.random.default_rng(4).standard_normal((5, 1, 6)))
    batched = jax.vmap(predictors, in_axes=(None, 0))(D, W)  # X shared, W batched
    np.testing.assert_allclose(batched, np.einsum("np,bkp->bnk", X.toarray(), W), atol=1e-12)
    predictors(D, W[0])
    predictors(dataclasses.replace(D, data=D.data * 2), W[1])  # new values: no new compile
    assert len(traces) == 1  # one program for every W and every set of values
