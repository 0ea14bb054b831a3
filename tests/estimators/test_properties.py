"""Invariances every fit must satisfy, on data drawn by hypothesis.

Compiling a program per new shape is the slow part, so the data come in a few fixed shapes and
each property runs ``JAXLOGREG_PROPERTY_EXAMPLES`` examples (default 10, no deadline).
"""

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import jaxlogreg
from jaxlogreg import ElasticNet, LinearRegression, LogisticRegression, Ridge
from jaxlogreg.inference.separation import is_separable

PROPERTY = settings(
    max_examples=int(os.environ.get("JAXLOGREG_PROPERTY_EXAMPLES", "10")),
    deadline=None,
    derandomize=True,  # the same examples on every run; raise the count to explore more
)
N_BASE, N_EXTRA = 20, 4  # duplicating N_EXTRA of N_BASE rows gives the fixed shape 24
SHAPES = st.sampled_from([(24, 3)])  # the data vary, the shapes (and compiled programs) do not
MODELS = {
    "logistic": lambda: LogisticRegression(C=0.7, tol=1e-10),
    "multinomial": lambda: LogisticRegression(C=0.7, tol=1e-10),
    "ovr": lambda: LogisticRegression(C=0.7, tol=1e-10, multi_class="ovr"),
    "l1": lambda: LogisticRegression(penalty="l1", C=0.7, tol=1e-10),
    "ridge": lambda: Ridge(alpha=0.3),
    "elasticnet": lambda: ElasticNet(alpha=0.05, tol=1e-10, max_iter=10_000),
}


def problem(seed: int, n: int, p: int, n_classes: int = 2):
    """``X (n, p)`` standard normal and labels ``0..n_classes−1`` that depend on ``X`` with noise
    (every class present); continuous targets for the regressors are ``X w + noise``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p)
    scores = X @ rng.normal(size=(p, n_classes)) + rng.gumbel(size=(n, n_classes))
    y = np.argmax(scores, axis=1)
    y[:n_classes] = np.arange(n_classes)
    return X, y


def targets_for(name: str, X, y):
    if name in ("ridge", "elasticnet"):
        return X @ np.arange(1.0, X.shape[1] + 1) + 0.5 * y
    return y


def n_classes_of(name: str) -> int:
    return 3 if name in ("multinomial", "ovr") else 2


@functools.cache
def batched_fit(**options):
    """``jaxlogreg.fit`` vmapped over stacked ``X``, ``y`` and ``lam``, compiled once."""
    return jax.jit(jax.vmap(lambda X, y, lam: jaxlogreg.fit(X, y, lam=lam, **options)))


def coefficients(model):
    return np.r_[np.ravel(model.coef_), np.ravel(model.intercept_)]


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(list(MODELS)))
def test_duplicating_rows_equals_doubling_their_weights(seed, name):
    X, y = problem(seed, N_BASE, 3, n_classes_of(name))
    rows = np.random.default_rng(seed + 1).choice(N_BASE, N_EXTRA, replace=False)
    weights = np.ones(N_BASE)
    weights[rows] = 2.0
    t = targets_for(name, X, y)
    doubled = MODELS[name]().fit(X, t, sample_weight=weights)
    repeated = MODELS[name]().fit(np.vstack([X, X[rows]]), np.r_[t, t[rows]])
    np.testing.assert_allclose(coefficients(doubled), coefficients(repeated), rtol=1e-7, atol=1e-9)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), shape=SHAPES, name=st.sampled_from(list(MODELS)))
def test_permuting_rows_changes_nothing(seed, shape, name):
    X, y = problem(seed, *shape, n_classes_of(name))
    t = targets_for(name, X, y)
    order = np.random.default_rng(seed + 1).permutation(len(X))
    weights = np.random.default_rng(seed + 2).uniform(0.5, 2.0, len(X))
    model = MODELS[name]().fit(X, t, sample_weight=weights)
    permuted = MODELS[name]().fit(X[order], t[order], sample_weight=weights[order])
    np.testing.assert_allclose(coefficients(model), coefficients(permuted), rtol=1e-7, atol=1e-9)


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=SHAPES,
    name=st.sampled_from(["logistic", "multinomial", "ovr", "l1"]),
    labels=st.permutations(["ant", "bee", "cat"]),
)
def test_relabeling_classes_permutes_the_outputs(seed, shape, name, labels):
    K = n_classes_of(name)
    X, y = problem(seed, *shape, K)
    model = MODELS[name]().fit(X, y)
    relabeled = MODELS[name]().fit(X, np.asarray(labels[:K])[y])
    # relabeled.classes_ are the sorted names: column j of the original is column of labels[j]
    columns = [list(relabeled.classes_).index(label) for label in labels[:K]]
    proba = model.predict_proba(X)
    np.testing.assert_allclose(relabeled.predict_proba(X)[:, columns], proba, rtol=1e-7, atol=1e-12)
    np.testing.assert_array_equal(relabeled.predict(X), np.asarray(labels[:K])[model.predict(X)])


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=SHAPES,
    scale=st.sampled_from([1e-3, 0.5, 7.0, 1e3]),
    name=st.sampled_from(["logistic", "multinomial", "linear"]),
)
def test_scaling_a_feature_by_c_scales_its_unpenalized_coefficient_by_1_over_c(
    seed, shape, scale, name
):
    X, y = problem(seed, *shape, 3 if name == "multinomial" else 2)
    if name == "linear":
        model, t = LinearRegression(), X @ np.ones(X.shape[1]) + y
    else:
        model, t = LogisticRegression(penalty=None, tol=1e-12, max_iter=200), y
        assume(not is_separable(np.column_stack([X, np.ones(len(X))]), y, len(np.unique(y))))
    j = seed % X.shape[1]
    scaled = X.copy()
    scaled[:, j] *= scale
    expected = np.atleast_2d(model.fit(X, t).coef_).copy()
    expected[:, j] /= scale
    coef = np.atleast_2d(model.fit(scaled, t).coef_)
    if name == "multinomial":  # softmax coefficients are defined up to a common shift
        coef, expected = coef - coef.mean(0), expected - expected.mean(0)
    np.testing.assert_allclose(coef, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=SHAPES,
    solver=st.sampled_from(["newton", "cd"]),
)
def test_vmap_over_problems_equals_the_loop(seed, shape, solver):
    data = [problem(seed + b, *shape) for b in range(3)]
    X = jnp.asarray(np.stack([d[0] for d in data]))
    y = jnp.asarray(np.stack([d[1] for d in data]), X.dtype)
    lam = jnp.asarray([0.3, 0.05, 0.01])
    options = dict(l1_ratio=0.5 if solver == "cd" else 0.0, solver=solver, tol=1e-10)
    batched = batched_fit(**options)(X, y, lam)
    for b in range(3):
        single = jaxlogreg.fit(X[b], y[b], lam=lam[b], **options)
        np.testing.assert_allclose(batched.coef[b], single.coef, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(batched.intercept[b], single.intercept, rtol=1e-9, atol=1e-12)
        assert batched.n_iter[b] == single.n_iter


@PROPERTY
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=SHAPES,
    name=st.sampled_from(["logistic", "multinomial", "l1", "ridge"]),
)
def test_float32_agrees_with_float64_to_float32_accuracy(seed, shape, name):
    X, y = problem(seed, *shape, n_classes_of(name))
    t = targets_for(name, X, y)
    double = coefficients(MODELS[name]().fit(X, t))
    with jax.enable_x64(False):
        model = MODELS[name]()
        if "tol" in model.get_params():
            model.set_params(tol=1e-5)
        single = coefficients(model.fit(X, t))
    # float32 has 24 bits (≈ 6e-8); a well-conditioned fit keeps a few hundred ulps of it
    scale = np.abs(double).max()
    np.testing.assert_allclose(single, double, rtol=1e-4, atol=1e-4 * scale)
