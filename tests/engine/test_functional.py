"""The functional fit batched by ``solve_many``: one compiled program per set of batch axes, with
the answer of a loop of ``solve``."""

import jax.numpy as jnp
import numpy as np
import scipy.sparse
from conftest import standardized

import jaxlogreg
from jaxlogreg.engine.functional import FitArrays, solve, solve_many
from jaxlogreg.losses import BINARY

STATIC = dict(loss=BINARY, solver="newton", fit_intercept=True, max_iter=100)


def arrays():
    """The wine data as three one-vs-rest problems: ``FitArrays`` with stacked targets, inits."""
    X, y = standardized("wine")
    targets = jnp.asarray(np.arange(3)[:, None] == y[None, :], float)[:, :, None]
    p = X.shape[1]
    return FitArrays(
        X=jnp.asarray(X),
        targets=targets,
        sample_weight=jnp.ones(len(y)),
        lam=jnp.asarray(0.01),
        l1_ratio=jnp.asarray(0.0),
        penalty_factor=jnp.ones(p),
        init=jnp.zeros((3, 1, p + 1)),
        tol=jnp.asarray(1e-10),
    )


def test_fit_arrays_name_the_batch_axes_and_share_one_program():
    axes = FitArrays(targets=0, init=0)
    assert tuple(axes) == (None, 0, None, None, None, None, 0, None, None, None, None)
    assert solve_many(axes, **STATIC) is solve_many(FitArrays(targets=0, init=0), **STATIC)


def test_solve_many_equals_a_loop_of_solve():
    fit = arrays()
    batched = solve_many(FitArrays(targets=0, init=0), **STATIC)(*fit)
    for k in range(3):
        one = solve(*fit._replace(targets=fit.targets[k], init=fit.init[k]), **STATIC)
        np.testing.assert_allclose(batched.coef[k], one.coef, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(batched.intercept[k], one.intercept, rtol=1e-12, atol=1e-14)
        assert int(batched.stop_reason[k]) == int(one.stop_reason)
    lams = jnp.asarray([0.1, 0.01])
    over_lam = solve_many(FitArrays(targets=0, init=0, lam=0), **STATIC)
    assert over_lam is not solve_many(FitArrays(targets=0, init=0), **STATIC)
    stacked = fit._replace(targets=fit.targets[:2], init=fit.init[:2], lam=lams)
    result = over_lam(*stacked)
    for k in range(2):
        one = solve(*fit._replace(targets=fit.targets[k], init=fit.init[k], lam=lams[k]), **STATIC)
        np.testing.assert_allclose(result.coef[k], one.coef, rtol=1e-12, atol=1e-14)


def test_auto_solver_picks_by_penalty_and_sparsity():
    """``solver="auto"``: the same answer as the solver it stands for."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(float)
    for l1_ratio, named in ((0.0, "newton"), (1.0, "cd")):
        options = dict(lam=0.05, l1_ratio=l1_ratio, tol=1e-10)
        auto = jaxlogreg.fit(X, y, solver="auto", **options)
        np.testing.assert_allclose(auto.coef, jaxlogreg.fit(X, y, solver=named, **options).coef)
    wide = scipy.sparse.random(40, 200, density=0.05, random_state=0, format="csr")
    labels = (rng.random(40) < 0.5).astype(float)
    auto = jaxlogreg.fit(wide, labels, lam=0.05, solver="auto", tol=1e-10)
    newton_cg = jaxlogreg.fit(wide, labels, lam=0.05, solver="newton-cg", tol=1e-10)
    np.testing.assert_allclose(auto.coef, newton_cg.coef)


def test_auto_solver_with_bounds_and_without_columns():
    """Bounds on a smooth penalty: the projected quasi-Newton for every purpose but least
    squares; a sparse ``X`` without column access (sharded): the row-wise methods."""
    from jaxlogreg.solvers.auto import Purpose, auto_solver

    for purpose in (Purpose.FIT, Purpose.CROSS_VALIDATION, Purpose.DIFFERENTIABLE):
        for n_params in (10, 10_000):
            assert auto_solver(l1=False, n_params=n_params, bounds=True, purpose=purpose) == "lbfgs"
            assert auto_solver(l1=True, n_params=n_params, bounds=True, purpose=purpose) == "cd"
    sharded = dict(n_params=10, sparse=True, columns=False)
    assert auto_solver(l1=True, **sharded) == "prox"
    assert auto_solver(l1=False, **sharded) == "newton-cg"
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(float)
    options = dict(lam=0.05, tol=1e-10, lower_bounds=-0.1, upper_bounds=0.2)
    auto = jaxlogreg.fit(X, y, solver="auto", **options)
    np.testing.assert_allclose(auto.coef, jaxlogreg.fit(X, y, solver="lbfgs", **options).coef)
