"""Box constraints and the grouped multinomial lasso in the proximal solvers ("prox", "cd": Gram
and residual forms), on problems built directly (no engine): bounded fits against glmnet's
``lower.limits``/``upper.limits`` and cvxpy (Clarabel), the grouped lasso against cvxpy, the
solvers against each other, and the solvers that refuse."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse
from conftest import BOX_LOWER, BOX_UPPER, glmnet_fit, standardized

from jaxlogreg.core.design import SparseDesign
from jaxlogreg.core.losses import get_loss
from jaxlogreg.core.penalties import ElasticNetPenalty, column_norms
from jaxlogreg.core.problem import Problem
from jaxlogreg.solvers import SOLVERS, CoordinateDescent, get_solver, iterative_solve

INF = np.inf
SOLVER_FORMS = {"prox": SOLVERS["prox"], "cd-gram": CoordinateDescent(form="gram")}
RESIDUAL = CoordinateDescent(form="residual")
LOWER, UPPER = BOX_LOWER, BOX_UPPER  # bounds of the 10 features of the binary problem


def problem_of(X, T, loss, lam, l1_ratio, *, lower=None, upper=None, grouped=False):
    """The glmnet-convention problem with an intercept; bounds ``(K, p)`` or ``None``."""
    n, p = X.shape
    K = T.shape[1]

    def with_intercept(bound, fill):
        if bound is None:
            return None
        return jnp.concatenate([jnp.asarray(bound, float), jnp.full((K, 1), fill)], axis=1)

    return Problem(
        X=X if isinstance(X, SparseDesign) else jnp.asarray(X),
        targets=jnp.asarray(T, float),
        weights=jnp.full(n, 1.0 / n),
        penalty=ElasticNetPenalty(
            jnp.asarray(lam),
            jnp.asarray(l1_ratio),
            jnp.r_[jnp.ones(p), 0.0],
            lower=with_intercept(lower, -INF),
            upper=with_intercept(upper, INF),
            grouped=grouped,
        ),
        loss=get_loss(loss),
        fit_intercept=True,
    )


@partial(jax.jit, static_argnames="solver")
def _solve(problem, start, solver):
    return iterative_solve(solver, problem, start, max_iter=5000, tol=1e-10)


def solve(problem, solver, start=None):
    solution = _solve(problem, problem.zeros() if start is None else start, solver)
    assert bool(solution.converged)
    return solution


@pytest.fixture(scope="module")
def cancer():
    X, y = standardized("breast_cancer", slice(0, 10))
    return X, y


def glmnet_bounded(X, y, lam, l1_ratio):
    """glmnet's ``[coef, intercept]`` at ``λ`` with the bounds ``LOWER``/``UPPER``."""
    return np.r_[glmnet_fit(X, y, lam, l1_ratio)]


@pytest.mark.parametrize("l1_ratio", [1.0, 0.0])
def test_bounded_binary_fit_equals_glmnet(cancer, l1_ratio):
    X, y = cancer
    lam = 0.005
    expected = glmnet_bounded(X, y, lam, l1_ratio)
    problem = problem_of(
        X, y[:, None], "binary", lam, l1_ratio, lower=LOWER[None], upper=UPPER[None]
    )
    for name, solver in SOLVER_FORMS.items():
        coef = np.asarray(solve(problem, solver).coef)[0]
        np.testing.assert_allclose(coef, expected, atol=1e-5, err_msg=name)
        assert np.all(coef[:-1] >= LOWER) and np.all(coef[:-1] <= UPPER), name
    assert np.sum(np.isin(expected[:-1], np.r_[LOWER, UPPER])) >= 3  # bounds that bind


def cvxpy_multinomial(X, T, lam, l1_ratio, *, lower=None, upper=None, grouped=False):
    """``(objective, W, b)`` of the glmnet-convention multinomial problem, by Clarabel."""
    cp = pytest.importorskip("cvxpy")
    n, p = X.shape
    K = T.shape[1]
    W, b = cp.Variable((K, p)), cp.Variable(K)
    Z = X @ W.T + np.ones((n, 1)) @ cp.reshape(b, (1, K), order="C")
    risk = (cp.sum(cp.log_sum_exp(Z, axis=1)) - cp.sum(cp.multiply(T, Z))) / n
    l1 = cp.sum(cp.norm(W, 2, axis=0)) if grouped else cp.sum(cp.abs(W))
    objective = risk + lam * ((1 - l1_ratio) / 2 * cp.sum_squares(W) + l1_ratio * l1)
    constraints = []
    if lower is not None:
        constraints.append(W >= np.maximum(lower, -1e6))
    if upper is not None:
        constraints.append(W <= np.minimum(upper, 1e6))
    problem = cp.Problem(cp.Minimize(objective), constraints)
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return problem.value, W.value, b.value


@pytest.fixture(scope="module")
def iris():
    X, y = standardized("iris")
    return X, np.eye(3)[y]


def test_bounded_multinomial_fit_equals_cvxpy(iris):
    X, T = iris
    lower = np.array([[-0.5] * 4, [-0.3, -INF, 0.0, -0.1], [-INF] * 4])
    upper = np.array([[1.0] * 4, [0.2] * 4, [INF, 0.0, INF, 1.5]])
    lam, l1_ratio = 0.02, 0.7
    value, W, _ = cvxpy_multinomial(X, T, lam, l1_ratio, lower=lower, upper=upper)
    problem = problem_of(X, T, "multinomial", lam, l1_ratio, lower=lower, upper=upper)
    for name, solver in SOLVER_FORMS.items():
        solution = solve(problem, solver)
        np.testing.assert_allclose(float(solution.objective), value, rtol=1e-8, err_msg=name)
        np.testing.assert_allclose(np.asarray(solution.coef)[:, :-1], W, atol=1e-5, err_msg=name)


def test_nonnegative_lasso(cancer):
    """``lower = 0``: every coefficient ``≥ 0``; the ones the unconstrained lasso makes negative
    sit at ``0``, held there by a gradient that pushes outward (the KKT check at the bound)."""
    X, y = cancer
    lam = 0.002
    free = solve(problem_of(X, y[:, None], "binary", lam, 1.0), SOLVER_FORMS["cd-gram"])
    bounded = problem_of(X, y[:, None], "binary", lam, 1.0, lower=np.zeros((1, 10)))
    for name, solver in SOLVER_FORMS.items():
        solution = solve(bounded, solver)
        coef = np.asarray(solution.coef)[0, :-1]
        assert np.all(coef >= 0), name
        negative = np.asarray(free.coef)[0, :-1] < 0
        assert negative.any()
        _, grad = bounded.smooth_value_and_grad(solution.coef)
        at_zero = coef == 0
        assert at_zero[negative].any(), name
        assert float(solution.objective) >= float(free.objective), name
        # At 0 the gradient may push down (g > λ) but never up beyond the L1 level (g ≥ −λ).
        assert np.all(np.asarray(grad)[0, :-1][at_zero] >= -lam - 1e-9), name


def test_start_outside_the_box_is_projected(cancer):
    X, y = cancer
    problem = problem_of(X, y[:, None], "binary", 0.005, 0.5, lower=LOWER[None], upper=UPPER[None])
    outside = jnp.full(problem.zeros().shape, 3.0).at[:, :-1].set(-3.0)
    for name, solver in SOLVER_FORMS.items():
        expected = solve(problem, solver).coef
        np.testing.assert_allclose(
            solve(problem, solver, outside).coef, expected, atol=1e-7, err_msg=name
        )


def test_bounds_are_data_under_vmap(cancer):
    """A batch of upper bounds shares one program and gives the answers of a Python loop."""
    X, y = cancer
    uppers = np.array([[INF] * 10, np.full(10, 0.3), UPPER])

    def fit(upper):
        problem = problem_of(X, y[:, None], "binary", 0.01, 0.5, upper=upper[None])
        return _solve(problem, problem.zeros(), SOLVERS["cd"]).coef

    batched = jax.jit(jax.vmap(fit))(jnp.asarray(uppers))
    for upper, coef in zip(uppers, batched, strict=True):
        np.testing.assert_allclose(coef, fit(jnp.asarray(upper)), atol=1e-8)


def test_grouped_lasso_equals_cvxpy(iris):
    X, T = iris
    lam, l1_ratio = 0.05, 0.8
    value, W, _ = cvxpy_multinomial(X, T, lam, l1_ratio, grouped=True)
    problem = problem_of(X, T, "multinomial", lam, l1_ratio, grouped=True)
    coefs = {}
    for name, solver in SOLVER_FORMS.items():
        solution = solve(problem, solver)
        np.testing.assert_allclose(float(solution.objective), value, rtol=1e-6, err_msg=name)
        coefs[name] = np.asarray(solution.coef)
        norms = np.asarray(column_norms(solution.coef))[:-1]
        zero_columns = norms == 0
        assert zero_columns.any() and not zero_columns.all(), name  # a feature dropped, not all
        assert np.all((coefs[name][:, :-1] == 0) == zero_columns[None]), name  # all or none
    np.testing.assert_allclose(coefs["prox"], coefs["cd-gram"], atol=1e-6)
    np.testing.assert_allclose(coefs["prox"][:, :-1], W, atol=1e-5)


def test_grouped_lasso_on_a_sparse_x(iris):
    """The residual form's block updates on the nonzeros of a sparse ``X`` equal the dense fit."""
    X, T = iris
    X = np.where(np.abs(X) > 0.5, X, 0.0)
    csr = scipy.sparse.csr_matrix(X)
    sparse = SparseDesign.from_csr(csr.data, csr.indices, csr.indptr, csr.shape)
    dense = problem_of(X, T, "multinomial", 0.03, 1.0, grouped=True)
    expected = solve(dense, SOLVERS["prox"]).coef
    problem = problem_of(sparse, T, "multinomial", 0.03, 1.0, grouped=True)
    np.testing.assert_allclose(solve(problem, RESIDUAL).coef, expected, atol=1e-6)


@pytest.mark.slow
def test_residual_form_with_bounds_and_groups(cancer, iris):
    """Coordinate descent on the residual (never a Hessian) equals the Gram form, bounded and
    grouped."""
    X, y = cancer
    problem = problem_of(X, y[:, None], "binary", 0.005, 0.5, lower=LOWER[None], upper=UPPER[None])
    expected = solve(problem, SOLVER_FORMS["cd-gram"]).coef
    np.testing.assert_allclose(solve(problem, RESIDUAL).coef, expected, atol=1e-7)
    X, T = iris
    lower = np.array([[-0.5] * 4, [-0.3, -INF, 0.0, -0.1], [-INF] * 4])
    for options in (dict(lower=lower), dict(grouped=True)):
        problem = problem_of(X, T, "multinomial", 0.02, 0.7, **options)
        expected = solve(problem, SOLVER_FORMS["cd-gram"]).coef
        np.testing.assert_allclose(solve(problem, RESIDUAL).coef, expected, atol=1e-7)


@pytest.mark.parametrize("name", sorted(set(SOLVERS) - {"prox", "cd"}))
def test_other_solvers_refuse_bounds_and_groups(name):
    with pytest.raises(ValueError, match=r"solver='prox' or solver='cd'"):
        get_solver(name, grouped=True)
    with pytest.raises(ValueError, match=r"solver='prox' or solver='cd'"):
        get_solver(name, bounds=True, l1=True)
    if name != "lbfgs":
        with pytest.raises(ValueError, match=r"solver='prox', solver='cd' or solver='lbfgs'"):
            get_solver(name, bounds=True)
    for name in ("prox", "cd"):
        get_solver(name, bounds=True, l1=True)
        get_solver(name, grouped=True)
    get_solver("lbfgs", bounds=True)


def _check_history(problem, solver, start=None):
    """A bounded solve with its objective history: converged, never increasing, in the box."""
    start = problem.zeros() if start is None else start
    solution = jax.jit(
        lambda p, s: iterative_solve(solver, p, s, max_iter=5000, tol=1e-10, history=True)
    )(problem, start)
    assert bool(solution.converged)
    history = np.asarray(solution.history)
    history = history[~np.isnan(history)]
    assert np.all(np.diff(history) <= 1e-15 * np.abs(history[:-1]))
    coef = np.asarray(solution.coef)[:, :-1]
    penalty = problem.penalty
    for bound, side in ((penalty.lower, 1), (penalty.upper, -1)):
        if bound is not None:
            assert np.all(side * (coef - np.asarray(bound)[:, :-1]) >= 0)
    return solution


def test_projected_lbfgs_equals_glmnet(cancer):
    """Bounds on a ridge fit by the projected quasi-Newton ``"lbfgs"``: glmnet's coefficients,
    several held on a bound, from a start at zero and from one outside the box."""
    X, y = cancer
    lam = 0.005
    expected = glmnet_bounded(X, y, lam, 0.0)
    problem = problem_of(X, y[:, None], "binary", lam, 0.0, lower=LOWER[None], upper=UPPER[None])
    outside = jnp.full(problem.zeros().shape, 3.0).at[:, :-1].set(-3.0)
    for start in (None, outside):
        solution = _check_history(problem, SOLVERS["lbfgs"], start)
        np.testing.assert_allclose(np.asarray(solution.coef)[0], expected, atol=1e-5)
    assert np.sum(np.isin(expected[:-1], np.r_[LOWER, UPPER])) >= 3  # bounds that bind


def test_projected_lbfgs_multinomial_equals_cvxpy(iris):
    X, T = iris
    lower = np.array([[-0.5] * 4, [-0.3, -INF, 0.0, -0.1], [-INF] * 4])
    upper = np.array([[1.0] * 4, [0.2] * 4, [INF, 0.0, INF, 1.5]])
    lam = 0.02
    value, W, _ = cvxpy_multinomial(X, T, lam, 0.0, lower=lower, upper=upper)
    problem = problem_of(X, T, "multinomial", lam, 0.0, lower=lower, upper=upper)
    solution = _check_history(problem, SOLVERS["lbfgs"])
    np.testing.assert_allclose(float(solution.objective), value, rtol=1e-8)
    np.testing.assert_allclose(np.asarray(solution.coef)[:, :-1], W, atol=1e-5)


def test_projected_lbfgs_on_a_sparse_x_and_under_vmap(cancer):
    """Sparse ``X`` gives the dense answer; a batch of bounds gives a Python loop's answers."""
    X, y = cancer
    X = np.where(np.abs(X) > 0.7, X, 0.0)
    csr = scipy.sparse.csr_matrix(X)
    sparse = SparseDesign.from_csr(csr.data, csr.indices, csr.indptr, csr.shape)
    options = dict(lower=LOWER[None], upper=UPPER[None])
    dense = solve(problem_of(X, y[:, None], "binary", 0.01, 0.0, **options), SOLVERS["cd"])
    problem = problem_of(sparse, y[:, None], "binary", 0.01, 0.0, **options)
    np.testing.assert_allclose(solve(problem, SOLVERS["lbfgs"]).coef, dense.coef, atol=1e-6)

    def fit(upper):
        problem = problem_of(X, y[:, None], "binary", 0.01, 0.0, upper=upper[None])
        return _solve(problem, problem.zeros(), SOLVERS["lbfgs"]).coef

    uppers = jnp.asarray(np.array([[INF] * 10, np.full(10, 0.3), UPPER]))
    batched = jax.jit(jax.vmap(fit))(uppers)
    for upper, coef in zip(uppers, batched, strict=True):
        np.testing.assert_allclose(coef, fit(upper), atol=1e-8)
