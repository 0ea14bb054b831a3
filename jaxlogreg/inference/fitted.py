"""A fitted ``LogisticRegression``'s optimization problem, rebuilt on given data.

Inference and the bootstrap need what the estimator solved: the design, the solver targets, the
sample × class weights, the offset, the penalty in the glmnet convention (``λ = 1/(C·Σs)``, the
estimator's penalty factors ``ϖ``) and the coefficients in the solver's layout ``Θ = [W | b]``
(intercept last). ``fitted_problem`` rebuilds them, checking that the data match the fit
(feature count and names, known labels, an offset where the fit had one).

A standardized fit (``standardize=True``) solved on the columns ``xⱼ/σⱼ`` for ``β̃ⱼ = σⱼβⱼ``
(``core.standardization``): the problem is rebuilt so, on ``X/σ`` with ``Θ̃``, and the reported
coefficients are ``D Θ̃`` with ``D = diag(1/σ, 1)`` (``FittedProblem.scales``), their covariance
``D Cov(Θ̃) D``. The penalty weighs ``σⱼβⱼ``, so no penalty factor on the original columns would
do for an elastic net (the ridge part scales with ``σⱼ²``, the L1 part with ``σⱼ``).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import scipy.sparse
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_penalty_factor, check_sample_weight, to_device, validate_inputs
from ..core.design import SparseDesign
from ..core.penalties import l1_ratio_of, lam_of_C
from ..core.problem import Problem
from ..core.standardization import feature_scales, scale_columns
from ..core.targets import (
    Mode,
    choose_mode,
    class_weights,
    encode_offset,
    encode_targets,
    score_offset,
)
from ..engine.functional import make_problem
from ..precision import precise_jit

#: ``make_problem`` as one compiled program (run op by op, each small op would compile apart).
_make_problem = precise_jit(make_problem, static_argnames=("loss", "fit_intercept"))

__all__ = [
    "FITTED_WITH_OFFSET",
    "FittedProblem",
    "coefficient_transform",
    "equation_labels",
    "fitted_problem",
    "reference_index",
]

#: The estimator attribute that records whether ``fit`` was given an ``offset`` (``True``/
#: ``False``); an estimator without it is taken at its word, the offset given here.
FITTED_WITH_OFFSET = "fitted_with_offset_"


class FittedProblem(NamedTuple):
    """The estimator's problem on ``X, y``.

    Attributes:
        problem: the glmnet-convention ``Problem``; ``(K, n, 1)``-stacked binary problems (one
            per class, ``problem.targets`` of shape ``(K, n, 1)``) for one-vs-rest.
        coef: the fitted ``Θ``, ``(K, d)`` (``(K, 1, d)`` one-vs-rest).
        total_weight: ``Σᵢ sᵢ`` (sample × class weights): the likelihood is ``−Σᵢ sᵢ ℓᵢ``.
        mode: ``Mode.BINARY``, ``MULTINOMIAL`` or ``OVR`` (a two-class softmax is refitted and
            analysed as the equivalent binary logit).
        C, l1_ratio: the penalty in scikit-learn's convention (``C = inf``: none).
        y_index: class indices ``(n,)``; classes: the labels; feature_names: ``(p,)`` strings.
        scales: ``(p,)`` the columns' ``σ`` of a standardized fit (ones otherwise): ``problem``
            and ``coef`` are on ``X/σ``, the reported coefficients ``Θ̃ⱼ/σⱼ`` (``unscaling``).
    """

    problem: Problem
    coef: jnp.ndarray
    total_weight: float
    mode: Mode
    C: float
    l1_ratio: float
    y_index: np.ndarray
    classes: np.ndarray
    feature_names: list[str]
    scales: np.ndarray

    def unscaling(self) -> np.ndarray:
        """``diag(1/σ, 1)``-blocks of ``D`` for one equation's ``d`` coefficients: ``(d,)``."""
        return np.concatenate([1.0 / self.scales, np.ones(int(self.problem.fit_intercept))])


def _penalty(estimator) -> tuple[float, float]:
    """``(C, l1_ratio)`` of the fit; ``C = inf`` when unpenalized."""
    cv_fit = hasattr(estimator, "C_") and hasattr(estimator, "l1_ratio_")
    if cv_fit:  # LogisticRegressionCV: the selected values
        C, l1_ratio = float(np.ravel(estimator.C_)[0]), float(np.ravel(estimator.l1_ratio_)[0])
    else:
        with warnings.catch_warnings():  # an ignored l1_ratio was reported by fit already
            warnings.simplefilter("ignore")
            l1_ratio = l1_ratio_of(estimator.penalty, estimator.l1_ratio)
        C = float(estimator.C)
    if estimator.penalty is None:
        return np.inf, 0.0
    return C, l1_ratio


def _validated(estimator, X, y, keep_sparse: bool):
    """``X`` (CSR with ``keep_sparse``, else dense) in JAX's default float, and ``y``, checked
    against the fit: feature count and names, known labels."""
    check = dict(reset=False, dtype=[np.float64, np.float32])
    if keep_sparse:
        X, y = validate_inputs(estimator, X, y, **check)
    else:
        X, y = validate_data(estimator, X, y, **check)
    unknown = ~np.isin(y, estimator.classes_)
    if np.any(unknown):
        raise ValueError(
            f"y holds labels the model was not fitted on: {np.unique(y[unknown]).tolist()!r}; "
            f"its classes are {estimator.classes_.tolist()!r}"
        )
    return X.astype(np.dtype(jnp.result_type(float)), copy=False), y


def _check_classifier(estimator) -> None:
    """A fitted jaxlogreg ``LogisticRegression`` or ``LogisticRegressionCV``, else an error."""
    jaxlogreg_classifier = type(estimator).__module__.partition(".")[0] == "jaxlogreg" and hasattr(
        estimator, "multi_class"
    )
    if not jaxlogreg_classifier:
        raise TypeError(
            f"expected a fitted jaxlogreg LogisticRegression, got {type(estimator).__name__}"
        )
    check_is_fitted(estimator)
    bounded = any(getattr(estimator, b, None) is not None for b in ("lower_bounds", "upper_bounds"))
    if bounded or getattr(estimator, "multinomial_l1", "ungrouped") == "grouped":
        raise ValueError(
            "inference (summary, infer, bootstrap, influence) is not available for a fit with "
            "lower_bounds/upper_bounds or multinomial_l1='grouped': refit without them"
        )


def _checked_offset(estimator, offset, n: int, n_classes: int, mode: Mode):
    """``score_offset``'s layout of ``offset``; an error when it is missing for a fit that had
    one, or given to one that had none (the coefficients are those of the fit's own model)."""
    fitted_with = getattr(estimator, FITTED_WITH_OFFSET, None)
    if fitted_with and offset is None:
        raise ValueError(
            "the model was fitted with an offset: pass the same offset= (the training offset) "
            "to summary/infer/bootstrap, or its numbers describe a different model"
        )
    if fitted_with is False and offset is not None:
        raise ValueError("the model was fitted without an offset: call it with offset=None")
    return score_offset(offset, n, n_classes, mode)


def fitted_problem(
    estimator, X, y, sample_weight=None, *, offset=None, keep_sparse=False
) -> FittedProblem:
    """Rebuild the fitted ``estimator``'s problem on ``(X, y)`` and ``offset`` (normally its
    training data); with ``keep_sparse`` a sparse ``X`` becomes a ``core.design.SparseDesign``,
    else it is refused (inference that needs a dense ``X``)."""
    _check_classifier(estimator)
    X, y = _validated(estimator, X, y, keep_sparse)
    classes = estimator.classes_
    y_index = np.searchsorted(classes, y)
    weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
    weights = weights * class_weights(estimator.class_weight, classes, y, weights)[y_index]
    C, l1_ratio = _penalty(estimator)
    total_weight = float(weights.sum())
    lam = float(lam_of_C(C, total_weight))

    mode = choose_mode(estimator.multi_class, len(classes))
    offset = _checked_offset(estimator, offset, X.shape[0], len(classes), mode)
    if mode == Mode.BINARY_SOFTMAX:
        # A penalized two-class softmax, θ₀ = −Δ/2 and θ₁ = Δ/2 at its optimum, pays
        # λ/2(‖θ₀‖² + ‖θ₁‖²) = (λ/2)/2 ‖Δ‖²: the binary logit of Δ with λ/2.
        mode, lam = Mode.BINARY, lam / 2
    fit_intercept = bool(estimator.fit_intercept)
    scales = feature_scales(X, weights) if getattr(estimator, "standardize", False) else None
    full = np.column_stack([estimator.coef_, estimator.intercept_])
    coef = full if fit_intercept else full[:, :-1]
    if scales is not None:  # the fit's own coefficients, of the columns xⱼ/σⱼ
        X, coef = scale_columns(X, scales), coef * np.append(scales, 1.0)[: coef.shape[1]]
    targets, loss = encode_targets(y_index, len(classes), mode, X.dtype)
    offset = encode_offset(offset, mode)
    if mode == Mode.OVR:
        coef = coef[:, None, :]
    sparse = scipy.sparse.issparse(X)
    if sparse:  # read by rows only
        design = SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape, columns=False)
    else:
        design = to_device(X)
    factors = check_penalty_factor(getattr(estimator, "penalty_factor", None), X.shape[1])
    problem = _make_problem(
        design,
        jnp.asarray(targets),
        jnp.asarray(weights, X.dtype),
        lam,
        l1_ratio,
        jnp.asarray(factors, X.dtype),
        loss=loss,
        fit_intercept=fit_intercept,
        offset=None if offset is None else jnp.asarray(offset, X.dtype),
    )
    names = getattr(estimator, "feature_names_in_", None)
    names = [str(n) for n in names] if names is not None else [f"x{j}" for j in range(X.shape[1])]
    return FittedProblem(
        problem=problem,
        coef=jnp.asarray(coef, X.dtype),
        total_weight=total_weight,
        mode=mode,
        C=C,
        l1_ratio=l1_ratio,
        y_index=y_index,
        classes=classes,
        feature_names=names,
        scales=np.ones(X.shape[1]) if scales is None else scales,
    )


def coefficient_transform(
    mode: Mode, K: int, d: int, parametrization: str, reference: int
) -> np.ndarray:
    """``T``: the reported coefficients are ``T vec(Θ)``, ``(R·d, K·d)``.

    The identity, except for the softmax: ``θ_k − θ_reference`` for the ``K − 1`` other classes
    (``"reference"``) or the class-centred ``θ_k − mean_j θ_j`` (``"full"``).
    """
    if mode != Mode.MULTINOMIAL:
        return np.eye(K * d)
    eye = np.eye(K)
    if parametrization == "full":
        rows = eye - 1.0 / K
    else:
        rows = np.delete(eye - eye[reference], reference, axis=0)
    return np.kron(rows, np.eye(d))


def reference_index(fp: FittedProblem, reference) -> int:
    """Index of the ``reference`` class label (default: the first class)."""
    if reference is None:
        return 0
    if fp.mode != Mode.MULTINOMIAL or reference not in fp.classes:
        raise ValueError(
            "reference must be None or, for a multinomial model, one of the classes "
            f"{fp.classes.tolist()!r}; got {reference!r}"
        )
    return int(np.flatnonzero(fp.classes == reference)[0])


def equation_labels(fp: FittedProblem, parametrization: str, reference: int) -> list:
    """The class of each reported row (Python values, printed as the user wrote them)."""
    labels = fp.classes.tolist()
    if fp.mode == Mode.BINARY:
        return labels[1:]
    if fp.mode == Mode.MULTINOMIAL and parametrization == "reference":
        return labels[:reference] + labels[reference + 1 :]
    return labels
