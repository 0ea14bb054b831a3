"""The solver engine: Newton and IRLS agree, never increase the objective, keep their state's
type, handle singular Hessians, batch under vmap exactly like a loop, and compile once."""

import dataclasses
import itertools
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import standardized

import jaxlogreg
from jaxlogreg.core.problem import Problem
from jaxlogreg.engine.functional import solve
from jaxlogreg.losses import BINARY, MULTINOMIAL, SQUARED
from jaxlogreg.penalties import ElasticNetPenalty
from jaxlogreg.solvers import SOLVERS, iterative_solve


def targets_for(loss, y, K):
    if loss is MULTINOMIAL:
        return np.eye(K)[y]
    if loss is BINARY:
        return (y == y.max()).astype(float)
    return y.astype(float)


def problem_for(loss, X, y, lam, fit_intercept=True):
    T = jnp.asarray(targets_for(loss, y, y.max() + 1)).reshape(len(y), -1)
    p = X.shape[1]
    factors = jnp.concatenate([jnp.ones(p), jnp.zeros(int(fit_intercept))])
    return Problem(
        X=jnp.asarray(X),
        targets=T,
        weights=jnp.full(len(y), 1.0 / len(y)),
        penalty=ElasticNetPenalty(jnp.asarray(lam), jnp.asarray(0.0), factors),
        loss=loss,
        fit_intercept=fit_intercept,
    )


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL, SQUARED], ids=lambda l: l.name)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_newton_and_irls_agree(loss, fit_intercept):
    X, y = standardized("wine")
    kw = dict(lam=1e-2, loss=loss, fit_intercept=fit_intercept, tol=1e-12)
    Y = targets_for(loss, y, 3)
    newton = jaxlogreg.fit(X, Y, solver="newton", **kw)
    irls = jaxlogreg.fit(X, Y, solver="irls", **kw)
    assert bool(newton.converged) and bool(irls.converged)
    np.testing.assert_allclose(irls.coef, newton.coef, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(irls.intercept, newton.intercept, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(irls.objective, newton.objective, rtol=1e-13)


def test_squared_loss_newton_is_the_normal_equations():
    X, y = standardized("wine")
    lam = 0.1
    fitted = jaxlogreg.fit(X, y.astype(float), lam=lam, loss="squared", tol=1e-12)
    A = np.hstack([X, np.ones((len(y), 1))])
    L = np.diag(np.r_[np.full(X.shape[1], lam), 0.0])
    theta = np.linalg.solve(A.T @ A / len(y) + L, A.T @ y / len(y))
    np.testing.assert_allclose(fitted.coef[0], theta[:-1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fitted.intercept[0], theta[-1], rtol=1e-10)


@pytest.mark.parametrize("solver", ["newton", "irls"])
@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL], ids=lambda l: l.name)
def test_objective_never_increases_and_state_keeps_its_type(solver, loss):
    X, y = standardized("iris")
    X = X * 10.0  # badly scaled: full Newton steps overshoot, the line search must act
    problem = problem_for(loss, X, y, lam=1e-3)
    method = SOLVERS[solver]
    state = method.init(problem, problem.zeros())
    step = jax.jit(method.step)
    assert jax.tree.structure(jax.eval_shape(step, problem, state)) == jax.tree.structure(state)
    for leaf, new in zip(
        jax.tree.leaves(state), jax.tree.leaves(jax.eval_shape(step, problem, state)), strict=True
    ):
        assert (leaf.shape, leaf.dtype) == (new.shape, new.dtype)
    objectives = [float(state.objective)]
    for _ in range(15):
        state = step(problem, state)
        objectives.append(float(state.objective))
        np.testing.assert_allclose(state.objective, problem.objective(state.coef), rtol=1e-14)
    rounding = 4 * np.finfo(float).eps * objectives[0]
    assert all(b <= a + rounding for a, b in itertools.pairwise(objectives))
    assert objectives[-1] < objectives[0]
    assert float(state.kkt_violation) < 1e-8


def test_unpenalized_multinomial_singular_hessian_is_handled():
    X, y = standardized("iris", slice(0, 2))
    result = jaxlogreg.fit(X, np.eye(3)[y], lam=0.0, loss="multinomial", tol=1e-10)
    assert bool(result.converged)
    # the solution is class-centred (the minimum-norm member of the set of minimizers)
    np.testing.assert_allclose(result.coef.sum(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(result.intercept.sum(), 0.0, atol=1e-10)


def test_collinear_columns_converge_and_split_the_weight():
    X, y = standardized("breast_cancer", slice(0, 5))
    X = np.hstack([X, X[:, :1]])  # an exact duplicate column: the Hessian is singular at λ = 0
    for lam in (0.0, 1e-3):
        result = jaxlogreg.fit(X, (y == 1).astype(float), lam=lam, tol=1e-9)
        assert bool(result.converged)
        assert np.all(np.isfinite(result.coef))
    # with a ridge penalty the two copies share the weight equally
    np.testing.assert_allclose(result.coef[0, 0], result.coef[0, -1], rtol=1e-8)


@pytest.mark.parametrize("solver", ["newton", "irls"])
def test_vmap_over_16_lambdas_equals_the_loop(solver):
    X, y = standardized("breast_cancer")
    t = (y == 1).astype(float)
    lams = jnp.logspace(-4, 0, 16)
    batched = jax.vmap(lambda lam: jaxlogreg.fit(X, t, lam=lam, solver=solver, tol=1e-10))(lams)
    for i, lam in enumerate(lams):
        single = jaxlogreg.fit(X, t, lam=lam, solver=solver, tol=1e-10)
        np.testing.assert_allclose(batched.coef[i], single.coef, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(batched.intercept[i], single.intercept, rtol=1e-12, atol=1e-13)
        assert int(batched.n_iter[i]) == int(single.n_iter)
        assert bool(batched.converged[i]) and bool(single.converged)


def test_vmap_over_fold_weight_masks_and_ovr_targets_equals_the_loop():
    X, y = standardized("wine")
    folds = np.arange(len(y)) % 4
    masks = jnp.asarray((folds[None, :] != np.arange(4)[:, None]).astype(float))
    t = (y == 0).astype(float)
    batched = jax.vmap(lambda w: jaxlogreg.fit(X, t, lam=1e-2, sample_weight=w, tol=1e-10))(masks)
    for k in range(4):
        keep = folds != k
        single = jaxlogreg.fit(X[keep], t[keep], lam=1e-2, tol=1e-10)
        np.testing.assert_allclose(batched.coef[k], single.coef, rtol=1e-10, atol=1e-12)
    ovr = jnp.asarray((y[None, :] == np.arange(3)[:, None]).astype(float))
    batched = jax.vmap(lambda t: jaxlogreg.fit(X, t, lam=1e-2, tol=1e-10))(ovr)
    for k in range(3):
        single = jaxlogreg.fit(X, ovr[k], lam=1e-2, tol=1e-10)
        np.testing.assert_allclose(batched.coef[k], single.coef, rtol=1e-12, atol=1e-13)


def test_second_same_shape_fit_does_not_retrace():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    jaxlogreg.fit(X, (X[:, 0] > 0).astype(float), lam=0.1)
    compiled = solve._cache_size()
    X2 = rng.normal(size=(60, 4))
    jaxlogreg.fit(X2, (X2[:, 1] > 0).astype(float), lam=0.37, tol=1e-5, sample_weight=np.ones(60))
    assert solve._cache_size() == compiled


def test_float32_runs_in_float32_and_agrees_with_float64():
    X, y = standardized("breast_cancer")
    t = (y == 1).astype(float)
    reference = jaxlogreg.fit(X, t, lam=1e-2, tol=1e-10)
    with jax.enable_x64(False):
        single = jaxlogreg.fit(np.float32(X), np.float32(t), lam=1e-2, tol=1e-5)
        assert single.coef.dtype == jnp.float32
        assert bool(single.converged)
    np.testing.assert_allclose(single.coef, reference.coef, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(lam=-1.0), "lam must be >= 0"),
        (dict(lam=1.0, l1_ratio=1.5), r"l1_ratio must be in \[0, 1\]"),
        (dict(lam=1.0, tol=0.0), "tol must be > 0"),
        (dict(lam=1.0, solver="simplex"), "unknown solver 'simplex'"),
    ],
)
def test_fit_rejects_bad_hyperparameters(kwargs, message):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match=message):
        jaxlogreg.fit(X, (X[:, 0] > 0).astype(float), **kwargs)


@pytest.mark.parametrize(
    ("loss", "y", "message"),
    [
        ("binary", np.arange(10) % 3, r"y must lie in \[0, 1\] for loss='binary'.*\[0, 2\]"),
        ("binary", -(np.arange(10) % 2), r"y must lie in \[0, 1\]"),
        ("multinomial", 2 * np.eye(3)[np.arange(10) % 3], r"row sums in \[2, 2\]"),
        ("multinomial", np.eye(3)[np.arange(10) % 3] - 0.5, "non-negative"),
    ],
)
def test_fit_rejects_targets_outside_their_loss_domain(loss, y, message):
    """Class labels 0, 1, 2 passed to the binary loss (or unnormalized multinomial rows) make
    the cross-entropy unbounded below: a clear error, not a diverged fit."""
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match=message):
        jaxlogreg.fit(X, y.astype(float), loss=loss, lam=1.0)


def test_soft_targets_inside_the_domain_are_accepted():
    X = np.random.default_rng(0).normal(size=(10, 2))
    soft = np.full(10, 0.3)
    rows = np.tile([0.2, 0.5, 0.3], (10, 1))
    assert np.isfinite(float(jaxlogreg.fit(X, soft, lam=1.0).objective))
    assert np.isfinite(float(jaxlogreg.fit(X, rows, loss="multinomial", lam=1.0).objective))


def test_newton_refuses_an_l1_penalty_and_names_what_to_use():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="cannot handle an L1 penalty"):
        jaxlogreg.fit(X, (X[:, 0] > 0).astype(float), lam=1.0, l1_ratio=0.5, solver="newton")


def test_many_vmapped_newton_problems_do_not_deadlock():
    """Sixteen one-vs-rest Newton solves in one vmap (a batched Cholesky inside a vmapped
    while loop deadlocked XLA's CPU runtime); run in a subprocess so a regression fails, not hangs.
    """
    code = textwrap.dedent(
        """
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp, numpy as np
        from sklearn.datasets import load_digits
        from sklearn.preprocessing import StandardScaler
        import jaxlogreg
        X, y = load_digits(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        T = jnp.asarray((y[None, :] == np.arange(16)[:, None] % 10).astype(float))
        fits = jax.vmap(lambda t: jaxlogreg.fit(X, t, lam=1e-3, tol=1e-10))(T)
        assert bool(fits.converged.all()), fits.n_iter
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL], ids=lambda l: l.name)
def test_a_known_risk_replaces_the_starting_evaluation(loss):
    """``iterative_solve(risk=…)`` starts from the risk it is given, not from a pass over X: a
    deliberately wrong one shows in the starting state, the right one changes nothing."""
    X, y = standardized("wine")
    problem = problem_for(loss, X, y, 1e-2)
    coef = jnp.full(problem.zeros().shape, 0.01)
    right = problem.risk_and_grad_given_Z(problem.linear_predictor(coef))
    wrong = right._replace(value=right.value + 1.0)
    cd = SOLVERS["cd"]
    at_start = iterative_solve(cd, problem, coef, max_iter=0, tol=1e-8, risk=wrong)
    np.testing.assert_allclose(at_start.objective, problem.objective(coef) + 1.0, rtol=1e-14)
    for name in ("cd", "newton", "lbfgs"):
        plain = iterative_solve(SOLVERS[name], problem, coef, max_iter=100, tol=1e-10)
        known = iterative_solve(SOLVERS[name], problem, coef, max_iter=100, tol=1e-10, risk=right)
        np.testing.assert_allclose(known.coef, plain.coef, atol=1e-12)
        assert int(known.n_iter) == int(plain.n_iter)
        # The risk handed on at the solution is the one a pass over X gives there.
        fresh = problem.risk_and_grad_given_Z(problem.linear_predictor(known.coef))
        np.testing.assert_allclose(known.risk.value, fresh.value, rtol=1e-13)
        np.testing.assert_allclose(known.risk.grad, fresh.grad, atol=1e-13)


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL, SQUARED], ids=lambda l: l.name)
def test_a_problem_holding_x_transposed_gives_the_same_evaluations(loss):
    X, y = standardized("wine")
    problem = problem_for(loss, X, y, 1e-2)
    with_copy = dataclasses.replace(problem, X_T=jnp.asarray(np.ascontiguousarray(X.T)))
    coef = jnp.asarray(np.random.default_rng(0).normal(size=problem.zeros().shape))
    for a, b in zip(
        problem.smooth_value_and_grad(coef), with_copy.smooth_value_and_grad(coef), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
    # The gradient equals jax.grad of the objective (the closed form behind it is design_rmatmul).
    np.testing.assert_allclose(
        with_copy.smooth_value_and_grad(coef)[1],
        jax.grad(problem.smooth_value)(coef),
        rtol=1e-12,
        atol=1e-13,
    )


def test_rows_of_zero_weight_are_not_checked_as_targets():
    """Padding rows (zero weight, all-zero multinomial targets) count for nothing."""
    X = np.random.default_rng(0).normal(size=(12, 2))
    T = np.eye(3)[np.arange(12) % 3]
    T[-2:] = 0.0
    weights = np.r_[np.ones(10), 0.0, 0.0]
    result = jaxlogreg.fit(X, T, loss="multinomial", lam=1.0, sample_weight=weights)
    reference = jaxlogreg.fit(X[:10], T[:10], loss="multinomial", lam=1.0)
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-8)
    with pytest.raises(ValueError, match="row sums"):
        jaxlogreg.fit(X, T, loss="multinomial", lam=1.0)
