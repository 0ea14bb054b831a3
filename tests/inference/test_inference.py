"""Wald inference against statsmodels (Logit, MNLogit, GLM Binomial with robust covariances),
closed forms and ``jax.hessian``; likelihood statistics, separation, the summary table."""

import copy
import dataclasses
import warnings

import jax
import numpy as np
import pytest
import statsmodels.api as sm
from conftest import standardized
from scipy import stats

import jaxlogreg
from jaxlogreg import LogisticRegression
from jaxlogreg.inference import (
    InferenceWarning,
    infer,
    likelihood_ratio_test,
    log_likelihood,
    scores,
)

COEF_RTOL, SE_RTOL = 1e-6, 1e-5


def _fit(X, y, **kwargs):
    return LogisticRegression(penalty=None, tol=1e-10, **kwargs).fit(X, y)


def _with_const(X):
    return sm.add_constant(np.asarray(X), prepend=False)  # intercept last, as jaxlogreg


def _relative(actual, expected):
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    return np.max(np.abs(actual - expected) / np.abs(expected))


# Each fixture: data and the unpenalized fit (fits compile once per shape: shared).
@pytest.fixture(scope="module")
def spector():
    data = sm.datasets.spector.load_pandas()
    X, y = data.exog, data.endog.to_numpy().astype(int)
    return X, y, _fit(X, y)


@pytest.fixture(scope="module")
def anes96():
    data = sm.datasets.anes96.load_pandas()
    X, y = data.exog, data.endog.to_numpy().astype(int)
    return X, y, _fit(X, y)


@pytest.fixture(scope="module")
def cancer():
    # Not the first five columns: their fit has margins |z| up to 55 (μ(1 − μ) ≈ 1e-24), where
    # statsmodels' GLM builds its robust bread from an observed Hessian that is not exact (its
    # HC0 differs from Logit's, and ours, by 1e-5 there); Logit agrees with ours to 1e-13.
    X, y = standardized("breast_cancer", slice(0, 3))
    return X, y, _fit(X, y)


@pytest.fixture(scope="module")
def wine():
    X, y = standardized("wine", slice(0, 3))
    return X, y, _fit(X, y)


def _assert_matches(result, params, bse, pvalues):
    assert _relative(result.params, params) < COEF_RTOL
    assert _relative(result.bse, bse) < SE_RTOL
    assert _relative(result.pvalues, pvalues) < SE_RTOL


@pytest.mark.parametrize("dataset", ["spector", "cancer"])
def test_logit_matches_statsmodels(dataset, request):
    X, y, model = request.getfixturevalue(dataset)
    reference = sm.Logit(y, _with_const(X)).fit(disp=0, method="newton", tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InferenceWarning)  # neither penalized nor separated
        result = infer(model, X, y)
    _assert_matches(result, [reference.params], [reference.bse], [reference.pvalues])
    assert _relative(result.conf_int(0.9)[0], reference.conf_int(0.1)) < SE_RTOL
    for ours, theirs in [
        (result.llf, reference.llf),
        (result.llnull, reference.llnull),
        (result.llr, reference.llr),
        (result.llr_pvalue, reference.llr_pvalue),
        (result.aic, reference.aic),
        (result.bic, reference.bic),
        (result.prsquared, reference.prsquared),
        (result.df_model, reference.df_model),
    ]:
        assert ours == pytest.approx(theirs, rel=1e-8)
    glm = sm.GLM(y, _with_const(X), family=sm.families.Binomial()).fit(tol=1e-12)
    assert result.deviance == pytest.approx(glm.deviance, rel=1e-10)
    assert result.null_deviance == pytest.approx(glm.null_deviance, rel=1e-10)


@pytest.mark.parametrize("dataset", ["spector", "cancer"])
@pytest.mark.parametrize("use_correction", [True, False])
def test_robust_covariances_match_statsmodels_glm(dataset, use_correction, request):
    X, y, model = request.getfixturevalue(dataset)
    glm = sm.GLM(y, _with_const(X), family=sm.families.Binomial())
    n, k = X.shape[0], X.shape[1] + 1
    hc0 = glm.fit(cov_type="HC0", tol=1e-12)
    result = infer(model, X, y, cov_type="HC0")
    _assert_matches(result, [hc0.params], [hc0.bse], [hc0.pvalues])
    # statsmodels' GLM and Logit return HC0 for cov_type="HC1"; ours is HC0 · n/(n − k).
    hc1_se = np.sqrt(n / (n - k)) * hc0.bse
    result = infer(model, X, y, cov_type="HC1")
    assert _relative(result.bse, [hc1_se]) < SE_RTOL
    assert _relative(result.pvalues, [2 * stats.norm.sf(np.abs(hc0.params / hc1_se))]) < SE_RTOL
    groups = np.arange(n) % 7
    kwds = {"groups": groups, "use_correction": use_correction}
    clustered = glm.fit(cov_type="cluster", cov_kwds=kwds, tol=1e-12)
    result = infer(model, X, y, cov_type="cluster", groups=groups, use_correction=use_correction)
    _assert_matches(result, [clustered.params], [clustered.bse], [clustered.pvalues])
    assert _relative(result.conf_int()[0], clustered.conf_int()) < SE_RTOL


def test_multinomial_matches_statsmodels_mnlogit(anes96):
    X, y, model = anes96
    design = _with_const(X)
    reference = sm.MNLogit(y, design).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    result = infer(model, X, y)
    # statsmodels: (d, K − 1) arrays, the first class as reference
    _assert_matches(result, reference.params.T, reference.bse.T, reference.pvalues.T)
    assert _relative(result.cov, reference.cov_params()) < SE_RTOL
    for ours, theirs in [
        (result.llf, reference.llf),
        (result.llnull, reference.llnull),  # statsmodels fits the null model numerically
        (result.aic, reference.aic),
        (result.bic, reference.bic),
        (result.prsquared, reference.prsquared),
        (result.llr_pvalue, reference.llr_pvalue),
        (result.df_model, reference.df_model),
    ]:
        assert ours == pytest.approx(theirs, rel=1e-6)
    robust = sm.MNLogit(y, design).fit(disp=0, method="newton", tol=1e-12, cov_type="HC0")
    result = infer(model, X, y, cov_type="HC0")
    _assert_matches(result, robust.params.T, robust.bse.T, robust.pvalues.T)

    # Another reference class: statsmodels with the labels rotated so that it comes first.
    rotated = sm.MNLogit((y - 3) % 7, design).fit(disp=0, method="newton", tol=1e-12)
    result = infer(model, X, y, reference=3)
    assert result.equations == [0, 1, 2, 4, 5, 6]
    rows = [3, 4, 5, 0, 1, 2]  # statsmodels' equations: the rotated labels 1, …, 6
    for ours, theirs in [(result.params, rotated.params), (result.bse, rotated.bse)]:
        np.testing.assert_allclose(ours[rows], theirs.T, rtol=COEF_RTOL)


def test_full_parametrization_is_the_pseudo_inverse(anes96):
    X, y, model = anes96
    full = infer(model, X, y, parametrization="full")
    reference = infer(model, X, y)
    np.testing.assert_allclose(full.params.sum(0), 0, atol=1e-10)  # class-centred
    np.testing.assert_allclose(full.params[1:] - full.params[0], reference.params, rtol=1e-10)
    fp = jaxlogreg.inference.fitted.fitted_problem(model, X, y)
    hessian = jax.jit(jax.hessian(lambda c: -log_likelihood(fp.problem, c, fp.total_weight)))(
        fp.coef
    )
    d = fp.coef.shape[1]
    pinv = np.linalg.pinv(np.asarray(hessian).reshape(7 * d, 7 * d), rcond=1e-12, hermitian=True)
    np.testing.assert_allclose(full.cov, pinv, rtol=1e-6, atol=1e-9 * np.abs(pinv).max())


def test_multinomial_and_ovr_on_a_scikit_learn_dataset(wine):
    X, y, model = wine
    result = infer(model, X, y)
    reference = sm.MNLogit(y, _with_const(X)).fit(disp=0, method="newton", tol=1e-12)
    _assert_matches(result, reference.params.T, reference.bse.T, reference.pvalues.T)
    # one-vs-rest: K independent binary logits, summed likelihoods, block-diagonal covariance
    result = infer(_fit(X, y, multi_class="ovr"), X, y)
    llf = 0.0
    for k in range(3):
        binary = sm.Logit((y == k).astype(int), _with_const(X)).fit(disp=0, tol=1e-12)
        assert _relative(result.params[k], binary.params) < COEF_RTOL
        assert _relative(result.bse[k], binary.bse) < SE_RTOL
        assert _relative(result.pvalues[k], binary.pvalues) < SE_RTOL
        llf += binary.llf
    assert result.llf == pytest.approx(llf, rel=1e-10)
    d = X.shape[1] + 1
    assert np.all(result.cov[:d, d:] == 0)


def test_information_and_scores_are_the_derivatives_of_the_likelihood(cancer, wine):
    for X, y, _ in (cancer, wine):
        model = LogisticRegression(C=0.7, tol=1e-10).fit(X, y)
        fp = jaxlogreg.inference.fitted.fitted_problem(model, X, y)
        problem, coef, total = fp.problem, fp.coef, fp.total_weight

        @jax.jit
        def derivatives(c, problem=problem, total=total):
            def penalized(c):
                return -log_likelihood(problem, c, total) + total * problem.penalty.smooth_value(c)

            def per_sample(c):
                return problem.loss.pointwise(problem.linear_predictor(c), problem.targets)

            return jax.hessian(penalized)(c), jax.jacobian(per_sample)(c)

        hessian, jacobian = derivatives(coef)
        size = coef.size
        closed = total * np.asarray(problem.smooth_hessian(coef))
        np.testing.assert_allclose(
            closed, np.reshape(hessian, (size, size)), rtol=1e-10, atol=1e-10
        )
        np.testing.assert_allclose(
            scores(problem, coef), np.reshape(jacobian, (len(y), size)), atol=1e-12
        )


def test_l2_penalized_covariance_is_the_ridge_sandwich(cancer):
    X, y, _ = cancer
    C = 0.05
    model = LogisticRegression(C=C, tol=1e-10).fit(X, y)
    with pytest.warns(InferenceWarning, match="penalized"):
        result = infer(model, X, y)
    A = np.column_stack([X, np.ones(len(X))])
    mu = 1 / (1 + np.exp(-(A @ result.params[0])))
    information = (A * (mu * (1 - mu))[:, None]).T @ A
    bread = np.linalg.inv(information + np.diag([1 / C] * X.shape[1] + [0.0]))
    np.testing.assert_allclose(result.cov, bread @ information @ bread, rtol=1e-9)
    # A two-class softmax with C is the binary logit with 2C (its penalty is halved).
    softmax = LogisticRegression(C=C / 2, multi_class="multinomial", tol=1e-10).fit(X, y)
    with pytest.warns(InferenceWarning, match="penalized"):
        np.testing.assert_allclose(infer(softmax, X, y).bse, result.bse, rtol=1e-6)
    with pytest.warns(InferenceWarning, match="penalized"):
        assert "The fit is penalized" in str(model.summary(X, y))


@pytest.mark.filterwarnings("ignore:cov_type not fully supported with freq_weights")
def test_sample_weights_are_frequency_weights(spector):
    X, y, _ = spector
    X = X.to_numpy()
    counts = np.arange(len(y)) % 3 + 1
    weighted = LogisticRegression(penalty=None, tol=1e-10).fit(X, y, sample_weight=counts)
    groups = np.arange(len(y)) % 4
    glm = sm.GLM(y, _with_const(X), family=sm.families.Binomial(), freq_weights=counts)
    for kwargs in ({}, {"cov_type": "HC0"}, {"cov_type": "cluster", "groups": groups}):
        ours = infer(weighted, X, y, sample_weight=counts, use_correction=False, **kwargs)
        cov_kwds = {"groups": groups, "use_correction": False} if "groups" in kwargs else None
        theirs = glm.fit(cov_type=kwargs.get("cov_type", "nonrobust"), cov_kwds=cov_kwds)
        assert _relative(ours.bse, [theirs.bse]) < SE_RTOL
        assert ours.llf == pytest.approx(theirs.llf, rel=1e-10)
    # Duplicated rows: the same numbers, small-sample factors included (nobs = Σ weights).
    repeated = copy.deepcopy(weighted)  # the same optimum: no refit needed
    rows = {"groups": np.repeat(groups, counts)}
    a = infer(weighted, X, y, sample_weight=counts, cov_type="cluster", groups=groups)
    b = infer(repeated, np.repeat(X, counts, 0), np.repeat(y, counts), cov_type="cluster", **rows)
    np.testing.assert_allclose(a.cov, b.cov, rtol=1e-7)
    assert (a.nobs, a.bic) == pytest.approx((b.nobs, b.bic), rel=1e-10)


def test_likelihood_ratio_test_matches_statsmodels(spector):
    X, y, model = spector
    full_sm = sm.Logit(y, _with_const(X)).fit(disp=0, tol=1e-12)
    small_sm = sm.Logit(y, _with_const(X[["GPA", "PSI"]])).fit(disp=0, tol=1e-12)
    full = infer(model, X, y)
    small = infer(_fit(X[["GPA", "PSI"]], y), X[["GPA", "PSI"]], y)
    test = likelihood_ratio_test(small, full)
    statistic = 2 * (full_sm.llf - small_sm.llf)
    assert test.df == 1
    assert test.statistic == pytest.approx(statistic, rel=1e-8)
    assert test.pvalue == pytest.approx(stats.chi2.sf(statistic, 1), rel=1e-6)
    with pytest.raises(ValueError, match="nested"):
        likelihood_ratio_test(full, small)
    with pytest.raises(ValueError, match="different data"):
        likelihood_ratio_test(dataclasses.replace(small, nobs=20.0), full)


def test_separation_is_reported_instead_of_huge_standard_errors(spector, wine):
    X, y, _ = spector  # same shapes as the fixtures' fits: no new compilation
    y = np.where(X["PSI"] == 1, 1, y)  # PSI = 1 predicts grade = 1 perfectly: its MLE is +∞
    model = LogisticRegression(penalty=None).fit(X, y)
    with pytest.warns(InferenceWarning, match=r"separated.*'PSI' are infinite"):
        summary = model.summary(X, y)
    result = summary.inference
    assert result.separated[0].tolist() == [False, False, True, False]
    assert np.isnan(result.bse[0, 2]) and np.isnan(result.pvalues[0, 2])
    assert np.all(np.isfinite(result.bse[0, [0, 1, 3]]))
    assert "Separation: the estimates of PSI are infinite" in str(summary)

    Xw, yw, _ = wine
    Xw = Xw.copy()
    Xw[:, 2] = Xw[:, 0] > 1.0
    yw = np.where(Xw[:, 2] == 1, 0, yw)  # x2 = 1 only in class 0: quasi-separation
    model = LogisticRegression(penalty=None, max_iter=30).fit(Xw, yw)
    with pytest.warns(InferenceWarning, match=r"'x2' \(class 1\), 'x2' \(class 2\) are"):
        result = infer(model, Xw, yw)
    assert result.separated.tolist() == [[False, False, True, False]] * 2


def test_summary_table_and_frame(spector, wine):
    X, y, model = spector
    summary = model.summary(X, y, level=0.9)
    text = str(summary)
    for name in ["GPA", "TUCE", "PSI", "intercept", "Pseudo R²", "AIC", "[0.05", "0.95]"]:
        assert name in text
    frame = summary.frame
    assert list(frame.index) == ["GPA", "TUCE", "PSI", "intercept"]
    np.testing.assert_array_equal(frame["std err"], summary.inference.bse[0])
    np.testing.assert_array_equal(frame["0.95]"], summary.inference.conf_int(0.9)[0, :, 1])
    Xw, yw, multinomial = wine
    frame = multinomial.summary(Xw, yw).frame
    assert frame.index.names == ["class", "feature"] and len(frame) == 2 * 4


def test_errors_and_warnings(cancer):
    X, y, model = cancer
    lasso = copy.deepcopy(model).set_params(penalty="l1")  # fitted attributes suffice here
    with pytest.raises(ValueError, match="bootstrap"):
        infer(lasso, X, y)
    with pytest.raises(ValueError, match="groups"):
        infer(model, X, y, cov_type="cluster")
    with pytest.raises(ValueError, match="cov_type"):
        infer(model, X, y, cov_type="HC3")
    with pytest.raises(ValueError, match="labels the model was not fitted on"):
        infer(model, X, y + 5)
    with pytest.raises(ValueError, match="reference"):
        infer(model, X, y, reference=1)
    with pytest.warns(InferenceWarning, match="not at the optimum"):
        infer(model, X, 1 - y)
