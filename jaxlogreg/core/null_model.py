"""The intercept-only (null) model: every feature coefficient zero.

For the canonical-link losses (``∂ℓ/∂z = μ(z) − t``) the intercept-only optimum of the risk
``Σᵢ s̃ᵢ ℓ(b, tᵢ)`` (normalized weights ``s̃ = s / Σs``) solves ``Σᵢ s̃ᵢ (μ(b) − tᵢ) = 0``: its
fitted mean is the weighted mean of the targets and its intercept that mean's link::

    μ⁰ = Σᵢ s̃ᵢ tᵢ,      b⁰ = link(μ⁰)

binary: ``b⁰ = logit μ⁰``; multinomial: ``b⁰ₖ = log μ⁰ₖ``, centred (``Σₖ b⁰ₖ = 0``); squared:
``b⁰ = μ⁰``. Without an intercept the null model is ``Θ = 0`` and ``μ⁰ = μ(0)``.

Its log-likelihood is ``ℓ₀ = −Σᵢ sᵢ ℓ(z⁰, tᵢ)`` with ``z⁰ = b⁰`` (``0`` without an intercept);
with an intercept that is ``Σs · Σₖ [μ⁰ₖ log μ⁰ₖ + (1 − μ⁰ₖ) log(1 − μ⁰ₖ)]`` for the binary loss
(one term per column: one-vs-rest targets ``(n, K)`` are ``K`` binary problems) and
``Σs · Σₖ μ⁰ₖ log μ⁰ₖ`` for the multinomial.

All functions are pure and traceable: ``targets (n, K)``, weights ``(n,)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .losses import Loss

__all__ = ["null_coef", "null_log_likelihood", "null_mean"]


def null_mean(targets: jax.Array, weights: jax.Array, loss: Loss, fit_intercept: bool):
    """``μ⁰ (K,)``: the fitted mean of the null model; ``weights`` normalized to sum one."""
    if fit_intercept:
        return weights @ targets
    return loss.mean(jnp.zeros((1, targets.shape[1]), targets.dtype))[0]


def null_coef(
    targets: jax.Array, weights: jax.Array, n_features: int, loss: Loss, fit_intercept: bool
) -> jax.Array:
    """``Θ⁰ (K, n_features + fit_intercept)``: ``W = 0`` and, with an intercept, ``b⁰`` last;
    ``weights`` normalized to sum one."""
    coef = jnp.zeros((targets.shape[1], n_features), targets.dtype)
    if not fit_intercept:
        return coef
    b = loss.link(null_mean(targets, weights, loss, fit_intercept))
    return jnp.concatenate([coef, b[:, None]], axis=1)


def null_log_likelihood(
    targets: jax.Array, sample_weight: jax.Array, loss: Loss, fit_intercept: bool
) -> jax.Array:
    """``ℓ₀ = −Σᵢ sᵢ ℓ(z⁰, tᵢ)``, the weighted log-likelihood of the null model (``sample_weight``
    as given, not normalized)."""
    if fit_intercept:
        weights = sample_weight / jnp.sum(sample_weight)
        z = loss.link(null_mean(targets, weights, loss, fit_intercept))
    else:
        z = jnp.zeros(targets.shape[1], targets.dtype)
    return -jnp.dot(sample_weight, loss.pointwise(jnp.broadcast_to(z, targets.shape), targets))
