"""The elastic-net penalty family, with run-time strengths so that fits can be vmapped over them.

For coefficients ``Θ`` of shape ``(K, d)`` (``d`` = features, plus one intercept column when
fitted) and per-column factors ``ϖ ∈ ℝᵈ``::

    P(Θ) = λ · Σⱼ ϖⱼ [ (1 − α)/2 · Σₖ Θₖⱼ²  +  α · Σₖ |Θₖⱼ| ]

``α = 1`` is the lasso (L1), ``α = 0`` ridge (L2), ``λ = 0`` no penalty. The intercept column has
``ϖ = 0``, so it is never penalized; other factors default to one (glmnet's ``penalty.factor``,
without its rescaling). ``λ``, ``α`` and ``ϖ`` are arrays, never static values, so one compiled
solver serves every strength and ``jax.vmap`` runs many at once.

Two options of glmnet ride on the penalty: box constraints ``l ≤ Θ ≤ u`` (``lower.limits``,
``upper.limits``; arrays, so they batch like the strengths) and the grouped multinomial L1 part
``λα Σⱼ ϖⱼ ‖Θ₍:,ⱼ₎‖₂`` (``type.multinomial = "grouped"``; a static flag). Both belong to the
non-smooth part ``P₁``, which only the proximal solvers (``"prox"``, ``"cd"``) handle.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from functools import partial
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
    "block_soft_threshold",
    "column_norms",
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


@partial(
    jax.tree_util.register_dataclass,
    data_fields=["lam", "l1_ratio", "factors", "lower", "upper"],
    meta_fields=["grouped"],
)
@dataclasses.dataclass(frozen=True)
class ElasticNetPenalty:
    """Elastic-net penalty ``λ Σⱼ ϖⱼ [(1 − α)/2 ‖Θ₍:,ⱼ₎‖² + α ‖Θ₍:,ⱼ₎‖₁]``, optionally with box
    constraints ``l ≤ Θ ≤ u`` and, for the multinomial loss, the grouped L1 part.

    ``F = smooth + P₁``: the ridge part is smooth; ``P₁`` is the L1 part plus the indicator of the
    box (``0`` inside, ``∞`` outside). Grouped (glmnet's ``type.multinomial = "grouped"``), the
    L1 part is ``λα Σⱼ ϖⱼ ‖Θ₍:,ⱼ₎‖₂`` over the ``K`` classes of column ``j``: a column is zero
    for every class or for none. Every solver and the stopping rule see ``P₁`` through
    ``l1_value``, ``prox_l1`` and ``kkt_residual`` only.

    Attributes:
        lam: ``λ ≥ 0``, scalar.
        l1_ratio: ``α ∈ [0, 1]``, scalar.
        factors: ``ϖ``, shape ``(d,)``; zero for the intercept column.
        lower, upper: ``None`` (no bound) or the bounds ``l ≤ 0 ≤ u`` of ``Θ``, ``(K, d)``, with
            ``∓∞`` for the intercept column (never bounded) and wherever a coefficient is free.
        grouped: static; the grouped L1 part. Not together with bounds, except pins: a column
            held whole at zero (``l = u = 0`` for its ``K`` coefficients, a working set's
            left-out column).
    """

    lam: jax.Array
    l1_ratio: jax.Array
    factors: jax.Array
    lower: jax.Array | None = None
    upper: jax.Array | None = None
    grouped: bool = False

    def _replace(self, **changes) -> ElasticNetPenalty:
        """A copy with ``changes`` (the ``NamedTuple`` spelling of ``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    @property
    def bounded(self) -> bool:
        """Whether the penalty carries box constraints (static: ``None`` or arrays)."""
        return self.lower is not None or self.upper is not None

    def fixed(self) -> jax.Array:
        """Coefficients whose bounds coincide (``l = u``), ``(K, d)`` bool: they cannot move.
        Only with bounds."""
        if self.lower is None or self.upper is None:
            return jnp.zeros_like(self.upper if self.lower is None else self.lower, bool)
        return self.lower == self.upper

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
        """The non-smooth part ``P₁``: ``λα Σⱼ ϖⱼ ‖Θ₍:,ⱼ₎‖₁`` (grouped: ``‖Θ₍:,ⱼ₎‖₂``). The box
        indicator adds nothing: the solvers keep ``Θ`` inside the box."""
        if self.grouped:
            return jnp.sum(self.l1_weights() * column_norms(coef))
        return jnp.sum(self.l1_weights() * jnp.abs(coef))

    def value(self, coef: jax.Array) -> jax.Array:
        return self.smooth_value(coef) + self.l1_value(coef)

    def clip(self, coef: jax.Array) -> jax.Array:
        """``coef`` projected onto the box (itself without bounds)."""
        if not self.bounded:
            return coef
        return jnp.clip(coef, self.lower, self.upper)

    def prox_l1(self, coef: jax.Array, step: jax.Array) -> jax.Array:
        """Proximal operator of ``step · P₁``: soft-thresholding at ``step·λαϖⱼ`` then the
        projection onto the box (exact: a convex function of one variable restricted to an
        interval is least at its free minimizer clipped to the interval); grouped, block
        soft-thresholding of the columns ``Θ₍:,ⱼ₎ · max(1 − step·λαϖⱼ/‖Θ₍:,ⱼ₎‖₂, 0)``."""
        if self.grouped:  # clipped: a pinned column stays zero
            return self.clip(block_soft_threshold(coef, step * self.l1_weights()))
        return self.clip(soft_threshold(coef, step * self.l1_weights()))

    def free(self, coef: jax.Array) -> jax.Array:
        """Coefficients free to move at a solution, ``(K, d)`` bool: off zero or without an L1
        part (grouped: in a nonzero column or one without), and on no bound. Elsewhere a
        solution is locally constant in the data (implicit differentiation)."""
        w = self.l1_weights()
        moving = column_norms(coef) > 0 if self.grouped else coef != 0
        free = jnp.broadcast_to(moving | (w == 0), coef.shape)
        if self.lower is not None:
            free = free & (coef > self.lower)
        if self.upper is not None:
            free = free & (coef < self.upper)
        return free

    def l1_gradient(self, coef: jax.Array) -> jax.Array:
        """The gradient of ``P₁`` on the ``free`` coefficients, ``(K, d)``: ``λαϖ·sign(Θ)``;
        grouped, ``λαϖⱼ Θ₍:,ⱼ₎/‖Θ₍:,ⱼ₎‖`` (zero on a zero column)."""
        w = self.l1_weights()
        if not self.grouped:
            return w * jnp.sign(coef)
        norms = column_norms(coef)
        return w * coef / jnp.where(norms > 0, norms, 1.0)

    def kkt_residual(self, coef: jax.Array, smooth_grad: jax.Array) -> jax.Array:
        """Distance of ``0`` to the subdifferential of the objective, per coefficient ``(K, d)``.

        ``smooth_grad`` is the gradient ``g`` of everything but ``P₁``. Per coefficient the
        subdifferential is the interval ``[a, b]``: ``g + λαϖ·sign(Θ)`` where ``Θ ≠ 0``,
        ``g ± λαϖ`` where ``Θ = 0``; at a lower bound it extends to ``a = −∞``, at an upper one
        to ``b = +∞`` (the normal cone of the box: a coefficient held at a bound by a gradient
        pushing outward is optimal). The distance is ``max(a, 0) + max(−b, 0)``; without an L1
        part and bounds, ``|g|``. Grouped: the column's residual, ``max(‖g₍:,ⱼ₎‖ − λαϖⱼ, 0)``
        for a zero column and ``‖g₍:,ⱼ₎ + λαϖⱼ Θ₍:,ⱼ₎/‖Θ₍:,ⱼ₎‖‖`` otherwise, on each of its
        ``K`` coefficients; zero on a pinned column.
        """
        if self.grouped:
            residual = jnp.broadcast_to(_group_residual(self, coef, smooth_grad), coef.shape)
            return jnp.where(self.fixed(), 0.0, residual) if self.bounded else residual
        w = self.l1_weights()
        at_zero = coef == 0
        a = jnp.where(at_zero, smooth_grad - w, smooth_grad + w * jnp.sign(coef))
        b = jnp.where(at_zero, smooth_grad + w, a)
        if self.lower is not None:
            a = jnp.where(coef <= self.lower, -jnp.inf, a)
        if self.upper is not None:
            b = jnp.where(coef >= self.upper, jnp.inf, b)
        return jnp.maximum(a, 0.0) + jnp.maximum(-b, 0.0)


def column_norms(coef: jax.Array) -> jax.Array:
    """``‖Θ₍:,ⱼ₎‖₂`` for every column ``j``: ``(d,)``."""
    return jnp.sqrt(jnp.sum(jnp.square(coef), axis=0))


def block_soft_threshold(coef: jax.Array, threshold: jax.Array) -> jax.Array:
    """Block soft-thresholding of the columns of ``coef (K, d)`` at ``threshold (d,)``: the
    minimizer over ``U`` of ``½‖U − Θ‖² + Σⱼ wⱼ‖U₍:,ⱼ₎‖₂``, i.e.
    ``Θ₍:,ⱼ₎ · max(1 − wⱼ/‖Θ₍:,ⱼ₎‖, 0)`` (a zero column stays zero)."""
    norms = column_norms(coef)
    safe = jnp.where(norms > 0, norms, 1.0)
    shrink = jnp.where(norms > threshold, 1.0 - threshold / safe, 0.0)
    return coef * shrink


def _group_residual(penalty, coef: jax.Array, smooth_grad: jax.Array) -> jax.Array:
    """The grouped L1 part's KKT residual per column, ``(d,)`` (``kkt_residual``)."""
    at_zero = jnp.maximum(column_norms(smooth_grad) - penalty.l1_weights(), 0.0)
    off_zero = column_norms(smooth_grad + penalty.l1_gradient(coef))
    return jnp.where(column_norms(coef) > 0, off_zero, at_zero)
