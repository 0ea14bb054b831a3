"""``LogisticRegression`` on sparse ``X``: the fit of its dense form, scikit-learn's answer, and
never a dense copy (validation, solve, warnings, predictions)."""

import warnings

import jax
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import counted_compiles
from jax.experimental import sparse as jsparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import jaxlogreg
from jaxlogreg import LogisticRegression
from jaxlogreg.engine.shapes import bucket_rows, padded_sparse_design
from jaxlogreg.inference.separation import PerfectSeparationWarning
from jaxlogreg.inference.wald import InferenceWarning


def sparse_data(n=240, p=20, density=0.15, n_classes=2, seed=0):
    """A CSR ``X`` with an empty row and an empty column, and labels of a linear model of it."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, random_state=seed, format="lil")
    X[3, :] = 0
    X[:, p // 4] = 0
    X = X.tocsr()
    Z = X @ rng.normal(scale=3.0, size=(p, n_classes)) + rng.gumbel(size=(n, n_classes))
    return X, np.argmax(Z, axis=1)


def dense(X) -> np.ndarray:
    """The dense form of a sparse ``X``, built from its coordinates (``toarray`` may be
    patched to fail)."""
    coo = sp.coo_matrix(X)
    out = np.zeros(coo.shape, coo.dtype)
    np.add.at(out, (coo.row, coo.col), coo.data)
    return out


@pytest.fixture
def no_dense_copy(monkeypatch):
    """Fail on any densification of a ``scipy.sparse`` ``X`` by jaxlogreg or by SciPy."""

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    for kind in (sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.coo_matrix, sp.coo_array):
        monkeypatch.setattr(kind, "toarray", refuse)
        monkeypatch.setattr(kind, "todense", refuse)


PENALTIES = {"l2": 0.0, "l1": 1.0, "elasticnet": 0.5}
KINDS = {"binary": (2, "auto"), "multinomial": (3, "multinomial"), "ovr": (3, "ovr")}


@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("kind", KINDS)
def test_sparse_fit_equals_the_dense_fit(kind, penalty, no_dense_copy):
    """Same objective, same solver (``"auto"``: Newton for ridge, coordinate descent with an L1
    part); ``C = 0.1`` keeps the distance to the solution below ``tol / λ``."""
    n_classes, multi_class = KINDS[kind]
    X, y = sparse_data(n_classes=n_classes)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    class_weight = {0: 2.0, 1: 1.0, 2: 0.5} if kind == "ovr" else "balanced"
    params = dict(C=0.1, l1_ratio=PENALTIES[penalty], multi_class=multi_class, tol=1e-10)
    params.update(class_weight=class_weight, max_iter=1000)
    sparse = LogisticRegression(**params).fit(X, y, sample_weight=weights)
    reference = LogisticRegression(**params).fit(dense(X), y, sample_weight=weights)
    assert sparse.solver_ == reference.solver_ == ("newton" if penalty == "l2" else "cd")
    assert sparse.coef_.shape == (1 if n_classes == 2 else 3, X.shape[1])
    np.testing.assert_allclose(sparse.coef_, reference.coef_, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept_, reference.intercept_, atol=1e-8)
    if penalty == "l1":
        assert np.any(sparse.coef_ == 0)
    proba = reference.predict_proba(dense(X))
    np.testing.assert_allclose(sparse.predict_proba(X), proba, atol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_matches_scikit_learn_on_sparse_input(n_classes, no_dense_copy):
    X, y = sparse_data(n=400, p=30, density=0.1, n_classes=n_classes, seed=3)
    params = dict(C=0.5, solver="lbfgs", max_iter=10_000)
    reference = SkLogisticRegression(**params, tol=1e-12).fit(X, y)
    ours = LogisticRegression(**params, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-6)


def synthetic_corpus(n_docs=300, n_words=400, seed=0):
    """Documents of made-up words; the two classes favour different halves of the vocabulary."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocabulary = np.unique(
        ["".join(rng.choice(letters, rng.integers(3, 9))) for _ in range(n_words)]
    )
    labels = rng.integers(0, 2, n_docs)
    half = len(vocabulary) // 2
    documents = []
    for label in labels:
        weights = np.where(np.arange(len(vocabulary)) < half, 1.0 + 2 * label, 3.0 - 2 * label)
        words = rng.choice(vocabulary, rng.integers(8, 30), p=weights / weights.sum())
        documents.append(" ".join(words))
    return np.array(documents, dtype=object), labels


def test_text_pipeline_equals_the_densified_one(no_dense_copy):
    """``TfidfVectorizer`` gives a CSR matrix that reaches the solver sparse: the same fit and
    predictions as on its dense form."""
    documents, labels = synthetic_corpus()
    train, test = slice(0, 240), slice(240, None)
    params = dict(tol=1e-10, max_iter=1000)
    pipeline = make_pipeline(TfidfVectorizer(), LogisticRegression(**params))
    to_dense = FunctionTransformer(dense, accept_sparse=True)
    densified = make_pipeline(TfidfVectorizer(), to_dense, LogisticRegression(**params))
    pipeline.fit(documents[train], labels[train])
    densified.fit(documents[train], labels[train])
    model, reference = pipeline[-1], densified[-1]
    assert model.n_features_in_ == reference.n_features_in_ > 100  # "auto": beyond Newton
    assert (model.solver_, reference.solver_) == ("newton-cg", "lbfgs")
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-8)
    held_out = documents[test]
    np.testing.assert_array_equal(pipeline.predict(held_out), densified.predict(held_out))
    proba = densified.predict_proba(held_out)
    np.testing.assert_allclose(pipeline.predict_proba(held_out), proba, atol=1e-8)
    assert pipeline.score(held_out, labels[test]) > 0.8


def test_wide_sparse_fit_is_never_dense(no_dense_copy):
    """20,000 × 200,000 with 50 nonzeros a row: its dense form would need 30 GiB. The default
    solver ("auto": truncated Newton beyond Newton's size) fits it in float64."""
    rng = np.random.default_rng(0)
    n, p, k = 20_000, 200_000, 50
    X = sp.csr_matrix(
        (rng.random(n * k), (np.repeat(np.arange(n), k), rng.integers(0, p, n * k))),
        shape=(n, p),
    )
    y = (X @ rng.normal(size=p) + 0.1 * rng.normal(size=n) > 0).astype(int)
    model = LogisticRegression(max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert model.solver_ == "newton-cg"
    assert model.coef_.shape == (1, p) and model.coef_.dtype == np.float64
    assert model.n_features_in_ == p
    assert model.score(X, y) > 0.9  # the fit learned the training labels


def test_refits_on_nearby_row_counts_compile_nothing():
    """Rows, stored values and the row-gather capacity are padded to buckets that nearby row
    counts share (``engine.shapes.padded_sparse_design``)."""
    rng = np.random.default_rng(0)
    n, p, k = 700, 50, 5
    columns = np.argsort(rng.random((n, p)), axis=1)[:, :k]  # k distinct columns a row
    X = sp.csr_matrix((rng.random(n * k), (np.repeat(np.arange(n), k), columns.ravel())), (n, p))
    z = X @ rng.normal(size=p)
    y = (z > np.median(z)).astype(int)
    sizes = range(500, n + 1, 40)
    designs = [padded_sparse_design(X[:m], bucket_rows(X[:m])) for m in sizes]
    static = {(jax.tree.structure(D), tuple(a.shape for a in jax.tree.leaves(D))) for D in designs}
    assert len(static) == 1
    LogisticRegression().fit(X[: sizes[0]], y[: sizes[0]])
    with counted_compiles() as compiles:
        for m in sizes[1:]:
            LogisticRegression().fit(X[:m], y[:m])
    assert compiles[0] == 0


def test_float32_sparse_input_gives_a_float32_fit():
    X, y = sparse_data()
    model = LogisticRegression(tol=1e-6).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == model.intercept_.dtype == np.float32
    assert model.predict_proba(X.astype(np.float32)).dtype == np.float32
    reference = LogisticRegression(tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-4)


def test_newton_on_a_wide_sparse_problem_is_refused_and_auto_avoids_it():
    X, y = sparse_data(p=150)
    for solver in ("newton", "irls"):
        model = LogisticRegression(solver=solver)
        with pytest.raises(ValueError, match=r"sparse X allows up to 100 .*'lbfgs'.*'cd'"):
            model.fit(X, y)
        assert not hasattr(model, "coef_")  # left as it was
    assert LogisticRegression().fit(X, y).solver_ == "newton-cg"
    with pytest.warns(ConvergenceWarning):  # dense: no limit
        assert LogisticRegression(solver="newton", max_iter=2).fit(dense(X), y).solver_ == "newton"


def test_every_sparse_format_gives_the_same_fit_and_x_is_not_changed():
    X, y = sparse_data()
    reference = LogisticRegression(tol=1e-10).fit(X, y)
    coo = X.tocoo()
    halves = sp.coo_matrix(  # duplicate entries (summed), in reversed, unsorted order
        (np.tile(coo.data, 2)[::-1] / 2, (np.tile(coo.row, 2)[::-1], np.tile(coo.col, 2)[::-1])),
        shape=X.shape,
    )
    order = np.argsort(halves.row, kind="stable")  # rows in order, duplicates and columns not
    indptr = np.concatenate([[0], np.cumsum(np.bincount(halves.row, minlength=X.shape[0]))])
    unsorted = sp.csr_matrix((halves.data[order], halves.col[order], indptr), shape=X.shape)
    assert not unsorted.has_canonical_format
    before = unsorted.data.copy(), unsorted.indices.copy()
    others = [X.tocsc(), coo, sp.csr_array(X), halves, unsorted, jsparse.BCOO.from_scipy_sparse(X)]
    for other in others:
        model = LogisticRegression(tol=1e-10).fit(other, y)
        np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-12)
        np.testing.assert_allclose(
            model.predict_proba(other), reference.predict_proba(X), atol=1e-12
        )
    np.testing.assert_array_equal(unsorted.data, before[0])
    np.testing.assert_array_equal(unsorted.indices, before[1])


def test_validation_of_sparse_input():
    X, y = sparse_data()
    model = LogisticRegression().fit(X, y)
    assert model.n_features_in_ == X.shape[1] and not hasattr(model, "feature_names_in_")
    with pytest.raises(
        ValueError, match=r"X has 19 features, but LogisticRegression is expecting 20"
    ):
        model.predict(X[:, :19])
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        LogisticRegression().fit(bad, y)
    bad.data[0] = np.inf
    with pytest.raises(ValueError, match=r"contains infinity.*Remove or clip"):
        LogisticRegression().fit(bad, y)
    huge = X.copy()
    huge.data[0] = 1e12
    with pytest.warns(UserWarning, match="badly scaled features"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        LogisticRegression(max_iter=5).fit(huge, y)


def test_unpenalized_fit_checks_separation_on_the_sparse_x(no_dense_copy):
    """The linear program reads the nonzeros: the same verdicts as on the dense form."""
    few = sparse_data(n=30, p=20, density=0.3)  # 30 samples, 21 parameters: separable
    many = sparse_data(n=2000, p=3, density=0.6, seed=1)  # noisy labels: overlapping
    for (X, y), separable in ((few, True), (many, False)):
        for data in (X, dense(X)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                LogisticRegression(C=np.inf, max_iter=50).fit(data, y)
            warned = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
            assert warned == separable


def test_summary_refuses_sparse_input_a_mesh_takes_it_and_a_sparse_fit_saves(tmp_path):
    X, y = sparse_data()
    model = LogisticRegression().fit(X, y)
    with pytest.raises(TypeError, match=r"summary\(\) needs a dense X.*X\.toarray\(\)"):
        model.summary(X, y)
    with pytest.warns(InferenceWarning, match="penalized"):  # dense X: inference runs
        assert model.summary(dense(X), y).frame.shape[0] == X.shape[1] + 1
    mesh = jaxlogreg.sharding.make_mesh()  # row blocks over the devices (here one)
    on_mesh = LogisticRegression(mesh=mesh, solver=model.solver_).fit(X, y)
    np.testing.assert_allclose(on_mesh.coef_, model.coef_, atol=1e-6)
    with pytest.raises(ValueError, match=r"keeps no columns.*solver='prox'"):
        LogisticRegression(mesh=mesh, solver="cd").fit(X, y)
    model.save(tmp_path / "model.npz")
    loaded = jaxlogreg.load(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_tags_say_sparse():
    assert LogisticRegression().__sklearn_tags__().input_tags.sparse
