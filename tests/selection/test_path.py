"""Regularization paths: parity with glmnet and scikit-learn, batching, screening, the grid."""

import warnings
from functools import partial

import jax
import jax.extend.core
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import standardized
from scipy.special import log_softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from jaxlogreg import RegularizationPath, lambda_max, regularization_path
from jaxlogreg.engine.path import has_l1_part, null_init, path
from jaxlogreg.losses import BINARY, MULTINOMIAL
from jaxlogreg.solvers import get_solver
from jaxlogreg.solvers.auto import auto_solver
from jaxlogreg.solvers.stop import StopReason


def binary_objective(X, y, W, b, lam, alpha):
    """glmnet's objective, in NumPy: mean log-loss + λ[(1−α)/2‖W‖² + α‖W‖₁]."""
    z = X @ W + b
    risk = np.mean(np.logaddexp(0.0, z) - y * z)
    return risk + lam * ((1 - alpha) / 2 * np.sum(W**2) + alpha * np.sum(np.abs(W)))


def multinomial_objective(X, y, W, b, lam, alpha):
    """The same for softmax: ``W (K, p)``, ``b (K,)``."""
    logp = log_softmax(X @ W.T + b, axis=1)
    risk = -np.mean(logp[np.arange(len(y)), y])
    return risk + lam * ((1 - alpha) / 2 * np.sum(W**2) + alpha * np.sum(np.abs(W)))


@pytest.fixture(scope="module")
def cancer():
    return standardized("breast_cancer")


@pytest.fixture(scope="module")
def wine():
    return standardized("wine")


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_binary_path_matches_glmnet(cancer, alpha):
    glmnet = pytest.importorskip("glmnet")
    X, y = cancer
    ours = regularization_path(X, y, l1_ratio=alpha, n_lambdas=20, lambda_min_ratio=1e-3, tol=1e-10)
    ref = glmnet.LogitNet(
        alpha=alpha,
        lambda_path=ours.lambdas,
        standardize=False,
        fit_intercept=True,
        n_splits=0,
        tol=1e-14,
        max_iter=10**6,
    ).fit(X, y)
    np.testing.assert_allclose(ref.lambda_path_, ours.lambdas, rtol=1e-12)
    assert ours.converged.all()
    for i, lam in enumerate(ours.lambdas):
        W_ref, b_ref = ref.coef_path_[0, :, i], ref.intercept_path_[0, i]
        f_ref = binary_objective(X, y, W_ref, b_ref, lam, alpha)
        f_ours = binary_objective(X, y, ours.coef[i], ours.intercept[i], lam, alpha)
        assert f_ours == pytest.approx(f_ref, rel=1e-6)
        assert ours.objective[i] == pytest.approx(f_ours, rel=1e-12)
        mismatch = (W_ref != 0) != (ours.coef[i] != 0)
        assert np.all(np.abs(W_ref[mismatch]) < 1e-8), f"support differs at lambda={lam:.3g}"
    assert (ours.coef[-1] != 0).sum() > 10  # the path does reach dense models


def _sklearn_multinomial(X, y, lam, alpha):
    C = 1.0 / (lam * len(y))
    if alpha > 0:
        model = SkLogisticRegression(C=C, l1_ratio=alpha, solver="saga", tol=1e-12, max_iter=20000)
    else:
        model = SkLogisticRegression(C=C, l1_ratio=0.0, solver="lbfgs", tol=1e-12, max_iter=10000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model.coef_, model.intercept_


@pytest.mark.parametrize("alpha", [1.0, 0.0])
def test_multinomial_path_matches_sklearn(wine, alpha):
    X, y = wine
    ours = regularization_path(X, y, l1_ratio=alpha, n_lambdas=12, lambda_min_ratio=1e-2, tol=1e-10)
    assert ours.coef.shape == (12, 3, X.shape[1]) and ours.intercept.shape == (12, 3)
    np.testing.assert_array_equal(ours.classes, [0, 1, 2])
    for i in (3, 7, 11):
        lam = ours.lambdas[i]
        W_ref, b_ref = _sklearn_multinomial(X, y, lam, alpha)
        f_ref = multinomial_objective(X, y, W_ref, b_ref, lam, alpha)
        f_ours = multinomial_objective(X, y, ours.coef[i], ours.intercept[i], lam, alpha)
        assert ours.objective[i] == pytest.approx(f_ours, rel=1e-12)
        assert f_ours == pytest.approx(f_ref, rel=1e-6)
        assert f_ours <= f_ref * (1 + 1e-12)


def three_folds(cancer):
    """Ten columns of the cancer data, three 0/1 fold masks, unit penalty factors, ``λ_max``."""
    X, y = cancer
    X = jnp.asarray(X[:, :10])
    targets = jnp.asarray(y, X.dtype)[:, None]
    folds = jnp.asarray(np.arange(len(y))[None, :] % 3 != np.arange(3)[:, None], X.dtype)
    factor = jnp.ones(X.shape[1])
    lmax = float(lambda_max(X, targets, jnp.ones(len(y)), 1.0, loss=BINARY, fit_intercept=True))
    return X, targets, folds, factor, lmax


def test_vmap_over_folds_and_l1_ratio_equals_loop(cancer):
    X, targets, folds, factor, lmax = three_folds(cancer)
    lambdas = lmax * jnp.logspace(0, -2.5, 12)
    tol = 1e-10
    for solver, alpha in (("cd", 1.0), ("newton", 0.0)):
        static = dict(loss=BINARY, solver=solver, fit_intercept=True, max_iter=500)
        inits = jax.vmap(
            partial(null_init, loss=BINARY, fit_intercept=True), in_axes=(None, None, 0)
        )(X, targets, folds)
        batched = jax.vmap(partial_path(static), in_axes=(None, None, 0, None, None, None, 0, None))
        result = batched(X, targets, folds, lambdas, alpha, factor, inits, tol)
        for k in range(3):
            one = path(X, targets, folds[k], lambdas, alpha, factor, inits[k], tol, **static)
            np.testing.assert_allclose(result.coef[k], one.coef, atol=1e-10, rtol=0)
            np.testing.assert_allclose(result.intercept[k], one.intercept, atol=1e-10, rtol=0)
            np.testing.assert_array_equal(result.converged[k], one.converged)
            assert bool(one.converged.all())
    # vmap over the mixing parameter, coordinate descent for all of them.
    static = dict(loss=BINARY, solver="cd", fit_intercept=True, max_iter=500)
    alphas = jnp.asarray([1.0, 0.5, 0.1])
    init = null_init(X, targets, jnp.ones(X.shape[0]), loss=BINARY, fit_intercept=True)
    weights = jnp.ones(X.shape[0])
    batched = jax.vmap(partial_path(static), in_axes=(None, None, None, None, 0, None, None, None))
    result = batched(X, targets, weights, lambdas, alphas, factor, init, tol)
    for k, alpha in enumerate(alphas):
        one = path(X, targets, weights, lambdas, alpha, factor, init, tol, **static)
        np.testing.assert_allclose(result.coef[k], one.coef, atol=1e-10, rtol=0)


def _count_conds(jaxpr) -> int:
    """``cond`` equations in a closed jaxpr, nested ones included."""
    count = 0
    for eqn in jaxpr.eqns:
        count += eqn.primitive.name == "cond"
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            count += _count_conds(sub)
    return count


def test_batched_coordinate_descent_decides_rebuilds_jointly(cancer):
    """Under ``vmap``, ``CoordinateDescent.batched`` keeps the Hessian rebuild a branch (one
    decision for the batch) and reaches the per-fold solutions."""
    X, targets, folds, factor, lmax = three_folds(cancer)
    lambdas = lmax * jnp.logspace(0, -3, 10)
    inits = jax.vmap(partial(null_init, loss=BINARY, fit_intercept=True), in_axes=(None, None, 0))(
        X, targets, folds
    )
    axes = (None, None, 0, None, None, None, 0, None)
    joint = get_solver("cd").batched(("folds",))
    programs = {}
    for name, solver in (("plain", "cd"), ("joint", joint)):
        static = dict(loss=BINARY, solver=solver, fit_intercept=True, max_iter=500)
        programs[name] = jax.vmap(partial_path(static), in_axes=axes, axis_name="folds")
    for alpha in (0.0, 1.0):
        args = (X, targets, folds, lambdas, alpha, factor, inits, 1e-10)
        result = programs["joint"](*args)
        for k in range(3):
            one = path(*args[:2], folds[k], *args[3:6], inits[k], 1e-10, loss=BINARY, solver="cd")
            np.testing.assert_allclose(result.objective[k], one.objective, rtol=1e-13)
            # Both within KKT 1e-10 of the optimum; their coefficients differ by up to ‖H⁻¹‖·1e-10.
            np.testing.assert_allclose(result.coef[k], one.coef, atol=1e-7, rtol=0)
            assert bool(result.converged[k].all())
    args = (X, targets, folds, lambdas, 0.0, factor, inits, 1e-10)
    conds = {name: _count_conds(jax.make_jaxpr(f)(*args).jaxpr) for name, f in programs.items()}
    assert conds["joint"] == conds["plain"] + 1  # the rebuild: a select in the plain program


def partial_path(static):
    """``path`` with its static arguments bound, taking the eight array arguments."""
    return partial(path, **static)


def test_ovr_path_equals_per_class_binary_paths(wine):
    X, y = wine
    lambdas = np.geomspace(0.3, 3e-3, 8)
    ovr = regularization_path(X, y, lambdas=lambdas, l1_ratio=1.0, multi_class="ovr", tol=1e-10)
    assert ovr.coef.shape == (8, 3, X.shape[1]) and ovr.n_iter.shape == (8, 3)
    for k in range(3):
        # one-vs-rest paths run without working sets (vmapped classes): the same method here
        single = regularization_path(
            X, y == k, lambdas=lambdas, l1_ratio=1.0, tol=1e-10, screening=False
        )
        np.testing.assert_allclose(ovr.coef[:, k], single.coef, atol=1e-10, rtol=0)
        np.testing.assert_allclose(ovr.intercept[:, k], single.intercept, atol=1e-10, rtol=0)
        np.testing.assert_allclose(ovr.objective[:, k], single.objective, rtol=1e-12)


@pytest.mark.parametrize(
    ("dataset", "alpha", "multi_class"),
    [
        ("breast_cancer", 1.0, "auto"),
        ("breast_cancer", 0.5, "auto"),
        ("wine", 1.0, "auto"),
        ("wine", 0.7, "ovr"),
    ],
)
def test_default_grid_starts_at_lambda_max(dataset, alpha, multi_class):
    X, y = standardized(dataset)
    result = regularization_path(X, y, l1_ratio=alpha, n_lambdas=15, multi_class=multi_class)
    assert isinstance(result, RegularizationPath)
    lambdas = result.lambdas
    assert len(lambdas) == 15 and np.all(np.diff(lambdas) < 0)
    np.testing.assert_allclose(lambdas[-1] / lambdas[0], 1e-4, rtol=1e-12)  # n > p
    np.testing.assert_allclose(np.diff(np.log(lambdas)), np.log(1e-4) / 14, rtol=1e-10)
    assert np.all(result.coef[0] == 0) and np.any(result.coef[1] != 0)
    # Just below lambda_max something enters; at lambda_max nothing does.
    edge = regularization_path(
        X, y, lambdas=[lambdas[0], 0.99 * lambdas[0]], l1_ratio=alpha, multi_class=multi_class
    )
    assert np.all(edge.coef[0] == 0) and np.any(edge.coef[1] != 0)


def test_lambda_max_closed_form(cancer, wine):
    X, y = cancer
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    factor = np.r_[np.full(10, 2.0), np.ones(X.shape[1] - 10)]
    s = w / w.sum()
    gradient = X.T @ (s * (s @ y - y))  # at the intercept-only fit, p(y=1) = weighted mean
    for alpha in (1.0, 0.25, 0.0):
        expected = np.max(np.abs(gradient) / (max(alpha, 1e-3) * factor))
        got = lambda_max(
            X, y[:, None], w, alpha, loss=BINARY, fit_intercept=True, penalty_factor=factor
        )
        assert float(got) == pytest.approx(expected, rel=1e-12)
    Xw, yw = wine
    T = np.eye(3)[yw]
    G = Xw.T @ (T.mean(axis=0) - T) / len(yw)
    got = lambda_max(Xw, T, np.ones(len(yw)), 1.0, loss=MULTINOMIAL, fit_intercept=True)
    assert float(got) == pytest.approx(np.abs(G).max(), rel=1e-12)
    # the matching starting point: logit / centred log of the class frequencies
    init = null_init(Xw, T, np.ones(len(yw)), loss=MULTINOMIAL, fit_intercept=True)
    logs = np.log(T.mean(axis=0))
    np.testing.assert_allclose(init[:, -1], logs - logs.mean(), rtol=1e-12)
    assert np.all(init[:, :-1] == 0)


def test_small_ratio_default_when_p_exceeds_n(rng):
    X = rng.standard_normal((20, 40))
    y = rng.integers(0, 2, 20)
    y[:2] = [0, 1]
    result = regularization_path(X, y, l1_ratio=1.0, n_lambdas=5)
    np.testing.assert_allclose(result.lambdas[-1] / result.lambdas[0], 1e-2, rtol=1e-12)


def lasso_arrays(cancer):
    """All of the cancer data as path arrays: ``X``, targets, unit weights and factors, the
    lasso's ``λ_max`` and the intercept-only start."""
    X, y = cancer
    X = jnp.asarray(X)
    targets = jnp.asarray(y, X.dtype)[:, None]
    weights, factor = jnp.ones(len(y)), jnp.ones(X.shape[1])
    lmax = float(lambda_max(X, targets, weights, 1.0, loss=BINARY, fit_intercept=True))
    init = null_init(X, targets, weights, loss=BINARY, fit_intercept=True)
    return X, targets, weights, factor, lmax, init


def test_screening_changes_nothing(cancer):
    X, targets, weights, factor, lmax, init = lasso_arrays(cancer)
    static = dict(loss=BINARY, solver="cd", fit_intercept=True, max_iter=500)
    # A fine grid, where the rule discards much; then a start whose gradient misleads the rule
    # (a large coefficient in one column): discarded columns enter and the KKT check repairs.
    misleading = init.at[0, 7].set(-5.0)
    cases = [
        (lmax * np.geomspace(1, 1e-3, 40), init, False),
        (lmax * np.geomspace(0.3, 1e-2, 6), misleading, True),
    ]
    for lambdas, start, repaired in cases:
        lambdas = jnp.asarray(lambdas)
        args = (X, targets, weights, lambdas, 1.0, factor, start, 1e-10)
        on = path(*args, screening=True, **static)
        off = path(*args, screening=False, **static)
        assert bool(on.converged.all()) and bool(off.converged.all())
        np.testing.assert_allclose(on.objective, off.objective, rtol=1e-10)
        np.testing.assert_allclose(on.coef, off.coef, atol=1e-6)
        assert np.all(np.asarray(off.screening.n_discarded) == 0)
        assert int(np.max(on.screening.n_discarded)) > 0
        assert bool(np.any(on.screening.kkt_violated)) == repaired


def test_holding_x_transposed_changes_nothing(cancer):
    """``transposed`` (``Xᵀ`` in memory, for gradients and working-set gathers) gives the path
    computed over ``X`` alone, with and without screening, and so does ``Xᵀ`` handed in alone
    (``X_T``, ``X = None``); a working set gathers from ``X`` itself when the problem holds no
    ``Xᵀ``."""
    X, targets, weights, factor, lmax, init = lasso_arrays(cancer)
    static = dict(loss=BINARY, solver="cd", fit_intercept=True, max_iter=500)
    lambdas = jnp.asarray(lmax * np.geomspace(1, 1e-3, 12))
    rest = (targets, weights, lambdas, 1.0, factor, init, 1e-10)
    X_T = jnp.asarray(np.ascontiguousarray(np.asarray(X).T))
    for screening in (True, False):
        runs = [
            path(X, *rest, screening=screening, transposed=True, **static),
            path(X, *rest, screening=screening, transposed=False, **static),
            path(None, *rest, X_T, screening=screening, **static),
        ]
        assert all(bool(run.converged.all()) for run in runs)
        for run in runs[1:]:
            np.testing.assert_allclose(run.objective, runs[0].objective, rtol=1e-13)
            np.testing.assert_allclose(run.coef, runs[0].coef, atol=1e-8)
            np.testing.assert_array_equal(run.screening.n_discarded, runs[0].screening.n_discarded)


def path_solver(l1_ratio, n_params):
    """The solver ``path(solver="auto")`` runs."""
    return auto_solver(l1=has_l1_part(l1_ratio), n_params=n_params)


def test_auto_solver_rule():
    assert path_solver(1.0, 10_000) == "cd"
    assert path_solver(0.0, 31) == "newton"
    assert path_solver(0.0, 101) == "lbfgs"
    assert jax.jit(lambda a: jnp.zeros(()) if path_solver(a, 31) == "cd" else None)(0.0) == 0


def test_validation_and_warnings(cancer):
    X, y = cancer
    X, y = X[:, :5], y
    with pytest.raises(ValueError, match="lambdas must be >= 0"):
        regularization_path(X, y, lambdas=[0.1, -0.1])
    with pytest.raises(ValueError, match="l1_ratio must be in"):
        regularization_path(X, y, l1_ratio=1.5)
    with pytest.raises(ValueError, match="multi_class"):
        regularization_path(X, y, multi_class="both")
    with pytest.raises(ValueError, match="cannot handle an L1"):
        regularization_path(X, y, l1_ratio=1.0, solver="lbfgs")
    with pytest.raises(ValueError, match="lambda_min_ratio"):
        regularization_path(X, y, lambda_min_ratio=2.0)
    with pytest.raises(ValueError, match="only 1 class"):
        regularization_path(X, np.zeros(len(y)))
    with pytest.warns(UserWarning, match="decreasing order"):
        result = regularization_path(X, y, lambdas=[0.01, 0.1, 0.05], l1_ratio=1.0)
    np.testing.assert_array_equal(result.lambdas, [0.1, 0.05, 0.01])
    with pytest.warns(ConvergenceWarning, match=r"lambda = 0\.1, 0\.01"):
        regularization_path(X, y, lambdas=[0.1, 0.01], l1_ratio=1.0, max_iter=1, tol=1e-14)
    labels = np.where(y == 1, "yes", "no")
    named = regularization_path(X, labels, lambdas=[0.05], l1_ratio=1.0)
    np.testing.assert_array_equal(named.classes, ["no", "yes"])
    assert named.coef.shape == (1, 5) and named.intercept.shape == (1,)


def test_path_reports_each_solves_kkt_violation_and_stop_reason(cancer, wine):
    X, y = cancer[0][:, :5], cancer[1]
    lambdas = [0.1, 0.01]
    with pytest.warns(ConvergenceWarning, match=r"\(reached max_iter=1\) at lambda = 0\.1, 0\.01"):
        short = regularization_path(X, y, lambdas=lambdas, l1_ratio=1.0, max_iter=1, tol=1e-14)
    assert np.all(short.stop_reason == StopReason.MAX_ITER) and np.all(short.kkt_violation > 1e-14)
    done = regularization_path(X, y, lambdas=lambdas, l1_ratio=1.0, tol=1e-8)
    assert np.all(done.stop_reason == StopReason.CONVERGED) and np.all(done.kkt_violation <= 1e-8)
    ovr = regularization_path(*wine, lambdas=lambdas, l1_ratio=1.0, multi_class="ovr")
    assert ovr.stop_reason.shape == ovr.kkt_violation.shape == ovr.converged.shape == (2, 3)
    np.testing.assert_array_equal(ovr.stop_reason == StopReason.CONVERGED, ovr.converged)
