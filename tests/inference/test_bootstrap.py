"""The vmapped bootstrap equals a loop of individual fits on the same resampling weights."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import standardized
from sklearn.exceptions import ConvergenceWarning

from jaxlogreg import LogisticRegression
from jaxlogreg.bootstrap import bootstrap, resampling_weights
from jaxlogreg.core.targets import encode_targets
from jaxlogreg.engine.functional import solve
from jaxlogreg.inference import infer

B = 6


@pytest.fixture(scope="module")
def cancer():
    return standardized("breast_cancer", slice(0, 4))


def _decision(model):
    return np.column_stack([model.coef_, model.intercept_])


def test_resampling_weights_are_counts_of_draws_with_replacement():
    counts = np.asarray(resampling_weights(jax.random.key(0), 200, 50))
    assert counts.shape == (200, 50) and np.all(counts.sum(axis=1) == 50)
    assert np.all(counts == np.round(counts)) and counts.min() >= 0
    assert abs(counts.mean() - 1) < 1e-12 and abs(counts.var() - (1 - 1 / 50)) < 0.05


def test_vmapped_bootstrap_equals_a_loop_of_solves(cancer):
    X, y = cancer
    model = LogisticRegression(C=0.5, tol=1e-10).fit(X, y)
    result = bootstrap(model, X, y, n_resamples=B, random_state=7, batch_size=3)  # 2 chunks
    counts = np.asarray(resampling_weights(jax.random.key(7), B, len(y)))
    targets, loss = encode_targets(y, 2, "binary")
    for b, w in enumerate(counts):  # the same solver, start and λ, one problem at a time
        single = solve(
            jnp.asarray(X), targets, w, 1 / (0.5 * w.sum()), 0.0, np.ones(X.shape[1]),
            _decision(model), 1e-10, loss=loss, solver="newton", fit_intercept=True, max_iter=100,
        )  # fmt: skip
        expected = np.append(single.coef[0], single.intercept[0])
        np.testing.assert_allclose(result.samples[b, 0], expected, rtol=1e-12, atol=1e-14)
    # and the estimator refitted from scratch with the counts as sample weights
    for b, w in enumerate(counts):
        refit = LogisticRegression(C=0.5, tol=1e-10).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(result.samples[b], _decision(refit), rtol=1e-7, atol=1e-9)
    assert result.converged.all()
    np.testing.assert_array_equal(result.params, _decision(model))
    np.testing.assert_allclose(result.bse, np.std(result.samples, axis=0, ddof=1))
    low, high = np.quantile(result.samples, [0.05, 0.95], axis=0)
    np.testing.assert_array_equal(result.conf_int(0.9)[..., 0], low)
    np.testing.assert_array_equal(result.conf_int(0.9)[..., 1], high)


@pytest.mark.parametrize(
    ("kwargs", "parametrization"),
    [({"multi_class": "multinomial"}, "reference"), ({"multi_class": "ovr"}, "full")],
)
def test_multiclass_bootstrap_equals_a_loop_of_fits(kwargs, parametrization):
    X, y = standardized("wine", slice(0, 3))
    model = LogisticRegression(C=0.3, tol=1e-10, **kwargs).fit(X, y)
    result = bootstrap(model, X, y, n_resamples=4, random_state=1, parametrization=parametrization)
    counts = np.asarray(resampling_weights(jax.random.key(1), 4, len(y)))
    for b, w in enumerate(counts):
        theta = _decision(LogisticRegression(C=0.3, tol=1e-10, **kwargs).fit(X, y, sample_weight=w))
        if kwargs["multi_class"] == "multinomial":  # θ_k − θ_0, as statsmodels' MNLogit
            theta = theta[1:] - theta[0]
        np.testing.assert_allclose(result.samples[b], theta, rtol=1e-7, atol=1e-9)
    assert result.equations == ([1, 2] if parametrization == "reference" else [0, 1, 2])


def test_lasso_bootstrap_equals_a_loop_of_fits(cancer):
    X, y = cancer
    lasso = dict(penalty="l1", C=0.05, tol=1e-10)
    model = LogisticRegression(**lasso).fit(X, y)
    result = bootstrap(model, X, y, n_resamples=4, random_state=3)
    counts = np.asarray(resampling_weights(jax.random.key(3), 4, len(y)))
    for b, w in enumerate(counts):
        refit = LogisticRegression(**lasso).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(result.samples[b], _decision(refit), rtol=1e-6, atol=1e-8)
    assert np.any(result.samples == 0)  # exact zeros survive: a lasso in every resample


def test_seeds_make_it_reproducible(cancer):
    X, y = cancer
    model = LogisticRegression(C=1.0).fit(X, y)
    same = dict(n_resamples=B, batch_size=3)  # the shapes of the test above: no recompilation
    first = bootstrap(model, X, y, random_state=11, **same)
    again = bootstrap(model, X, y, random_state=jax.random.key(11), **same)
    other = bootstrap(model, X, y, random_state=12, **same)
    np.testing.assert_array_equal(first.samples, again.samples)
    assert not np.allclose(first.samples, other.samples)


@pytest.mark.slow
def test_bootstrap_standard_errors_agree_with_wald(cancer):
    X, y = cancer
    model = LogisticRegression(penalty=None, tol=1e-8).fit(X, y)
    result = bootstrap(model, X, y, n_resamples=300, random_state=0)
    wald = infer(model, X, y, cov_type="HC0")
    # Both estimate the sampling spread; with 300 resamples they agree to about 20%.
    np.testing.assert_allclose(result.bse, wald.bse, rtol=0.25)


def test_non_convergence_and_bad_arguments_are_reported(cancer):
    X, y = cancer
    model = LogisticRegression(C=1.0, tol=1e-30)  # below the attainable precision
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    with pytest.warns(ConvergenceWarning, match="bootstrap refits did not converge"):
        bootstrap(model, X, y, n_resamples=B, batch_size=3)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap(model, X, y, n_resamples=0)
    with pytest.raises(ValueError, match="parametrization"):
        bootstrap(model, X, y, n_resamples=2, parametrization="softmax")


@pytest.mark.parametrize(
    "params", [dict(C=0.5), dict(C=1.0, l1_ratio=1.0, solver="cd"), dict(multi_class="ovr")]
)
def test_bootstrap_of_a_sparse_x_equals_the_dense_one_and_never_densifies(params, monkeypatch):
    """The refits of a sparse ``X`` (one design, resampled by weights) are its dense form's."""
    rng = np.random.default_rng(0)
    X = sp.random(150, 12, density=0.3, random_state=1, format="csr")
    Z = X @ rng.normal(scale=3.0, size=(12, 3)) + rng.gumbel(size=(150, 3))
    y = Z.argmax(axis=1) if "multi_class" in params else (Z[:, 0] > Z[:, 1]).astype(int)
    X_dense = X.toarray()
    reference = bootstrap(
        LogisticRegression(tol=1e-10, **params).fit(X_dense, y), X_dense, y, n_resamples=B
    )

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    for kind in (sp.csr_matrix, sp.csr_array):
        monkeypatch.setattr(kind, "toarray", refuse)
        monkeypatch.setattr(kind, "todense", refuse)
    model = LogisticRegression(tol=1e-10, **params).fit(X, y)
    result = bootstrap(model, X, y, n_resamples=B)
    np.testing.assert_allclose(result.samples, reference.samples, rtol=0, atol=1e-8)
    assert result.converged.all()
