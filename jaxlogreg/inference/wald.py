"""Wald inference for fitted logistic models: covariances, z tests, intervals, likelihoods.

Likelihood. With sample weights ``sᵢ`` (sample × class weights, read as frequency weights: a
weight of 2 is a duplicated row) the log-likelihood is ``ℓ(Θ) = −Σᵢ sᵢ ℓᵢ(Θ)`` and ``nobs = Σᵢ sᵢ``.
Its negative Hessian, the information ``I = Σᵢ sᵢ Cᵢ ⊗ aᵢaᵢᵀ`` (``Cᵢ`` the loss curvature, ``aᵢ``
the design row with a trailing 1 for the intercept), is ``Σs ·`` ``Problem.smooth_hessian``
without its ridge term; the score of sample ``i`` is ``gᵢ = (μᵢ − tᵢ) ⊗ aᵢ``.

Covariances, ``k`` the number of free parameters, ``B = I⁻¹`` the bread:

- ``"nonrobust"``: ``I⁻¹`` (statsmodels' ``Logit``, ``MNLogit``, ``GLM`` default);
- ``"HC0"``: ``B M B`` with ``M = Σᵢ sᵢ gᵢgᵢᵀ``;
- ``"HC1"``: ``HC0 · nobs/(nobs − k)``, the textbook (MacKinnon–White) correction. statsmodels'
  discrete models and ``GLM`` (0.15) apply no correction for ``cov_type="HC1"`` and return
  ``HC0``: use ``"HC0"`` to reproduce their numbers;
- ``"cluster"``: ``B (Σ_g u_g u_gᵀ) B`` with ``u_g = Σ_{i∈g} sᵢgᵢ``, times
  ``G/(G − 1) · (nobs − 1)/(nobs − k)`` when ``use_correction`` (statsmodels' default, CRV1).
  P-values use the normal distribution, as statsmodels does without ``use_t`` (its
  ``df_correction`` only matters with ``use_t=True``).

L2 penalty. The fit maximizes ``ℓ(Θ) − ½ Θᵀ Λ Θ`` (``Λ = Σs·λ`` on the penalized coefficients,
i.e. ``1/C`` in scikit-learn's convention), so the bread becomes ``J⁻¹``, ``J = I + Λ``, and
``"nonrobust"`` is ``J⁻¹ I J⁻¹`` (le Cessie & van Houwelingen, 1992): the sampling covariance of
the ridge estimator around its own mean. Its bias is not included, so intervals and p-values
are not valid inference about the true coefficients. L1 penalties have no Wald theory: use
``jaxlogreg.bootstrap``.

Multinomial. Softmax is over-parametrized (``Θ ↦ Θ + 1 ⊗ v`` leaves it unchanged), so ``J`` is
singular along ``N = {1 ⊗ v : v on unpenalized columns}``. With ``P`` the projector onto ``N``,
``(J + cP)⁻¹ = J⁺ + P/c`` and the scores are orthogonal to ``N``. Results are reported for
``T Θ`` with ``T P = 0``:

- ``parametrization="reference"`` (statsmodels' ``MNLogit``): ``β_k = θ_k − θ_r`` for the
  ``K − 1`` classes other than the reference ``r`` (the first class by default); for an
  unpenalized fit its covariance is the inverse of the information of ``β``;
- ``"full"``: all ``K`` class-centred rows ``θ_k − mean_j θ_j``; their covariance ``J⁺``
  (times the meat) is singular, of rank ``(K − 1)·d``; ``z`` tests whether class ``k``'s
  coefficient differs from the average over classes.

Likelihood statistics: ``deviance = −2ℓ`` (class labels: the saturated model has ``ℓ = 0``),
``AIC = −2ℓ + 2k``, ``BIC = −2ℓ + k log(nobs)``, McFadden's ``1 − ℓ/ℓ_null`` and the
likelihood-ratio test against the null model, the intercept-only fit (``Θ = 0`` without an
intercept), whose likelihood has a closed form. Separation (infinite estimates) is found exactly
by a linear program (``jaxlogreg.separation``) for unpenalized fits.

One-vs-rest fits are ``K`` separate binary models: their covariance is block diagonal and the
likelihood statistics are sums over the ``K`` models.
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
from scipy.special import xlogy

from .._validation import check_choice
from ..core.problem import Problem
from ..precision import precise_jit
from .fitted import coefficient_transform, equation_labels, fitted_problem, reference_index
from .separation import infinite_estimates

__all__ = [
    "COV_TYPES",
    "Inference",
    "InferenceWarning",
    "LikelihoodRatioTest",
    "covariance",
    "infer",
    "likelihood_ratio_test",
    "log_likelihood",
    "scores",
]

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")
PARAMETRIZATIONS = ("reference", "full")


class InferenceWarning(UserWarning):
    """The reported standard errors, p-values or intervals do not mean what they usually do."""


def scores(problem: Problem, coef: jax.Array) -> jax.Array:
    """Per-sample gradients of the loss, ``gᵢ = (μᵢ − tᵢ) ⊗ aᵢ``: ``(n, K·d)``, unweighted."""
    residual = problem.loss.mean(problem.linear_predictor(coef)) - problem.targets
    A = problem.design()
    return (residual[:, :, None] * A[:, None, :]).reshape(A.shape[0], -1)


def log_likelihood(problem: Problem, coef: jax.Array, total_weight) -> jax.Array:
    """``−Σᵢ sᵢ ℓᵢ(Θ)`` (``problem.weights`` are ``sᵢ/Σs``)."""
    loss = problem.loss.pointwise(problem.linear_predictor(coef), problem.targets)
    return -total_weight * jnp.dot(problem.weights, loss)


def _null_space(problem: Problem) -> jax.Array:
    """Projector ``(11ᵀ/K) ⊗ diag(unpenalized columns)`` onto the softmax's flat directions."""
    K = problem.n_outputs
    free = (problem.penalty.l2_weights() == 0).astype(problem.X.dtype)
    return jnp.kron(jnp.full((K, K), 1.0 / K, problem.X.dtype), jnp.diag(free))


@partial(precise_jit, static_argnames=("cov_type", "n_groups", "penalized"))
def covariance(problem, coef, total_weight, groups, *, cov_type, n_groups=1, penalized=False):
    """The covariance of ``Θ`` (``(K·d, K·d)``, row-major), before small-sample corrections.

    ``cov_type`` is ``"nonrobust"``, ``"HC0"`` (also the core of ``"HC1"``) or ``"cluster"``
    with integer ``groups (n,)`` in ``[0, n_groups)``. For the softmax this is ``J⁺ (meat) J⁺``
    plus terms in the null space, which every reported transform removes (module docstring).
    """
    K = problem.n_outputs
    J = total_weight * problem.smooth_hessian(coef)
    information = J - jnp.diag(total_weight * jnp.tile(problem.penalty.l2_weights(), K))
    if problem.loss.shift_invariant:
        J = J + jnp.mean(jnp.diag(J)) * _null_space(problem)
    bread = jnp.linalg.inv(J)
    bread = (bread + bread.T) / 2
    if cov_type == "nonrobust":
        return bread @ information @ bread if penalized else bread
    weights = total_weight * problem.weights
    g = scores(problem, coef)
    if cov_type == "cluster":
        u = jax.ops.segment_sum(weights[:, None] * g, groups, num_segments=n_groups)
    else:
        u = jnp.sqrt(weights)[:, None] * g
    return bread @ (u.T @ u) @ bread


def _null_log_likelihood(y_index, weights, n_classes: int, mode: str, fit_intercept: bool):
    """Log-likelihood of the intercept-only model (``Θ = 0`` without an intercept)."""
    total = weights.sum()
    if not fit_intercept:
        per_sample = {"binary": np.log(2.0), "ovr": n_classes * np.log(2.0)}
        return float(-total * per_sample.get(mode, np.log(n_classes)))
    share = np.bincount(y_index, weights, minlength=n_classes) / total
    if mode == "ovr":
        return total * float(np.sum(xlogy(share, share) + xlogy(1 - share, 1 - share)))
    return total * float(np.sum(xlogy(share, share)))


@dataclasses.dataclass(frozen=True, eq=False)
class LikelihoodRatioTest:
    """``statistic = 2(ℓ_full − ℓ_restricted)``, χ² with ``df`` degrees of freedom."""

    statistic: float
    df: int
    pvalue: float


@dataclasses.dataclass(frozen=True, eq=False)
class Inference:
    """Wald inference of a fitted model (see the module docstring for the definitions).

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
        """The coefficient table (``jaxlogreg.summary.Summary``)."""
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


def _class_axes(problem: Problem) -> Problem:
    """``in_axes`` of a one-vs-rest problem: ``targets (K, n, 1)`` is the class axis."""
    return dataclasses.replace(problem, X=None, targets=0, weights=None, penalty=None)


@partial(precise_jit, static_argnames=("one_vs_rest",))
def _likelihood_and_optimality(problem, coef, total_weight, *, one_vs_rest: bool):
    """``(ℓ(Θ), largest KKT violation)``, summed and maximized over one-vs-rest classes."""

    def one(problem, coef):
        grad = problem.smooth_value_and_grad(coef)[1]
        return log_likelihood(problem, coef, total_weight), problem.kkt_violation(coef, grad)

    if not one_vs_rest:
        return one(problem, coef)
    llf, kkt = jax.vmap(one, in_axes=(_class_axes(problem), 0))(problem, coef)
    return jnp.sum(llf), jnp.max(kkt)


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
) -> Inference:
    """Wald inference of a fitted ``LogisticRegression`` (or ``LogisticRegressionCV``).

    Args:
        estimator: the fitted model.
        X, y, sample_weight: its training data (the numbers are computed at its coefficients).
        cov_type: ``"nonrobust"``, ``"HC0"``, ``"HC1"`` or ``"cluster"`` (module docstring).
        groups: ``(n,)`` cluster labels, required by ``cov_type="cluster"``.
        use_correction: the ``G/(G−1)·(n−1)/(n−k)`` factor of the cluster covariance.
        parametrization: multinomial models: ``"reference"`` (``β_k = θ_k − θ_r``, as
            statsmodels' ``MNLogit``) or ``"full"`` (class-centred ``θ_k``).
        reference: the reference class label (default: the first class).
    """
    check_choice("cov_type", cov_type, COV_TYPES)
    check_choice("parametrization", parametrization, PARAMETRIZATIONS)
    fp = fitted_problem(estimator, X, y, sample_weight)
    penalized = not np.isinf(fp.C)
    if penalized and fp.l1_ratio > 0:
        raise ValueError(
            "Wald standard errors do not exist for an L1 or elastic-net penalty (the estimator "
            "is not differentiable at zero): use jaxlogreg.bootstrap.bootstrap for intervals"
        )
    if (groups is None) != (cov_type != "cluster"):
        raise ValueError("groups (cluster labels, one per sample) go with cov_type='cluster' only")
    n_groups, group_index = _cluster_index(groups, fp.y_index.shape[0])
    K = len(fp.classes)
    ref = reference_index(fp, reference)
    one_vs_rest = fp.mode == "ovr"
    llf, kkt = _likelihood_and_optimality(
        fp.problem, fp.coef, fp.total_weight, one_vs_rest=one_vs_rest
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
    args = (fp.problem, fp.coef, fp.total_weight, group_index)
    if one_vs_rest:  # K binary models: a block-diagonal covariance
        axes = (_class_axes(fp.problem), 0, None, None)
        cov = scipy.linalg.block_diag(*np.asarray(jax.vmap(core, in_axes=axes)(*args)))
        theta = fp.coef[:, 0, :]
    else:
        cov, theta = core(*args), fp.coef
    d = theta.shape[-1]
    T = coefficient_transform(fp.mode, theta.shape[0], d, parametrization, ref)
    cov = np.asarray(T @ np.asarray(cov) @ T.T)
    params = (T @ np.asarray(theta).ravel()).reshape(-1, d)

    weights = np.asarray(fp.problem.weights) * fp.total_weight
    n_params = (K - 1) * d if fp.mode == "multinomial" else theta.shape[0] * d
    n_equations = n_params // d
    nobs = fp.total_weight
    if cov_type == "HC1":
        cov = cov * nobs / (nobs - n_params)
    if cov_type == "cluster" and use_correction:
        cov = cov * n_groups / (n_groups - 1) * (nobs - 1) / (nobs - n_params)

    names = fp.feature_names + (["intercept"] if fp.problem.fit_intercept else [])
    separated = np.zeros(params.shape, bool)
    if not penalized:  # a penalized optimum is always finite
        separated = _separated(fp, weights > 0, parametrization, ref)
    result = Inference(
        params=params,
        cov=cov,
        equations=equation_labels(fp, parametrization, ref),
        feature_names=names,
        separated=separated,
        llf=float(llf),
        llnull=_null_log_likelihood(fp.y_index, weights, K, fp.mode, fp.problem.fit_intercept),
        nobs=nobs,
        n_params=n_params,
        df_model=n_params - n_equations * int(fp.problem.fit_intercept),
        cov_type=cov_type,
        parametrization=parametrization if fp.mode == "multinomial" else fp.mode,
        reference=fp.classes.tolist()[ref] if fp.mode in ("multinomial", "binary") else None,
        penalized=penalized,
    )
    _warn_inference(result, fp.C)
    return result


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
