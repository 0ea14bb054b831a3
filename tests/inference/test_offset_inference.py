"""Inference for fits with an offset, penalty factors or standardization: Wald standard errors
against statsmodels ``GLM(offset=)`` and a NumPy sandwich on the original columns, the bootstrap
against refits, influences against finite differences of refits."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import expit

import jaxlogreg
from jaxlogreg import LogisticRegression
from jaxlogreg.bootstrap import bootstrap, resampling_weights
from jaxlogreg.core.losses import BINARY
from jaxlogreg.inference import infer
from jaxlogreg.inference.fitted import FITTED_WITH_OFFSET
from jaxlogreg.inference.influence import influence


def binary_data(rng, n=200, scales=(1.0, 3.0, 0.5)):
    X = rng.normal(size=(n, len(scales))) * np.asarray(scales)
    offset = rng.normal(size=n)
    logit = X @ (np.array([1.0, -0.6, 0.4]) / np.asarray(scales)) + offset - 0.2
    y = (rng.random(n) < expit(logit)).astype(int)
    return X, y, offset


def _infer(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jaxlogreg.inference.InferenceWarning)  # "penalized"
        return infer(model, X, y, **kwargs)


def test_standard_errors_with_offset_match_statsmodels(rng):
    sm = pytest.importorskip("statsmodels.api")
    X, y, offset = binary_data(rng)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), offset=offset)
    ref = ref.fit(tol=1e-13)
    model = LogisticRegression(C=np.inf, tol=1e-11).fit(X, y, offset=offset)
    result = model.summary(X, y, offset=offset).inference
    order = [1, 2, 3, 0]  # statsmodels puts the constant first
    np.testing.assert_allclose(result.params[0], ref.params[order], atol=1e-8)
    np.testing.assert_allclose(result.bse[0], ref.bse[order], rtol=1e-6)
    np.testing.assert_allclose(result.llf, ref.llf, rtol=1e-10)
    np.testing.assert_allclose(result.llnull, ref.llnull, rtol=1e-10)  # null model keeps it
    robust = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), offset=offset)
    robust = robust.fit(tol=1e-13, cov_type="HC0")
    hc0 = infer(model, X, y, offset=offset, cov_type="HC0")
    np.testing.assert_allclose(hc0.bse[0], robust.bse[order], rtol=1e-6)


def _sandwich(X, y, offset, weights, coef, intercept, C, ridge_factors):
    """``J⁻¹ I J⁻¹`` of scikit-learn's ``C Σ sᵢℓᵢ + ½ Σⱼ ϖⱼ wⱼ²`` on the original columns:
    ``I = Σ sᵢ μᵢ(1 − μᵢ) aᵢaᵢᵀ``, ``J = I + diag(ϖ, 0)/C``, ``a = (x, 1)``."""
    A = np.column_stack([X, np.ones(len(y))])
    mu = expit(A @ np.append(coef, intercept) + offset)
    information = (A * (weights * mu * (1 - mu))[:, None]).T @ A
    J = information + np.diag(np.append(ridge_factors, 0.0)) / C
    bread = np.linalg.inv(J)
    return bread @ information @ bread


def test_penalty_factors_and_offset_match_a_numpy_sandwich(rng):
    X, y, offset = binary_data(rng)
    weights = rng.uniform(0.5, 2.0, size=len(y))
    factors = np.array([1.0, 0.0, 3.0])
    model = LogisticRegression(C=0.05, penalty_factor=factors, tol=1e-11)
    model.fit(X, y, sample_weight=weights, offset=offset)
    result = _infer(model, X, y, sample_weight=weights, offset=offset)
    cov = _sandwich(X, y, offset, weights, model.coef_[0], model.intercept_[0], 0.05, factors)
    np.testing.assert_allclose(result.params[0], np.append(model.coef_[0], model.intercept_[0]))
    np.testing.assert_allclose(result.cov, cov, rtol=1e-6, atol=1e-12)


def test_standardized_fit_matches_a_numpy_sandwich_on_the_original_columns(rng):
    """A standardized ridge fit penalizes ``ϖⱼ(σⱼβⱼ)²``: on the original columns, the ridge
    factors ``ϖⱼσⱼ²`` (σ the weighted standard deviations, computed here by NumPy)."""
    X, y, offset = binary_data(rng)
    weights = rng.uniform(0.5, 2.0, size=len(y))
    factors = np.array([1.0, 0.5, 2.0])
    model = LogisticRegression(C=0.02, standardize=True, penalty_factor=factors, tol=1e-11)
    model.fit(X, y, sample_weight=weights, offset=offset)
    result = _infer(model, X, y, sample_weight=weights, offset=offset)
    mean = np.average(X, axis=0, weights=weights)
    sigma = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weights))
    ridge = factors * sigma**2
    cov = _sandwich(X, y, offset, weights, model.coef_[0], model.intercept_[0], 0.02, ridge)
    np.testing.assert_allclose(result.params[0, :-1], model.coef_[0], rtol=1e-12)
    np.testing.assert_allclose(result.cov, cov, rtol=1e-6, atol=1e-12)
    # the same model fitted unstandardized with those factors: the same numbers
    plain = LogisticRegression(C=0.02, penalty_factor=ridge, tol=1e-11)
    plain.fit(X, y, sample_weight=weights, offset=offset)
    np.testing.assert_allclose(plain.coef_, model.coef_, atol=1e-8)
    np.testing.assert_allclose(_infer(plain, X, y, sample_weight=weights, offset=offset).cov, cov)


def test_multinomial_offset_inference_equals_one_column_shift(rng):
    """A softmax offset that is the same in every class changes nothing; one in class 1 only
    is a shift of class 1's intercept when constant."""
    n, K = 150, 3
    X = rng.normal(size=(n, 2))
    y = np.argmax(X @ rng.normal(size=(2, K)) + rng.gumbel(size=(n, K)), axis=1)
    offset = np.zeros((n, K))
    offset[:, 1] = 0.7
    model = LogisticRegression(C=np.inf, tol=1e-11).fit(X, y, offset=offset)
    plain = LogisticRegression(C=np.inf, tol=1e-11).fit(X, y)
    with_offset = _infer(model, X, y, offset=offset)
    without = _infer(plain, X, y)
    np.testing.assert_allclose(with_offset.bse, without.bse, rtol=1e-6)
    np.testing.assert_allclose(with_offset.llf, without.llf, rtol=1e-10)
    np.testing.assert_allclose(with_offset.params[:, :-1], without.params[:, :-1], atol=1e-7)


def test_missing_or_unexpected_offset_is_an_error(rng):
    X, y, offset = binary_data(rng, n=60)
    model = LogisticRegression(C=np.inf).fit(X, y, offset=offset)
    setattr(model, FITTED_WITH_OFFSET, True)
    with pytest.raises(ValueError, match="pass the same offset="):
        model.summary(X, y)
    with pytest.raises(ValueError, match="pass the same offset="):
        bootstrap(model, X, y, n_resamples=2)
    setattr(model, FITTED_WITH_OFFSET, False)
    with pytest.raises(ValueError, match="fitted without an offset"):
        infer(model, X, y, offset=offset)


def test_bootstrap_with_offset_and_penalty_factors_equals_refits(rng):
    X, y, offset = binary_data(rng, n=100)
    factors = np.array([1.0, 0.0, 2.0])
    model = LogisticRegression(C=0.2, penalty_factor=factors, standardize=True, tol=1e-11)
    model.fit(X, y, offset=offset)
    result = bootstrap(model, X, y, n_resamples=4, random_state=3, offset=offset)
    counts = np.asarray(resampling_weights(jax.random.key(3), 4, len(y)))
    sigma = np.std(X, axis=0)  # the refits keep the training data's scaling
    for b, w in enumerate(counts):
        refit = LogisticRegression(C=0.2, penalty_factor=factors, tol=1e-11)
        refit.fit(X / sigma, y, sample_weight=w, offset=offset)
        expected = np.append(refit.coef_[0] / sigma, refit.intercept_[0])
        np.testing.assert_allclose(result.samples[b, 0], expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(result.params[0, :-1], model.coef_[0], rtol=1e-12)


def test_influence_with_offsets_against_refits(rng):
    """``Iᵢ`` with training and test offsets against ``±ε`` up-weighting refits (the weights
    ``1/n + ε eᵢ`` with ``λ/(1 + ε)`` minimize ``F + εℓᵢ``)."""
    X, y, offset = binary_data(rng, n=80)
    X_test, y_test, test_offset = binary_data(rng, n=40)
    lam, eps = 0.02, 1e-5
    result = influence(
        X, y.astype(float), X_test, y_test.astype(float), lam=lam, offset=offset,
        test_offset=test_offset, tol=1e-12,
    )  # fmt: skip

    def test_loss(i, sign):
        w = np.full(len(y), 1.0 / len(y))
        w[i] += sign * eps
        fitted = jaxlogreg.fit(
            X, y.astype(float), lam=lam / (1 + sign * eps), sample_weight=w, offset=offset,
            tol=1e-13,
        )  # fmt: skip
        Z = X_test @ fitted.coef.T + fitted.intercept + test_offset[:, None]
        return float(jnp.mean(BINARY.pointwise(Z, y_test[:, None].astype(float))))

    for i in (0, 17, 55):
        expected = (test_loss(i, 1) - test_loss(i, -1)) / (2 * eps)
        np.testing.assert_allclose(result.upweight[i], expected, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(
    "params", [dict(lower_bounds=0.0), dict(multinomial_l1="grouped", multi_class="multinomial")]
)
def test_inference_of_a_constrained_fit_is_a_clear_error(params):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(90, 3))
    y = rng.integers(0, 3, size=90)
    model = LogisticRegression(l1_ratio=1.0, solver="cd", **params).fit(X, y)
    with pytest.raises(ValueError, match="not available for a fit with lower_bounds"):
        model.summary(X, y)
    with pytest.raises(ValueError, match="not available for a fit with lower_bounds"):
        bootstrap(model, X, y, n_resamples=2)
