"""The user's box constraints and L1 grouping, checked and laid out as the penalty takes them.

``lower_bounds`` / ``upper_bounds`` (glmnet's ``lower.limits`` / ``upper.limits``) bound the
coefficients ``W (K, p)``: a scalar bounds all of them, a ``(p,)`` vector each feature in every
class, a ``(K, p)`` array each coefficient. As in glmnet, ``l ≤ 0 ≤ u`` (zero is feasible: the
solvers may start there) and intercepts are never bounded. ``multinomial_l1="grouped"`` (glmnet's
``type.multinomial = "grouped"``) penalizes the ``K`` class coefficients of a feature together,
``λα Σⱼ ϖⱼ ‖W₍:,ⱼ₎‖₂``; it needs the multinomial loss and is not combined with bounds.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_choice
from .targets import Mode

__all__ = [
    "MULTINOMIAL_L1",
    "Constraints",
    "ModelConstraints",
    "box_bounds",
    "constraints_of",
    "is_grouped",
    "model_constraints",
    "with_free_intercepts",
]

#: The values of ``multinomial_l1``.
MULTINOMIAL_L1 = ("ungrouped", "grouped")


def is_grouped(multinomial_l1, *, multinomial: bool, bounded: bool) -> bool:
    """Whether ``multinomial_l1`` asks for the grouped L1 part; errors that name the fix."""
    check_choice("multinomial_l1", multinomial_l1, MULTINOMIAL_L1)
    grouped = multinomial_l1 == "grouped"
    if grouped and not multinomial:
        raise ValueError(
            "multinomial_l1='grouped' penalizes the class coefficients of each feature together "
            "and needs the multinomial (softmax) loss: loss='multinomial' (for an estimator, "
            "multi_class='multinomial', or 'auto' with 3+ classes); else use "
            "multinomial_l1='ungrouped'"
        )
    if grouped and bounded:
        raise ValueError(
            "multinomial_l1='grouped' cannot be combined with lower_bounds or upper_bounds: "
            "drop the bounds or use multinomial_l1='ungrouped'"
        )
    return grouped


def box_bounds(lower, upper, n_outputs: int, n_features: int, dtype):
    """``(lower, upper)`` as ``(K, p)`` arrays in ``dtype`` (``None`` for a side without bounds);
    concrete values are checked (``lower ≤ 0 ≤ upper``, no NaN). JAX arrays (traced ones too)
    stay JAX arrays, the others become NumPy arrays."""
    return (
        _bound("lower_bounds", lower, n_outputs, n_features, dtype, sign=-1),
        _bound("upper_bounds", upper, n_outputs, n_features, dtype, sign=1),
    )


def _bound(name, value, K: int, p: int, dtype, *, sign: int):
    if value is None:
        return None
    xp = jnp if isinstance(value, jax.Array | jax.core.Tracer) else np
    value = xp.asarray(value, dtype)
    if value.shape not in {(), (p,), (K, p)}:
        raise ValueError(
            f"{name} must be a number, a ({p},) vector (one per feature) or a ({K}, {p}) array "
            f"(one per class and feature), got shape {value.shape}"
        )
    if xp is np:
        side = "<= 0" if sign < 0 else ">= 0"
        if np.any(np.isnan(value)) or np.any(sign * value < 0):
            raise ValueError(
                f"{name} must be {side} (zero must be feasible, as in glmnet; ±inf for no bound), "
                f"got {value.tolist()!r}"
            )
    return xp.broadcast_to(value, (K, p))


def with_free_intercepts(lower, upper, fit_intercept: bool, dtype):
    """``(K, p)`` bounds (or ``None``) -> the penalty's ``(K, d)``: ``∓∞`` on the intercept
    column, which is never bounded."""

    def widen(bound, fill):
        if bound is None:
            return None
        bound = jnp.asarray(bound, dtype)
        if not fit_intercept:
            return bound
        return jnp.concatenate([bound, jnp.full((bound.shape[0], 1), fill, dtype)], axis=1)

    return widen(lower, -jnp.inf), widen(upper, jnp.inf)


class Constraints(NamedTuple):
    """Checked bounds ``(K, p)`` (``None`` for a free side) and the grouping of the L1 part."""

    lower: np.ndarray | jax.Array | None
    upper: np.ndarray | jax.Array | None
    grouped: bool

    @property
    def bounded(self) -> bool:
        return self.lower is not None or self.upper is not None


def constraints_of(
    lower_bounds,
    upper_bounds,
    multinomial_l1,
    n_outputs: int,
    n_features: int,
    dtype,
    *,
    multinomial: bool,
) -> Constraints:
    """The user's ``lower_bounds``, ``upper_bounds`` and ``multinomial_l1`` for a model with
    ``n_outputs`` rows of coefficients (``multinomial``: the softmax loss), checked
    (``box_bounds``, ``is_grouped``)."""
    lower, upper = box_bounds(lower_bounds, upper_bounds, n_outputs, n_features, dtype)
    bounded = lower is not None or upper is not None
    return Constraints(
        lower, upper, is_grouped(multinomial_l1, multinomial=multinomial, bounded=bounded)
    )


class ModelConstraints(NamedTuple):
    """The checked options of a model (``Constraints``: bounds ``(K, p)`` on the original scale
    of the features, ``K = 1`` for a binary model) and whether it is one-vs-rest.

    The bounds hold for the coefficients on the original scale: a fit on standardized columns
    ``xⱼ/σⱼ`` has coefficients ``σⱼβⱼ``, whose bounds are ``σⱼlⱼ`` and ``σⱼuⱼ``. One-vs-rest
    gives each class's problem its row of the ``(n_classes, p)`` bounds."""

    checked: Constraints
    one_vs_rest: bool

    @property
    def grouped(self) -> bool:
        return self.checked.grouped

    def bounds(self, scales: np.ndarray, dtype) -> tuple | None:
        """``(lower, upper)`` as the solvers take them for the columns divided by
        ``scales (p,)``: ``(K, p)``, or ``(K, 1, p)`` one-vs-rest; ``None`` without bounds."""
        if not self.checked.bounded:
            return None

        def scaled(bound):
            if bound is None:
                return None
            bound = (bound * scales).astype(dtype)
            return bound[:, None, :] if self.one_vs_rest else bound

        return scaled(self.checked.lower), scaled(self.checked.upper)


def model_constraints(
    lower_bounds, upper_bounds, multinomial_l1, mode: Mode, n_classes: int, n_features: int
) -> ModelConstraints:
    """``lower_bounds``, ``upper_bounds`` and ``multinomial_l1`` checked against the model
    ``mode`` (``core.targets``). Two classes fitted as a softmax (``Mode.BINARY_SOFTMAX``)
    report the difference of two softmax rows, which bounds on the rows cannot express:
    refused, with the fix."""
    bounded = lower_bounds is not None or upper_bounds is not None
    if mode == Mode.BINARY_SOFTMAX and bounded:
        raise ValueError(
            "lower_bounds and upper_bounds bound the coefficients of one logit for two classes: "
            "use multi_class='auto' (or 'ovr') rather than 'multinomial'"
        )
    rows = 1 if mode == Mode.BINARY else n_classes
    multinomial = mode in (Mode.MULTINOMIAL, Mode.BINARY_SOFTMAX)
    options = (lower_bounds, upper_bounds, multinomial_l1, rows, n_features, np.float64)
    checked = constraints_of(*options, multinomial=multinomial)
    return ModelConstraints(checked, mode == Mode.OVR)
