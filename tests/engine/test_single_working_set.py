"""Single L1 fits on working sets ranked by KKT violation: the same solution as a full solve,
scikit-learn's and glmnet's, a true duality gap, full passes counted and few compiled programs."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, log_expit

import jaxlogreg
from jaxlogreg.engine.functional import solve
from jaxlogreg.engine.path import lambda_max
from jaxlogreg.losses import BINARY, MULTINOMIAL


@pytest.fixture(scope="module")
def wide():
    """A wide binary problem (200 × 600, 8 informative columns): working sets of 16 and 128
    columns before the full width."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 600))
    beta = np.zeros(600)
    beta[:8] = rng.choice([-1.5, 1.5], 8)
    y = (rng.uniform(size=200) < expit(X @ beta + 0.3)).astype(float)
    return X, y


def _lam(X, T, alpha, fraction, loss=BINARY):
    return fraction * float(lambda_max(X, T, np.ones(len(X)), alpha, loss=loss, fit_intercept=True))


def _binary_objective(X, y, w, b, lam, alpha):
    """The glmnet-convention objective, in NumPy."""
    z = X @ w + b
    risk = np.mean(-y * log_expit(z) - (1 - y) * log_expit(-z))
    return risk + lam * ((1 - alpha) / 2 * np.sum(w**2) + alpha * np.sum(np.abs(w)))


@pytest.mark.parametrize("solver", ["cd", "prox"])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_equals_the_full_solve(wide, solver, alpha):
    X, y = wide
    lam = _lam(X, y[:, None], alpha, 0.2)  # under 64 nonzero: sets narrower than X
    options = dict(lam=lam, l1_ratio=alpha, solver=solver, tol=1e-9, max_iter=20_000)
    full = jaxlogreg.fit(X, y, working_sets=False, **options)
    ranked = jaxlogreg.fit(X, y, working_sets=True, **options)
    assert full.screening is None and full.duality_gap is None
    assert bool(ranked.converged) and float(ranked.kkt_violation) <= 1e-9
    assert float(ranked.objective) == pytest.approx(float(full.objective), abs=1e-9)
    np.testing.assert_allclose(ranked.coef, full.coef, atol=1e-6)
    np.testing.assert_allclose(ranked.intercept, full.intercept, atol=1e-6)
    f = _binary_objective(X, y, np.asarray(ranked.coef[0]), float(ranked.intercept[0]), lam, alpha)
    assert float(ranked.objective) == pytest.approx(f, rel=1e-12)
    screening = ranked.screening
    assert int(screening.n_discarded) > 0  # it did solve on a narrower set
    # The start (Z and the gradient) and one gradient per working set solved.
    assert 3 <= int(screening.n_full_passes) <= 2 + 50


def test_matches_glmnet(wide):
    glmnet = pytest.importorskip("glmnet")
    X, y = wide
    alpha = 0.5
    lam_max = _lam(X, y[:, None], alpha, 1.0)
    lam = 0.05 * lam_max
    ours = jaxlogreg.fit(X, y, lam=lam, l1_ratio=alpha, solver="cd", working_sets=True, tol=1e-10)
    assert ours.screening is not None
    ref = glmnet.LogitNet(
        alpha=alpha,
        lambda_path=np.array([lam_max, lam]),
        standardize=False,
        n_splits=0,
        tol=1e-14,
        max_iter=10**6,
    ).fit(X, y.astype(int))
    w_ref, b_ref = ref.coef_path_[0, :, 1], ref.intercept_path_[0, 1]
    f_ref = _binary_objective(X, y, w_ref, b_ref, lam, alpha)
    assert float(ours.objective) == pytest.approx(f_ref, rel=1e-6)
    assert float(ours.objective) <= f_ref + 1e-12


def test_multinomial_matches_scikit_learn():
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, labels = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    T = np.eye(3)[labels]
    alpha = 0.5
    lam = _lam(X, T, alpha, 0.05, MULTINOMIAL)
    options = dict(lam=lam, l1_ratio=alpha, loss="multinomial", solver="cd", tol=1e-10)
    ranked = jaxlogreg.fit(X, T, working_sets=True, **options)
    full = jaxlogreg.fit(X, T, working_sets=False, **options)
    assert ranked.screening is not None and bool(ranked.converged)
    assert float(ranked.objective) == pytest.approx(float(full.objective), abs=1e-10)
    C = 1.0 / (lam * len(X))
    sk = LogisticRegression(C=C, l1_ratio=alpha, solver="saga", tol=1e-12, max_iter=50_000)
    sk.fit(X, labels)
    np.testing.assert_allclose(ranked.coef, sk.coef_, atol=1e-4)
    assert -1e-14 <= float(ranked.duality_gap) <= 1e-8  # ≥ 0 but for round-off


def _numpy_lasso_gap(X, y, w, lam):
    """The duality gap of the binary lasso without intercept, written out in NumPy: the dual
    point ``θ = σ (μ − y)/n`` with ``σ`` the largest feasible scale ``|Xᵀθ|ₘₐₓ ≤ λ``."""
    n = len(y)
    mu = expit(X @ w)
    residual = (mu - y) / n
    sigma = min(1.0, lam / np.max(np.abs(X.T @ residual)))
    m = y + sigma * (mu - y)
    entropy = np.sum(np.where(m > 0, m * np.log(np.where(m > 0, m, 1)), 0.0))
    entropy += np.sum(np.where(m < 1, (1 - m) * np.log(np.where(m < 1, 1 - m, 1)), 0.0))
    dual = -entropy / n
    primal = _binary_objective(X, y, w, 0.0, lam, 1.0)
    return primal - dual


@pytest.mark.parametrize("tol", [1e-3, 1e-6, 1e-10])
def test_duality_gap_is_the_independent_one(wide, tol):
    X, y = wide
    lam = _lam(X, y[:, None], 1.0, 0.1)
    fitted = jaxlogreg.fit(
        X, y, lam=lam, l1_ratio=1.0, solver="cd", working_sets=True, fit_intercept=False, tol=tol
    )
    w = np.asarray(fitted.coef[0])
    gap = float(fitted.duality_gap)
    assert gap == pytest.approx(_numpy_lasso_gap(X, y, w, lam), rel=1e-6, abs=1e-13)
    assert gap >= -1e-14
    # The gap bounds the suboptimality: F(ŵ) − F* ≤ gap, F* from a much tighter solve.
    best = jaxlogreg.fit(
        X, y, lam=lam, l1_ratio=1.0, solver="cd", working_sets=True, fit_intercept=False, tol=1e-12
    )
    assert float(fitted.objective) - float(best.objective) <= gap + 1e-14
    if tol <= 1e-10:
        assert gap <= 1e-9


def test_duality_gap_of_the_elastic_net_vanishes_at_the_optimum(wide):
    X, y = wide
    lam = _lam(X, y[:, None], 0.5, 0.05)
    loose = jaxlogreg.fit(X, y, lam=lam, l1_ratio=0.5, solver="prox", working_sets=True, tol=1e-3)
    tight = jaxlogreg.fit(X, y, lam=lam, l1_ratio=0.5, solver="prox", working_sets=True, tol=1e-10)
    assert float(loose.duality_gap) >= float(loose.objective) - float(tight.objective) - 1e-14
    assert -1e-14 <= float(tight.duality_gap) <= 1e-12 < float(loose.duality_gap)


def test_compiles_once_per_shape(wide):
    X, y = wide
    lam = _lam(X, y[:, None], 1.0, 0.05)
    jaxlogreg.fit(X, y, lam=lam, l1_ratio=1.0, solver="cd", working_sets=True)
    compiled = solve._cache_size()
    for fraction in (0.02, 0.2):  # other λ, other working-set widths: the same program
        result = jaxlogreg.fit(
            X, y, lam=fraction / 0.05 * lam, l1_ratio=1.0, solver="cd", working_sets=True
        )
        assert result.screening is not None
    jaxlogreg.fit(X[:, ::-1].copy(), y, lam=lam, l1_ratio=0.7, solver="cd", working_sets=True)
    assert solve._cache_size() == compiled


def test_working_sets_are_asked_for_and_take_a_sparse_x(wide):
    X, y = wide
    X, y = X[:30, :40], y[:30]
    default = jaxlogreg.fit(X, y, lam=0.05, l1_ratio=1.0, solver="cd")
    assert default.screening is None and default.duality_gap is None
    ranked = jaxlogreg.fit(X, y, lam=0.05, l1_ratio=1.0, solver="cd", working_sets=True)
    np.testing.assert_allclose(ranked.coef, default.coef, atol=1e-6)
    sparse = jaxlogreg.fit(
        sp.csr_matrix(X), y, lam=0.05, l1_ratio=1.0, solver="cd", working_sets=True
    )
    assert sparse.screening is not None
    np.testing.assert_allclose(sparse.coef, ranked.coef, atol=1e-8)
