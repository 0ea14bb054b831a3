"""Model selection on a sparse ``X``: cross-validation, regularization paths and hypergradient
tuning give the answers of the dense form of ``X`` (other products, so equal to rounding), and
never densify it."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import counted_compiles

from jaxlogreg import LogisticRegressionCV, regularization_path
from jaxlogreg.scale.sharding import make_mesh
from jaxlogreg.selection.tuning import holdout, kfold, tune_penalty, validation_curve

#: Fits solved to this KKT tolerance agree with their dense twins far below it.
TOL = 1e-10
#: Sparse matrices of more columns than this (every X here) must never be densified.
MAX_DENSIFIED_COLUMNS = 4


def sparse_data(n=150, p=12, density=0.3, n_classes=2, seed=0):
    """A CSR ``X`` with an empty row and an empty column, and labels of a linear model of it."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, random_state=seed, format="lil")
    X[3, :] = 0
    X[:, p // 4] = 0
    X = X.tocsr()
    Z = X @ rng.normal(scale=3.0, size=(p, n_classes)) + rng.gumbel(size=(n, n_classes))
    return X, np.argmax(Z, axis=1)


def dense(X) -> np.ndarray:
    """The dense form of a sparse ``X``, built from its coordinates (``toarray`` is patched to
    fail during the sparse fits)."""
    coo = sp.coo_matrix(X)
    out = np.zeros(coo.shape, coo.dtype)
    np.add.at(out, (coo.row, coo.col), coo.data)
    return out


@pytest.fixture
def no_dense_copy(monkeypatch):
    """Fail on any densification of a ``scipy.sparse`` ``X`` by jaxlogreg or by SciPy (matrices
    of a few columns, such as scikit-learn's binarized labels, may be densified)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    for kind in (sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.coo_matrix, sp.coo_array):
        for method in ("toarray", "todense"):
            original = getattr(kind, method)

            def guarded(self, *args, original=original, **kwargs):
                if self.shape[1] > MAX_DENSIFIED_COLUMNS:
                    refuse()
                return original(self, *args, **kwargs)

            monkeypatch.setattr(kind, method, guarded)


CV_CASES = {
    "binary l2": (2, dict()),
    "binary l1": (2, dict(l1_ratios=[1.0], solver="cd")),
    "binary elastic net, roc_auc": (2, dict(l1_ratios=[0.5, 1.0], scoring="roc_auc")),
    "multinomial, f1_macro": (3, dict(scoring="f1_macro")),
    "multinomial l1, roc_auc": (3, dict(l1_ratios=[1.0], scoring="roc_auc")),
    "ovr, accuracy": (3, dict(multi_class="ovr", scoring="accuracy")),
}


@pytest.mark.parametrize("case", CV_CASES)
def test_cross_validation_on_sparse_x_equals_the_dense_one(case, no_dense_copy):
    """Every fold fit, score and the refit of a sparse ``X`` are the dense ``X``'s."""
    n_classes, params = CV_CASES[case]
    X, y = sparse_data(n_classes=n_classes)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    params = dict(Cs=[0.1, 10.0], cv=3, tol=TOL, max_iter=1000, **params)
    reference = LogisticRegressionCV(**params).fit(dense(X), y, sample_weight=weights)
    model = LogisticRegressionCV(**params).fit(X, y, sample_weight=weights)
    assert model.solver_ == reference.solver_
    label = model.classes_[-1]
    np.testing.assert_allclose(model.scores_[label], reference.scores_[label], rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        model.coefs_paths_[label], reference.coefs_paths_[label], rtol=0, atol=1e-8
    )
    np.testing.assert_array_equal(model.C_, reference.C_)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-8)
    for key in ("mean_val_loss", "mean_train_accuracy", "n_nonzero"):
        np.testing.assert_allclose(
            model.cv_results_[key], reference.cv_results_[key], rtol=0, atol=1e-10
        )


def test_cross_validation_without_refit_and_with_a_callable_scorer(no_dense_copy):
    """The fold average (``refit=False``) and a callable scorer on the fold's CSR rows."""
    X, y = sparse_data(n_classes=3, seed=2)
    seen = []

    def scorer(estimator, X_fold, y_fold):
        seen.append(sp.issparse(X_fold))
        return float(np.mean(estimator.predict(X_fold) == y_fold))

    params = dict(Cs=[0.5, 5.0], cv=2, refit=False, tol=TOL, scoring=scorer)
    model = LogisticRegressionCV(**params).fit(X, y)
    assert seen and all(seen)
    params["scoring"] = "accuracy"
    reference = LogisticRegressionCV(**params).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.scores_[0], reference.scores_[0], rtol=0, atol=1e-12)


@pytest.mark.slow
def test_cross_validation_of_a_wide_sparse_x_beyond_the_densification_limit():
    """2,000 × 200,000 with 3 nonzeros a row: its dense form (3.2 GB) would take
    3.2 GB; the cross-validation runs on the 6,000 nonzeros."""
    n, p = 2000, 200_000
    rng = np.random.default_rng(3)
    cols = rng.choice(p, size=(n, 3))
    X = sp.csr_matrix((rng.normal(size=3 * n), (np.repeat(np.arange(n), 3), cols.ravel())), (n, p))
    y = (X @ rng.normal(size=p) + 0.1 * rng.normal(size=n) > 0).astype(int)
    assert n * p * 8 > 2**31  # 3.2 GB dense
    model = LogisticRegressionCV(Cs=[1.0], cv=2, solver="lbfgs", max_iter=50).fit(X, y)
    assert model.coef_.shape == (1, p) and np.all(np.isfinite(model.scores_[1]))


def test_cross_validation_on_nearby_row_counts_compiles_nothing():
    """The rows and stored values of the shared sparse design are padded to buckets
    (``engine.shapes``): nearby row counts run the fold fits and the refit compiled once."""
    X, y = sparse_data(n=200, seed=8)
    params = dict(Cs=[0.1, 1.0], cv=3)
    LogisticRegressionCV(**params).fit(X[:170], y[:170])
    with counted_compiles() as compiles:
        for m in (175, 180, 185):
            LogisticRegressionCV(**params).fit(X[:m], y[:m])
    assert compiles[0] == 0


PATH_CASES = {
    "binary lasso, penalty factors": (2, dict(l1_ratio=1.0), True),
    "binary ridge, penalty factors": (2, dict(l1_ratio=0.0), True),
    "multinomial elastic net": (3, dict(l1_ratio=0.5), False),
    "multinomial ridge": (3, dict(l1_ratio=0.0, multi_class="multinomial"), False),
    "ovr lasso": (3, dict(l1_ratio=1.0, multi_class="ovr"), True),
}


@pytest.mark.parametrize("case", PATH_CASES)
def test_regularization_path_on_sparse_x_equals_the_dense_one(case, no_dense_copy):
    n_classes, params, factors = PATH_CASES[case]
    X, y = sparse_data(n_classes=n_classes, seed=4)
    weights = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    if factors:  # one unpenalized column, the others scaled
        params["penalty_factor"] = np.r_[0.0, np.linspace(0.5, 2.0, X.shape[1] - 1)]
    params = dict(n_lambdas=4, lambda_min_ratio=0.01, tol=TOL, sample_weight=weights, **params)
    reference = regularization_path(dense(X), y, **params)
    result = regularization_path(X, y, **params)
    np.testing.assert_allclose(result.lambdas, reference.lambdas, rtol=1e-12)
    np.testing.assert_allclose(result.coef, reference.coef, rtol=0, atol=1e-8)
    np.testing.assert_allclose(result.intercept, reference.intercept, rtol=0, atol=1e-8)
    np.testing.assert_allclose(result.objective, reference.objective, rtol=1e-10)
    assert result.converged.all()
    if params["l1_ratio"] == 1.0:
        assert np.any(result.coef[1:] == 0) and np.any(result.coef[-1] != 0)


@pytest.mark.slow
def test_regularization_path_of_a_wide_sparse_x_beyond_the_densification_limit():
    n, p = 2000, 200_000
    rng = np.random.default_rng(6)
    cols = rng.choice(p, size=(n, 3))
    X = sp.csr_matrix((rng.normal(size=3 * n), (np.repeat(np.arange(n), 3), cols.ravel())), (n, p))
    y = (X @ rng.normal(size=p) > 0).astype(int)
    result = regularization_path(X, y, l1_ratio=1.0, n_lambdas=3, lambda_min_ratio=0.5, tol=1e-6)
    assert result.coef.shape == (3, p) and np.all(result.coef[0] == 0)
    assert 0 < np.count_nonzero(result.coef[-1]) < p


def test_what_a_sparse_path_cannot_do_is_a_clear_error():
    X, y = sparse_data()
    with pytest.raises(ValueError, match=r"a path takes mesh= with a dense X only.*mesh=None"):
        regularization_path(X, y, n_lambdas=3, mesh=make_mesh())


def test_tuning_on_sparse_x_equals_the_dense_one(no_dense_copy):
    """The validation curve, the hypergradient trajectory and a hold-out loss of a sparse ``X``
    (one ``SparseDesign`` for all folds) are those of its dense form."""
    X, y = sparse_data(seed=7)
    X_dense = dense(X)
    sparse_folds, dense_folds = kfold(X, y, folds=3), kfold(X_dense, y, folds=3)
    assert type(sparse_folds.X).__name__ == "SparseDesign"
    lams = [0.1, 0.01]
    np.testing.assert_allclose(
        validation_curve(lams, sparse_folds, tol=TOL),
        validation_curve(lams, dense_folds, tol=TOL),
        rtol=1e-10,
    )
    options = dict(steps=2, tune_factors=True, tol=TOL)
    tuned, reference = tune_penalty(sparse_folds, **options), tune_penalty(dense_folds, **options)
    np.testing.assert_allclose(tuned.lams, reference.lams, rtol=1e-10)
    np.testing.assert_allclose(tuned.penalty_factors, reference.penalty_factors, rtol=1e-10)
    split = dict(l1_ratio=0.5, solver="cd", tol=TOL)
    curves = [
        validation_curve(lams, holdout(A[:100], y[:100], A[100:], y[100:]), **split)
        for A in (X, X_dense)
    ]
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-10)


def test_holdout_needs_both_sparse_or_both_dense():
    X, y = sparse_data()
    with pytest.raises(TypeError, match="both dense or both sparse"):
        holdout(X[:100], y[:100], dense(X[100:]), y[100:])
