"""``jaxlogreg.fit`` with a sparse ``X``: the same fits as with its dense form, never densified."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
from jax.experimental import sparse as jsparse
from sklearn.linear_model import LogisticRegression

from jaxlogreg.core.design import SparseDesign
from jaxlogreg.engine.functional import fit
from jaxlogreg.engine.path import lambda_max, path

SMOOTH = ["lbfgs", "bfgs", "cg", "gd", "newton-cg", "newton", "irls", "cd", "prox"]
ANY_PENALTY = ["cd", "prox"]


def sparse_problem(n=240, p=20, density=0.15, seed=0, K=1):
    """A sparse ``X`` (an empty row and an empty column) and binary or one-hot targets."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, random_state=seed, format="lil")
    X[3, :] = 0
    X[:, 5] = 0
    X = X.tocsr()
    W = rng.standard_normal((max(K, 1), p))
    Z = X @ W.T
    if K == 1:
        return X, (rng.random(n) < 1 / (1 + np.exp(-Z[:, 0]))).astype(float)
    return X, np.eye(K)[np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)]


def both_fits(X, y, **kwargs):
    kwargs = {"max_iter": 5000, "tol": 1e-10, **kwargs}
    return fit(X, y, **kwargs), fit(X.toarray(), y, **kwargs)


CASES = [(solver, 0.0) for solver in SMOOTH] + [
    (solver, alpha) for solver in ANY_PENALTY for alpha in (0.5, 1.0)
]


@pytest.mark.parametrize("loss", ["binary", "multinomial"])
@pytest.mark.parametrize(("solver", "l1_ratio"), CASES)
def test_sparse_fit_equals_dense_fit(loss, solver, l1_ratio):
    """First-order methods stall above ``tol = 1e-10`` at rounding level (gd near ``1e-8``).
    With a ridge part the objective is ``μ = λ(1 − α)``-strongly convex, so each fit lies within
    ``‖∇F‖₂/μ ≤ √m·(KKT violation)/μ`` of the solution (``m`` coefficients): the two fits
    differ by at most the sum; the lasso (``α = 1``) fits converge to ``1e-8``."""
    X, y = sparse_problem(K=1 if loss == "binary" else 3)
    lam = 0.1
    sparse, dense = both_fits(X, y, lam=lam, l1_ratio=l1_ratio, loss=loss, solver=solver)
    violations = float(sparse.kkt_violation) + float(dense.kkt_violation)
    assert violations < 2e-7
    m = np.size(sparse.coef) + np.size(sparse.intercept)
    atol = 1e-8 if l1_ratio == 1.0 else 1e-12 + np.sqrt(m) * violations / (lam * (1 - l1_ratio))
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=atol)
    np.testing.assert_allclose(sparse.intercept, dense.intercept, atol=atol)
    if l1_ratio == 1.0:
        assert np.any(np.asarray(sparse.coef) == 0)


@pytest.mark.parametrize("loss", ["binary", "multinomial"])
def test_coordinate_descent_residual_form(loss):
    """``K·d > NEWTON_MAX_PARAMS``: coordinate descent on sparse ``X`` runs on its columns'
    nonzeros (the residual form), on dense ``X`` it builds the Hessian; the same solution."""
    X, y = sparse_problem(n=300, p=120, density=0.05, K=1 if loss == "binary" else 3)
    sparse, dense = both_fits(X, y, lam=0.01, l1_ratio=0.7, loss=loss, solver="cd")
    assert bool(sparse.converged) and bool(dense.converged)
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=1e-8)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_solvers_draw_the_same_minibatches(solver):
    X, y = sparse_problem()
    sparse, dense = both_fits(X, y, lam=0.02, solver=solver, max_iter=5)
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=1e-10)


def test_every_sparse_format_gives_the_same_fit():
    X, y = sparse_problem()
    reference = fit(X, y, lam=0.01, solver="lbfgs")
    coo = X.tocoo()
    for other in (X.tocsc(), coo, sp.csr_array(X), jsparse.BCOO.from_scipy_sparse(X)):
        np.testing.assert_allclose(fit(other, y, lam=0.01, solver="lbfgs").coef, reference.coef)
    # Duplicate entries are summed, as scipy.sparse does.
    halves = sp.coo_matrix(
        (np.concatenate([coo.data, coo.data]) / 2, (np.tile(coo.row, 2), np.tile(coo.col, 2))),
        shape=X.shape,
    )
    np.testing.assert_allclose(fit(halves, y, lam=0.01, solver="lbfgs").coef, reference.coef)


def test_matches_scikit_learn():
    X, y = sparse_problem(n=400, p=30, density=0.1, seed=3)
    C = 0.5
    reference = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=10_000).fit(X, y)
    ours = fit(X, y, lam=1.0 / (C * X.shape[0]), solver="lbfgs", tol=1e-12, max_iter=10_000)
    np.testing.assert_allclose(ours.coef, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept, reference.intercept_, atol=1e-6)


def test_wide_sparse_fit_is_never_dense():
    """20,000 × 200,000 with 50 nonzeros a row: its dense form would need 30 GiB."""
    rng = np.random.default_rng(0)
    n, p, k = 20_000, 200_000, 50
    X = sp.csr_matrix(
        (rng.random(n * k), (np.repeat(np.arange(n), k), rng.integers(0, p, n * k))),
        shape=(n, p),
    )
    y = (rng.random(n) < 0.5).astype(float)
    result = fit(X, y, lam=1e-3, solver="lbfgs", max_iter=5)
    assert result.coef.shape == (1, p)
    assert int(result.n_iter) == 5
    assert float(result.objective) < np.log(2)  # below the fit at zero


def test_newton_refuses_a_wide_sparse_problem():
    X, y = sparse_problem(p=150)
    with pytest.raises(ValueError, match=r"sparse X allows up to 100 .*'lbfgs'.*'cd'"):
        fit(X, y, lam=0.01, solver="newton")
    fit(X.toarray(), y, lam=0.01, solver="newton", max_iter=2)  # dense: no limit


def test_non_finite_stored_values_are_refused():
    X, y = sparse_problem()
    X.data[0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fit(X, y, lam=0.01, solver="lbfgs")


def test_derivative_in_lam_equals_the_dense_one():
    X, y = sparse_problem()

    def predicted_sum(data, lam):
        return jnp.sum(fit(data, y, lam=lam, solver="lbfgs", tol=1e-12, max_iter=1000).coef)

    sparse = jax.grad(predicted_sum, argnums=1)(X, 0.02)
    dense = jax.grad(predicted_sum, argnums=1)(X.toarray(), 0.02)
    np.testing.assert_allclose(sparse, dense, rtol=1e-7)


def test_path_on_a_sparse_design_equals_the_dense_path():
    """``engine.path`` takes a ``SparseDesign`` (without screening) and ``lambda_max`` too."""
    X, y = sparse_problem(p=30)
    D = SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape)
    targets, weights = jnp.asarray(y)[:, None], jnp.ones(X.shape[0])
    factors, init = jnp.ones(X.shape[1]), jnp.zeros((1, X.shape[1] + 1))
    top = lambda_max(D, targets, weights, 1.0, loss="binary", fit_intercept=True)
    np.testing.assert_allclose(
        top, lambda_max(X.toarray(), targets, weights, 1.0, loss="binary", fit_intercept=True)
    )
    lambdas = top * jnp.geomspace(1.0, 0.05, 6)
    args = (targets, weights, lambdas, 1.0, factors, init, 1e-10)
    sparse = path(D, *args, loss="binary", solver="cd")
    dense = path(jnp.asarray(X.toarray()), *args, loss="binary", solver="cd")
    assert np.all(np.asarray(sparse.converged))
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=1e-8)


@pytest.mark.parametrize(
    ("solver", "working_sets", "reads_columns"),
    [
        ("newton-cg", False, False),
        ("lbfgs", False, False),
        ("prox", True, True),
        ("cd", False, True),
    ],
)
def test_only_column_reading_solves_lay_out_the_columns(
    monkeypatch, solver, working_sets, reads_columns
):
    """A sparse ``X`` is laid out by columns only for coordinate descent and working sets; the
    other solvers read ``X`` by rows and fit the same without that layout."""
    from jaxlogreg.core import design

    laid_out = []
    column_layout = design.column_layout
    monkeypatch.setattr(design, "column_layout", lambda *a: laid_out.append(1) or column_layout(*a))
    X, y = sparse_problem()
    l1_ratio = 1.0 if working_sets else 0.0
    kwargs = dict(lam=0.01, l1_ratio=l1_ratio, solver=solver, tol=1e-10, max_iter=5000)
    result = fit(X, y, working_sets=working_sets, **kwargs)
    assert bool(laid_out) is reads_columns
    dense = fit(X.toarray(), y, **kwargs)
    np.testing.assert_allclose(result.coef, dense.coef, atol=1e-6)
