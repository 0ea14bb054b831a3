"""Wald inference for fitted logistic models: the ``infer`` entry point, its results, z tests,
intervals and the likelihood-ratio test (the covariances and likelihoods are in ``covariance``).

Multinomial results are reported for ``T Θ`` with ``T P = 0`` (``P`` the projector onto the
softmax's flat directions, see ``covariance``):

- ``parametrization="reference"`` (statsmodels' ``MNLogit``): ``β_k = θ_k − θ_r`` for the
  ``K − 1`` classes other than the reference ``r`` (the first class by default); for an
  unpenalized fit its covariance is the inverse of the information of ``β``;
- ``"full"``: all ``K`` class-centred rows ``θ_k − mean_j θ_j``; their covariance ``J⁺``
  (times the meat) is singular, of rank ``(K − 1)·d``; ``z`` tests whether class ``k``'s
  coefficient differs from the average over classes.

Likelihood statistics: ``deviance = −2ℓ`` (class labels: the saturated model has ``ℓ = 0``),
``AIC = −2ℓ + 2k``, ``BIC = −2ℓ + k log(nobs)``, McFadden's ``1 − ℓ/ℓ_null`` and the
likelihood-ratio test against the null model, the intercept-only fit. Separation (infinite
estimates) is found exactly by a linear program (``jaxlogreg.inference.separation``) for
unpenalized fits.
"""

from __future__ import annotations

import dataclasses
import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from scipy import stats

from .._validation import check_choice
from .covariance import (
    COV_TYPES,
    class_axes,
    covariance,
    likelihood_and_optimality,
    null_log_likelihood,
)
from .fitted import coefficient_transform, equation_labels, fitted_problem, reference_index
from .separation import infinite_estimates

__all__ = [
    "PARAMETRIZATIONS",
    "Inference",
    "InferenceWarning",
    "LikelihoodRatioTest",
    "infer",
    "likelihood_ratio_test",
]

PARAMETRIZATIONS = ("reference", "full")


class InferenceWarning(UserWarning):
    """The reported standard errors, p-values or intervals do not mean what they usually do."""


@dataclasses.dataclass(frozen=True, eq=False)
class LikelihoodRatioTest:
    """``statistic = 2(ℓ_full − ℓ_restricted)``, χ² with ``df`` degrees of freedom."""

    statistic: float
    df: int
    pvalue: float


@dataclasses.dataclass(frozen=True, eq=False)
class Inference:
    """Wald inference of a fitted model (definitions in the docstrings of this module and of
    ``covariance``).

    Attributes:
        params: ``(R, d)`` coefficients, one row per equation (``R = 1`` binary, ``K − 1``
            reference, ``K`` full or one-vs-rest), intercept last.
        cov: ``(R·d, R·d)`` covariance of ``params.ravel()``.
        equations: the ``R`` row labels (the class each row's log-odds are for).
        feature_names: the ``d`` column names (``"intercept"`` last when fitted).
        separated: ``(R, d)``, ``True`` where the maximum-likelihood estimate is infinite
            (separation); their ``bse``, ``zvalues``, ``pvalues`` and intervals are NaN.
        llf, llnull: log-likelihood of the model and of the intercept-only model.
        nobs: ``Σ sᵢ``; n_params: free parameters ``k``; df_model: ``k`` minus intercepts.
        cov_type; parametrization: ``"binary"``, ``"ovr"``, or the multinomial's
        ``"reference"`` or ``"full"``; reference: the reference class (``None`` for
        one-vs-rest); penalized: whether the fit had an L2 penalty.
    """

    params: np.ndarray
    cov: np.ndarray
    equations: list
    feature_names: list[str]
    separated: np.ndarray
    llf: float
    llnull: float
    nobs: float
    n_params: int
    df_model: int
    cov_type: str
    parametrization: str
    reference: object
    penalized: bool

    @property
    def bse(self) -> np.ndarray:
        """Standard errors ``(R, d)``."""
        se = np.sqrt(np.clip(np.diag(self.cov), 0.0, None)).reshape(self.params.shape)
        return np.where(self.separated, np.nan, se)

    @property
    def zvalues(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.bse

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided p-values ``2 Φ(−|z|)``."""
        return 2.0 * stats.norm.sf(np.abs(self.zvalues))

    def conf_int(self, level: float = 0.95) -> np.ndarray:
        """Wald intervals ``params ± z_{(1+level)/2} · bse``: ``(R, d, 2)``."""
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), e.g. 0.95, got {level!r}")
        half = stats.norm.ppf(0.5 + level / 2) * self.bse
        return np.stack([self.params - half, self.params + half], axis=-1)

    @property
    def deviance(self) -> float:
        """``−2 ℓ`` (the saturated model of class labels has ``ℓ = 0``)."""
        return -2.0 * self.llf

    @property
    def null_deviance(self) -> float:
        return -2.0 * self.llnull

    @property
    def aic(self) -> float:
        return -2.0 * self.llf + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        return -2.0 * self.llf + np.log(self.nobs) * self.n_params

    @property
    def prsquared(self) -> float:
        """McFadden's pseudo-R², ``1 − ℓ/ℓ_null``."""
        return 1.0 - self.llf / self.llnull

    @property
    def llr(self) -> float:
        """Likelihood-ratio statistic against the intercept-only model, ``2(ℓ − ℓ_null)``."""
        return 2.0 * (self.llf - self.llnull)

    @property
    def llr_pvalue(self) -> float:
        return float(stats.chi2.sf(self.llr, self.df_model))

    def summary(self, level: float = 0.95):
        """The coefficient table (``jaxlogreg.inference.summary.Summary``)."""
        from .summary import Summary

        return Summary(self, level)


def likelihood_ratio_test(restricted: Inference, full: Inference) -> LikelihoodRatioTest:
    """Test a model against a larger one it is nested in (both fitted on the same data)."""
    if not np.isclose(restricted.nobs, full.nobs, rtol=1e-12):
        raise ValueError(
            f"the models were fitted on different data (nobs {restricted.nobs} and {full.nobs})"
        )
    df = full.n_params - restricted.n_params
    if df <= 0:
        raise ValueError(
            f"full must have more parameters than restricted (got {full.n_params} and "
            f"{restricted.n_params}): pass the nested (smaller) model first"
        )
    if restricted.penalized or full.penalized:
        warnings.warn(
            "a likelihood-ratio test of penalized fits is not χ²-distributed",
            InferenceWarning,
            stacklevel=2,
        )
    statistic = 2.0 * (full.llf - restricted.llf)
    if statistic < -1e-8 * abs(full.llf):
        warnings.warn(
            f"the full model fits worse than the restricted one (statistic {statistic:.4g}): "
            "are the models nested, and did both fits converge?",
            InferenceWarning,
            stacklevel=2,
        )
    return LikelihoodRatioTest(statistic, df, float(stats.chi2.sf(max(statistic, 0.0), df)))


def _penalized(fp) -> bool:
    """Whether the fit has an (L2) penalty; an error for an L1 part, which has no Wald theory."""
    penalized = not np.isinf(fp.C)
    if penalized and fp.l1_ratio > 0:
        raise ValueError(
            "Wald standard errors do not exist for an L1 or elastic-net penalty (the estimator "
            "is not differentiable at zero): use jaxlogreg.bootstrap.bootstrap for intervals"
        )
    return penalized


def _cluster_index(groups, n: int) -> tuple[int, jax.Array]:
    """``(G, group index (n,) in [0, G))`` of cluster labels; ``(1, zeros)`` without."""
    if groups is None:
        return 1, jnp.zeros(n, jnp.int32)
    clusters, index = np.unique(np.asarray(groups), return_inverse=True)
    if index.shape != (n,):
        raise ValueError(f"groups must have shape ({n},) to match X, got {np.shape(groups)}")
    if len(clusters) < 2:
        raise ValueError("cluster-robust covariance needs at least 2 groups")
    return len(clusters), jnp.asarray(index.astype(np.int32))


def _separated(fp, positive: np.ndarray, parametrization: str, ref: int) -> np.ndarray:
    """Which reported coefficients have infinite estimates (``separation``), ``(R, d)``."""
    A = np.asarray(fp.problem.design())[positive]
    K = len(fp.classes)
    infinite = infinite_estimates(A, fp.y_index[positive], K, fp.mode, ref)
    if fp.mode != "multinomial":
        return infinite
    if parametrization == "full":  # centring spreads a feature's infinity over every class
        return np.broadcast_to(infinite.any(axis=0), infinite.shape).copy()
    return np.delete(infinite, ref, axis=0)


def infer(
    estimator,
    X,
    y,
    *,
    sample_weight=None,
    cov_type: str = "nonrobust",
    groups=None,
    use_correction: bool = True,
    parametrization: str = "reference",
    reference=None,
    offset=None,
) -> Inference:
    """Wald inference of a fitted ``LogisticRegression`` (or ``LogisticRegressionCV``).

    The fit's penalty factors, standardization (``fitted``: the covariance of the scaled
    problem's ``Θ̃``, reported for ``β = Θ̃/σ``) and offset are those of its own objective.

    Args:
        estimator: the fitted model.
        X, y, sample_weight: its training data (the numbers are computed at its coefficients).
        offset: the training offset when the model was fitted with one (then required), in
            ``fit``'s layout; the null model of the likelihood statistics keeps it.
        cov_type: ``"nonrobust"``, ``"HC0"``, ``"HC1"`` or ``"cluster"`` (``covariance``).
        groups: ``(n,)`` cluster labels, required by ``cov_type="cluster"``.
        use_correction: the ``G/(G−1)·(n−1)/(n−k)`` factor of the cluster covariance.
        parametrization: multinomial models: ``"reference"`` (``β_k = θ_k − θ_r``, as
            statsmodels' ``MNLogit``) or ``"full"`` (class-centred ``θ_k``).
        reference: the reference class label (default: the first class).
    """
    check_choice("cov_type", cov_type, COV_TYPES)
    check_choice("parametrization", parametrization, PARAMETRIZATIONS)
    fp = fitted_problem(estimator, X, y, sample_weight, offset=offset)
    penalized = _penalized(fp)
    if (groups is None) != (cov_type != "cluster"):
        raise ValueError("groups (cluster labels, one per sample) go with cov_type='cluster' only")
    n_groups, group_index = _cluster_index(groups, fp.y_index.shape[0])
    ref = reference_index(fp, reference)
    llf, kkt = likelihood_and_optimality(
        fp.problem, fp.coef, fp.total_weight, one_vs_rest=fp.mode == "ovr"
    )
    if float(kkt) > 10 * estimator.tol:
        warnings.warn(
            f"the coefficients are not at the optimum of the model's objective on these data "
            f"(largest gradient component {float(kkt):.3g} > 10·tol): pass the training data, "
            "and refit with a smaller tol if the fit stopped early",
            InferenceWarning,
            stacklevel=2,
        )
    core = partial(
        covariance,
        cov_type="HC0" if cov_type == "HC1" else cov_type,
        n_groups=n_groups,
        penalized=penalized,
    )
    params, cov = _reported(fp, core, group_index, parametrization, ref)
    corrected_groups = n_groups if cov_type == "cluster" and use_correction else None
    result = _inference(
        fp, params, cov, llf, cov_type, corrected_groups, parametrization, ref, penalized
    )
    _warn_inference(result, fp.C)
    return result


def _reported(fp, core, group_index, parametrization: str, ref: int):
    """``(params (R, d), cov (R·d, R·d))`` of the reported ``T Θ`` (``coefficient_transform``),
    ``core(problem, coef, total_weight, groups)`` giving the covariance of ``Θ``."""
    args = (fp.problem, fp.coef, fp.total_weight, group_index)
    if fp.mode == "ovr":  # K binary models: a block-diagonal covariance
        axes = (class_axes(fp.problem), 0, None, None)
        cov = scipy.linalg.block_diag(*np.asarray(jax.vmap(core, in_axes=axes)(*args)))
        theta = fp.coef[:, 0, :]
    else:
        cov, theta = core(*args), fp.coef
    d = theta.shape[-1]
    T = coefficient_transform(fp.mode, theta.shape[0], d, parametrization, ref)
    T = T * np.tile(fp.unscaling(), theta.shape[0])  # T D: standardized columns unscaled
    cov = np.asarray(T @ np.asarray(cov) @ T.T)
    return (T @ np.asarray(theta).ravel()).reshape(-1, d), cov


def _inference(
    fp, params, cov, llf, cov_type, corrected_groups, parametrization, ref, penalized
) -> Inference:
    """The ``Inference`` of ``params`` and their covariance, to which the small-sample factor of
    ``"HC1"``, or of ``"cluster"`` with ``corrected_groups`` clusters, is applied here."""
    K, d = len(fp.classes), params.shape[1]
    weights = np.asarray(fp.problem.weights) * fp.total_weight
    n_params = (K - 1) * d if fp.mode == "multinomial" else params.shape[0] * d
    nobs = fp.total_weight
    if cov_type == "HC1":
        cov = cov * nobs / (nobs - n_params)
    if corrected_groups is not None:
        G = corrected_groups
        cov = cov * G / (G - 1) * (nobs - 1) / (nobs - n_params)
    separated = np.zeros(params.shape, bool)
    if not penalized:  # a penalized optimum is always finite
        separated = _separated(fp, weights > 0, parametrization, ref)
    return Inference(
        params=params,
        cov=cov,
        equations=equation_labels(fp, parametrization, ref),
        feature_names=fp.feature_names + (["intercept"] if fp.problem.fit_intercept else []),
        separated=separated,
        llf=float(llf),
        llnull=null_log_likelihood(
            fp.y_index, weights, K, fp.mode, fp.problem.fit_intercept, fp.problem.offset
        ),
        nobs=nobs,
        n_params=n_params,
        df_model=n_params - (n_params // d) * int(fp.problem.fit_intercept),
        cov_type=cov_type,
        parametrization=parametrization if fp.mode == "multinomial" else fp.mode,
        reference=fp.classes.tolist()[ref] if fp.mode in ("multinomial", "binary") else None,
        penalized=penalized,
    )


def _warn_inference(result: Inference, C: float) -> None:
    if result.penalized:
        warnings.warn(
            f"the model is penalized (C={C:g}): its coefficients are shrunk toward zero and the "
            "standard errors describe the spread of the penalized estimator around its own "
            "(biased) mean, so p-values and intervals are not valid inference about the true "
            "coefficients. Refit with penalty=None for Wald inference, or use the bootstrap.",
            InferenceWarning,
            stacklevel=3,
        )
    if result.separated.any():
        rows, cols = np.nonzero(result.separated)
        affected = ", ".join(
            f"{result.feature_names[j]!r}"
            + (f" (class {result.equations[r]!r})" if len(result.equations) > 1 else "")
            for r, j in zip(rows, cols, strict=True)
        )
        warnings.warn(
            f"the data are (quasi-)completely separated: the maximum-likelihood estimates of "
            f"{affected} are infinite. Their standard errors, z, p-values and intervals are "
            "reported as NaN; the other numbers are conditional on them. Drop or merge the "
            "features or classes involved, or fit with a penalty.",
            InferenceWarning,
            stacklevel=3,
        )
