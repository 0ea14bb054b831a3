"""Box constraints and the grouped multinomial lasso of the estimators: glmnet's
``lower.limits`` / ``upper.limits`` (``lower_bounds`` / ``upper_bounds``) and
``type.multinomial = "grouped"`` (``multinomial_l1="grouped"``).

The checks and the layout of the bounds (``core.constraints.model_constraints``) are those of
``regularization_path`` too: bounds on the original scale of the features, one row per
one-vs-rest class, refused for two classes fitted as a softmax; the grouped lasso needs the
softmax. Both need a solver with a proximal step (``"prox"``, ``"cd"``; ``"auto"`` picks
``"cd"``); bounds on a smooth penalty also take the projected quasi-Newton ``"lbfgs"``, which
``"auto"`` picks for them (``solvers.auto``).
"""

from __future__ import annotations

from ..core.constraints import ModelConstraints, model_constraints
from ..core.targets import Mode
from ..solvers import get_solver

__all__ = ["FitConstraints", "fit_constraints"]

#: The checked options of an estimator (``core.constraints.ModelConstraints``).
FitConstraints = ModelConstraints


def fit_constraints(estimator, mode: Mode, n_classes: int, n_features: int) -> FitConstraints:
    """``estimator``'s ``lower_bounds``, ``upper_bounds`` and ``multinomial_l1``, checked against
    the model ``mode`` and its ``solver`` (errors that name the fix)."""
    options = (estimator.lower_bounds, estimator.upper_bounds, estimator.multinomial_l1)
    constraints = model_constraints(*options, mode, n_classes, n_features)
    if estimator.solver != "auto":
        checked = constraints.checked
        get_solver(estimator.solver, bounds=checked.bounded, grouped=checked.grouped)
    return constraints
