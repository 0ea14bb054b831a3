"""Working sets on a sparse ``X``: its left-out columns pinned at zero, the same answers as
working sets on the dense ``X`` (gathered columns) and as no working sets."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit

import jaxlogreg
from jaxlogreg.core.design import SparseDesign
from jaxlogreg.engine.functional import make_problem
from jaxlogreg.engine.path import lambda_max, null_init, path
from jaxlogreg.engine.working_columns import design_capacities, sub_problem
from jaxlogreg.losses import BINARY
from jaxlogreg.solvers import get_solver, iterative_solve


@pytest.fixture(scope="module")
def wide_sparse():
    """A binary problem, 80 × 200 at 8% density (an empty row, an empty column), 6 informative
    columns."""
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


def _problem(X, y, lam=0.1, **options):
    args = (jnp.asarray(y[:, None]), jnp.ones(80) / 80, lam, 1.0, jnp.ones(200))
    return make_problem(X, *args, loss=BINARY, fit_intercept=True, **options)


def test_sparse_sub_problem_pins_the_left_out_columns(wide_sparse):
    """On a sparse ``X`` the sub-problem is ``X`` itself, the columns outside the set held at
    zero by bounds ``l = u = 0``; solved, it equals the dense sub-problem on the gathered
    columns."""
    X, _ = wide_sparse
    keep = np.zeros(200, bool)
    keep[[0, 5, 17, 150, 199]] = True
    sparse = _problem(design_of(X), wide_sparse[1], lam=0.005)
    sub, order, valid = sub_problem(sparse, jnp.asarray(keep), 200)
    assert sub.X is sparse.X and np.all(np.asarray(valid))
    np.testing.assert_array_equal(order, np.arange(200))
    free = np.append(keep, True)[None, :]
    np.testing.assert_array_equal(sub.penalty.lower, np.where(free, -np.inf, 0.0))
    np.testing.assert_array_equal(sub.penalty.upper, np.where(free, np.inf, 0.0))
    dense = _problem(jnp.asarray(X.toarray()), wide_sparse[1], lam=0.005)
    dense_sub, dense_order, _ = sub_problem(dense, jnp.asarray(keep), 16)
    start = jnp.zeros((1, 201))
    pinned = iterative_solve(get_solver("cd"), sub, start, max_iter=100, tol=1e-12)
    gathered = iterative_solve(
        get_solver("cd"), dense_sub, jnp.zeros((1, 17)), max_iter=100, tol=1e-12
    )
    assert bool(pinned.converged) and bool(gathered.converged)
    coef = np.asarray(pinned.coef)[0]
    assert np.all(coef[:200][~keep] == 0) and np.count_nonzero(coef[:200]) > 0
    expected = np.asarray(gathered.coef)[0]
    np.testing.assert_allclose(coef[np.asarray(dense_order)[:5]], expected[:5], atol=1e-10)
    np.testing.assert_allclose(coef[200], expected[16], atol=1e-10)


def test_sparse_ladder_is_p_alone(wide_sparse):
    X, _ = wide_sparse
    assert design_capacities(design_of(X)) == (200,)
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


def test_sparse_path_equals_the_dense_one(wide_sparse):
    """The strong-rule path on sparse ``X`` (pinned columns): the dense path's answers (gathered
    columns), and the same columns left out."""
    X, y = wide_sparse
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


@pytest.mark.parametrize("design", ["dense", "sparse"])
def test_sub_problem_keeps_the_bounds_of_its_columns(wide_sparse, design):
    """Box constraints follow the kept columns: gathered (dense ``X``; padding columns held at
    zero) or in place (sparse ``X``; left-out columns pinned at zero)."""
    X, y = wide_sparse
    problem = _problem(jnp.asarray(X.toarray()) if design == "dense" else design_of(X), y)
    lower = -np.arange(1.0, 202.0)[None, :]
    lower[0, -1] = -np.inf
    bounded = dataclasses.replace(
        problem, penalty=problem.penalty._replace(lower=jnp.asarray(lower), upper=-lower)
    )
    keep = np.zeros(200, bool)
    keep[[4, 9]] = True
    sub = sub_problem(bounded, jnp.asarray(keep), 16 if design == "dense" else 200)[0]
    if design == "dense":
        expected = np.concatenate([[-5.0, -10.0], np.zeros(14), [-np.inf]])[None, :]
    else:
        expected = np.where(np.append(keep, True), lower[0], 0.0)[None, :]
    np.testing.assert_array_equal(sub.penalty.lower, expected)
    np.testing.assert_array_equal(sub.penalty.upper, -expected)
    assert sub.penalty.factors.shape == ((17,) if design == "dense" else (201,))


def test_grouped_sparse_path_equals_the_dense_one():
    """The grouped multinomial lasso path with working sets: pinned columns (sparse ``X``) stay
    zero under block coordinate descent, as gathered ones (dense ``X``) do."""
    rng = np.random.default_rng(3)
    X = sp.random(90, 120, density=0.1, random_state=rng, format="csr")
    beta = np.zeros((120, 3))
    beta[:4] = rng.normal(scale=4.0, size=(4, 3))
    y = np.argmax(X @ beta + rng.gumbel(size=(90, 3)), axis=1)
    T, w = jnp.asarray(np.eye(3)[y]), jnp.ones(90)
    options = dict(loss="multinomial", fit_intercept=True, grouped=True)
    lam_max = float(lambda_max(design_of(X), T, w, 1.0, **options))
    lambdas = jnp.asarray(lam_max * np.logspace(0, -1, 10))
    paths = [
        path(
            D,
            T,
            w,
            lambdas,
            1.0,
            jnp.ones(120),
            null_init(D, T, w, loss="multinomial", fit_intercept=True),
            1e-10,
            solver="cd",
            screening=True,
            **options,
        )
        for D in (design_of(X), jnp.asarray(X.toarray()))
    ]
    sparse, dense = paths
    assert np.all(np.asarray(sparse.converged)) and np.all(np.asarray(dense.converged))
    assert np.all(np.asarray(sparse.screening.n_discarded)[1:] > 0)
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=1e-7)
    assert 0 < np.count_nonzero(np.asarray(sparse.coef)[-1])
