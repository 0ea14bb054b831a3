"""Working sets on a sparse ``X``: its kept columns scattered into dense blocks, the same answers
as working sets on the dense ``X`` and as no working sets."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit

import jaxlogreg
from jaxlogreg.core.design import SparseDesign
from jaxlogreg.engine import working_columns
from jaxlogreg.engine.functional import make_problem
from jaxlogreg.engine.path import lambda_max, null_init, path
from jaxlogreg.engine.working_columns import design_capacities, sub_problem
from jaxlogreg.losses import BINARY


@pytest.fixture(scope="module")
def wide_sparse():
    """A binary problem, 80 × 200 at 8% density (an empty row, an empty column), 6 informative
    columns: capacities 16, 128, then the sparse ``X`` itself."""
    rng = np.random.default_rng(7)
    X = sp.random(80, 200, density=0.08, random_state=rng, format="csr")
    X = X.tolil()
    X[3, :] = 0
    X[:, 150] = 0
    X = X.tocsr()
    X.eliminate_zeros()
    X.sort_indices()
    beta = np.zeros(200)
    beta[:6] = rng.choice([-4.0, 4.0], 6)
    y = (rng.uniform(size=80) < expit(X @ beta)).astype(float)
    return X, y


def design_of(X):
    return SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape)


def test_sparse_block_holds_the_kept_columns(wide_sparse):
    X, y = wide_sparse
    keep = np.zeros(200, bool)
    keep[[0, 5, 17, 150, 199]] = True
    options = dict(loss=BINARY, fit_intercept=True)
    args = (jnp.asarray(y[:, None]), jnp.ones(80) / 80, 0.1, 1.0, jnp.ones(200))
    sparse = make_problem(design_of(X), *args, **options)
    dense = make_problem(jnp.asarray(X.toarray()), *args, **options)
    sub, order, valid = sub_problem(sparse, jnp.asarray(keep), 16)
    dense_sub, dense_order, _ = sub_problem(dense, jnp.asarray(keep), 16)
    np.testing.assert_array_equal(order, dense_order)
    np.testing.assert_array_equal(valid, np.arange(16) < 5)
    expected = np.where(np.asarray(valid)[:, None], X.toarray().T[np.asarray(order)], 0.0)
    np.testing.assert_array_equal(sub.X_T, expected)
    np.testing.assert_array_equal(dense_sub.X_T, expected)
    assert sub.X.shape == (80, 16)


def test_ladder_leaves_out_blocks_over_the_budget(wide_sparse, monkeypatch):
    X, _ = wide_sparse
    D = design_of(X)
    assert design_capacities(D) == (16, 128, 200)
    assert design_capacities(jnp.asarray(X.toarray())) == (16, 128, 200)
    monkeypatch.setattr(working_columns, "SPARSE_BLOCK_ELEMENTS", 80 * 100)
    assert design_capacities(D) == (16, 200)  # 128 × 80 is over: the sparse X takes its sets
    assert design_capacities(jnp.asarray(X.toarray())) == (16, 128, 200)


def _path(X, y, *, screening):
    n, p = X.shape
    T, w, factors = jnp.asarray(y[:, None]), jnp.ones(n), jnp.ones(p)
    options = dict(loss="binary", fit_intercept=True)
    lam_max = float(lambda_max(X, T, w, 1.0, **options))
    lambdas = jnp.asarray(lam_max * np.logspace(0, -1.5, 6))
    init = null_init(X, T, w, **options)
    return path(
        X, T, w, lambdas, 1.0, factors, init, 1e-11, solver="cd", screening=screening, **options
    )


@pytest.mark.parametrize("budget", [2**24, 80 * 100], ids=["ladder", "over-budget"])
def test_sparse_path_equals_the_dense_one(wide_sparse, budget, monkeypatch):
    """The strong-rule path on sparse ``X``: the dense path's answers, and solves on narrower
    sets than ``X``; with a budget under the 128-wide block, the sparse ``X`` takes those sets
    (on 190 columns: a shape, and so a program, of its own)."""
    monkeypatch.setattr(working_columns, "SPARSE_BLOCK_ELEMENTS", budget)
    X, y = wide_sparse
    if budget < 2**24:
        X = X[:, :190]
        assert design_capacities(design_of(X)) == (16, 190)
    sparse = _path(design_of(X), y, screening=True)
    dense = _path(jnp.asarray(X.toarray()), y, screening=True)
    assert np.all(np.asarray(sparse.converged)) and np.all(np.asarray(dense.converged))
    # Sparse columns are visited by width class, dense ones in order: equal at the tolerance.
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=1e-6)
    np.testing.assert_allclose(sparse.intercept, dense.intercept, atol=1e-6)
    np.testing.assert_array_equal(sparse.screening.n_discarded, dense.screening.n_discarded)
    assert np.all(np.asarray(sparse.screening.n_discarded)[1:] > 0)
    assert 0 < np.count_nonzero(np.asarray(sparse.coef)[-1]) < 128


def test_sparse_path_with_and_without_working_sets(wide_sparse):
    X, y = wide_sparse
    screened = _path(design_of(X), y, screening=True)
    full = _path(design_of(X), y, screening=False)
    assert np.all(np.asarray(full.screening.n_discarded) == 0)
    np.testing.assert_allclose(screened.coef, full.coef, atol=1e-8)
    np.testing.assert_allclose(screened.intercept, full.intercept, atol=1e-8)


@pytest.mark.parametrize("solver", ["cd", pytest.param("prox", marks=pytest.mark.slow)])
def test_sparse_fit_with_working_sets_equals_the_dense_one(wide_sparse, solver):
    X, y = wide_sparse
    options = dict(lam=0.02, l1_ratio=1.0, solver=solver, tol=1e-10, max_iter=20_000)
    sparse = jaxlogreg.fit(X, y, working_sets=True, **options)
    dense = jaxlogreg.fit(X.toarray(), y, working_sets=True, **options)
    assert bool(sparse.converged) and float(sparse.kkt_violation) <= 1e-10
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept, dense.intercept, atol=1e-8)
    assert int(sparse.screening.n_discarded) > 0
    assert 0 < np.count_nonzero(np.asarray(sparse.coef)) < 128


def test_sub_problem_keeps_the_bounds_of_its_columns(wide_sparse):
    """Box constraints follow the gathered columns; padding columns are held at zero."""
    X, y = wide_sparse
    problem = make_problem(
        design_of(X),
        jnp.asarray(y[:, None]),
        jnp.ones(80) / 80,
        0.1,
        1.0,
        jnp.ones(200),
        loss=BINARY,
        fit_intercept=True,
    )
    lower = -np.arange(1.0, 202.0)[None, :]
    lower[0, -1] = -np.inf
    bounded = dataclasses.replace(
        problem, penalty=problem.penalty._replace(lower=jnp.asarray(lower), upper=-lower)
    )
    keep = np.zeros(200, bool)
    keep[[4, 9]] = True
    sub = sub_problem(bounded, jnp.asarray(keep), 16)[0]
    expected = np.concatenate([[-5.0, -10.0], np.zeros(14), [-np.inf]])[None, :]
    np.testing.assert_array_equal(sub.penalty.lower, expected)
    np.testing.assert_array_equal(sub.penalty.upper, -expected)
    assert sub.penalty.factors.shape == (17,)
