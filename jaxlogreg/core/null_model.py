"""The intercept-only (null) model: every feature coefficient zero.

For the canonical-link losses (``∂ℓ/∂z = μ(z) − t``) the intercept-only optimum of the risk
``Σᵢ s̃ᵢ ℓ(b + oᵢ, tᵢ)`` (normalized weights ``s̃ = s / Σs``, offsets ``oᵢ``) solves
``Σᵢ s̃ᵢ (μ(b + oᵢ) − tᵢ) = 0``. Without an offset its fitted mean is the weighted mean of the
targets and its intercept that mean's link::

    μ⁰ = Σᵢ s̃ᵢ tᵢ,      b⁰ = link(μ⁰)

binary: ``b⁰ = logit μ⁰``; multinomial: ``b⁰ₖ = log μ⁰ₖ``, centred (``Σₖ b⁰ₖ = 0``); squared:
``b⁰ = μ⁰``. With an offset there is no closed form (but for the squared loss): ``b⁰`` is found
by damped Newton steps on the ``K`` intercepts from ``link(μ⁰) − Σᵢ s̃ᵢ oᵢ`` (``null_intercept``).
Without an intercept the null model is ``Θ = 0``, its linear predictors the offsets.

Its log-likelihood is ``ℓ₀ = −Σᵢ sᵢ ℓ(z⁰ᵢ, tᵢ)`` with ``z⁰ᵢ = b⁰ + oᵢ``; without an offset and
with an intercept that is ``Σs · Σₖ [μ⁰ₖ log μ⁰ₖ + (1 − μ⁰ₖ) log(1 − μ⁰ₖ)]`` for the binary loss
(one term per column: one-vs-rest targets ``(n, K)`` are ``K`` binary problems) and
``Σs · Σₖ μ⁰ₖ log μ⁰ₖ`` for the multinomial.

All functions are pure and traceable: ``targets (n, K)``, weights ``(n,)``, offsets ``(n,)``,
``(n, 1)`` or ``(n, K)`` (``None``: none).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .losses import Loss

__all__ = [
    "null_coef",
    "null_intercept",
    "null_linear_predictor",
    "null_log_likelihood",
    "null_mean",
]

#: Most Newton steps on the intercepts with an offset: they stop when no step lowers the risk,
#: after a handful (quadratic convergence from the offset-free closed form, shifted).
NEWTON_STEPS = 50
#: Step sizes ``1, ½, …, 2^{1−m}`` tried at every step; the best that lowers the risk is taken.
STEP_HALVINGS = 12


def null_mean(targets: jax.Array, weights: jax.Array, loss: Loss, fit_intercept: bool):
    """``μ⁰ (K,)``: the fitted mean of the offset-free null model; ``weights`` normalized to sum
    one."""
    if fit_intercept:
        return weights @ targets
    return loss.mean(jnp.zeros((1, targets.shape[1]), targets.dtype))[0]


def _offset_matrix(offset: jax.Array, targets: jax.Array) -> jax.Array:
    """Offsets ``(n,)``, ``(n, 1)`` or ``(n, K)`` as ``(n, K)``, in the targets' dtype."""
    offset = jnp.asarray(offset, targets.dtype)
    offset = offset[:, None] if offset.ndim == 1 else offset
    return jnp.broadcast_to(offset, targets.shape)


def _newton_intercept(targets, weights, loss: Loss, offset) -> jax.Array:
    """``argmin_b Σᵢ s̃ᵢ ℓ(b + oᵢ, tᵢ)`` by damped Newton steps ``b ← b − t·H⁻¹g`` with
    ``g = Σ s̃ᵢ (μ(b + oᵢ) − tᵢ)``, ``H = Σ s̃ᵢ Cᵢ`` (plus ``11ᵀ/K`` for the multinomial, whose
    risk is flat along ``1``; the gradient is orthogonal to it) and ``t`` the best of
    ``1, ½, …`` that does not raise the risk."""
    K = targets.shape[1]
    dtype = targets.dtype
    sizes = 0.5 ** jnp.arange(STEP_HALVINGS, dtype=dtype)
    eye = jnp.eye(K, dtype=dtype)

    def risk(b):
        return weights @ loss.pointwise(b + offset, targets)

    def step(state):
        i, b, _ = state
        Z = b + offset
        g = weights @ (loss.mean(Z) - targets)
        H = jnp.einsum("i,ikl->kl", weights, loss.curvature_matrix(Z))
        if loss.shift_invariant:
            H = H + 1.0 / K
        # A column whose targets are all 0 or all 1 has b → ∓∞ and H → 0: keep H invertible.
        H = H + jnp.finfo(dtype).eps * (1.0 + jnp.trace(H)) * eye
        candidates = b - sizes[:, None] * jnp.linalg.solve(H, g)
        risks = jax.vmap(risk)(candidates)
        best = jnp.argmin(risks)
        lower = risks[best] < risk(b)
        return i + 1, jnp.where(lower, candidates[best], b), lower

    def moving(state):  # until no step lowers the risk (converged to rounding)
        i, _, lowered = state
        return (i < NEWTON_STEPS) & lowered

    start = loss.link(weights @ targets) - weights @ offset
    _, b, _ = jax.lax.while_loop(moving, step, (0, start, jnp.asarray(True)))
    return b - jnp.mean(b) if loss.shift_invariant else b


def null_intercept(
    targets: jax.Array,
    weights: jax.Array,
    loss: Loss,
    fit_intercept: bool,
    offset: jax.Array | None = None,
) -> jax.Array:
    """``b⁰ (K,)``, the null model's intercepts (``0`` without an intercept); ``weights``
    normalized to sum one."""
    if not fit_intercept:
        return jnp.zeros(targets.shape[1], targets.dtype)
    if offset is None:
        return loss.link(null_mean(targets, weights, loss, fit_intercept))
    return _newton_intercept(targets, weights, loss, _offset_matrix(offset, targets))


def null_linear_predictor(
    targets: jax.Array,
    weights: jax.Array,
    loss: Loss,
    fit_intercept: bool,
    offset: jax.Array | None = None,
) -> jax.Array:
    """``Z⁰ = b⁰ + o``: ``(n, K)`` with an offset, ``(K,)`` (every row's) without one."""
    b = null_intercept(targets, weights, loss, fit_intercept, offset)
    return b if offset is None else b + _offset_matrix(offset, targets)


def null_coef(
    targets: jax.Array,
    weights: jax.Array,
    n_features: int,
    loss: Loss,
    fit_intercept: bool,
    offset: jax.Array | None = None,
) -> jax.Array:
    """``Θ⁰ (K, n_features + fit_intercept)``: ``W = 0`` and, with an intercept, ``b⁰`` last;
    ``weights`` normalized to sum one."""
    coef = jnp.zeros((targets.shape[1], n_features), targets.dtype)
    if not fit_intercept:
        return coef
    b = null_intercept(targets, weights, loss, fit_intercept, offset)
    return jnp.concatenate([coef, b[:, None]], axis=1)


def null_log_likelihood(
    targets: jax.Array,
    sample_weight: jax.Array,
    loss: Loss,
    fit_intercept: bool,
    offset: jax.Array | None = None,
) -> jax.Array:
    """``ℓ₀ = −Σᵢ sᵢ ℓ(z⁰ᵢ, tᵢ)``, the weighted log-likelihood of the null model
    (``sample_weight`` as given, not normalized)."""
    weights = sample_weight / jnp.sum(sample_weight)
    Z = null_linear_predictor(targets, weights, loss, fit_intercept, offset)
    return -jnp.dot(sample_weight, loss.pointwise(jnp.broadcast_to(Z, targets.shape), targets))
