"""The smooth solvers (gd, cg, bfgs, lbfgs, newton-cg, adam, sgd): they reach Newton's optimum for
every loss with and without a ridge penalty, never increase the objective, keep their state's type,
batch under vmap like a loop, and match scikit-learn's objective."""

from functools import cache, partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import standardized
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.preprocessing import StandardScaler

import jaxlogreg
from jaxlogreg.core.problem import Problem
from jaxlogreg.losses import get_loss
from jaxlogreg.penalties import ElasticNetPenalty
from jaxlogreg.solvers import SOLVERS, GradientDescent, iterative_solve
from jaxlogreg.solvers.curvature import directional_curvature, largest_curvature, lipschitz_bound

jax.config.update("jax_enable_x64", True)

DETERMINISTIC = ["gd", "cg", "bfgs", "lbfgs", "newton-cg"]
STOCHASTIC = ["adam", "sgd"]
LOSSES = ["binary", "multinomial", "squared"]
PENALTIES = {"l2": 1e-2, "none": 0.0}
TOL = 1e-8  # KKT tolerance of the deterministic solvers (the library default)
# Gradient descent judges steps by the objective alone: below ‖∇F‖ ≈ √(2·eps·F·L) no step decreases
# F beyond rounding (about 1e-8 on diabetes), so it is asked for a little less.
SOLVER_TOL = {"gd": 1e-7}
MAX_ITER = {"gd": 20_000, "cg": 2_000, "bfgs": 2_000, "lbfgs": 2_000, "newton-cg": 200}
EPOCHS = 300  # stochastic solvers: every epoch is one iteration
# Relative objective gap to Newton that each solver must reach.
GAP = {"newton-cg": 1e-10, "adam": 1e-3, "sgd": 1e-3}


@cache
def dataset(loss: str):
    """Standardized data on which the unpenalized minimum exists (no separable classes).

    binary: ten breast_cancer features (the full set is linearly separable); multinomial: four
    wine features (idem); squared: diabetes with a standardized response.
    """
    if loss == "binary":
        X, y = standardized("breast_cancer", [0, 1, 4, 8, 9, 10, 11, 14, 18, 19])
        return X, (y == 1).astype(float)
    if loss == "multinomial":
        X, y = standardized("wine", [0, 1, 2, 3])
        return X, np.eye(3)[y]
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def make_problem(loss: str, lam, dtype=jnp.float64) -> Problem:
    X, Y = dataset(loss)
    n, p = X.shape
    return Problem(
        X=jnp.asarray(X, dtype),
        targets=jnp.asarray(Y, dtype).reshape(n, -1),
        weights=jnp.full(n, 1.0 / n, dtype),
        penalty=ElasticNetPenalty(
            jnp.asarray(lam, dtype),
            jnp.zeros((), dtype),
            jnp.concatenate([jnp.ones(p, dtype), jnp.zeros(1, dtype)]),
        ),
        loss=get_loss(loss),
        fit_intercept=True,
    )


def tol(solver: str) -> float:
    return SOLVER_TOL.get(solver, TOL)


def max_iter(solver: str) -> int:
    return EPOCHS if solver in STOCHASTIC else MAX_ITER[solver]


@cache
def reference(loss: str, lam: float):
    X, Y = dataset(loss)
    result = jaxlogreg.fit(X, Y, lam=lam, loss=loss, solver="newton", tol=1e-12)
    assert bool(result.converged)
    return result


@cache
def fitted(solver: str, loss: str, lam: float):
    X, Y = dataset(loss)
    return jaxlogreg.fit(
        X, Y, lam=lam, loss=loss, solver=solver, tol=tol(solver), max_iter=max_iter(solver)
    )


def relative_gap(result, loss, lam) -> float:
    best = float(reference(loss, lam).objective)
    return (float(result.objective) - best) / abs(best)


@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("solver", DETERMINISTIC + STOCHASTIC)
def test_reaches_newton_objective(solver, loss, penalty):
    lam = PENALTIES[penalty]
    result = fitted(solver, loss, lam)
    gap = relative_gap(result, loss, lam)
    assert -1e-12 <= gap <= GAP.get(solver, 1e-6), gap
    if solver in DETERMINISTIC:
        assert bool(result.converged), (int(result.n_iter), float(result.kkt_violation))
    # The reported objective is the objective of the returned coefficients.
    coef = jnp.concatenate([result.coef, result.intercept[:, None]], axis=1)
    np.testing.assert_allclose(make_problem(loss, lam).objective(coef), result.objective, 1e-13)


N_MONOTONE = 12  # max_iter = 1, …, N_MONOTONE
LAMS = (1e-3, 1e-2, 1e-1, 1.0)


@partial(jax.jit, static_argnames=("solver", "loss"))
def _batched(solver, loss, lams, max_iters, tolerance):
    """``iterative_solve`` vmapped over pairs ``(λ, max_iter)``: one compilation per case."""

    def one(lam, k):
        problem = make_problem(loss, lam)
        return iterative_solve(solver, problem, problem.zeros(), max_iter=k, tol=tolerance)

    return jax.vmap(one)(lams, max_iters)


@cache
def batched(solver: str, loss: str):
    """Runs of ``max_iter = 1, …, N_MONOTONE`` at ``λ = 10⁻²``, then full runs for ``LAMS``."""
    lams = jnp.asarray([1e-2] * N_MONOTONE + list(LAMS))
    ks = jnp.asarray([*range(1, N_MONOTONE + 1), *[max_iter(solver)] * len(LAMS)])
    return _batched(SOLVERS[solver], loss, lams, ks, jnp.asarray(tol(solver)))


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("solver", DETERMINISTIC + STOCHASTIC)
def test_objective_never_increases(solver, loss):
    runs = batched(solver, loss)
    objectives = np.asarray(runs.objective[:N_MONOTONE])
    start = float(make_problem(loss, 1e-2).objective(make_problem(loss, 1e-2).zeros()))
    assert np.all(np.asarray(runs.n_iter[:N_MONOTONE]) <= np.arange(1, N_MONOTONE + 1))
    assert objectives[0] < start
    assert np.all(np.diff(objectives) <= 0), np.diff(objectives)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("solver", DETERMINISTIC + STOCHASTIC)
def test_vmap_over_lambda_equals_loop(solver, loss):
    """Same iterations and objective (to 1e-10) as one fit per λ; same coefficients to 1e-10, but
    for conjugate gradient: batched and single products round differently (a single small fit is
    also compiled with other options, ``precision.QUICK_COMPILER_OPTIONS``) and its exact-step
    recurrence amplifies that (to ~1e-9 on diabetes, and one iteration more or less), within the
    accuracy ‖∇F‖/μ the stopping rule guarantees."""
    coef_tol = 1e-8 if solver == "cg" else 1e-10
    runs = batched(solver, loss)
    X, Y = dataset(loss)
    for i, lam in enumerate(LAMS):
        one = jaxlogreg.fit(
            X, Y, lam=lam, loss=loss, solver=solver, tol=tol(solver), max_iter=max_iter(solver)
        )
        j = N_MONOTONE + i
        coef = np.concatenate([one.coef, one.intercept[:, None]], axis=1)
        np.testing.assert_allclose(runs.coef[j], coef, rtol=coef_tol, atol=coef_tol)
        np.testing.assert_allclose(runs.objective[j], one.objective, rtol=1e-10)
        assert abs(int(runs.n_iter[j]) - int(one.n_iter)) <= (solver == "cg")


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("solver", DETERMINISTIC + STOCHASTIC)
def test_step_preserves_state_structure(solver, loss, dtype):
    problem = make_problem(loss, 1e-2, dtype)
    state = jax.eval_shape(SOLVERS[solver].init, problem, problem.zeros())
    after = jax.eval_shape(SOLVERS[solver].step, problem, state)
    assert jax.tree.structure(after) == jax.tree.structure(state)
    for a, b in zip(jax.tree.leaves(after), jax.tree.leaves(state), strict=True):
        assert (a.shape, a.dtype) == (b.shape, b.dtype)
    assert state.coef.dtype == dtype


@pytest.mark.parametrize("solver", DETERMINISTIC + STOCHASTIC)
def test_binary_l2_matches_scikit_learn(solver):
    """scikit-learn's objective ``C·Σℓᵢ + ½‖w‖²`` is ``C·n`` times ours at ``λ = 1/(C·n)``."""
    X, y = dataset("binary")
    n, lam = len(y), PENALTIES["l2"]
    C = 1.0 / (lam * n)
    model = SklearnLogisticRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=10_000).fit(X, y)
    theta = jnp.asarray(np.concatenate([model.coef_, model.intercept_[:, None]], axis=1))
    theirs = float(make_problem("binary", lam).objective(theta))
    ours = float(fitted(solver, "binary", lam).objective)
    assert abs(ours - theirs) <= GAP.get(solver, 1e-6) * theirs
    if solver in DETERMINISTIC:
        assert ours <= theirs * (1 + 1e-9)


def test_fixed_rate_gradient_descent():
    """``1/L`` is a safe rate: it converges; a far too large rate is halved, never increasing F."""
    problem = make_problem("multinomial", 1e-2)
    best = float(reference("multinomial", 1e-2).objective)
    run = jax.jit(
        lambda solver, k: iterative_solve(solver, problem, problem.zeros(), max_iter=k, tol=TOL),
        static_argnums=0,
    )
    safe = run(GradientDescent(linesearch=False), 20_000)
    assert bool(safe.converged)
    assert abs(float(safe.objective) - best) <= 1e-6 * best
    objectives = [float(run(GradientDescent(learning_rate=1e3), k).objective) for k in (1, 2, 3, 4)]
    assert objectives[0] < float(problem.objective(problem.zeros()))
    assert np.all(np.diff(objectives) <= 0)


@pytest.mark.parametrize("loss", LOSSES)
def test_curvature_bounds(loss):
    """``lipschitz_bound`` bounds the Hessian's spectrum within 2%; ``largest_curvature``
    estimates its top at a point from below; the directional curvature equals ``Dᵀ(∇²F)D`` from
    the closed-form Hessian."""
    problem = make_problem(loss, 1e-2)
    coef = jnp.asarray(np.random.default_rng(0).normal(size=problem.zeros().shape))
    A = np.asarray(problem.design())
    c = {"binary": 0.25, "multinomial": 0.5, "squared": 1.0}[loss]
    exact = c * np.linalg.eigvalsh(A.T @ A / len(A))[-1] + 1e-2
    L = float(lipschitz_bound(problem))
    assert exact <= L <= 1.02 * exact
    top = np.linalg.eigvalsh(problem.smooth_hessian(coef))[-1]
    assert top <= L
    assert 0.5 * top <= float(largest_curvature(problem, coef)) <= top * (1 + 1e-12)
    D = jnp.asarray(np.random.default_rng(1).normal(size=coef.shape))
    H = problem.smooth_hessian(coef)
    np.testing.assert_allclose(
        directional_curvature(problem, coef, D), D.ravel() @ H @ D.ravel(), rtol=1e-12
    )
