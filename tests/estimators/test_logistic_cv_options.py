"""LogisticRegressionCV with the options of glmnet users: penalty factors, standardization per
training fold and offsets, each fold fit checked against LogisticRegression on that fold's
training rows (itself checked against statsmodels, glmnet and cvxpy in test_glmnet_options.py),
and the unpenalized feature against scikit-learn's unpenalized fit."""

import numpy as np
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from jaxlogreg import LogisticRegression, LogisticRegressionCV

TIGHT = dict(tol=1e-10, max_iter=1000)
CS = np.array([0.03, 0.3, 3.0])


def data(rng, n=90, scales=(1.0, 4.0, 0.3, 2.0), classes=2):
    X = rng.normal(size=(n, len(scales))) * np.asarray(scales)
    offset = rng.normal(size=n)
    logit = X @ (np.array([1.0, -0.5, 2.0, 0.2]) / np.asarray(scales)) + offset
    if classes == 2:
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    else:
        y = np.digitize(logit + rng.logistic(size=n), [-0.7, 0.7])
    return X, y, offset


def splits(X, y, k=3):
    return list(StratifiedKFold(k, shuffle=True, random_state=0).split(X, y))


def fold_reference(X, y, folds, C, offset=None, **options):
    """The coefficients ``(F, p + 1)`` of LogisticRegression on each fold's training rows."""
    paths = []
    for train, _ in folds:
        model = LogisticRegression(C=C, **TIGHT, **options)
        model.fit(X[train], y[train], offset=None if offset is None else offset[train])
        paths.append(np.append(model.coef_[0], model.intercept_[0]))
    return np.array(paths)


@pytest.mark.parametrize("l1_ratios", [None, [0.5]])
def test_penalty_factor_in_every_fold_fit_and_the_refit(rng, l1_ratios):
    X, y, _ = data(rng)
    folds, factors = splits(X, y), np.array([0.0, 1.0, 2.5, 0.5])
    model = LogisticRegressionCV(
        Cs=CS, cv=folds, l1_ratios=l1_ratios, penalty_factor=factors, **TIGHT
    ).fit(X, y)
    paths = model.coefs_paths_[1]
    for c, C in enumerate(CS):
        options = dict(penalty_factor=factors, l1_ratio=0.0 if l1_ratios is None else 0.5)
        expected = fold_reference(X, y, folds, C, **options)
        got = paths[:, c] if l1_ratios is None else paths[:, c, 0]
        np.testing.assert_allclose(got, expected, atol=1e-6)
    options = dict(C=model.C_[0], l1_ratio=model.l1_ratio_[0], penalty_factor=factors)
    refit = LogisticRegression(**options, **TIGHT).fit(X, y)
    np.testing.assert_allclose(model.coef_, refit.coef_, atol=1e-6)
    # the factors change the fits: without them the paths differ
    plain = LogisticRegressionCV(Cs=CS, cv=folds, l1_ratios=l1_ratios, **TIGHT).fit(X, y)
    assert np.max(np.abs(plain.coefs_paths_[1] - paths)) > 1e-2


def test_zero_penalty_factor_leaves_a_feature_unpenalized(rng):
    """A lasso so strong that every penalized weight is zero: the unpenalized feature's weight
    and the intercept are the unpenalized fit on that feature alone (scikit-learn, no penalty)."""
    X, y, _ = data(rng)
    folds = splits(X, y)
    factors = np.array([1.0, 0.0, 1.0, 1.0])
    model = LogisticRegressionCV(
        Cs=[1e-4], cv=folds, l1_ratios=[1.0], penalty_factor=factors, **TIGHT
    ).fit(X, y)
    paths = model.coefs_paths_[1][:, 0, 0]  # (F, p + 1)
    for f, (train, _) in enumerate(folds):
        reference = SkLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000)
        reference.fit(X[train][:, [1]], y[train])
        expected = np.array([0.0, reference.coef_[0, 0], 0.0, 0.0, reference.intercept_[0]])
        np.testing.assert_allclose(paths[f], expected, atol=1e-6)


def test_standardize_scales_each_fold_by_its_training_rows(rng):
    """Fold ``f`` fits ``LogisticRegression(standardize=True)`` on its training rows (its own
    ``σ``, as glmnet's cv.glmnet), which differs from scaling by the ``σ`` of all rows."""
    X, y, _ = data(rng, n=60)
    X[:20, 2] *= 6.0  # one fold's σ far from the others'
    folds = splits(X, y)
    model = LogisticRegressionCV(Cs=CS, cv=folds, l1_ratios=[0.5], standardize=True, **TIGHT).fit(
        X, y
    )
    for c, C in enumerate(CS):
        expected = fold_reference(X, y, folds, C, l1_ratio=0.5, standardize=True)
        np.testing.assert_allclose(model.coefs_paths_[1][:, c, 0], expected, atol=1e-6)
    sigma = X.std(axis=0)  # the whole data's σ: another answer
    whole = LogisticRegressionCV(Cs=CS, cv=folds, l1_ratios=[0.5], **TIGHT).fit(X / sigma, y)
    whole_paths = whole.coefs_paths_[1].copy()
    whole_paths[..., :-1] /= sigma
    assert np.max(np.abs(whole_paths - model.coefs_paths_[1])) > 1e-3
    options = dict(C=model.C_[0], l1_ratio=0.5, standardize=True)
    refit = LogisticRegression(**options, **TIGHT).fit(X, y)
    np.testing.assert_allclose(model.coef_, refit.coef_, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, refit.intercept_, atol=1e-6)


def test_options_on_sparse_x_equal_dense(rng):
    X, y, offset = data(rng, n=60)
    X[np.abs(X) < 0.8] = 0.0
    folds = splits(X, y)
    options = dict(Cs=CS, cv=folds, standardize=True, penalty_factor=[1, 2, 1, 0], **TIGHT)
    dense = LogisticRegressionCV(**options).fit(X, y, offset=offset)
    sparse = LogisticRegressionCV(**options).fit(scipy.sparse.csr_matrix(X), y, offset=offset)
    np.testing.assert_allclose(sparse.coefs_paths_[1], dense.coefs_paths_[1], atol=1e-7)
    np.testing.assert_allclose(sparse.scores_[1], dense.scores_[1], atol=1e-9)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-7)


def test_offsets_follow_their_rows_in_fits_scores_and_refit(rng):
    """A manual fold loop: LogisticRegression(offset=o[train]) scored with o[test]."""
    X, y, offset = data(rng)
    folds = splits(X, y)
    model = LogisticRegressionCV(Cs=CS, cv=folds, penalty_factor=[1, 1, 0.5, 1], **TIGHT)
    model.fit(X, y, offset=offset)
    for c, C in enumerate(CS):
        expected = fold_reference(X, y, folds, C, offset, penalty_factor=[1, 1, 0.5, 1])
        np.testing.assert_allclose(model.coefs_paths_[1][:, c], expected, atol=1e-6)
        for f, (train, test) in enumerate(folds):
            fold = LogisticRegression(C=C, penalty_factor=[1, 1, 0.5, 1], **TIGHT)
            fold.fit(X[train], y[train], offset=offset[train])
            proba = fold.predict_proba(X[test], offset=offset[test])
            np.testing.assert_allclose(model.scores_[1][f, c], -log_loss(y[test], proba), atol=1e-7)
    refit = LogisticRegression(C=model.C_[0], penalty_factor=[1, 1, 0.5, 1], **TIGHT)
    refit.fit(X, y, offset=offset)
    np.testing.assert_allclose(model.coef_, refit.coef_, atol=1e-6)
    np.testing.assert_allclose(
        model.predict_proba(X, offset=offset), refit.predict_proba(X, offset=offset), atol=1e-7
    )
    expected = -log_loss(y, refit.predict_proba(X, offset=offset))
    np.testing.assert_allclose(model.score(X, y, offset=offset), expected, atol=1e-8)
    assert model.score(X, y, offset=offset) != pytest.approx(model.score(X, y))
    no_offset = LogisticRegressionCV(Cs=CS, cv=folds, **TIGHT).fit(X, y)
    assert np.max(np.abs(no_offset.coefs_paths_[1] - model.coefs_paths_[1])) > 1e-2


@pytest.mark.parametrize("scoring", ["roc_auc", "balanced_accuracy"])
def test_offsets_in_validation_scores_of_any_scorer(rng, scoring):
    """``"roc_auc"`` (computed with the fits) and a scikit-learn scorer on a fold view both
    score the validation rows with their offsets."""
    X, y, offset = data(rng)
    folds = splits(X, y)
    model = LogisticRegressionCV(Cs=CS[:2], cv=folds, scoring=scoring, **TIGHT)
    model.fit(X, y, offset=offset)
    for f, (train, test) in enumerate(folds):
        fold = LogisticRegression(C=CS[0], **TIGHT).fit(X[train], y[train], offset=offset[train])
        if scoring == "roc_auc":
            expected = roc_auc_score(y[test], fold.decision_function(X[test], offset[test]))
        else:
            predicted = fold.predict(X[test], offset=offset[test])
            expected = np.mean([np.mean(predicted[y[test] == k] == k) for k in (0, 1)])
        np.testing.assert_allclose(model.scores_[1][f, 0], expected, atol=1e-12)


@pytest.mark.parametrize("multi_class", ["multinomial", "ovr"])
def test_multiclass_offsets_per_class(rng, multi_class):
    """A softmax and one-vs-rest (column ``k`` in the problem of class ``k``)."""
    X, y, _ = data(rng, n=120, classes=3)
    offset = rng.normal(size=(len(y), 3))
    folds = splits(X, y)
    options = dict(C=0.5, multi_class=multi_class, **TIGHT)
    model = LogisticRegressionCV(
        Cs=[0.5], cv=folds, multi_class=multi_class, use_legacy_attributes=False, **TIGHT
    )
    model.fit(X, y, offset=offset)
    for f, (train, _) in enumerate(folds):
        fold = LogisticRegression(**options).fit(X[train], y[train], offset=offset[train])
        np.testing.assert_allclose(model.coefs_paths_[f, 0, 0, :, :-1], fold.coef_, atol=1e-6)


def test_clone_and_get_params_keep_the_options():
    model = LogisticRegressionCV(penalty_factor=np.array([0.0, 1.0]), standardize=True)
    params = model.get_params()
    assert params["standardize"] is True
    np.testing.assert_array_equal(params["penalty_factor"], [0.0, 1.0])
    copy = clone(model)
    np.testing.assert_array_equal(copy.penalty_factor, [0.0, 1.0])
    assert copy.standardize is True
    assert LogisticRegressionCV().get_params()["penalty_factor"] is None


def test_bad_options_are_refused_with_the_fix(rng):
    X, y, _ = data(rng, n=40)
    with pytest.raises(ValueError, match=r"penalty_factor must have shape \(4,\)"):
        LogisticRegressionCV(Cs=2, cv=2, penalty_factor=[1.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match="non-negative"):
        LogisticRegressionCV(Cs=2, cv=2, penalty_factor=[1.0, -1.0, 1, 1]).fit(X, y)
    with pytest.raises(ValueError, match="standardize"):
        LogisticRegressionCV(Cs=2, cv=2, standardize="yes").fit(X, y)
    with pytest.raises(ValueError, match=r"offset must have shape \(40,\)"):
        LogisticRegressionCV(Cs=2, cv=2).fit(X, y, offset=np.zeros(39))
