"""Every solve says why it stopped: converged, the iteration limit, a stall at rounding level,
or a non-finite objective (``StopReason``, carried from the driver to ``FitResult``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import standardized

import jaxlogreg
from jaxlogreg.core.problem import Problem
from jaxlogreg.losses import get_loss
from jaxlogreg.penalties import ElasticNetPenalty
from jaxlogreg.solvers import SOLVERS, iterative_solve
from jaxlogreg.solvers.stop import StopReason


def wine_multinomial():
    X, y = standardized("wine")
    return X, np.eye(3)[y]


def problem_of(X, T, loss, dtype):
    n, p = X.shape
    return Problem(
        X=jnp.asarray(X, dtype),
        targets=jnp.asarray(T, dtype).reshape(n, -1),
        weights=jnp.full(n, 1.0 / n, dtype),
        penalty=ElasticNetPenalty(
            jnp.asarray(1e-2, dtype), jnp.zeros((), dtype), jnp.r_[jnp.ones(p), 0.0].astype(dtype)
        ),
        loss=get_loss(loss),
        fit_intercept=True,
    )


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "cd", "prox"])
def test_converged(solver):
    X, T = wine_multinomial()
    result = jaxlogreg.fit(X, T, lam=1e-2, loss="multinomial", solver=solver, max_iter=1000)
    assert bool(result.converged)
    assert int(result.stop_reason) == StopReason.CONVERGED


@pytest.mark.parametrize("solver", ["newton", "gd", "lbfgs", "cd"])
def test_max_iter(solver):
    X, T = wine_multinomial()
    result = jaxlogreg.fit(X, T, lam=0.0, loss="multinomial", solver=solver, max_iter=1)
    assert int(result.n_iter) == 1 and not bool(result.converged)
    assert int(result.stop_reason) == StopReason.MAX_ITER


def test_non_finite_start():
    X, T = wine_multinomial()
    problem = problem_of(X, T, "multinomial", jnp.float64)
    start = jnp.full(problem.zeros().shape, jnp.inf)
    solution = iterative_solve(SOLVERS["newton"], problem, start, max_iter=10, tol=1e-8)
    assert int(solution.n_iter) == 0
    assert int(solution.stop_reason) == StopReason.NON_FINITE


def test_non_finite_objective_in_float32():
    """Squared loss on a float32 feature of size 10³⁰: ``½(z − t)²`` overflows."""
    X, T = wine_multinomial()
    X = X.copy()
    X[0, 0] = 1e30
    with jax.enable_x64(False):
        problem = problem_of(X, T[:, 0], "squared", jnp.float32)
        coef = jnp.ones(problem.zeros().shape, jnp.float32)
        solution = iterative_solve(SOLVERS["lbfgs"], problem, coef, max_iter=10, tol=1e-4)
        assert not np.isfinite(float(solution.objective))
        assert int(solution.stop_reason) == StopReason.NON_FINITE


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "gd", "cd"])
def test_stalled_when_every_step_overflows(solver):
    """A feature value of 10²⁰⁰: every trial step of every halving sends ``z`` past the float64
    range, so no step decreases the (finite) objective and the solve says it stalled."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    X[0, 0] = 1e200
    y = (rng.normal(size=50) > 0).astype(float)
    result = jaxlogreg.fit(X, y, lam=1e-2, solver=solver)
    assert int(result.n_iter) == 1 and np.isfinite(float(result.objective))
    assert int(result.stop_reason) == StopReason.STALLED
