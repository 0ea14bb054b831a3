"""Likelihoods, scores and covariances of fitted logistic models (the numbers of Wald inference).

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
singular along ``N = {1 ⊗ v : v on unpenalized columns}``. With ``P`` the projector onto ``N``
(``core.linalg``), ``(J + cP)⁻¹ = J⁺ + P/c`` and the scores are orthogonal to ``N``: the
covariance is ``J⁺ (meat) J⁺`` plus terms in ``N``, which every reported transform ``T`` removes
(``T P = 0``, see ``wald``).

Null model: the intercept-only fit (``Θ = 0`` without an intercept), whose likelihood has a
closed form. One-vs-rest fits are ``K`` separate binary models: their covariance is block
diagonal and their likelihood statistics are sums over the ``K`` models.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ..core import null_model
from ..core.linalg import lift_class_shifts
from ..core.losses import BINARY, MULTINOMIAL
from ..core.problem import Problem
from ..core.targets import Mode
from ..precision import precise_jit

__all__ = [
    "COV_TYPES",
    "class_axes",
    "covariance",
    "likelihood_and_optimality",
    "log_likelihood",
    "null_log_likelihood",
    "scores",
]

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")


def scores(problem: Problem, coef: jax.Array) -> jax.Array:
    """Per-sample gradients of the loss, ``gᵢ = (μᵢ − tᵢ) ⊗ aᵢ``: ``(n, K·d)``, unweighted."""
    residual = problem.loss.mean(problem.linear_predictor(coef)) - problem.targets
    A = problem.design()
    return (residual[:, :, None] * A[:, None, :]).reshape(A.shape[0], -1)


def log_likelihood(problem: Problem, coef: jax.Array, total_weight) -> jax.Array:
    """``−Σᵢ sᵢ ℓᵢ(Θ)`` (``problem.weights`` are ``sᵢ/Σs``)."""
    loss = problem.loss.pointwise(problem.linear_predictor(coef), problem.targets)
    return -total_weight * jnp.dot(problem.weights, loss)


@partial(precise_jit, static_argnames=("cov_type", "n_groups", "penalized"))
def covariance(problem, coef, total_weight, groups, *, cov_type, n_groups=1, penalized=False):
    """The covariance of ``Θ`` (``(K·d, K·d)``, row-major), before small-sample corrections.

    ``cov_type`` is ``"nonrobust"``, ``"HC0"`` (also the core of ``"HC1"``) or ``"cluster"``
    with integer ``groups (n,)`` in ``[0, n_groups)``. For the softmax this is ``J⁺ (meat) J⁺``
    plus terms in the null space, which every reported transform removes (module docstring).
    """
    J = total_weight * problem.smooth_hessian(coef)
    information = J - jnp.diag(total_weight * problem.ridge_diagonal())
    if problem.loss.shift_invariant:
        unpenalized = (problem.penalty.l2_weights() == 0).astype(J.dtype)
        J = lift_class_shifts(J, jnp.mean(jnp.diag(J)), unpenalized)
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


def null_log_likelihood(
    y_index, weights, n_classes: int, mode: str, fit_intercept: bool, offset=None
):
    """Log-likelihood of the intercept-only model (``core.null_model``) for class indices
    ``y_index``, sample weights ``weights`` and the problem's ``offset`` (``None``, ``(n, R)``,
    or ``(K, n, 1)`` one-vs-rest); one-vs-rest: the sum of its binary problems."""
    one_hot = np.eye(n_classes)[y_index]
    if mode == Mode.BINARY:
        targets, loss = one_hot[:, 1:], BINARY
    else:
        targets, loss = one_hot, BINARY if mode == Mode.OVR else MULTINOMIAL
    if offset is not None and mode == Mode.OVR:  # one column per class problem
        offset = jnp.transpose(offset[..., 0])
    return float(null_model.null_log_likelihood(targets, weights, loss, fit_intercept, offset))


def class_axes(problem: Problem) -> Problem:
    """``in_axes`` of a one-vs-rest problem: ``targets (K, n, 1)`` (and an ``offset (K, n, 1)``)
    is the class axis."""
    offset = None if problem.offset is None else 0
    return dataclasses.replace(
        problem, X=None, targets=0, weights=None, penalty=None, offset=offset
    )


@partial(precise_jit, static_argnames=("one_vs_rest",))
def likelihood_and_optimality(problem, coef, total_weight, *, one_vs_rest: bool):
    """``(ℓ(Θ), largest KKT violation)``, summed and maximized over one-vs-rest classes."""

    def one(problem, coef):
        grad = problem.smooth_value_and_grad(coef)[1]
        return log_likelihood(problem, coef, total_weight), problem.kkt_violation(coef, grad)

    if not one_vs_rest:
        return one(problem, coef)
    llf, kkt = jax.vmap(one, in_axes=(class_axes(problem), 0))(problem, coef)
    return jnp.sum(llf), jnp.max(kkt)
