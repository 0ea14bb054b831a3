"""Working sets: a solve on the strong rule's columns, grown until the KKT conditions hold, reaches
the full problem's solution and says truly why it stopped."""

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import standardized

from jaxlogreg.engine.functional import make_problem
from jaxlogreg.engine.path import lambda_max, null_init
from jaxlogreg.engine.working_set import capacities, ranked_keep, working_set_solve
from jaxlogreg.losses import BINARY
from jaxlogreg.solvers import get_solver, iterative_solve
from jaxlogreg.solvers.stop import StopReason


@pytest.fixture(scope="module")
def lasso():
    """The cancer data's lasso problem at ``λ_max/100`` (holding ``Xᵀ``) and its null start."""
    X, y = standardized("breast_cancer")
    X, T, w = jnp.asarray(X), jnp.asarray(y, float)[:, None], jnp.ones(len(y))
    lam = 0.01 * float(lambda_max(X, T, w, 1.0, loss=BINARY, fit_intercept=True))
    problem = make_problem(
        X, T, w, lam, 1.0, jnp.ones(X.shape[1]), loss=BINARY, fit_intercept=True, X_T=X.T
    )
    return problem, null_init(X, T, w, loss=BINARY, fit_intercept=True)


def test_capacities_grow_eightfold_up_to_p():
    assert capacities(10) == (10,)
    assert capacities(100) == (16, 100)
    assert capacities(128) == (16, 128)
    assert capacities(20_000) == (16, 128, 1024, 8192, 20_000)


@pytest.mark.parametrize(
    ("tol", "max_iter", "reason"),
    [
        (1e-8, 1000, StopReason.CONVERGED),
        (1e-8, 2, StopReason.MAX_ITER),
        (1e-300, 10_000, StopReason.STALLED),  # below what float64 can resolve
    ],
)
def test_stop_reason_is_the_solves(lasso, tol, max_iter, reason):
    problem, init = lasso
    method = get_solver("cd")
    risk = problem.risk_and_grad_given_Z(problem.linear_predictor(init))
    p = problem.X.shape[1]
    options = dict(max_iter=max_iter, tol=jnp.asarray(tol), risk=risk)
    few = jnp.zeros(p, bool).at[:3].set(True)  # too few columns: the KKT check adds the rest
    grown, screened = working_set_solve(method, problem, init, few, **options)
    everything, _ = working_set_solve(method, problem, init, jnp.ones(p, bool), **options)
    full = iterative_solve(method, problem, init, max_iter=max_iter, tol=tol)
    assert bool(screened.kkt_violated) and int(screened.n_discarded) == p - 3
    assert int(screened.n_full_passes) >= 2  # a KKT check after each solve, one repaired
    assert int(grown.stop_reason) == int(everything.stop_reason) == int(full.stop_reason) == reason
    assert bool(grown.converged) == (reason == StopReason.CONVERGED)
    if reason == StopReason.CONVERGED:
        np.testing.assert_allclose(grown.objective, full.objective, rtol=1e-12)
        assert float(grown.kkt_violation) <= tol


def test_ranked_set_holds_the_support_then_the_worst_violators():
    p = 300
    coef = jnp.zeros((2, p + 1)).at[0, [5, 7]].set(1.0).at[1, 9].set(-2.0).at[:, p].set(3.0)
    violation = jnp.linspace(0.0, 1.0, p).at[5].set(0.0).at[7].set(0.0)
    keep = np.asarray(ranked_keep(coef, violation, capacities(p)))
    # max(16, 2·3) columns, rounded up to the capacity 16: the support, then the 13 largest.
    assert keep.sum() == 16
    assert keep[[5, 7, 9]].all()
    largest = np.argsort(-np.asarray(violation))[:14]
    assert set(np.flatnonzero(keep)) == {5, 7, 9} | set(largest[largest != 9][:13])


def test_ranked_set_grows_with_the_support():
    p = 300
    coef = jnp.zeros((1, p)).at[0, :70].set(1.0)  # 70 nonzero: 140 columns, capacity p
    keep = ranked_keep(coef, jnp.zeros(p), capacities(p))
    assert int(jnp.sum(keep)) == p
    coef = jnp.zeros((1, p)).at[0, :20].set(1.0)  # 40 columns: capacity 128
    assert int(jnp.sum(ranked_keep(coef, jnp.ones(p), capacities(p)))) == 128
