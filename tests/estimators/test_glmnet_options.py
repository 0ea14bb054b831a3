"""Options for glmnet and glum users in LogisticRegression: offsets, penalty factors,
standardization, against statsmodels, glmnet, cvxpy and closed forms."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from scipy.special import log_softmax
from sklearn.base import clone

import jaxlogreg
from jaxlogreg import LogisticRegression


def binary_data(rng, n=120, scales=(1.0, 1.0, 1.0)):
    X = rng.normal(size=(n, len(scales))) * np.asarray(scales)
    offset = rng.normal(size=n)
    logit = X @ (np.array([1.0, -0.8, 0.5]) / np.asarray(scales)) + offset + 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, offset


def multiclass_data(rng, n=150, K=3):
    X = rng.normal(size=(n, 3))
    y = np.argmax(X @ rng.normal(size=(3, K)) + rng.gumbel(size=(n, K)), axis=1)
    return X, y


# ---------------------------------------------------------------------------------------------
# offsets


@pytest.mark.parametrize("solver", ["newton", "irls", "lbfgs", "cg", "gd"])
def test_unpenalized_binary_offset_matches_statsmodels(solver, rng):
    """Every solver that moves ``Z`` along a direction must leave the offset out of it."""
    sm = pytest.importorskip("statsmodels.api")
    X, y, offset = binary_data(rng)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), offset=offset)
    ref = ref.fit(tol=1e-13)
    tol = 1e-10 if solver in {"newton", "irls"} else 1e-8  # first-order: rounding-limited
    model = LogisticRegression(C=np.inf, solver=solver, tol=tol, max_iter=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning either
        model.fit(X, y, offset=offset)
    np.testing.assert_allclose(model.coef_[0], ref.params[1:], atol=1e-6)
    np.testing.assert_allclose(model.intercept_[0], ref.params[0], atol=1e-6)
    proba = model.predict_proba(X, offset=offset)[:, 1]
    np.testing.assert_allclose(proba, ref.predict(sm.add_constant(X), offset=offset), atol=1e-8)
    scores = model.decision_function(X, offset=offset)
    np.testing.assert_allclose(scores, X @ model.coef_[0] + model.intercept_[0] + offset)
    assert model.score(X, y, offset=offset) == np.mean(model.predict(X, offset=offset) == y)


def test_softmax_coded_binary_offset_moves_the_logit(rng):
    sm = pytest.importorskip("statsmodels.api")
    X, y, offset = binary_data(rng)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), offset=offset)
    ref = ref.fit(tol=1e-13)
    model = LogisticRegression(C=np.inf, multi_class="multinomial", solver="newton", tol=1e-10)
    model.fit(X, y, offset=offset)
    np.testing.assert_allclose(model.coef_[0], ref.params[1:], atol=1e-6)
    np.testing.assert_allclose(model.intercept_[0], ref.params[0], atol=1e-6)


@pytest.mark.parametrize("multi_class", ["auto", "ovr"])
def test_zero_offset_equals_no_offset(multi_class, rng):
    X, y = multiclass_data(rng)
    model = LogisticRegression(C=0.5, multi_class=multi_class, tol=1e-10)
    plain = clone(model).fit(X, y)
    zero = model.fit(X, y, offset=np.zeros((len(y), 3)))
    np.testing.assert_allclose(zero.coef_, plain.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(zero.intercept_, plain.intercept_, rtol=1e-10, atol=1e-12)


def test_multinomial_offset_of_fixed_coefficients_is_their_shift(rng):
    """Unpenalized, ``offset = X Bᵀ + c`` fixes part of the coefficients: the fit gives the
    plain fit's less ``(B, c)`` (up to the softmax's shift over classes) and its probabilities."""
    X, y = multiclass_data(rng)
    B, c = rng.normal(size=(3, 3)), rng.normal(size=3)
    offset = X @ B.T + c
    model = LogisticRegression(C=np.inf, solver="newton", tol=1e-10)
    plain = clone(model).fit(X, y)
    shifted = model.fit(X, y, offset=offset)

    def centred(W):
        return W - W.mean(axis=0)

    np.testing.assert_allclose(centred(shifted.coef_), centred(plain.coef_ - B), atol=1e-6)
    np.testing.assert_allclose(
        centred(shifted.intercept_), centred(plain.intercept_ - c), atol=1e-6
    )
    np.testing.assert_allclose(
        shifted.predict_proba(X, offset=offset), plain.predict_proba(X), atol=1e-8
    )


def test_penalized_multinomial_offset_matches_scipy(rng):
    """``C Σ ℓ(X Wᵀ + b + O) + ½‖W‖²`` minimized by SciPy's L-BFGS on NumPy code."""
    from scipy.optimize import minimize

    X, y = multiclass_data(rng)
    offset = rng.normal(size=(len(y), 3))
    C, (n, p), K = 0.3, X.shape, 3

    def objective(theta):
        W, b = theta[: K * p].reshape(K, p), theta[K * p :]
        logp = log_softmax(X @ W.T + b + offset, axis=1)
        residual = np.exp(logp) - np.eye(K)[y]
        value = -C * logp[np.arange(n), y].sum() + 0.5 * np.sum(W**2)
        return value, np.r_[(C * residual.T @ X + W).ravel(), C * residual.sum(0)]

    ref = minimize(objective, np.zeros(K * (p + 1)), jac=True, method="L-BFGS-B", tol=1e-14)
    model = LogisticRegression(C=C, tol=1e-10).fit(X, y, offset=offset)
    np.testing.assert_allclose(model.coef_, ref.x[: K * p].reshape(K, p), atol=1e-6)
    b_ref = ref.x[K * p :]
    np.testing.assert_allclose(model.intercept_, b_ref - b_ref.mean(), atol=1e-6)


def test_one_vs_rest_offsets_are_the_class_problems_offsets(rng):
    X, y = multiclass_data(rng)
    offset = rng.normal(size=(len(y), 3))
    model = LogisticRegression(C=0.5, multi_class="ovr", tol=1e-10)
    split = clone(model).fit(X, y, offset=offset)
    shared = clone(model).fit(X, y, offset=offset[:, 0])
    for k in range(3):
        binary = clone(model).fit(X, y == k, offset=offset[:, k])
        np.testing.assert_allclose(split.coef_[k], binary.coef_[0], atol=1e-8)
        binary = clone(model).fit(X, y == k, offset=offset[:, 0])
        np.testing.assert_allclose(shared.coef_[k], binary.coef_[0], atol=1e-8)


@pytest.mark.parametrize(
    ("multi_class", "n_classes", "shape"),
    [("auto", 3, (10,)), ("auto", 2, (10, 2)), ("auto", 3, (10, 2)), ("ovr", 3, (9,))],
)
def test_offset_of_the_wrong_shape_is_refused(multi_class, n_classes, shape, rng):
    X, y = rng.normal(size=(10, 2)), np.arange(10) % n_classes
    model = LogisticRegression(multi_class=multi_class)
    with pytest.raises(ValueError, match="offset must have shape"):
        model.fit(X, y, offset=np.zeros(shape))
    assert not hasattr(model, "coef_")
    model.fit(X, y)
    with pytest.raises(ValueError, match="offset must have shape"):
        model.predict_proba(X, offset=np.zeros(shape))


def test_prediction_offset_adds_to_the_decision_values(rng):
    X, y = multiclass_data(rng)
    model = LogisticRegression(C=0.5).fit(X, y)
    offset = rng.normal(size=(len(y), 3))
    scores = model.decision_function(X, offset=offset)
    np.testing.assert_allclose(scores, model.decision_function(X) + offset)
    log_proba = log_softmax(scores, axis=1)
    np.testing.assert_allclose(model.predict_log_proba(X, offset=offset), log_proba, atol=1e-12)
    np.testing.assert_array_equal(model.predict(X, offset=offset), np.argmax(scores, axis=1))


# ---------------------------------------------------------------------------------------------
# penalty factors


def glmnet_fit(X, y, lam, alpha, **options):
    """glmnet's coefficients and intercept at ``lam`` (a two-value path ending there)."""
    glmnet = pytest.importorskip("glmnet")
    relative_penalties = options.pop("relative_penalties", None)
    ref = glmnet.LogitNet(
        alpha=alpha, lambda_path=[10 * lam, lam], n_splits=0, tol=1e-14, max_iter=10**6, **options
    )
    ref.fit(X, y, relative_penalties=relative_penalties)
    return ref.coef_path_[0, :, -1], ref.intercept_path_[0, -1]


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_penalty_factor_matches_glmnet_rescaled(alpha, rng):
    X, y, _ = binary_data(rng, n=150)
    factors = np.array([0.5, 2.0, 1.5])  # glmnet rescales these to sum to p
    lam = 0.02
    W_ref, b_ref = glmnet_fit(X, y, lam, alpha, relative_penalties=factors, standardize=False)
    ours = factors * len(factors) / factors.sum()
    model = LogisticRegression(C=1 / (lam * len(y)), l1_ratio=alpha, penalty_factor=ours, tol=1e-10)
    model.fit(X, y)
    np.testing.assert_allclose(model.coef_[0], W_ref, atol=1e-6)
    np.testing.assert_allclose(model.intercept_[0], b_ref, atol=1e-6)


@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_zero_penalty_factor_leaves_a_coefficient_unpenalized(l1_ratio, rng):
    cp = pytest.importorskip("cvxpy")
    X, y, _ = binary_data(rng, n=80)
    factors, C = np.array([0.0, 1.0, 3.0]), 0.05
    w, b = cp.Variable(3), cp.Variable()
    z = X @ w + b
    penalty = (1 - l1_ratio) / 2 * cp.sum(cp.multiply(factors, cp.square(w)))
    penalty += l1_ratio * cp.sum(cp.multiply(factors, cp.abs(w)))
    problem = cp.Problem(cp.Minimize(C * cp.sum(cp.logistic(z) - cp.multiply(y, z)) + penalty))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    model = LogisticRegression(C=C, l1_ratio=l1_ratio, penalty_factor=factors, tol=1e-10)
    model.fit(X, y)
    np.testing.assert_allclose(model.coef_[0], w.value, atol=2e-6)
    np.testing.assert_allclose(model.intercept_[0], b.value, atol=2e-6)
    assert abs(model.coef_[0, 0]) > 0.3  # the unpenalized feature keeps its full effect


@pytest.mark.parametrize("penalty_factor", [np.ones(2), -np.ones(3), [1.0, np.nan, 1.0]])
def test_bad_penalty_factor_is_refused(penalty_factor, rng):
    X, y, _ = binary_data(rng, n=20)
    with pytest.raises(ValueError, match="penalty_factor"):
        LogisticRegression(penalty_factor=penalty_factor).fit(X, y)


# ---------------------------------------------------------------------------------------------
# standardization


@pytest.mark.parametrize(("alpha", "fit_intercept"), [(0.0, True), (1.0, True), (1.0, False)])
def test_standardize_matches_glmnet(alpha, fit_intercept, rng):
    X, y, _ = binary_data(rng, n=150, scales=(0.2, 1.0, 5.0))
    lam = 0.02
    W_ref, b_ref = glmnet_fit(X, y, lam, alpha, standardize=True, fit_intercept=fit_intercept)
    model = LogisticRegression(
        C=1 / (lam * len(y)), l1_ratio=alpha, standardize=True, fit_intercept=fit_intercept
    )
    model.set_params(tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_[0], W_ref, atol=1e-5)
    np.testing.assert_allclose(model.intercept_[0], b_ref, atol=1e-5)
    plain = clone(model).set_params(standardize=False).fit(X, y)
    assert np.max(np.abs(plain.coef_ - model.coef_)) > 1e-2  # the option does change the fit


def test_standardized_sparse_fit_equals_the_dense_one(rng):
    X, y, _ = binary_data(rng, n=120, scales=(0.2, 1.0, 5.0))
    X[rng.random(X.shape) < 0.5] = 0.0
    X = np.c_[X, np.full(len(y), 2.0)]  # a constant column: σ = 0, left as it is
    weights = rng.uniform(0.5, 2.0, len(y))
    model = LogisticRegression(C=0.5, l1_ratio=0.5, standardize=True, tol=1e-10)
    dense = clone(model).fit(X, y, sample_weight=weights)
    sparse = clone(model).fit(scipy.sparse.csr_array(X), y, sample_weight=weights)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-9)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-9)
    assert dense.coef_[0, -1] == 0.0  # the constant column's coefficient, under a penalty


def test_standardized_fit_is_equivariant_to_column_scales(rng):
    """Standardized, a column multiplied by ``c`` gets its coefficient divided by ``c``; such
    a column draws no warning about feature scales (the fit scales it)."""
    X, y, _ = binary_data(rng, n=100)
    scales = np.array([1e12, 1.0, 1e-11])  # outside _validation.FEATURE_SCALE
    model = LogisticRegression(C=0.2, l1_ratio=0.5, standardize=True, tol=1e-10)
    plain = clone(model).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = clone(model).fit(X * scales, y)
    np.testing.assert_allclose(scaled.coef_ * scales, plain.coef_, rtol=1e-7)
    np.testing.assert_allclose(scaled.intercept_, plain.intercept_, rtol=1e-7)


def test_standardized_warm_start_starts_at_the_solution(rng):
    X, y, _ = binary_data(rng, n=100, scales=(0.2, 1.0, 5.0))
    model = LogisticRegression(C=0.5, standardize=True, warm_start=True, tol=1e-8).fit(X, y)
    coef = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_[0] <= 1
    np.testing.assert_allclose(model.coef_, coef, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# the estimator's parameters


def test_new_parameters_clone_set_and_save(tmp_path, rng):
    X, y, _ = binary_data(rng, n=60)
    factors = np.array([0.0, 1.0, 2.0])
    model = LogisticRegression(penalty_factor=factors, standardize=True)
    params = model.get_params()
    assert params["standardize"] is True and params["penalty_factor"] is factors
    twin = clone(model)
    assert twin.standardize is True and np.array_equal(twin.penalty_factor, factors)
    assert twin.set_params(standardize=False).standardize is False
    with pytest.raises(ValueError, match="standardize"):
        clone(model).set_params(standardize="yes").fit(X, y)
    model.fit(X, y)
    model.save(tmp_path / "model.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = jaxlogreg.load(tmp_path / "model.npz")
    assert loaded.standardize is True
    np.testing.assert_array_equal(loaded.penalty_factor, factors)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
