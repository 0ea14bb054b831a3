"""Box constraints and the grouped multinomial lasso of the estimators: glmnet's
``lower.limits`` / ``upper.limits`` (``lower_bounds`` / ``upper_bounds``) and
``type.multinomial = "grouped"`` (``multinomial_l1="grouped"``).

The bounds hold for ``coef_`` on the original scale of the features: a fit on standardized
columns ``xⱼ/σⱼ`` has coefficients ``σⱼβⱼ``, whose bounds are ``σⱼlⱼ`` and ``σⱼuⱼ``. One-vs-rest
gives each class's problem its row of ``(n_classes, p)`` bounds. Two classes fitted as a softmax
(``multi_class="multinomial"``) report ``coef_`` as the difference of two softmax rows, which
bounds on the rows cannot express: refused. The grouped lasso needs the softmax
(``core.constraints``). Both need a solver with a proximal step (``"prox"``, ``"cd"``; ``"auto"``
picks ``"cd"``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..core.constraints import Constraints, constraints_of
from ..core.targets import Mode
from ..solvers import get_solver

__all__ = ["FitConstraints", "fit_constraints"]


class FitConstraints(NamedTuple):
    """The checked options (``core.constraints.Constraints``: bounds ``(K, p)`` on the original
    scale, ``K = 1`` for a binary model) and whether the model is one-vs-rest."""

    checked: Constraints
    one_vs_rest: bool

    @property
    def grouped(self) -> bool:
        return self.checked.grouped

    @property
    def proximal(self) -> bool:
        """Whether the fit needs a solver with a proximal step."""
        return self.checked.proximal

    def bounds(self, scales: np.ndarray, dtype) -> tuple | None:
        """``(lower, upper)`` as ``engine.functional.solve`` takes them for the columns divided
        by ``scales (p,)``: ``(K, p)``, or ``(K, 1, p)`` one-vs-rest; ``None`` without bounds."""
        if not self.checked.bounded:
            return None

        def scaled(bound):
            if bound is None:
                return None
            bound = (bound * scales).astype(dtype)
            return bound[:, None, :] if self.one_vs_rest else bound

        return scaled(self.checked.lower), scaled(self.checked.upper)


def fit_constraints(estimator, mode: Mode, n_classes: int, n_features: int) -> FitConstraints:
    """``estimator``'s ``lower_bounds``, ``upper_bounds`` and ``multinomial_l1``, checked against
    the model ``mode`` and its ``solver`` (errors that name the fix)."""
    lower, upper = estimator.lower_bounds, estimator.upper_bounds
    if mode == Mode.BINARY_SOFTMAX and (lower is not None or upper is not None):
        raise ValueError(
            "lower_bounds and upper_bounds bound the coefficients of one logit for two classes: "
            "use multi_class='auto' (or 'ovr') rather than 'multinomial'"
        )
    rows = 1 if mode == Mode.BINARY else n_classes
    multinomial = mode in (Mode.MULTINOMIAL, Mode.BINARY_SOFTMAX)
    options = (lower, upper, estimator.multinomial_l1, rows, n_features, np.float64)
    checked = constraints_of(*options, multinomial=multinomial)
    if estimator.solver != "auto":
        get_solver(estimator.solver, bounds=checked.bounded, grouped=checked.grouped)
    return FitConstraints(checked, mode == Mode.OVR)
