"""scikit-learn 1.9's ``sklearn/linear_model/tests/test_logistic.py``, adapted to jaxlogreg.

Each test keeps its scikit-learn name and checks the same behaviour of our
``LogisticRegression`` and ``LogisticRegressionCV``, with the solvers mapped
(``SOLVER_MAP``: liblinear→cd, sag/saga→prox, newton-cholesky→newton; lbfgs and newton-cg keep
their names) and float64 from the conftest. Where scikit-learn's test pins a weakness of its own
(a liblinear limitation, a solver stopping short of ``tol``), the adaptation checks the correct
behaviour instead; those are marked ``Stronger:`` in their docstrings.

Left out (scikit-learn internals, exact message texts, deprecation cycles):

- test_consistency_path, test_logistic_regression_path_convergence_fail,
  test_logistic_regression_path_coefs_multinomial, test_logistic_regression_path_init_coefs:
  the private ``_logistic_regression_path`` (jaxlogreg's path is tested in tests/selection).
- test_penalty_deprecated, test_logisticregressioncv_warns_with_use_legacy_attributes,
  test_l1_ratio_None_deprecated, test_logisticregression_warns_with_n_jobs,
  test_lr_penalty_l1ratio_incompatible, test_lr_scoring_warns: deprecation cycles (their
  FutureWarning/UserWarning texts); ``penalty=``'s warnings are tested in test_sklearn_api.py.
- test_get_default_scorer: the private ``_get_scorer`` (and our default scoring is the
  negative log-loss, scikit-learn 1.11's).
- test_logistic_regression_array_api_compliance, test_logistic_regression_array_api_warm_start:
  scikit-learn's array-API dispatch (torch, cupy, array-api-strict namespaces).
- test_logistic_regression_callback_support, test_logistic_regression_callback_fitted_estimator,
  test_logistic_regression_callback_support_warning: the experimental private
  ``sklearn.callback`` API.
- test_newton_cholesky_fallback_to_lbfgs: newton-cholesky's internal fallback to lbfgs and its
  iteration counts (our Newton solver handles a singular Hessian itself; adapted as
  test_newton_on_a_singular_hessian).

Slow (``-m slow``): test_multinomial_cv_iris, test_logistic_regression_sample_weights,
test_logistic_regression_solvers_multiclass, test_logistic_regressioncv_class_weights,
test_logistic_regression_class_weights, test_elastic_net_vs_l1_l2,
test_LogisticRegressionCV_GridSearchCV_elastic_net, test_scores_attribute_layout_elasticnet,
test_check_estimator (scikit-learn's ``check_estimator``, every check compiles new shapes); and
of the tests parametrized by ``SOLVERS_ONE_FAST``/``CSR_ONE_FAST``, all but the first solver
(lbfgs) and container (``csr_matrix``).
"""

import itertools
import warnings

import jax
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_almost_equal, assert_array_equal
from scipy import sparse
from scipy.linalg import svd
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_iris, make_classification, make_low_rank_matrix
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import brier_score_loss, get_scorer, log_loss
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import LabelEncoder, StandardScaler, scale
from sklearn.svm import l1_min_c
from sklearn.utils import compute_class_weight, shuffle
from sklearn.utils.estimator_checks import parametrize_with_checks

from jaxlogreg import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    PolynomialFeatures,
    Ridge,
)

#: scikit-learn's solver names → ours.
SOLVER_MAP = {
    "lbfgs": "lbfgs",
    "liblinear": "cd",
    "newton-cg": "newton-cg",
    "newton-cholesky": "newton",
    "sag": "prox",
    "saga": "prox",
}
SOLVERS = ("lbfgs", "cd", "newton-cg", "newton", "prox")
#: SOLVERS with all but the first marked slow: the default run covers one solver per test.
SOLVERS_ONE_FAST = [SOLVERS[0], *(pytest.param(s, marks=pytest.mark.slow) for s in SOLVERS[1:])]
CSR_ONE_FAST = [
    sparse.csr_matrix,
    pytest.param(sparse.csr_array, marks=pytest.mark.slow),
]
CSR_CONTAINERS = [sparse.csr_matrix, sparse.csr_array]
COO_CONTAINERS = [sparse.coo_matrix, sparse.coo_array]
X = [[-1, 0], [0, 1], [1, 1]]
Y1 = [0, 1, 1]
Y2 = [2, 1, 0]
iris = load_iris()


@pytest.fixture
def global_random_seed():
    """scikit-learn's default global seed."""
    return 42


def check_predictions(clf, X, y):
    """Check that the model is able to fit the classification data"""
    n_samples = len(y)
    classes = np.unique(y)
    n_classes = classes.shape[0]

    predicted = clf.fit(X, y).predict(X)
    assert_array_equal(clf.classes_, classes)

    assert predicted.shape == (n_samples,)
    assert_array_equal(predicted, y)

    probabilities = clf.predict_proba(X)
    assert probabilities.shape == (n_samples, n_classes)
    assert_allclose(probabilities.sum(axis=1), np.ones(n_samples))
    assert_array_equal(probabilities.argmax(axis=1), y)


@pytest.mark.parametrize("csr_container", CSR_CONTAINERS)
def test_predict_2_classes(csr_container):
    check_predictions(LogisticRegression(), X, Y1)
    check_predictions(LogisticRegression(), csr_container(X), Y1)
    check_predictions(LogisticRegression(C=100), X, Y1)
    check_predictions(LogisticRegression(C=100), csr_container(X), Y1)
    check_predictions(LogisticRegression(fit_intercept=False), X, Y1)
    check_predictions(LogisticRegression(fit_intercept=False), csr_container(X), Y1)


@pytest.mark.parametrize("csr_container", CSR_CONTAINERS)
def test_predict_3_classes(csr_container):
    check_predictions(LogisticRegression(C=10), X, Y2)
    check_predictions(LogisticRegression(C=10), csr_container(X), Y2)


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_logistic_glmnet(solver):
    """Compare Logistic regression with L2 regularization to glmnet (values from R's glmnet,
    in scikit-learn's test)."""
    X = np.array([[-4, -3, -2, -1, 0, 1, 2, 3, 4], [0, 0, 1, 0, 1, 1, 1, 0, 0]]).T
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1])
    glm = LogisticRegression(C=1 / 1 / y.shape[0], tol=1e-8, max_iter=300, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        glm.fit(X, y)
    assert_allclose(glm.intercept_, 0.89230405539, rtol=1e-5)
    assert_allclose(glm.coef_, [[0.44464569182, 0.01457563448]], rtol=1e-5)

    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    glm.fit(X, y)
    assert_allclose(glm.intercept_, [-0.12004759652, 2.251747383e-01, -0.1051271418], rtol=1e-5)
    assert_allclose(
        glm.coef_,
        [
            [-0.38023389305, -0.01226499932],
            [-8.164030176e-05, 4.734548012e-02],
            [0.3803155334, -0.0350804808],
        ],
        rtol=1e-5,
        atol=1e-8,
    )


@pytest.mark.parametrize("LR", [LogisticRegression, LogisticRegressionCV])
def test_check_solver_option(LR):
    """Solvers without an L1 part refuse ``l1_ratio=1``; ``dual=True`` is refused by every
    solver (jaxlogreg solves the primal). Stronger: "cd" (for liblinear) fits multiclass
    problems (multinomial) and the elastic net, where liblinear raises."""
    X, y = scale(iris.data), iris.target

    def model(l1_ratio=0.0, **params):
        if LR is LogisticRegression:
            return LR(l1_ratio=l1_ratio, **params)
        return LR(Cs=2, cv=2, l1_ratios=(l1_ratio,), **params)

    for solver in ["lbfgs", "newton-cg", "newton"]:
        with pytest.raises(ValueError, match="L1"):
            model(1, solver=solver).fit(X, y)
    for solver in SOLVERS:
        with pytest.raises(ValueError, match="dual"):
            model(solver=solver, dual=True).fit(X, y)
    reference = model(solver="lbfgs", tol=1e-10, max_iter=1000).fit(X, y)
    ours = model(solver="cd", tol=1e-10, max_iter=1000).fit(X, y)
    assert_allclose(ours.coef_, reference.coef_, rtol=1e-5, atol=1e-6)
    model(0.5, solver="cd").fit(X, y)


@pytest.mark.parametrize(
    ["LR", "arg"], [(LogisticRegression, "l1_ratio"), (LogisticRegressionCV, "l1_ratios")]
)
def test_elasticnet_l1_ratio_err_helpful(LR, arg):
    model = LR(penalty="elasticnet", solver="prox", **{arg: None})
    with pytest.raises(ValueError, match=r".*l1_ratio.*"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model.fit(np.array([[1, 2], [3, 4]]), np.array([0, 1]))


@pytest.mark.parametrize("coo_container", COO_CONTAINERS)
def test_sparsify(coo_container):
    target = iris.target_names[iris.target]
    X = scale(iris.data)
    clf = LogisticRegression().fit(X, target)
    pred_d_d = clf.decision_function(X)
    clf.sparsify()
    assert sparse.issparse(clf.coef_)
    pred_s_d = clf.decision_function(X)
    sp_data = coo_container(X)
    pred_s_s = clf.decision_function(sp_data)
    clf.densify()
    pred_d_s = clf.decision_function(sp_data)
    assert_array_almost_equal(pred_d_d, pred_s_d)
    assert_array_almost_equal(pred_d_d, pred_s_s)
    assert_array_almost_equal(pred_d_d, pred_d_s)


def test_inconsistent_input():
    rng = np.random.RandomState(0)
    X_ = rng.random_sample((5, 10))
    y_ = np.ones(X_.shape[0])
    y_[0] = 0
    clf = LogisticRegression(random_state=0)
    with pytest.raises(ValueError, match="inconsistent number"):
        clf.fit(X, y_[:-1])
    with pytest.raises(ValueError, match="X has 12 features"):
        clf.fit(X_, y_).predict(rng.random_sample((3, 12)))


def test_write_parameters():
    clf = LogisticRegression()
    clf.fit(X, Y1)
    clf.coef_[:] = 0
    clf.intercept_[:] = 0
    assert_array_almost_equal(clf.decision_function(X), 0)


def test_nan():
    Xnan = np.array(X, dtype=np.float64)
    Xnan[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(Xnan, Y1)


def test_liblinear_dual_random_state(global_random_seed):
    """Stronger: our solvers are deterministic, so the random state changes nothing (liblinear's
    dual coordinate descent shuffles); ``dual=True`` is refused, so the primal "cd" stands in."""
    X, y = make_classification(n_samples=20, random_state=global_random_seed)
    fits = [
        LogisticRegression(random_state=seed, tol=1e-3, solver="cd").fit(X, y).coef_
        for seed in (global_random_seed, global_random_seed, global_random_seed + 1)
    ]
    assert_array_equal(fits[0], fits[1])
    assert_array_equal(fits[0], fits[2])


@pytest.mark.parametrize("use_legacy_attributes", [True, False])
def test_logistic_cv(global_random_seed, use_legacy_attributes):
    """Both fits to ``tol=1e-10``: our ``tol`` bounds the KKT violation on glmnet's scale
    (``1/(C·n)`` of liblinear's), so the default leaves 4e-4 between two correct answers."""
    n_samples, n_features, n_cv = 50, 5, 3
    rng = np.random.RandomState(global_random_seed)
    X_ref = rng.randn(n_samples, n_features)
    y = np.sign(X_ref.dot(5 * rng.randn(n_features)))
    X_ref -= X_ref.mean()
    X_ref /= X_ref.std()
    lr_cv = LogisticRegressionCV(
        Cs=[1.0],
        l1_ratios=(0.0,),
        fit_intercept=False,
        random_state=global_random_seed,
        solver="cd",
        cv=n_cv,
        scoring="neg_log_loss",
        use_legacy_attributes=use_legacy_attributes,
        tol=1e-10,
    )
    lr_cv.fit(X_ref, y)
    lr = LogisticRegression(
        C=1.0, fit_intercept=False, random_state=global_random_seed, solver="cd", tol=1e-10
    )
    lr.fit(X_ref, y)
    assert_array_almost_equal(lr.coef_, lr_cv.coef_)

    assert lr_cv.coef_.shape == (1, n_features)
    assert_array_equal(lr_cv.classes_, [-1, 1])
    assert len(lr_cv.classes_) == 2
    assert lr_cv.Cs_.shape == (1,)
    n_Cs = lr_cv.Cs_.shape[0]
    assert lr_cv.l1_ratios_.shape == (1,)
    n_l1_ratios = lr_cv.l1_ratios_.shape[0]
    if use_legacy_attributes:
        coefs_paths = np.asarray(list(lr_cv.coefs_paths_.values()))
        assert coefs_paths.shape == (1, n_cv, n_Cs, n_l1_ratios, n_features)
        scores = np.asarray(list(lr_cv.scores_.values()))
        assert scores.shape == (1, n_cv, n_Cs, n_l1_ratios)
    else:
        assert lr_cv.coefs_paths_.shape == (n_cv, n_l1_ratios, n_Cs, 1, n_features)
        assert isinstance(lr_cv.C_, float)
        assert isinstance(lr_cv.l1_ratio_, float)
        assert lr_cv.scores_.shape == (n_cv, n_l1_ratios, n_Cs)


def test_logistic_cv_refit_false_non_elasticnet(global_random_seed):
    X, y = make_classification(random_state=global_random_seed)
    lr_cv = LogisticRegressionCV(
        l1_ratios=[0.0], refit=False, use_legacy_attributes=False, random_state=0
    )
    lr_cv.fit(X, y)
    assert lr_cv.l1_ratio_ == 0.0


def test_logistic_cv_mock_scorer():
    class MockScorer:
        def __init__(self):
            self.calls = 0
            self.scores = [0.1, 0.4, 0.8, 0.5]

        def __call__(self, model, X, y, sample_weight=None):
            score = self.scores[self.calls % len(self.scores)]
            self.calls += 1
            return score

    mock_scorer = MockScorer()
    Cs = [1, 2, 3, 4]
    cv = 2
    lr = LogisticRegressionCV(
        Cs=Cs, l1_ratios=(0,), scoring=mock_scorer, cv=cv, use_legacy_attributes=False
    )
    X, y = make_classification(random_state=0)
    lr.fit(X, y)
    assert lr.C_ == Cs[2]
    assert mock_scorer.calls == cv * len(Cs)
    mock_scorer.calls = 0
    custom_score = lr.score(X, lr.predict(X))
    assert custom_score == mock_scorer.scores[0]
    assert mock_scorer.calls == 1


@pytest.mark.parametrize(
    "scoring, multiclass_agg_list",
    [
        ("accuracy", [""]),
        ("precision", ["_macro", "_weighted"]),
        ("f1", ["_macro", "_weighted"]),
        ("neg_log_loss", [""]),
        ("recall", ["_macro", "_weighted"]),
    ],
)
def test_logistic_cv_multinomial_score(scoring, multiclass_agg_list):
    """The cross-validation score of a fold is the scorer's score of the model fitted on the
    fold's training rows (through LogisticRegressionCV, for the private
    ``_log_reg_scoring_path``)."""
    X, y = make_classification(n_samples=100, random_state=42, n_classes=3, n_informative=6)
    train, test = np.arange(80), np.arange(80, 100)
    lr = LogisticRegression(C=1.0, solver="lbfgs", tol=1e-10, max_iter=1000)
    lr.fit(X[train], y[train])
    for averaging in multiclass_agg_list:
        scorer = get_scorer(scoring + averaging)
        cv = LogisticRegressionCV(
            Cs=[1.0], cv=[(train, test)], scoring=scorer, solver="lbfgs", tol=1e-10, max_iter=1000
        ).fit(X, y)
        assert_array_almost_equal(cv.scores_[0][0, 0], scorer(lr, X[test], y[test]))


def test_multinomial_logistic_regression_string_inputs():
    n_samples, n_features, n_classes = 50, 5, 3
    X_ref, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_classes=n_classes,
        n_informative=3,
        random_state=0,
    )
    y_str = LabelEncoder().fit(["bar", "baz", "foo"]).inverse_transform(y)
    y = np.array(y) - 1
    lr = LogisticRegression()
    lr_cv = LogisticRegressionCV(Cs=3, use_legacy_attributes=False, scoring="neg_log_loss")
    lr_str = LogisticRegression()
    lr_cv_str = LogisticRegressionCV(Cs=3, use_legacy_attributes=False, scoring="neg_log_loss")

    lr.fit(X_ref, y)
    lr_cv.fit(X_ref, y)
    lr_str.fit(X_ref, y_str)
    lr_cv_str.fit(X_ref, y_str)

    assert_allclose(lr.coef_, lr_str.coef_)
    assert_allclose(lr.predict_proba(X_ref), lr_str.predict_proba(X_ref))
    assert sorted(lr_str.classes_) == ["bar", "baz", "foo"]
    assert_allclose(lr_cv.coef_, lr_cv_str.coef_)
    assert_allclose(lr_cv.predict_proba(X_ref), lr_cv_str.predict_proba(X_ref))
    assert sorted(lr_cv_str.classes_) == ["bar", "baz", "foo"]
    assert sorted(np.unique(lr_str.predict(X_ref))) == ["bar", "baz", "foo"]
    assert set(np.unique(lr_cv_str.predict(X_ref))) <= {"bar", "baz", "foo"}

    lr_cv_str = LogisticRegressionCV(
        Cs=[1, 2, 10], use_legacy_attributes=False, scoring="neg_log_loss"
    ).fit(X_ref, y_str)
    assert sorted(np.unique(lr_cv_str.predict(X_ref))) == ["bar", "baz", "foo"]

    lr_cv_str = LogisticRegression(class_weight={"bar": 1, "baz": 2, "foo": 0}).fit(X_ref, y_str)
    assert sorted(np.unique(lr_cv_str.predict(X_ref))) == ["bar", "baz"]


@pytest.mark.slow  # 150 one-vs-rest fits and four cross-validations
@pytest.mark.parametrize("use_legacy_attributes", [True, False])
def test_multinomial_cv_iris(use_legacy_attributes):
    """The norms of the path's coefficients never decrease, up to rounding: at ``tol=1e-2``
    (on glmnet's scale) the largest ``C`` start converged from their warm start and stay put."""
    X, y = iris.data, iris.target
    n_features = X.shape[1]
    n_cv = 2
    precomputed_folds = list(StratifiedKFold(n_cv).split(X, y))
    clf = LogisticRegressionCV(
        cv=precomputed_folds, solver="newton", use_legacy_attributes=True, scoring="neg_log_loss"
    )
    clf.fit(X, y)
    assert clf.coef_.shape == (3, n_features)
    assert_array_equal(clf.classes_, [0, 1, 2])
    coefs_paths = np.asarray(list(clf.coefs_paths_.values()))
    assert coefs_paths.shape == (3, n_cv, 10, n_features + 1)
    assert clf.Cs_.shape == (10,)
    scores = np.asarray(list(clf.scores_.values()))
    assert scores.shape == (3, n_cv, 10)

    clf_ovr = GridSearchCV(
        OneVsRestClassifier(LogisticRegression(solver="newton")),
        {"estimator__C": np.logspace(-4, 4, num=10)},
        scoring="neg_log_loss",
    ).fit(X, y)
    for solver in ["lbfgs", "newton-cg", "prox"]:
        max_iter = 500 if solver == "prox" else 30
        clf_multi = LogisticRegressionCV(
            solver=solver,
            max_iter=max_iter,
            random_state=42,
            tol=1e-3 if solver == "prox" else 1e-2,
            cv=2,
            scoring="neg_log_loss",
            use_legacy_attributes=use_legacy_attributes,
        )
        if solver == "lbfgs":
            X = scale(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf_multi.fit(X, y)
        assert clf_multi.score(X, y) > clf_ovr.score(X, y)
        assert clf.coef_.shape == clf_multi.coef_.shape
        assert_array_equal(clf_multi.classes_, [0, 1, 2])
        if use_legacy_attributes:
            coefs_paths = np.asarray(list(clf_multi.coefs_paths_.values()))
            assert coefs_paths.shape == (3, n_cv, 10, n_features + 1)
            for fold in range(n_cv):
                coefs = [clf_multi.coefs_paths_[c][fold, :, :-1] for c in clf_multi.classes_]
                coefs = np.swapaxes(coefs, 1, 0).reshape(len(clf_multi.Cs_), -1)
                assert np.all(np.diff(np.sum(coefs * coefs, axis=1)) >= -1e-12)
        else:
            assert clf_multi.coefs_paths_.shape == (n_cv, 1, 10, 3, n_features + 1)
            assert isinstance(clf_multi.C_, float)
            assert isinstance(clf_multi.l1_ratio_, float)
            assert clf_multi.scores_.shape == (n_cv, 1, 10)
            for fold in range(n_cv):
                coefs = clf_multi.coefs_paths_[fold, 0, :, :, :-1]
                assert np.all(np.diff(np.sum(coefs * coefs, axis=(-2, -1))) >= -1e-12)

    cv = KFold(n_splits=3)
    for train, test in cv.split(X, y):
        assert len(np.unique(y[train])) == 2 and len(np.unique(y[test])) == 1
    clf = LogisticRegressionCV(cv=cv, use_legacy_attributes=False, scoring="accuracy").fit(X, y)
    assert np.all(clf.scores_ == 0.0)
    clf = LogisticRegressionCV(
        cv=cv, scoring="neg_brier_score", Cs=np.logspace(-6, 3, 10), use_legacy_attributes=False
    ).fit(X, y)
    assert clf.C_ == 1e-6
    brier_scores = -clf.scores_
    assert np.all(brier_scores > 0.7 * 2)
    assert np.min(brier_scores) < 0.8 * 2


@pytest.mark.parametrize("enable_metadata_routing", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_cv_folds_with_classes_missing(enable_metadata_routing, n_classes):
    with config_context(enable_metadata_routing=enable_metadata_routing):
        y = np.array(["a", "a", "b", "b", "c", "c"])[: 2 * n_classes]
        X = np.arange(2 * n_classes)[:, None]
        cv = KFold(n_splits=n_classes)
        for train, test in cv.split(X, y):
            assert len(np.unique(y[train])) == n_classes - 1
            assert len(np.unique(y[test])) == 1
        clf = LogisticRegressionCV(
            cv=cv,
            scoring="neg_brier_score",
            Cs=np.logspace(-6, 6, 5),
            l1_ratios=(0,),
            use_legacy_attributes=False,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # C = 1e6 on separable folds
            clf.fit(X, y)
        assert clf.C_ == 1e-6
        for i, (_, test) in enumerate(cv.split(X, y)):
            clf2 = LogisticRegression(C=clf.C_).fit(X, y)
            clf2.coef_ = clf.coefs_paths_[i, 0, 0, :, :-1]
            clf2.intercept_ = clf.coefs_paths_[i, 0, 0, :, -1]
            labels = ["a", "b", "c"][:n_classes]
            pos_label = {"pos_label": "b"} if n_classes == 2 else {}
            expected = brier_score_loss(
                y[test], clf2.predict_proba(X[test]), labels=labels, **pos_label
            )
            assert_allclose(-clf.scores_[i, 0, 0], expected)


def test_logistic_regression_solvers(global_random_seed):
    X, y = make_classification(
        n_samples=200, n_features=10, n_informative=5, random_state=global_random_seed
    )
    params = dict(C=0.1, fit_intercept=False, random_state=global_random_seed)
    classifiers = {s: LogisticRegression(solver=s, **params).fit(X, y) for s in SOLVERS}
    for solver_1, solver_2 in itertools.combinations(classifiers, r=2):
        assert_allclose(
            classifiers[solver_1].coef_,
            classifiers[solver_2].coef_,
            atol=1e-3,
            rtol=1e-4,
            err_msg=f"Compare {solver_1} vs {solver_2}",
        )


@pytest.mark.slow  # five solvers, each with its cross-validation
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_logistic_regression_solvers_multiclass(fit_intercept):
    """Stronger: "cd" (for liblinear) fits the multinomial problem too."""
    n_samples, n_features, n_classes = 20, 20, 3
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=10,
        n_classes=n_classes,
        random_state=0,
    )
    params = dict(fit_intercept=fit_intercept, tol=1e-8, random_state=42)
    solver_max_iter = {"lbfgs": 200, "prox": 20_000}
    classifiers = {
        s: LogisticRegression(solver=s, max_iter=solver_max_iter.get(s, 100), **params).fit(X, y)
        for s in SOLVERS
    }
    for solver, clf in classifiers.items():
        assert clf.coef_.shape == (n_classes, n_features), solver
    for solver_1, solver_2 in itertools.combinations(classifiers, r=2):
        for name in ("coef_", "intercept_"):
            assert_allclose(
                getattr(classifiers[solver_1], name),
                getattr(classifiers[solver_2], name),
                rtol=1e-3,
                atol=1e-12,
                err_msg=f"{solver_1} vs {solver_2}",
            )
    for solver in SOLVERS:
        cv = LogisticRegressionCV(
            Cs=[1.0],
            solver=solver,
            max_iter=solver_max_iter.get(solver, 100),
            use_legacy_attributes=False,
            scoring="neg_log_loss",
            **params,
        ).fit(X, y)
        assert_allclose(cv.coef_, classifiers[solver].coef_, rtol=1e-2)
        if fit_intercept:
            assert_allclose(cv.intercept_, classifiers[solver].intercept_, rtol=1e-2)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_logistic_regression_solvers_multiclass_unpenalized(fit_intercept, global_random_seed):
    n_samples, n_features, n_classes = 100, 4, 3
    rng = np.random.RandomState(global_random_seed)
    X = make_low_rank_matrix(
        n_samples=n_samples,
        n_features=n_features + fit_intercept,
        effective_rank=n_features + fit_intercept,
        tail_strength=0.1,
        random_state=rng,
    )
    if fit_intercept:
        X[:, -1] = 1
    _, s, _ = svd(X)
    assert np.all(s > 1e-3)
    assert np.max(s) / np.min(s) < 100
    if fit_intercept:
        X = X[:, :-1]
    coef = rng.uniform(low=1, high=3, size=n_features * n_classes).reshape(n_classes, n_features)
    intercept = rng.uniform(low=-1, high=1, size=n_classes) * fit_intercept
    raw_prediction = X @ coef.T + intercept
    proba = np.exp(raw_prediction - raw_prediction.max(1, keepdims=True))
    proba /= proba.sum(1, keepdims=True)
    y = np.array([np.argwhere(rng.multinomial(n=1, pvals=p))[0, 0] for p in proba], float)

    params = dict(fit_intercept=fit_intercept, random_state=global_random_seed)
    solver_max_iter = {"lbfgs": 200, "prox": 10_000}
    regressors = {
        s: LogisticRegression(
            C=np.inf, solver=s, tol=1e-9, max_iter=solver_max_iter.get(s, 100), **params
        ).fit(X, y)
        for s in SOLVERS
    }
    for solver, regressor in regressors.items():
        assert_allclose(regressor.coef_.sum(axis=0), 0, atol=1e-10, err_msg=solver)
    for solver_1, solver_2 in itertools.combinations(regressors, r=2):
        assert_allclose(
            regressors[solver_1].coef_,
            regressors[solver_2].coef_,
            rtol=2e-3,
            err_msg=f"{solver_1} vs {solver_2}",
        )
        if fit_intercept:
            assert_allclose(
                regressors[solver_1].intercept_,
                regressors[solver_2].intercept_,
                rtol=1e-3,
                err_msg=f"{solver_1} vs {solver_2}",
            )


@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
@pytest.mark.parametrize("csr_container", CSR_ONE_FAST)
def test_logistic_cv_sparse(global_random_seed, solver, csr_container):
    """Stronger: "prox" matches to 1e-5 (scikit-learn allows 6e-2 for sag/saga)."""
    X, y = make_classification(n_samples=100, n_features=5, random_state=global_random_seed)
    X[X < 0.0] = 0.0
    params = dict(Cs=[1e-1, 1, 1e1], max_iter=10_000, tol=1e-7, random_state=42)
    clf = LogisticRegressionCV(
        solver=solver, use_legacy_attributes=False, scoring="neg_log_loss", **params
    ).fit(X, y)
    clfs = LogisticRegressionCV(
        solver=solver, use_legacy_attributes=False, scoring="neg_log_loss", **params
    ).fit(csr_container(X), y)
    assert_allclose(clfs.coef_, clf.coef_, rtol=1e-5)
    assert_allclose(clfs.intercept_, clf.intercept_, rtol=1e-5)
    assert clfs.C_ == clf.C_


@pytest.mark.slow  # five solvers' cross-validations, four times
@pytest.mark.parametrize("weight", [{0: 0.1, 1: 0.2}, {0: 0.1, 1: 0.2, 2: 0.5}])
@pytest.mark.parametrize("class_weight", ["weight", "balanced"])
def test_logistic_regressioncv_class_weights(weight, class_weight, global_random_seed):
    n_classes = len(weight)
    if class_weight == "weight":
        class_weight = weight
    X, y = make_classification(
        n_samples=30,
        n_features=3,
        n_repeated=0,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        random_state=global_random_seed,
    )
    params = dict(
        Cs=1, fit_intercept=False, class_weight=class_weight, tol=1e-8, scoring="neg_log_loss"
    )
    clf_lbfgs = LogisticRegressionCV(solver="lbfgs", use_legacy_attributes=False, **params)
    clf_lbfgs.fit(X, y)
    for solver in ("cd", "newton-cg", "newton", "prox"):
        clf = LogisticRegressionCV(solver=solver, **params)
        if solver == "prox":
            clf.set_params(tol=1e-12, max_iter=10000, random_state=global_random_seed + 1)
        clf.fit(X, y)
        assert_allclose(clf.coef_, clf_lbfgs.coef_, rtol=1e-3, err_msg=f"{solver} vs lbfgs")


@pytest.mark.slow  # 600 samples, ten Cs, five solvers, single and cross-validated
@pytest.mark.parametrize("problem", ("single", "cv"))
@pytest.mark.parametrize("solver", SOLVERS)
def test_logistic_regression_sample_weights(problem, solver, global_random_seed):
    n_samples_per_cv_group = 200
    n_cv_groups = 3
    X, y = make_classification(
        n_samples=n_samples_per_cv_group * n_cv_groups,
        n_features=5,
        n_informative=3,
        n_classes=2,
        n_redundant=0,
        random_state=global_random_seed,
    )
    rng = np.random.RandomState(global_random_seed)
    sw = np.ones(y.shape[0])
    kw_weighted = {
        "random_state": global_random_seed,
        "fit_intercept": False,
        "max_iter": 100_000 if solver == "prox" else 1_000,
        "tol": 1e-8,
    }
    kw_repeated = kw_weighted.copy()
    sw[:n_samples_per_cv_group] = rng.randint(0, 5, size=n_samples_per_cv_group)
    X_repeated = np.repeat(X, sw.astype(int), axis=0)
    y_repeated = np.repeat(y, sw.astype(int), axis=0)
    LR = LogisticRegression
    if problem == "cv":
        LR = LogisticRegressionCV
        groups_weighted = np.repeat([0, 1, 2], n_samples_per_cv_group)
        splits_weighted = list(LeaveOneGroupOut().split(X, groups=groups_weighted))
        kw_weighted.update({"Cs": 10, "cv": splits_weighted})
        groups_repeated = np.repeat(groups_weighted, sw.astype(int), axis=0)
        splits_repeated = list(LeaveOneGroupOut().split(X_repeated, groups=groups_repeated))
        kw_repeated.update({"Cs": 10, "cv": splits_repeated})
    clf_sw_weighted = LR(solver=solver, **kw_weighted).fit(X, y, sample_weight=sw)
    clf_sw_repeated = LR(solver=solver, **kw_repeated).fit(X_repeated, y_repeated)
    if problem == "cv":
        assert_allclose(clf_sw_weighted.scores_[1], clf_sw_repeated.scores_[1])
    assert_allclose(clf_sw_weighted.coef_, clf_sw_repeated.coef_, atol=1e-5)


@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
def test_logistic_regression_solver_class_weights(solver, global_random_seed):
    X, y = make_classification(
        n_samples=300, n_features=5, n_informative=3, n_classes=2, random_state=global_random_seed
    )
    sample_weight = y + 1
    kw = {"random_state": global_random_seed, "fit_intercept": False, "max_iter": 100_000}
    kw["tol"] = 1e-8
    clf_cw_12 = LogisticRegression(solver=solver, class_weight={0: 1, 1: 2}, **kw).fit(X, y)
    clf_sw_12 = LogisticRegression(solver=solver, **kw).fit(X, y, sample_weight=sample_weight)
    assert_allclose(clf_cw_12.coef_, clf_sw_12.coef_, atol=1e-6)


def test_sample_and_class_weight_equivalence_liblinear(global_random_seed):
    """The L1 and L2 cases with "cd" (``dual=True`` is refused: the primal L2 case instead)."""
    X, y = make_classification(
        n_samples=300, n_features=5, n_informative=3, n_classes=2, random_state=global_random_seed
    )
    sample_weight = y + 1
    for l1_ratio in (1, 0):
        params = dict(solver="cd", fit_intercept=False, l1_ratio=l1_ratio, max_iter=10_000)
        params.update(tol=1e-12, random_state=global_random_seed)
        clf_cw = LogisticRegression(class_weight={0: 1, 1: 2}, **params).fit(X, y)
        clf_sw = LogisticRegression(**params).fit(X, y, sample_weight)
        assert_allclose(clf_cw.coef_, clf_sw.coef_, atol=1e-10)


def _compute_class_weight_dictionary(y):
    classes = np.unique(y)
    class_weight = compute_class_weight("balanced", classes=classes, y=y)
    return dict(zip(classes, class_weight, strict=True))


@pytest.mark.slow  # five solvers, three class-weight forms, dense and sparse
@pytest.mark.parametrize("csr_container", [lambda x: x, *CSR_CONTAINERS])
def test_logistic_regression_class_weights(global_random_seed, csr_container):
    """Stronger: "cd" and "newton" too (scikit-learn leaves out liblinear, newton-cholesky)."""
    X_iris = scale(iris.data)
    X = csr_container(X_iris[45:, :])
    y = iris.target[45:]
    class_weight_dict = _compute_class_weight_dictionary(y)
    for solver in SOLVERS:
        params = dict(solver=solver, max_iter=2000, random_state=global_random_seed)
        clf1 = LogisticRegression(class_weight="balanced", **params).fit(X, y)
        clf2 = LogisticRegression(class_weight=class_weight_dict, **params).fit(X, y)
        assert len(clf1.classes_) == 3
        assert_allclose(clf1.coef_, clf2.coef_, rtol=1e-4)
        sw = np.ones(X.shape[0])
        for c in clf1.classes_:
            sw[y == c] *= class_weight_dict[c]
        clf3 = LogisticRegression(**params).fit(X, y, sample_weight=sw)
        assert_allclose(clf3.coef_, clf2.coef_, rtol=1e-4)

    X = X_iris[45:100, :]
    y = iris.target[45:100]
    class_weight_dict = _compute_class_weight_dictionary(y)
    for solver in SOLVERS:
        params = dict(solver=solver, max_iter=1000, random_state=global_random_seed)
        clf1 = LogisticRegression(class_weight="balanced", **params).fit(X, y)
        clf2 = LogisticRegression(class_weight=class_weight_dict, **params).fit(X, y)
        assert_array_almost_equal(clf1.coef_, clf2.coef_, decimal=6)


def test_liblinear_decision_function_zero(global_random_seed):
    X, y = make_classification(n_samples=5, n_features=5, random_state=global_random_seed)
    clf = LogisticRegression(fit_intercept=False, solver="cd", random_state=global_random_seed)
    clf.fit(X, y)
    assert_array_equal(clf.predict(np.zeros((5, 5))), np.zeros(5))


def test_logreg_intercept_scaling_zero():
    clf = LogisticRegression(fit_intercept=False)
    clf.fit(X, Y1)
    assert clf.intercept_ == 0.0


@pytest.mark.parametrize("csr_container", CSR_CONTAINERS)
def test_logreg_l1(global_random_seed, csr_container):
    """Stronger: "cd" and "prox" agree to 1e-4 (scikit-learn: liblinear and saga to 0.3). A
    sparse ``X`` stays sparse, whose products round differently: its fits agree with the dense
    ones to the accuracy ``tol`` gives (1e-8 here)."""
    rng = np.random.RandomState(global_random_seed)
    n_samples = 100
    X, y = make_classification(n_samples=n_samples, n_features=20, random_state=global_random_seed)
    X_noise = rng.normal(size=(n_samples, 3))
    X_constant = np.ones(shape=(n_samples, 2))
    X = np.concatenate((X, X_noise, X_constant), axis=1)
    params = dict(l1_ratio=1, C=1.0, fit_intercept=False, max_iter=10000, tol=1e-10)
    params["random_state"] = global_random_seed
    lr_cd = LogisticRegression(solver="cd", **params).fit(X, y)
    lr_prox = LogisticRegression(solver="prox", **params).fit(X, y)
    assert_allclose(lr_prox.coef_, lr_cd.coef_, atol=1e-4)
    X_sp = csr_container(X)
    sparse_cd = LogisticRegression(solver="cd", **params).fit(X_sp, y)
    sparse_prox = LogisticRegression(solver="prox", **params).fit(X_sp, y)
    assert_allclose(sparse_cd.coef_, lr_cd.coef_, rtol=0, atol=1e-7)
    assert_allclose(sparse_prox.coef_, lr_prox.coef_, rtol=0, atol=1e-7)


@pytest.mark.parametrize("l1_ratio", [1, 0])
def test_logistic_regression_cv_refit(global_random_seed, l1_ratio):
    X, y = make_classification(n_samples=100, n_features=20, random_state=global_random_seed)
    common_params = dict(solver="prox", random_state=global_random_seed, max_iter=10000)
    common_params["tol"] = 1e-12
    lr_cv = LogisticRegressionCV(
        Cs=[1.0],
        l1_ratios=(l1_ratio,),
        refit=True,
        scoring="neg_log_loss",
        use_legacy_attributes=False,
        **common_params,
    ).fit(X, y)
    lr = LogisticRegression(C=1.0, l1_ratio=l1_ratio, **common_params).fit(X, y)
    assert_allclose(lr_cv.coef_, lr.coef_)


def test_logreg_predict_proba_multinomial(global_random_seed):
    X, y = make_classification(
        n_samples=10, n_features=20, random_state=global_random_seed, n_classes=3, n_informative=10
    )
    clf_multi = LogisticRegression().fit(X, y)
    clf_multi_loss = log_loss(y, clf_multi.predict_proba(X))
    clf_ovr = OneVsRestClassifier(LogisticRegression()).fit(X, y)
    assert log_loss(y, clf_ovr.predict_proba(X)) > clf_multi_loss
    clf_wrong_loss = log_loss(y, clf_multi._predict_proba_lr(X))
    assert clf_wrong_loss > clf_multi_loss


@pytest.mark.parametrize("max_iter", np.arange(1, 5))
@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
def test_max_iter(global_random_seed, max_iter, solver):
    """A ``ConvergenceWarning`` (its text is ours) and ``n_iter_ == max_iter``."""
    X, y_bin = iris.data, iris.target.copy()
    y_bin[y_bin == 2] = 0
    if solver == "newton" and max_iter > 1:
        pytest.skip("solver newton might converge very fast")  # as in scikit-learn's test
    lr = LogisticRegression(
        max_iter=max_iter, tol=1e-15, random_state=global_random_seed, solver=solver
    )
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        lr.fit(X, y_bin)
    assert lr.n_iter_[0] == max_iter


@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
@pytest.mark.parametrize("use_legacy_attributes", [True, False])
def test_n_iter(solver, use_legacy_attributes):
    """Stronger: "cd" (for liblinear) fits the multinomial case too."""
    X, y = iris.data, iris.target
    if solver == "lbfgs":
        X = scale(X)
    y_bin = y.copy()
    y_bin[y_bin == 2] = 0
    n_Cs, n_cv_fold, n_l1_ratios = 4, 2, 1
    clf = LogisticRegression(tol=1e-2, C=1.0, solver=solver, random_state=42)
    clf.fit(X, y_bin)
    assert clf.n_iter_.shape == (1,)
    clf_cv = LogisticRegressionCV(
        tol=1e-2,
        solver=solver,
        Cs=n_Cs,
        l1_ratios=(0.0,),
        cv=n_cv_fold,
        random_state=42,
        use_legacy_attributes=use_legacy_attributes,
        scoring="neg_log_loss",
    )
    expected = (1, n_cv_fold, n_Cs, n_l1_ratios)
    if not use_legacy_attributes:
        expected = (n_cv_fold, n_l1_ratios, n_Cs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf_cv.fit(X, y_bin)
        assert clf_cv.n_iter_.shape == expected
        clf.fit(X, y)
        assert clf.n_iter_.shape == (1,)
        clf_cv.fit(X, y)
        assert clf_cv.n_iter_.shape == expected


@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
@pytest.mark.parametrize("warm_start", (True, False))
@pytest.mark.parametrize("fit_intercept", (True, False))
def test_warm_start(global_random_seed, solver, warm_start, fit_intercept):
    """Stronger: "cd" warm-starts too (liblinear cannot)."""
    X, y = iris.data, iris.target
    clf = LogisticRegression(
        tol=1e-4,
        warm_start=warm_start,
        solver=solver,
        random_state=global_random_seed,
        fit_intercept=fit_intercept,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        coef_1 = clf.coef_
        clf.max_iter = 1
        clf.fit(X, y)
    cum_diff = np.sum(np.abs(coef_1 - clf.coef_))
    msg = f"Warm starting issue with solver {solver} with {fit_intercept=} and {warm_start=}"
    if warm_start:
        assert 2.0 > cum_diff, msg
    else:
        assert cum_diff > 2.0, msg


@pytest.mark.parametrize("solver", ["newton", "newton-cg"])
@pytest.mark.parametrize("fit_intercept", (True, False))
@pytest.mark.parametrize("C", (1, np.inf))
def test_warm_start_newton_solver(solver, fit_intercept, C):
    X, y = iris.data, iris.target
    params = dict(solver=solver, fit_intercept=fit_intercept, C=C)
    clf1 = LogisticRegression(max_iter=2, **params)
    clf2 = LogisticRegression(max_iter=1, warm_start=True, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf1.fit(X, y)
        clf2.fit(X, y)
        clf2.fit(X, y)
    assert_allclose(clf2.coef_, clf1.coef_)
    if fit_intercept:
        assert_allclose(clf2.intercept_, clf1.intercept_)


@pytest.mark.parametrize("l1_ratio", (0, 1))
@pytest.mark.parametrize("csr_container", CSR_CONTAINERS)
def test_saga_vs_liblinear(global_random_seed, csr_container, l1_ratio):
    iris = load_iris()
    X, y = np.concatenate([iris.data] * 3), np.concatenate([iris.target] * 3)
    X_bin = X[y <= 1]
    y_bin = y[y <= 1] * 2 - 1
    X_sparse, y_sparse = make_classification(
        n_samples=50, n_features=20, random_state=global_random_seed
    )
    X_sparse = csr_container(X_sparse)
    for X, y in ((X_bin, y_bin), (X_sparse, y_sparse)):
        n_samples = X.shape[0]
        for alpha in np.logspace(-1, 1, 3):
            params = dict(C=1.0 / (n_samples * alpha), l1_ratio=l1_ratio, max_iter=500)
            params.update(fit_intercept=False, random_state=global_random_seed, tol=1e-6)
            prox = LogisticRegression(solver="prox", **params).fit(X, y)
            cd = LogisticRegression(solver="cd", **params).fit(X, y)
            assert_array_almost_equal(prox.coef_, cd.coef_, 3)


@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("csr_container", CSR_ONE_FAST)
def test_dtype_match(solver, fit_intercept, csr_container):
    """float32 data is fitted in float32 (with "cd" too, where liblinear gives float64)."""
    X_32 = np.array(X).astype(np.float32)
    y_32 = np.array(Y1).astype(np.float32)
    X_64 = np.array(X).astype(np.float64)
    y_64 = np.array(Y1).astype(np.float64)
    X_sparse_32 = csr_container(X, dtype=np.float32)
    X_sparse_64 = csr_container(X, dtype=np.float64)
    solver_tol = 5e-4
    lr_templ = LogisticRegression(
        solver=solver, random_state=42, tol=solver_tol, fit_intercept=fit_intercept
    )
    lr_32 = clone(lr_templ).fit(X_32, y_32)
    assert lr_32.coef_.dtype == np.float32
    lr_32_sparse = clone(lr_templ).fit(X_sparse_32, y_32)
    assert lr_32_sparse.coef_.dtype == np.float32
    lr_64 = clone(lr_templ).fit(X_64, y_64)
    assert lr_64.coef_.dtype == np.float64
    lr_64_sparse = clone(lr_templ).fit(X_sparse_64, y_64)
    assert lr_64_sparse.coef_.dtype == np.float64
    atol = 2 * 1.72 * solver_tol
    assert_allclose(lr_32.coef_, lr_64.coef_.astype(np.float32), atol=atol)
    assert_allclose(lr_32.coef_, lr_32_sparse.coef_, atol=atol)
    assert_allclose(lr_64.coef_, lr_64_sparse.coef_, atol=atol)


def test_warm_start_converge_LR(global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    X = np.concatenate((rng.randn(100, 2) + np.ones(2), rng.randn(100, 2)))
    y = np.array([1] * 100 + [-1] * 100)
    params = dict(solver="prox", tol=1e-6, random_state=global_random_seed)
    lr_no_ws = LogisticRegression(warm_start=False, **params)
    lr_ws = LogisticRegression(warm_start=True, **params)
    lr_no_ws_loss = log_loss(y, lr_no_ws.fit(X, y).predict_proba(X))
    for _ in range(5):
        lr_ws.fit(X, y)
    lr_ws_loss = log_loss(y, lr_ws.predict_proba(X))
    assert_allclose(lr_no_ws_loss, lr_ws_loss, rtol=1e-5)


def test_elastic_net_coeffs(global_random_seed):
    X, y = make_classification(random_state=global_random_seed)
    coeffs = []
    for l1_ratio in (0.5, 1, 0):
        lr = LogisticRegression(
            C=2.0,
            l1_ratio=l1_ratio,
            solver="prox",
            random_state=global_random_seed,
            tol=1e-3,
            max_iter=500,
        )
        coeffs.append(lr.fit(X, y).coef_)
    elastic_net_coeffs, l1_coeffs, l2_coeffs = coeffs
    assert not np.allclose(elastic_net_coeffs, l1_coeffs, rtol=0, atol=1e-3)
    assert not np.allclose(elastic_net_coeffs, l2_coeffs, rtol=0, atol=1e-3)
    assert not np.allclose(l2_coeffs, l1_coeffs, rtol=0, atol=1e-3)


@pytest.mark.parametrize("C", [0.001, 0.1, 1, 10, 100, 1000, 1e6])
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1), ("l2", 0)])
def test_elastic_net_l1_l2_equivalence(global_random_seed, C, penalty, l1_ratio):
    X, y = make_classification(random_state=global_random_seed)
    params = dict(C=C, solver="prox", random_state=global_random_seed, tol=1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # penalty= is deprecated
        warnings.simplefilter("ignore", ConvergenceWarning)
        lr_enet = LogisticRegression(penalty="elasticnet", l1_ratio=l1_ratio, **params).fit(X, y)
        lr_expected = LogisticRegression(penalty=penalty, **params).fit(X, y)
    assert_array_almost_equal(lr_enet.coef_, lr_expected.coef_)


@pytest.mark.slow  # a grid search of 25 fits per C
@pytest.mark.parametrize("C", [0.001, 1, 100, 1e6])
def test_elastic_net_vs_l1_l2(C):
    X, y = make_classification(500, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    param_grid = {"l1_ratio": np.linspace(0, 1, 5)}
    params = dict(C=C, solver="prox", random_state=0, tol=1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gs = GridSearchCV(LogisticRegression(l1_ratio=0.5, **params), param_grid, refit=True)
        l1_clf = LogisticRegression(l1_ratio=1, **params)
        l2_clf = LogisticRegression(l1_ratio=0, **params)
        for clf in (gs, l1_clf, l2_clf):
            clf.fit(X_train, y_train)
    assert gs.score(X_test, y_test) >= l1_clf.score(X_test, y_test)
    assert gs.score(X_test, y_test) >= l2_clf.score(X_test, y_test)


@pytest.mark.parametrize("C", np.logspace(-3, 2, 4))
@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.9])
def test_LogisticRegression_elastic_net_objective(C, l1_ratio):
    X, y = make_classification(
        n_samples=1000,
        n_classes=2,
        n_features=20,
        n_informative=10,
        n_redundant=0,
        n_repeated=0,
        random_state=0,
    )
    X = scale(X)
    params = dict(solver="prox", random_state=0, C=C, fit_intercept=False)
    lr_enet = LogisticRegression(l1_ratio=l1_ratio, **params).fit(X, y)
    lr_l2 = LogisticRegression(l1_ratio=0, **params).fit(X, y)

    def enet_objective(lr):
        coef = lr.coef_.ravel()
        obj = C * log_loss(y, lr.predict_proba(X))
        obj += l1_ratio * np.sum(np.abs(coef))
        obj += (1.0 - l1_ratio) * 0.5 * np.dot(coef, coef)
        return obj

    assert enet_objective(lr_enet) < enet_objective(lr_l2)


@pytest.mark.slow  # a grid search of 45 fits
@pytest.mark.parametrize("n_classes", (2, 3))
def test_LogisticRegressionCV_GridSearchCV_elastic_net(n_classes):
    X, y = make_classification(n_samples=100, n_classes=n_classes, n_informative=3, random_state=0)
    cv = StratifiedKFold(5)
    l1_ratios = np.linspace(0, 1, 3)
    Cs = np.logspace(-4, 4, 3)
    params = dict(solver="prox", random_state=0, tol=1e-2)
    lrcv = LogisticRegressionCV(
        l1_ratios=l1_ratios,
        Cs=Cs,
        cv=cv,
        scoring="neg_log_loss",
        use_legacy_attributes=False,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lrcv.fit(X, y)
        gs = GridSearchCV(
            LogisticRegression(**params),
            {"C": Cs, "l1_ratio": l1_ratios},
            cv=cv,
            scoring="neg_log_loss",
        ).fit(X, y)
    assert gs.best_params_["l1_ratio"] == lrcv.l1_ratio_
    assert gs.best_params_["C"] == lrcv.C_


@pytest.mark.parametrize("l1_ratios", ((0,), np.linspace(0, 1, 2)))
@pytest.mark.parametrize("n_classes", (2, 3))
def test_LogisticRegressionCV_no_refit(l1_ratios, n_classes):
    n_features = 20
    X, y = make_classification(
        n_samples=200,
        n_classes=n_classes,
        n_informative=n_classes,
        n_features=n_features,
        random_state=0,
    )
    lrcv = LogisticRegressionCV(
        Cs=np.logspace(-4, 4, 3),
        l1_ratios=l1_ratios,
        solver="prox",
        random_state=0,
        tol=1e-2,
        refit=False,
        scoring="neg_log_loss",
        use_legacy_attributes=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lrcv.fit(X, y)
    n_classes = 1 if n_classes == 2 else n_classes
    assert lrcv.C_.shape == (n_classes,)
    assert lrcv.l1_ratio_.shape == (n_classes,)
    assert lrcv.coef_.shape == (n_classes, n_features)
    assert_allclose(lrcv.C_, lrcv.C_[0])
    assert_allclose(lrcv.l1_ratio_, lrcv.l1_ratio_[0])


@pytest.mark.parametrize("n_classes", (2, 3))
def test_LogisticRegressionCV_elasticnet_attribute_shapes(n_classes):
    n_features = 20
    X, y = make_classification(
        n_samples=200,
        n_classes=n_classes,
        n_informative=n_classes,
        n_features=n_features,
        random_state=0,
    )
    Cs = np.logspace(-4, 4, 3)
    l1_ratios = np.linspace(0, 1, 2)
    n_folds = 2
    lrcv = LogisticRegressionCV(
        Cs=Cs,
        l1_ratios=l1_ratios,
        solver="prox",
        cv=n_folds,
        random_state=0,
        tol=1e-2,
        scoring="neg_log_loss",
        use_legacy_attributes=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lrcv.fit(X, y)
    coefs_paths = np.asarray(list(lrcv.coefs_paths_.values()))
    n_classes = 1 if n_classes == 2 else n_classes
    assert coefs_paths.shape == (n_classes, n_folds, Cs.size, l1_ratios.size, n_features + 1)
    scores = np.asarray(list(lrcv.scores_.values()))
    assert scores.shape == (n_classes, n_folds, Cs.size, l1_ratios.size)
    assert lrcv.n_iter_.shape == (1, n_folds, Cs.size, l1_ratios.size)
    assert_allclose(lrcv.C_, lrcv.C_[0])
    assert_allclose(lrcv.l1_ratio_, lrcv.l1_ratio_[0])


def test_LogisticRegressionCV_on_folds():
    X, y = iris.data, iris.target
    lrcv = LogisticRegressionCV(
        solver="newton", tol=1e-8, use_legacy_attributes=True, scoring="neg_log_loss"
    ).fit(X, y)
    folds = list(StratifiedKFold(5).split(X, y))
    for idx_fold, idx_C in [[0, 0], [0, 1], [3, 6]]:
        train = folds[idx_fold][0]
        lr = LogisticRegression(C=lrcv.Cs_[idx_C], solver="newton", tol=1e-8)
        lr.fit(X[train], y[train])
        for cl in np.unique(y):
            assert_allclose(lrcv.coefs_paths_[cl][idx_fold, idx_C, :-1], lr.coef_[cl], rtol=1e-5)
            assert_allclose(
                lrcv.coefs_paths_[cl][idx_fold, idx_C, -1], lr.intercept_[cl], rtol=1e-5
            )


def test_l1_ratio_non_elasticnet():
    """The warning, without its text."""
    with pytest.warns(UserWarning, match="l1_ratio"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        LogisticRegression(penalty="l1", solver="prox", l1_ratio=0.5).fit(X, Y1)


@pytest.mark.parametrize("C", np.logspace(-3, 2, 4))
@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.9])
def test_elastic_net_versus_sgd(global_random_seed, C, l1_ratio):
    n_samples = 500
    X, y = make_classification(
        n_samples=n_samples,
        n_classes=2,
        n_features=5,
        n_informative=5,
        n_redundant=0,
        n_repeated=0,
        random_state=global_random_seed,
    )
    X = scale(X)
    sgd = SGDClassifier(
        penalty="elasticnet",
        l1_ratio=l1_ratio,
        random_state=global_random_seed,
        fit_intercept=False,
        tol=None,
        max_iter=2000,
        alpha=1.0 / C / n_samples,
        loss="log_loss",
    ).fit(X, y)
    log = LogisticRegression(
        l1_ratio=l1_ratio,
        random_state=global_random_seed,
        fit_intercept=False,
        tol=1e-5,
        max_iter=1000,
        C=C,
        solver="prox",
    ).fit(X, y)
    assert_allclose(sgd.coef_, log.coef_, atol=0.35)


@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
def test_penalty_none(global_random_seed, solver):
    """``penalty=None`` fits what ``C=np.inf`` fits (its warning for ``C`` is in
    test_sklearn_api.py). Stronger: "cd" too (liblinear refuses)."""
    X, y = make_classification(n_samples=1000, n_redundant=0, random_state=global_random_seed)
    params = dict(solver=solver, max_iter=300, random_state=global_random_seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # penalty= is deprecated
        pred_none = LogisticRegression(penalty=None, **params).fit(X, y).predict(X)
    pred_l2_C_inf = LogisticRegression(C=np.inf, **params).fit(X, y).predict(X)
    assert_array_equal(pred_none, pred_l2_C_inf)


@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
def test_c_inf_no_warning(solver):
    X, y = make_classification(n_samples=100, n_redundant=0, random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        LogisticRegression(C=np.inf, solver=solver).fit(X, y)


@pytest.mark.parametrize("l1_ratio", [1, 0])
def test_logisticregression_liblinear_sample_weight(global_random_seed, l1_ratio):
    """L1 and L2 (primal) with "cd"; zero weights drop samples."""
    X = np.array([[1, 3]] * 4 + [[2, 1]] * 4 + [[3, 3]] * 4 + [[4, 1]] * 4, dtype=float)
    y = np.array([1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2])
    X2 = np.vstack([X, X])
    y2 = np.hstack([y, 3 - y])
    sample_weight = np.ones(shape=len(y) * 2)
    sample_weight[len(y) :] = 0
    X2, y2, sample_weight = shuffle(X2, y2, sample_weight, random_state=global_random_seed)
    base_clf = LogisticRegression(solver="cd", random_state=global_random_seed, l1_ratio=l1_ratio)
    base_clf.set_params(tol=1e-12 if l1_ratio == 0 else 1e-6, max_iter=1000)
    clf_no_weight = clone(base_clf).fit(X, y)
    clf_with_weight = clone(base_clf).fit(X2, y2, sample_weight=sample_weight)
    for method in ("predict", "predict_proba", "decision_function"):
        assert_allclose(
            getattr(clf_no_weight, method)(X), getattr(clf_with_weight, method)(X), atol=1e-8
        )


@pytest.mark.slow  # six cross-validations of 1000 samples
def test_scores_attribute_layout_elasticnet():
    """Fitted to ``tol=1e-7``: at scikit-learn's ``tol=1e-3`` (saga's scale), our warm-started
    fold fits and the cold fits of ``cross_val_score`` stop at different points (0.25%)."""
    X, y = make_classification(n_samples=1000, random_state=0)
    cv = StratifiedKFold(n_splits=5)
    l1_ratios = [0.1, 0.9]
    Cs = [0.1, 1, 10]
    params = dict(solver="prox", random_state=0, max_iter=1000, tol=1e-7)
    lrcv = LogisticRegressionCV(
        Cs=Cs,
        l1_ratios=l1_ratios,
        cv=cv,
        scoring="neg_log_loss",
        use_legacy_attributes=True,
        **params,
    ).fit(X, y)
    avg_scores_lrcv = lrcv.scores_[1].mean(axis=0)
    for i, C in enumerate(Cs):
        for j, l1_ratio in enumerate(l1_ratios):
            lr = LogisticRegression(C=C, l1_ratio=l1_ratio, **params)
            avg_score_lr = cross_val_score(lr, X, y, cv=cv, scoring="neg_log_loss").mean()
            assert avg_scores_lrcv[i, j] == pytest.approx(avg_score_lr, rel=1e-3)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "newton"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_multinomial_identifiability_on_iris(solver, fit_intercept):
    target = iris.target_names[iris.target]
    clf = LogisticRegression(C=len(iris.data), solver=solver, fit_intercept=fit_intercept)
    clf.fit(scale(iris.data), target)
    assert_allclose(clf.coef_.sum(axis=0), 0, atol=1e-10)
    if fit_intercept:
        assert clf.intercept_.sum(axis=0) == pytest.approx(0, abs=1e-11)


@pytest.mark.parametrize("class_weight", [{0: 1.0, 1: 10.0, 2: 1.0}, "balanced"])
def test_sample_weight_not_modified(class_weight):
    X, y = load_iris(return_X_y=True)
    W = np.ones(len(X))
    W[: len(X) // 2] = 2
    expected = W.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        LogisticRegression(class_weight=class_weight, max_iter=200).fit(X, y, sample_weight=W)
    assert_allclose(expected, W)


@pytest.mark.parametrize("solver", SOLVERS_ONE_FAST)
@pytest.mark.parametrize("csr_container", CSR_ONE_FAST)
def test_large_sparse_matrix(solver, csr_container):
    """Stronger: every solver takes 64-bit sparse indices (liblinear, sag and saga refuse), and
    keeps ``X`` sparse. Sparse and dense products round differently; L-BFGS stalls near a
    gradient of 1e-9 on this 20 × 10 problem, where that is a relative 1e-7 in the coefficients
    (the Newton-type solvers agree to 1e-15)."""
    rng = np.random.RandomState(42)
    X = csr_container(sparse.random(20, 10, density=0.3, random_state=42))
    for attr in ["indices", "indptr"]:
        setattr(X, attr, getattr(X, attr).astype("int64"))
    y = rng.randint(2, size=X.shape[0])
    ours = LogisticRegression(solver=solver, tol=1e-10, max_iter=1000).fit(X, y)
    dense = LogisticRegression(solver=solver, tol=1e-10, max_iter=1000).fit(X.toarray(), y)
    assert_allclose(ours.coef_, dense.coef_, rtol=1e-6, atol=1e-10)


def test_liblinear_with_large_values():
    """Stronger: "cd" does not freeze on ``max|X| = 1e100`` (liblinear does, so scikit-learn
    refuses): it warns about the feature scale and fits."""
    X = np.array([0, 1e100]).reshape(-1, 1)
    y = np.array([0, 1])
    with pytest.warns(UserWarning, match="scale"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(solver="cd").fit(X, y)
    assert_array_equal(model.predict(X), y)


def test_single_feature_newton_cg():
    X = np.array([[0.5, 0.65, 1.1, 1.25, 0.8, 0.54, 0.95, 0.7]]).T
    y = np.array([1, 1, 0, 0, 1, 1, 0, 1])
    assert X.shape[1] == 1
    LogisticRegression(solver="newton-cg", fit_intercept=True).fit(X, y)


def test_liblinear_not_stuck(global_random_seed):
    X = iris.data.copy()
    y = iris.target.copy()
    X = X[y != 2]
    y = y[y != 2]
    X_prep = StandardScaler().fit_transform(X)
    C = l1_min_c(X, y, loss="log") * 10 ** (10 / 29)
    clf = LogisticRegression(
        l1_ratio=1,
        C=C,
        solver="cd",
        tol=1e-6,
        max_iter=100,
        intercept_scaling=10000.0,
        random_state=global_random_seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X_prep, y)


@config_context(enable_metadata_routing=True)
def test_lr_cv_scores_differ_when_sample_weight_is_requested(global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    X, y = make_classification(n_samples=2000, random_state=rng)
    X_t, y_t = make_classification(n_samples=2000, random_state=rng)
    sample_weight = np.ones(len(y))
    sample_weight[: len(y) // 2] = 2
    kwargs = {"sample_weight": sample_weight}
    scorer1 = get_scorer("accuracy").set_score_request(sample_weight=False)
    lr_cv1 = LogisticRegressionCV(scoring=scorer1, tol=3e-6, use_legacy_attributes=True)
    lr_cv1.fit(X, y, **kwargs)
    scorer2 = get_scorer("accuracy").set_score_request(sample_weight=True)
    lr_cv2 = LogisticRegressionCV(scoring=scorer2, tol=3e-6, use_legacy_attributes=True)
    lr_cv2.fit(X, y, **kwargs)
    assert not np.allclose(lr_cv1.scores_[1], lr_cv2.scores_[1])
    with pytest.raises(TypeError, match="sample_weight"):
        lr_cv1.score(X_t, y_t, **kwargs)
    score_1 = lr_cv1.score(X_t, y_t)
    score_2 = lr_cv2.score(X_t, y_t, **kwargs)
    assert not np.allclose(score_1, score_2)


def test_lr_cv_scores_without_enabling_metadata_routing():
    rng = np.random.RandomState(10)
    X, y = make_classification(n_samples=10, random_state=rng)
    X_t, y_t = make_classification(n_samples=10, random_state=rng)
    sample_weight = np.ones(len(y))
    sample_weight[: len(y) // 2] = 2
    kwargs = {"sample_weight": sample_weight}
    with config_context(enable_metadata_routing=False):
        lr_cv1 = LogisticRegressionCV(scoring=get_scorer("accuracy"), use_legacy_attributes=False)
        lr_cv1.fit(X, y, **kwargs)
        score_1 = lr_cv1.score(X_t, y_t, **kwargs)
    with config_context(enable_metadata_routing=True):
        scorer2 = get_scorer("accuracy")
        scorer2.set_score_request(sample_weight=True)
        lr_cv2 = LogisticRegressionCV(scoring=scorer2, use_legacy_attributes=False)
        lr_cv2.fit(X, y, **kwargs)
        score_2 = lr_cv2.score(X_t, y_t, **kwargs)
    assert_allclose(lr_cv1.scores_[1], lr_cv2.scores_[1])
    assert_allclose(score_1, score_2)


@pytest.mark.parametrize("solver", SOLVERS)
def test_zero_max_iter(solver):
    """Stronger: ``max_iter=0`` leaves every solver at its start (scikit-learn's lbfgs has
    already moved, its sag/saga report one iteration)."""
    X, y = load_iris(return_X_y=True)
    y = y == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LogisticRegression(solver=solver, max_iter=0).fit(X, y)
    assert clf.n_iter_ == 0
    assert_allclose(clf.coef_, np.zeros_like(clf.coef_))
    assert_allclose(clf.decision_function(X), np.full(shape=X.shape[0], fill_value=clf.intercept_))
    assert_allclose(clf.predict_proba(X), np.full(shape=(X.shape[0], 2), fill_value=0.5))
    assert clf.score(X, y) < 0.7


def test_passing_params_without_enabling_metadata_routing():
    """An unknown fit or score parameter is an error (its text is ours)."""
    X, y = make_classification(n_samples=10, random_state=0)
    lr_cv = LogisticRegressionCV(use_legacy_attributes=False, scoring="neg_log_loss")
    with config_context(enable_metadata_routing=False):
        with pytest.raises((TypeError, ValueError)):
            lr_cv.fit(X, y, extra_param=1.0)
        lr_cv.fit(X, y)
        with pytest.raises((TypeError, ValueError)):
            lr_cv.score(X, y, extra_param=1.0)


def test_newton_on_a_singular_hessian():
    """For test_newton_cholesky_fallback_to_lbfgs: on wide data with a tiny penalty, Newton
    fits what L-BFGS fits, without a fallback."""
    X, y = make_classification(n_samples=10, n_features=20, random_state=42)
    lbfgs = LogisticRegression(solver="lbfgs", C=1e30).fit(X, y)
    newton = LogisticRegression(solver="newton", C=1e30).fit(X, y)
    assert_array_equal(newton.predict(X), lbfgs.predict(X))
    assert np.all(np.isfinite(newton.coef_))


@pytest.mark.parametrize("Estimator", [LogisticRegression, LogisticRegressionCV])
def test_liblinear_multiclass_raises(Estimator):
    """Stronger: "cd" (for liblinear) fits multiclass problems (multinomial), as lbfgs does."""
    params = dict(Cs=2, cv=2) if Estimator is LogisticRegressionCV else {}
    X = scale(iris.data)
    ours = Estimator(solver="cd", tol=1e-10, **params).fit(X, iris.target)
    reference = Estimator(solver="lbfgs", tol=1e-10, max_iter=1000, **params).fit(X, iris.target)
    assert ours.coef_.shape == (3, 4)
    assert_allclose(ours.coef_, reference.coef_, rtol=1e-5, atol=1e-6)


ESTIMATORS = [
    LogisticRegression(),
    LogisticRegressionCV(Cs=3, cv=3),
    LinearRegression(),
    Ridge(),
    Lasso(),
    ElasticNet(),
    PolynomialFeatures(),
]


#: Checks whose tolerance is float64's: scikit-learn asks weighted and repeated-row fits to agree
#: to rtol 1e-7, which a float32 computation (JAX's default) cannot promise. In float32 the same
#: equivalence is checked at float32's accuracy instead (``_weights_equal_repeated_rows``).
FLOAT64_TOLERANCE_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
}


def _weights_equal_repeated_rows(estimator, rtol=1e-4):
    """Integer sample weights fit as those rows repeated, to float32 accuracy."""
    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    y = rng.randint(0, 3, 40) if is_classifier(estimator) else rng.rand(40)
    weights = rng.randint(0, 4, 40)
    tight = {"tol": 1e-10} if "tol" in estimator.get_params() else {}
    weighted = clone(estimator).set_params(**tight).fit(X, y, sample_weight=weights)
    X_rep, y_rep = np.repeat(X, weights, axis=0), np.repeat(y, weights)
    repeated = clone(estimator).set_params(**tight).fit(X_rep, y_rep)
    assert_allclose(weighted.coef_, repeated.coef_, rtol=rtol, atol=1e-5)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=rtol, atol=1e-5)


@pytest.mark.slow  # every check's data shape compiles new programs
@pytest.mark.parametrize("precision", ["float64", "float32"])
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda estimator: {})
def test_check_estimator(estimator, check, precision):
    """scikit-learn's ``check_estimator``, every check expected to pass, in float64 and (JAX's
    default) float32 (where ``FLOAT64_TOLERANCE_CHECKS`` are checked at float32's accuracy)."""
    with jax.enable_x64(precision == "float64"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if precision == "float32" and check.func.__name__ in FLOAT64_TOLERANCE_CHECKS:
            _weights_equal_repeated_rows(estimator)
        else:
            check(estimator)
