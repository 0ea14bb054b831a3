"""What the estimators share: a ``fit`` that leaves the estimator as it was when it fails, the
checks of the solver options."""

from __future__ import annotations

from .._validation import (
    check_choice,
    check_positive_int,
    check_positive_number,
    unchanged_on_error,
)
from ..solvers import SOLVERS, get_solver

__all__ = ["AtomicFit", "check_solver_options"]


class AtomicFit:
    """``fit`` runs the estimator's ``_fit``; on error the estimator is left exactly as it was."""

    def fit(self, X, y, sample_weight=None):
        """Fit the model; on error the estimator is left exactly as it was."""
        with unchanged_on_error(self):
            self._fit(X, y, sample_weight)
        return self


def check_solver_options(solver, tol, max_iter, *, l1: bool) -> tuple[float, int]:
    """The checked ``tol`` (``> 0``) and ``max_iter`` (``≥ 1``); ``solver`` must be ``"auto"`` or
    a name of ``jaxlogreg.solvers.SOLVERS``, one that handles an L1 part when ``l1``."""
    tol = check_positive_number("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    check_choice("solver", solver, ("auto", *SOLVERS))
    if solver != "auto":
        get_solver(solver, l1=l1)
    return tol, max_iter
