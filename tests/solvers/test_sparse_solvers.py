"""L1 and elastic-net solvers ("prox": FISTA, "cd": proximal Newton + coordinate descent).

References: scikit-learn's liblinear and saga (logistic), Lasso and ElasticNet (squared loss),
in float64. scikit-learn's logistic objective is ``C·Σℓᵢ + (1−α)/2‖W‖² + α‖W‖₁``, ours times
``C·n`` when ``λ = 1/(C·n)``; Lasso/ElasticNet's objective is ours with ``λ = alpha``.
"""

import re
import warnings
from functools import cache, partial

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import ElasticNet, LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from jaxlogreg import fit  # noqa: E402
from jaxlogreg.core.problem import Problem  # noqa: E402
from jaxlogreg.engine.functional import solve  # noqa: E402
from jaxlogreg.losses import BINARY, MULTINOMIAL, SQUARED  # noqa: E402
from jaxlogreg.penalties import ElasticNetPenalty as Penalty  # noqa: E402
from jaxlogreg.solvers import FISTA, SOLVERS, CoordinateDescent, iterative_solve  # noqa: E402
from jaxlogreg.solvers.coordinate import uses_gram  # noqa: E402

# One max_iter per solver, so that every fit of one shape shares one compilation.
MAX_ITER = {"prox": 20000, "cd": 100}
SPARSE = ("prox", "cd")


@cache
def dataset(name):
    if name == "synthetic":
        # n = 200, p = 50, five true nonzero coefficients.
        rng = np.random.default_rng(0)
        X = rng.standard_normal((200, 50))
        w = np.zeros(50)
        w[:5] = [2.0, -1.5, 1.0, -1.0, 0.5]
        y = (rng.random(200) < 1 / (1 + np.exp(-(X @ w + 0.3)))).astype(float)
        return X, y
    loader = {
        "breast_cancer": load_breast_cancer,
        "iris": load_iris,
        "wine": load_wine,
        "diabetes": load_diabetes,
    }[name]
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if name == "diabetes":
        y = (y - y.mean()) / y.std()
    return X, y


def one_hot(y):
    return np.eye(y.max() + 1)[y]


def ours(X, y, *, lam, l1_ratio, solver, loss="binary", tol=1e-10, **kwargs):
    return fit(
        X,
        y,
        lam=lam,
        l1_ratio=l1_ratio,
        loss=loss,
        solver=solver,
        max_iter=MAX_ITER[solver],
        tol=tol,
        **kwargs,
    )


def logistic_objective(X, y, coef, intercept, lam, l1_ratio):
    """Our objective (glmnet convention) at scikit-learn's coefficients."""
    Z = X @ coef.T + intercept
    if coef.shape[0] == 1:
        risk = np.mean(np.logaddexp(0, Z[:, 0]) - y * Z[:, 0])
    else:
        risk = np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])
    penalty = l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * np.sum(coef**2)
    return risk + lam * penalty


def sklearn_logistic(X, y, C, l1_ratio, fit_intercept):
    # liblinear penalizes its intercept: use it only without one (and for L1 only).
    solver = "liblinear" if (l1_ratio == 1 and not fit_intercept) else "saga"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(
            C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-12, max_iter=20000,
            fit_intercept=fit_intercept,
        ).fit(X, y)  # fmt: skip
    intercept = model.intercept_ if fit_intercept else np.zeros(model.coef_.shape[0])
    return model, intercept


# ---------------------------------------------------------------- binary, against scikit-learn

BINARY_CASES = [
    # (dataset, l1_ratio, C, fit_intercept)
    *[("breast_cancer", 1.0, C, True) for C in (0.05, 0.1)],
    *[("breast_cancer", 1.0, C, False) for C in (0.1, 0.5, 1.0)],
    *[("breast_cancer", 0.5, C, True) for C in (0.05, 0.1, 0.5)],
    *[("synthetic", 1.0, C, True) for C in (0.05, 0.1, 0.5, 1.0)],
    *[("synthetic", 1.0, C, False) for C in (0.05, 0.1)],
    *[("synthetic", 0.5, C, True) for C in (0.1, 0.5, 1.0)],
]


@pytest.mark.parametrize(("name", "l1_ratio", "C", "fit_intercept"), BINARY_CASES)
def test_binary_matches_sklearn(name, l1_ratio, C, fit_intercept):
    X, y = dataset(name)
    n = len(y)
    lam = 1 / (C * n)
    model, intercept = sklearn_logistic(X, y, C, l1_ratio, fit_intercept)
    reference = logistic_objective(X, y, model.coef_, intercept, lam, l1_ratio)
    for solver in SPARSE:
        result = ours(X, y, lam=lam, l1_ratio=l1_ratio, solver=solver, fit_intercept=fit_intercept)
        assert bool(result.converged), solver
        coef = np.asarray(result.coef)
        assert float(result.objective) == pytest.approx(reference, rel=1e-6), solver
        mine = logistic_objective(X, y, coef, np.asarray(result.intercept), lam, l1_ratio)
        assert float(result.objective) == pytest.approx(mine, rel=1e-12), solver
        np.testing.assert_array_equal(coef != 0, model.coef_ != 0, err_msg=solver)
        np.testing.assert_allclose(coef, model.coef_, atol=1e-5, err_msg=solver)


# ----------------------------------------------------------- multinomial, against scikit-learn


@pytest.mark.parametrize("name", ["iris", "wine"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("C", [0.1, 1.0])
def test_multinomial_matches_sklearn_saga(name, l1_ratio, C):
    X, y = dataset(name)
    n = len(y)
    lam = 1 / (C * n)
    model, intercept = sklearn_logistic(X, y, C, l1_ratio, True)
    saga_converged = model.n_iter_[0] < 20000
    reference = logistic_objective(X, y, model.coef_, intercept, lam, l1_ratio)
    for solver in SPARSE:
        result = ours(X, one_hot(y), lam=lam, l1_ratio=l1_ratio, solver=solver, loss="multinomial")
        assert bool(result.converged), solver
        assert float(result.objective) <= reference * (1 + 1e-8), solver
        if saga_converged:
            np.testing.assert_array_equal(
                np.asarray(result.coef) != 0, model.coef_ != 0, err_msg=solver
            )


# ------------------------------------------------ squared loss, against Lasso and ElasticNet


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_squared_matches_sklearn_elastic_net(l1_ratio, alpha):
    X, y = dataset("diabetes")
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-15, max_iter=100000).fit(X, y)
    for solver in SPARSE:
        result = ours(X, y, lam=alpha, l1_ratio=l1_ratio, solver=solver, loss="squared", tol=1e-12)
        assert bool(result.converged), solver
        np.testing.assert_allclose(result.coef[0], model.coef_, rtol=0, atol=1e-8, err_msg=solver)
        assert float(result.intercept[0]) == pytest.approx(model.intercept_, abs=1e-8)
        np.testing.assert_array_equal(result.coef[0] != 0, model.coef_ != 0, err_msg=solver)


# --------------------------------------------------------------------- properties of the solvers


def test_solvers_registered_and_handle_l1():
    assert SOLVERS["prox"].supports_l1 and SOLVERS["cd"].supports_l1
    assert isinstance(SOLVERS["prox"], FISTA)
    assert isinstance(SOLVERS["cd"], CoordinateDescent)


def make_problem(X, targets, lam, l1_ratio, loss, fit_intercept=True):
    n, p = X.shape
    factors = jnp.concatenate([jnp.ones(p), jnp.zeros(int(fit_intercept))])
    return Problem(
        X=jnp.asarray(X),
        targets=jnp.asarray(targets, jnp.float64).reshape(n, -1),
        weights=jnp.full(n, 1.0 / n),
        penalty=Penalty(jnp.asarray(lam), jnp.asarray(l1_ratio), factors),
        loss=loss,
        fit_intercept=fit_intercept,
    )


PROBLEMS = {
    "binary": lambda: make_problem(*dataset("breast_cancer"), 1 / 569, 1.0, BINARY),
    "multinomial": lambda: make_problem(
        dataset("wine")[0], one_hot(dataset("wine")[1]), 0.02, 0.7, MULTINOMIAL
    ),
    "squared": lambda: make_problem(*dataset("diabetes"), 0.05, 0.5, SQUARED),
}


@pytest.mark.parametrize("solver", [FISTA(), CoordinateDescent()], ids=["prox", "cd"])
@pytest.mark.parametrize("kind", sorted(PROBLEMS))
def test_objective_never_increases_and_state_keeps_its_structure(solver, kind):
    problem = PROBLEMS[kind]()
    state = jax.jit(solver.init)(problem, problem.zeros())
    # One step keeps the structure, shapes and dtypes of the state.
    before = jax.eval_shape(solver.init, problem, problem.zeros())
    after = jax.eval_shape(solver.step, problem, before)
    assert jax.tree.structure(after) == jax.tree.structure(before)
    assert jax.tree.map(lambda a: (a.shape, a.dtype), after) == jax.tree.map(
        lambda a: (a.shape, a.dtype), before
    )
    step = jax.jit(solver.step)
    objectives = [float(state.objective)]
    for _ in range(60 if isinstance(solver, FISTA) else 8):
        state = step(problem, state)
        objectives.append(float(state.objective))
        reference = float(problem.objective(state.coef))
        assert objectives[-1] == pytest.approx(reference, rel=1e-14, abs=1e-300)
        assert float(state.kkt_violation) == float(problem.kkt_violation(state.coef, state.grad))
    assert np.all(np.diff(objectives) <= 0)
    assert objectives[-1] < objectives[0]


@pytest.mark.parametrize("solver", SPARSE)
def test_objective_never_increases_with_max_iter(solver):
    X, y = dataset("synthetic")
    objectives = [
        float(fit(X, y, lam=0.01, l1_ratio=0.8, solver=solver, max_iter=k, tol=1e-10).objective)
        for k in (1, 2, 3)
    ]
    assert np.all(np.diff(objectives) <= 0)


@pytest.mark.parametrize("solver", SPARSE)
def test_vmap_over_lambda_equals_loop(solver):
    X, y = dataset("synthetic")
    lams = jnp.array([0.01, 0.02, 0.04, 0.08])
    static = dict(loss=BINARY, solver=solver, fit_intercept=True, max_iter=MAX_ITER[solver])
    n, p = X.shape
    args = (jnp.asarray(X), jnp.asarray(y)[:, None], jnp.ones(n))
    rest = (jnp.asarray(0.7), jnp.ones(p), jnp.zeros((1, p + 1)), jnp.asarray(1e-12))
    batched = jax.jit(jax.vmap(lambda lam: solve(*args, lam, *rest, **static)))(lams)
    for i, lam in enumerate(lams):
        single = solve(*args, lam, *rest, **static)
        assert bool(single.converged)
        np.testing.assert_allclose(batched.coef[i], single.coef, rtol=0, atol=1e-10)
        np.testing.assert_allclose(batched.intercept[i], single.intercept, rtol=0, atol=1e-10)
        assert float(batched.objective[i]) == pytest.approx(float(single.objective), rel=1e-13)


def test_vmap_over_l1_ratio_and_weights_with_cd():
    """Cross-validation-like batch: 0/1 sample weights (folds) and l1_ratio vary together."""
    X, y = dataset("wine")
    n, p = X.shape
    rng = np.random.default_rng(3)
    weights = jnp.asarray((rng.random((3, n)) > 0.3).astype(float))
    ratios = jnp.array([1.0, 0.5, 0.2])
    static = dict(loss=MULTINOMIAL, solver="cd", fit_intercept=True, max_iter=MAX_ITER["cd"])
    T = jnp.asarray(one_hot(y))

    def one(w, a):
        return solve(X, T, w, 0.02, a, jnp.ones(p), jnp.zeros((3, p + 1)), 1e-10, **static)

    batched = jax.jit(jax.vmap(one))(weights, ratios)
    for i in range(3):
        single = one(weights[i], ratios[i])
        assert bool(single.converged)
        np.testing.assert_allclose(batched.coef[i], single.coef, rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", ["binary", "multinomial"])
def test_lazy_hessian_reaches_the_fresh_hessian_solution(kind):
    """Keeping an earlier Hessian changes the iterates, never the solution or the monotonicity."""
    problem = PROBLEMS[kind]()

    @partial(jax.jit, static_argnums=0)
    def run(solver, problem):
        return iterative_solve(solver, problem, problem.zeros(), max_iter=200, tol=1e-10,
                               history=True)  # fmt: skip

    fresh = run(CoordinateDescent(form="gram", refresh_ratio=0.0), problem)
    for ratio in (0.1, 0.9):
        lazy = run(CoordinateDescent(form="gram", refresh_ratio=ratio), problem)
        assert bool(lazy.converged)
        np.testing.assert_allclose(lazy.objective, fresh.objective, rtol=1e-13)
        # KKT violation ≤ 1e-10 fixes the weights to ~1e-10 / (smallest curvature): unscaled
        # breast-cancer features leave ~1e-7 (intercepts are identified only up to a shift)
        W_lazy, W_fresh = lazy.coef[:, :-1], fresh.coef[:, :-1]
        np.testing.assert_allclose(W_lazy, W_fresh, rtol=0, atol=1e-6)
        steps = np.asarray(lazy.history)[: int(lazy.n_iter) + 1]
        assert np.all(np.diff(steps) <= 64 * np.finfo(float).eps * np.abs(steps[1:]))


@pytest.mark.parametrize("form", ["gram", "residual"])
@pytest.mark.parametrize("kind", sorted(PROBLEMS))
def test_cd_without_an_l1_part_takes_newton_steps(kind, form):
    """For a ridge penalty the Gram form solves its model exactly, and so does the residual form
    where a Hessian fits: with a Hessian rebuilt at every step the iterates are Newton's (same
    count, same point; Newton's line search is on the smooth objective, which is then the whole
    objective)."""
    problem = PROBLEMS[kind]()
    ridge = problem.penalty._replace(l1_ratio=jnp.asarray(0.0))
    problem = Problem(**{**vars(problem), "penalty": ridge})
    start = problem.zeros()

    @partial(jax.jit, static_argnums=0)
    def run(solver, problem):
        return iterative_solve(solver, problem, start, max_iter=100, tol=1e-10)

    assert uses_gram(problem, CoordinateDescent().path_max_gram)
    cd = run(CoordinateDescent(form=form, refresh_ratio=0.0), problem)
    newton = run(SOLVERS["newton"], problem)
    assert bool(cd.converged) and bool(newton.converged)
    assert int(cd.n_iter) == int(newton.n_iter)
    np.testing.assert_allclose(cd.objective, newton.objective, rtol=1e-14)
    np.testing.assert_allclose(cd.coef[:, :-1], newton.coef[:, :-1], rtol=0, atol=1e-9)


def test_refresh_ratio_is_checked():
    with pytest.raises(ValueError, match="refresh_ratio"):
        CoordinateDescent(refresh_ratio=1.0)


def test_gram_and_residual_forms_agree():
    problem = PROBLEMS["multinomial"]()
    gram, residual = CoordinateDescent(form="gram"), CoordinateDescent(form="residual")
    assert uses_gram(problem, 2048)

    @partial(jax.jit, static_argnums=0)
    def run(solver, problem):
        return iterative_solve(solver, problem, problem.zeros(), max_iter=100, tol=1e-11)

    a, b = run(gram, problem), run(residual, problem)
    assert bool(a.converged) and bool(b.converged)
    # Unpenalized intercepts are identified up to one shift shared by every class.
    a_coef, b_coef = (s.coef.at[:, -1].add(-jnp.mean(s.coef[:, -1])) for s in (a, b))
    np.testing.assert_allclose(a_coef, b_coef, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(a.coef != 0, b.coef != 0)


def test_wide_problem_uses_residual_form_without_a_p_by_p_matrix():
    rng = np.random.default_rng(1)
    n, p = 100, 2000
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:10] = 2 * rng.standard_normal(10)
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ w))).astype(float)
    problem = make_problem(X, y, 0.02, 0.5, BINARY)
    assert not uses_gram(problem, 2048)
    # No array in the compiled program has two dimensions as large as p.
    jaxpr = str(
        jax.make_jaxpr(
            lambda pr: iterative_solve(SOLVERS["cd"], pr, pr.zeros(), max_iter=5, tol=1e-8)
        )(problem)
    )
    shapes = [tuple(int(s) for s in m.split(",")) for m in re.findall(r"\[(\d+(?:,\d+)+)\]", jaxpr)]
    assert shapes and max(sorted(s)[-2] for s in shapes) < p
    cd = ours(X, y, lam=0.02, l1_ratio=0.5, solver="cd")
    prox = ours(X, y, lam=0.02, l1_ratio=0.5, solver="prox")
    assert bool(cd.converged) and bool(prox.converged)
    assert float(cd.objective) == pytest.approx(float(prox.objective), rel=1e-12)
    np.testing.assert_array_equal(np.asarray(cd.coef) != 0, np.asarray(prox.coef) != 0)
    np.testing.assert_allclose(cd.coef, prox.coef, rtol=0, atol=1e-7)
    assert 0 < np.count_nonzero(cd.coef) < p // 10


def test_prox_and_cd_agree_on_multinomial_elastic_net():
    X, y = dataset("wine")
    results = [
        ours(X, one_hot(y), lam=0.01, l1_ratio=0.3, solver=s, loss="multinomial", tol=1e-11)
        for s in SPARSE
    ]
    prox, cd = results
    assert float(prox.objective) == pytest.approx(float(cd.objective), rel=1e-13)
    np.testing.assert_allclose(prox.coef, cd.coef, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(np.asarray(prox.coef) != 0, np.asarray(cd.coef) != 0)
    assert cd.n_iter < prox.n_iter


def test_zero_coefficients_at_lambda_max():
    """Above λ_max = max|∇f(0)|/α every feature coefficient is zero (only the intercept fits)."""
    X, y = dataset("breast_cancer")
    p_bar = y.mean()
    lam_max = np.max(np.abs(X.T @ (p_bar - y))) / len(y)
    for solver in SPARSE:
        above = ours(X, y, lam=1.01 * lam_max, l1_ratio=1.0, solver=solver)
        below = ours(X, y, lam=0.95 * lam_max, l1_ratio=1.0, solver=solver)
        assert np.count_nonzero(above.coef) == 0
        assert float(above.intercept[0]) == pytest.approx(np.log(p_bar / (1 - p_bar)), rel=1e-9)
        assert np.count_nonzero(below.coef) >= 1


def test_a_path_builds_the_hessian_where_a_single_fit_keeps_residuals():
    """A Gram build costs ``n·m²``: a single fit pays it two or three times, a path shares it
    among its ``λ``; so a single fit of ``m = 301`` coefficients keeps residuals and a path
    builds the Hessian."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((400, 300))
    y = (rng.random(400) < 0.5).astype(float)
    problem = make_problem(X, y, 0.02, 1.0, BINARY)
    single = SOLVERS["cd"]
    assert not single.gram_form(problem)
    assert single.along_path().gram_form(problem)
    assert single.along_path() == single.along_path().along_path()
    assert SOLVERS["lbfgs"].along_path() is SOLVERS["lbfgs"]
