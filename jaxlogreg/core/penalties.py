"""The elastic-net penalty family, with run-time strengths so that fits can be vmapped over them.

For coefficients ``Θ`` of shape ``(K, d)`` (``d`` = features, plus one intercept column when
fitted) and per-column factors ``ϖ ∈ ℝᵈ``::

    P(Θ) = λ · Σⱼ ϖⱼ [ (1 − α)/2 · Σₖ Θₖⱼ²  +  α · Σₖ |Θₖⱼ| ]

``α = 1`` is the lasso (L1), ``α = 0`` ridge (L2), ``λ = 0`` no penalty. The intercept column has
``ϖ = 0``, so it is never penalized; other factors default to one (glmnet's ``penalty.factor``,
without its rescaling). ``λ``, ``α`` and ``ϖ`` are arrays, never static values, so one compiled
solver serves every strength and ``jax.vmap`` runs many at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_choice, check_l1_ratio

__all__ = [
    "PENALTIES",
    "UNSET",
    "ElasticNetPenalty",
    "ScikitPenalty",
    "l1_ratio_of",
    "lam_of_C",
    "penalty_of",
    "soft_threshold",
]

#: The ``penalty`` names of the estimators. scikit-learn 1.8 deprecated the parameter: its default,
#: ``UNSET``, leaves the choice to ``l1_ratio`` and ``C``.
PENALTIES = ("l2", "l1", "elasticnet", None)
UNSET = "deprecated"


def lam_of_C(C, total_weight):
    """glmnet's ``λ`` for scikit-learn's ``C``: ``λ = 1/(C·Σᵢ sᵢ)`` (``1/(C·n)`` for unit weights),
    ``0`` for ``C = ∞`` (no penalty). The two objectives then differ by the factor ``C·Σᵢ sᵢ``.
    Works on NumPy and JAX arrays alike (element-wise)."""
    if isinstance(C, jax.Array) or isinstance(total_weight, jax.Array):
        return jnp.where(jnp.isinf(C), 0.0, 1.0 / (C * total_weight))
    with np.errstate(divide="ignore"):
        return np.where(np.isinf(C), 0.0, 1.0 / (np.asarray(C, float) * total_weight))


class ScikitPenalty(NamedTuple):
    """The penalty of scikit-learn's objective ``C·Σᵢ sᵢℓᵢ + (1 − α)/2 ‖W‖² + α ‖W‖₁``:
    ``C`` (``inf``: no penalty) and ``l1_ratio = α`` (``0`` when there is no penalty)."""

    C: float
    l1_ratio: float


def l1_ratio_of(penalty, l1_ratio) -> float:
    """The elastic-net mixing ``α`` that an estimator's ``penalty`` and ``l1_ratio`` stand for:
    a named penalty fixes it (``"l2"`` and ``None`` ⇒ 0, ``"l1"`` ⇒ 1, ``"elasticnet"`` ⇒
    ``l1_ratio``, which must be given); unset (``UNSET``), ``l1_ratio`` is ``α`` (``None`` ⇒ 0).
    Without warnings: ``penalty_of`` adds scikit-learn's."""
    check_choice("penalty", penalty, (*PENALTIES, UNSET))
    if l1_ratio is not None:
        l1_ratio = check_l1_ratio(l1_ratio)
    if penalty == "elasticnet" and l1_ratio is None:
        raise ValueError("penalty='elasticnet' needs l1_ratio, a number in [0, 1]")
    if penalty in ("elasticnet", UNSET):
        return 0.0 if l1_ratio is None else l1_ratio
    return 1.0 if penalty == "l1" else 0.0


def penalty_of(penalty, l1_ratio, C) -> ScikitPenalty:
    """The penalty that ``LogisticRegression(penalty, l1_ratio=, C=)`` fits, as scikit-learn 1.9,
    with its warnings.

    With ``penalty`` unset (``UNSET``, ``"deprecated"``), ``l1_ratio`` decides: ``0`` ridge,
    ``1`` lasso, in between the elastic net, and ``C = inf`` no penalty (``l1_ratio=None`` is
    ridge, with scikit-learn's ``FutureWarning``). A given ``penalty`` wins
    (``l1_ratio_of``), with a ``FutureWarning``; ``None`` means no penalty, whatever ``C``.
    Combinations that scikit-learn flags (an ``l1_ratio`` the penalty ignores or contradicts;
    ``C`` with ``penalty=None``) get its ``UserWarning``. ``C`` must be checked already
    (``> 0``, ``inf`` allowed). The warnings point at the caller of the estimator's ``fit``
    (``fit`` → ``_fit`` → ``penalty_of``).
    """
    alpha = l1_ratio_of(penalty, l1_ratio)
    for message, category in _warnings_of(penalty, l1_ratio, C):
        warnings.warn(message, category, stacklevel=4)
    if penalty is None or (penalty == UNSET and np.isinf(C)):
        return ScikitPenalty(np.inf, 0.0)
    return ScikitPenalty(float(C), alpha)


def _warnings_of(penalty, l1_ratio, C) -> Iterator[tuple[str, type[Warning]]]:
    """scikit-learn 1.9's warnings for ``penalty``, ``l1_ratio`` and ``C``, as
    ``(message, category)``."""
    if penalty != UNSET:
        yield (
            "penalty was deprecated in scikit-learn 1.8 (removed in 1.10): leave it unset and "
            "use l1_ratio and C instead: l1_ratio=0 for penalty='l2', l1_ratio=1 for 'l1', "
            "l1_ratio in (0, 1) for 'elasticnet', and C=np.inf for penalty=None",
            FutureWarning,
        )
    elif l1_ratio is None:
        yield (
            "l1_ratio=None was deprecated in scikit-learn 1.8 (an error from 1.10); it means "
            "l1_ratio=0 (ridge): pass a number in [0, 1]",
            FutureWarning,
        )
    elastic = penalty == "elasticnet" or (penalty == UNSET and not np.isinf(C))
    if not elastic and l1_ratio is not None and 0 < l1_ratio < 1:
        name = None if penalty == UNSET else penalty
        yield (
            f"l1_ratio={l1_ratio!r} is ignored: it is used only by the elastic net, not by "
            f"penalty={name!r}",
            UserWarning,
        )
    if (penalty == "l2" and l1_ratio != 0) or (penalty == "l1" and l1_ratio != 1):
        yield (
            f"inconsistent values: penalty={penalty!r} with l1_ratio={l1_ratio!r}; the penalty "
            "wins. penalty is deprecated: set l1_ratio only",
            UserWarning,
        )
    if penalty is None and C != 1.0:
        yield (
            f"C={C!r} is ignored: penalty=None fits without a penalty (leave penalty unset and "
            "pass C=np.inf instead)",
            UserWarning,
        )


def soft_threshold(x: jax.Array, threshold: jax.Array) -> jax.Array:
    """Soft-thresholding ``sign(x)·max(|x| − w, 0)`` at ``w = threshold`` (element-wise): the
    minimizer over ``u`` of ``½(u − x)² + w|u|``."""
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - threshold, 0.0)


class ElasticNetPenalty(NamedTuple):
    """Elastic-net penalty ``λ Σⱼ ϖⱼ [(1 − α)/2 ‖Θ₍:,ⱼ₎‖² + α ‖Θ₍:,ⱼ₎‖₁]``.

    Attributes:
        lam: ``λ ≥ 0``, scalar.
        l1_ratio: ``α ∈ [0, 1]``, scalar.
        factors: ``ϖ``, shape ``(d,)``; zero for the intercept column.
    """

    lam: jax.Array
    l1_ratio: jax.Array
    factors: jax.Array

    def l2_weights(self) -> jax.Array:
        """Per-column curvature of the smooth part, ``λ(1 − α)ϖ``: shape ``(d,)``."""
        return self.lam * (1.0 - self.l1_ratio) * self.factors

    def l1_weights(self) -> jax.Array:
        """Per-column soft-threshold level, ``λαϖ``: shape ``(d,)``."""
        return self.lam * self.l1_ratio * self.factors

    def smooth_value(self, coef: jax.Array) -> jax.Array:
        """The differentiable (ridge) part ``λ(1 − α)/2 Σⱼ ϖⱼ ‖Θ₍:,ⱼ₎‖²``."""
        return 0.5 * jnp.sum(self.l2_weights() * jnp.square(coef))

    def l1_value(self, coef: jax.Array) -> jax.Array:
        """The non-smooth (lasso) part ``λα Σⱼ ϖⱼ ‖Θ₍:,ⱼ₎‖₁``."""
        return jnp.sum(self.l1_weights() * jnp.abs(coef))

    def value(self, coef: jax.Array) -> jax.Array:
        return self.smooth_value(coef) + self.l1_value(coef)

    def prox_l1(self, coef: jax.Array, step: jax.Array) -> jax.Array:
        """Proximal operator of ``step · l1_value``: soft-thresholding at ``step·λαϖⱼ``."""
        return soft_threshold(coef, step * self.l1_weights())

    def kkt_residual(self, coef: jax.Array, smooth_grad: jax.Array) -> jax.Array:
        """Distance of ``0`` to the subdifferential of the objective, per coefficient.

        ``smooth_grad`` is the gradient of everything but the L1 part. Where ``Θ ≠ 0`` the
        subdifferential is the point ``g + λαϖ·sign(Θ)``; where ``Θ = 0`` it is the interval
        ``g ± λαϖ``. Without an L1 part this is ``|g|``.
        """
        w = self.l1_weights()
        at_zero = jnp.maximum(jnp.abs(smooth_grad) - w, 0.0)
        off_zero = jnp.abs(smooth_grad + w * jnp.sign(coef))
        return jnp.where(coef == 0, at_zero, off_zero)
