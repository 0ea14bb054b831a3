"""Newton-CG: its Hessian-vector products are exact (against ``jax.jvp`` of the gradient), it
reaches scikit-learn's L2 fits on dense and sparse, binary and multinomial problems, converges when
CG is cut short, and never increases the objective."""

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

import jaxlogreg
from jaxlogreg.core.design import SparseDesign
from jaxlogreg.core.problem import Problem
from jaxlogreg.losses import get_loss
from jaxlogreg.penalties import ElasticNetPenalty
from jaxlogreg.solvers import NewtonCG, iterative_solve
from jaxlogreg.solvers.curvature import hessian_diagonal, hessian_matvec

jax.config.update("jax_enable_x64", True)

N, P = 240, 40
LOSSES = {"binary": 1, "multinomial": 3}


@cache
def data(layout: str, loss: str):
    """``(X, y)``: ``X`` dense or CSR (density 0.15), ``y`` from a linear model with noise
    (integer classes)."""
    rng = np.random.default_rng(7)
    X = scipy.sparse.random(N, P, density=0.15, random_state=rng, format="csr")
    X.data = rng.normal(size=X.nnz)
    X = X if layout == "sparse" else X.toarray()
    K = LOSSES[loss]
    scores = X @ rng.normal(size=(P, max(K, 2))) + rng.gumbel(size=(N, max(K, 2)))
    y = np.argmax(scores, axis=1) if K > 1 else (scores[:, 0] > scores[:, 1]).astype(int)
    return X, y


def make_problem(layout: str, loss: str, lam: float = 0.05, offset=None) -> Problem:
    X, y = data(layout, loss)
    K = LOSSES[loss]
    targets = np.eye(K)[y] if K > 1 else y[:, None].astype(float)
    if layout == "sparse":
        X = SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape)
    else:
        X = jnp.asarray(X)
    return Problem(
        X=X,
        targets=jnp.asarray(targets),
        weights=jnp.full(N, 1.0 / N),
        penalty=ElasticNetPenalty(
            jnp.asarray(lam), jnp.zeros(()), jnp.concatenate([jnp.ones(P), jnp.zeros(1)])
        ),
        loss=get_loss(loss),
        fit_intercept=True,
        offset=offset,
    )


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_hessian_vector_products_are_jvps_of_the_gradient(layout, loss):
    offset = jnp.linspace(-0.5, 0.5, N)
    problem = make_problem(layout, loss, offset=offset)
    rng = np.random.default_rng(1)
    shape = (LOSSES[loss], P + 1)
    coef, direction = (jnp.asarray(rng.normal(size=shape)) for _ in range(2))
    expected = jax.jvp(jax.grad(problem.smooth_value), (coef,), (direction,))[1]
    Z = problem.linear_predictor(coef)
    product, image = hessian_matvec(problem, Z)(direction)
    np.testing.assert_allclose(product, expected, rtol=1e-12)
    np.testing.assert_allclose(image, problem.design_matmul(direction), rtol=1e-14)
    H = jax.hessian(problem.smooth_value)(coef).reshape(coef.size, coef.size)
    np.testing.assert_allclose(hessian_diagonal(problem, Z).ravel(), jnp.diag(H), rtol=1e-12)


def sklearn_fit(X, y, lam: float):
    """scikit-learn's L2 fit (lbfgs, tight tolerance) at ``C = 1/(λn)``: ``(coef, intercept)``,
    multinomial intercepts centred."""
    model = SklearnLogisticRegression(C=1.0 / (lam * N), solver="lbfgs", tol=1e-12, max_iter=10_000)
    model.fit(X, y)
    return model.coef_, model.intercept_ - np.mean(model.intercept_) * (model.coef_.shape[0] > 1)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_matches_sklearn_lbfgs(layout, loss):
    X, y = data(layout, loss)
    lam = 1.0 / N  # scikit-learn's default C = 1
    targets = np.eye(LOSSES[loss])[y] if loss == "multinomial" else y.astype(float)
    ours = jaxlogreg.fit(X, targets, lam=lam, loss=loss, solver="newton-cg", tol=1e-10)
    assert bool(ours.converged)
    coef, intercept = sklearn_fit(X, y, lam)
    np.testing.assert_allclose(ours.coef, coef, atol=1e-6)
    np.testing.assert_allclose(ours.intercept, intercept, atol=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
def test_converges_when_cg_hits_its_iteration_cap(loss):
    problem = make_problem("sparse", loss)
    full = iterative_solve(NewtonCG(), problem, problem.zeros(), max_iter=100, tol=1e-10)
    capped = iterative_solve(
        NewtonCG(max_cg_iter=2), problem, problem.zeros(), max_iter=500, tol=1e-10
    )
    assert bool(full.converged) and bool(capped.converged)
    assert int(capped.n_iter) > int(full.n_iter)  # the cap did cut CG short
    np.testing.assert_allclose(capped.coef, full.coef, atol=1e-8)


@pytest.mark.parametrize("precondition", [False, True])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_objective_never_increases(layout, loss, precondition):
    problem = make_problem(layout, loss, lam=1e-3)
    solver = NewtonCG(max_cg_iter=3, precondition=precondition)
    start = problem.zeros()
    result = iterative_solve(solver, problem, start, max_iter=300, tol=1e-12, history=True)
    history = np.asarray(result.history)
    history = history[~np.isnan(history)]
    assert history.size > 3
    assert np.all(np.diff(history) <= 0), np.diff(history).max()
    assert bool(result.converged)
    # The objective carried from step to step is that of the returned coefficients.
    np.testing.assert_allclose(problem.objective(result.coef), result.objective, rtol=1e-13)


def test_preconditioned_steps_reach_the_same_fit():
    problem = make_problem("sparse", "multinomial")
    plain = iterative_solve(NewtonCG(), problem, problem.zeros(), max_iter=100, tol=1e-10)
    jacobi = iterative_solve(
        NewtonCG(precondition=True), problem, problem.zeros(), max_iter=100, tol=1e-10
    )
    assert bool(plain.converged) and bool(jacobi.converged)
    np.testing.assert_allclose(jacobi.coef, plain.coef, atol=1e-8)
