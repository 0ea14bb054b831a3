"""Parity with scikit-learn on its bundled datasets (standardized, float64).

Our objective must be within 1e-8 relative of scikit-learn's (lbfgs, tol=1e-10) and the
predictions identical, for no penalty and L2, binary, multinomial and one-vs-rest, with Newton and
IRLS. Without a penalty breast_cancer, wine and digits are linearly separable (the
maximum-likelihood estimate does not exist), so the unpenalized cases use feature subsets on which
it does.
"""

import warnings

import numpy as np
import pytest
from conftest import standardized
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from jaxlogreg import LogisticRegression

UNPENALIZED_COLUMNS = {
    "breast_cancer": slice(0, 10),
    "iris": slice(0, 1),
    "wine": slice(0, 5),
    "digits": slice(26, 36),
}


def sklearn_objective(X, y_index, coef, intercept, C, multinomial):
    """``C Σ ℓᵢ + ½‖W‖²`` (``C = inf``: the loss alone), computed independently in numpy."""
    Z = X @ coef.T + intercept
    if multinomial:
        loss = np.sum(logsumexp(Z, axis=1) - Z[np.arange(len(y_index)), y_index])
    else:
        z = Z[:, 0]
        loss = np.sum(np.logaddexp(0.0, z) - y_index * z)
    if np.isinf(C):
        return loss
    return C * loss + 0.5 * np.sum(coef**2)


def reference(X, y, C, ovr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLogisticRegression(C=C, tol=1e-10, max_iter=100_000)
        return (OneVsRestClassifier(sk) if ovr else sk).fit(X, y)


def binary_objectives(X, y, classes, ours, ref):
    """Per-class objectives of one-vs-rest problems."""
    gaps = []
    for k, estimator in enumerate(ref.estimators_):
        t = (y == classes[k]).astype(float)
        mine = sklearn_objective(X, t, ours.coef_[k : k + 1], ours.intercept_[k], ours.C, False)
        theirs = sklearn_objective(X, t, estimator.coef_, estimator.intercept_, ours.C, False)
        gaps.append((mine, theirs))
    return np.array(gaps)


CASES = [
    (dataset, penalty, mode)
    for dataset in ("breast_cancer", "iris", "wine", "digits")
    for penalty in ("l2", None)
    for mode in (("binary",) if dataset == "breast_cancer" else ("multinomial", "ovr"))
]


@pytest.mark.parametrize("solver", ["newton", "irls"])
@pytest.mark.parametrize(("dataset", "penalty", "mode"), CASES)
def test_objective_and_predictions_match_sklearn(dataset, penalty, mode, solver):
    columns = slice(None) if penalty else UNPENALIZED_COLUMNS[dataset]
    X, y = standardized(dataset, columns)
    C = 0.5 if penalty else np.inf
    ovr = mode == "ovr"
    ours = LogisticRegression(
        penalty=penalty, C=C, solver=solver, multi_class="ovr" if ovr else "auto", tol=1e-10
    )
    ours.fit(X, y)
    ref = reference(X, y, C, ovr)
    if ovr:
        objectives = binary_objectives(X, y, ours.classes_, ours, ref)
        mine, theirs = objectives[:, 0], objectives[:, 1]
    else:
        y_index = np.searchsorted(ours.classes_, y)
        multinomial = mode == "multinomial"
        mine = sklearn_objective(X, y_index, ours.coef_, ours.intercept_, C, multinomial)
        theirs = sklearn_objective(X, y_index, ref.coef_, ref.intercept_, C, multinomial)
    np.testing.assert_allclose(mine, theirs, rtol=1e-8)
    # and never meaningfully worse than the reference
    assert np.all(mine <= theirs * (1 + 1e-9))
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    # Unpenalized fits are ill-conditioned: objectives agreeing to 1e-8 leave the probabilities of
    # lbfgs (tol=1e-10) a few 1e-6 away from the optimum's.
    atol = 1e-6 if penalty else 1e-4
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=atol)
