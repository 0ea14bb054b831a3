"""What the estimators share: a ``fit`` that leaves the estimator as it was when it fails, the
checks of the solver options, the dtype a fit computes in."""

from __future__ import annotations

import numbers
import warnings

import jax
import numpy as np
from sklearn.exceptions import DataConversionWarning

from .._validation import (
    check_choice,
    check_positive_int,
    check_positive_number,
    unchanged_on_error,
)
from ..solvers import SOLVERS, get_solver

__all__ = ["AtomicFit", "check_solver_options", "fit_dtype"]


class AtomicFit:
    """``fit`` runs the estimator's ``_fit``; on error the estimator is left exactly as it was."""

    def fit(self, X, y, sample_weight=None):
        """Fit the model; on error the estimator is left exactly as it was."""
        with unchanged_on_error(self):
            self._fit(X, y, sample_weight)
        return self


def check_solver_options(
    solver, tol, max_iter, *, l1: bool, allow_zero_iter: bool = False
) -> tuple[float, int]:
    """The checked ``tol`` (``> 0``) and ``max_iter`` (an integer ``≥ 1``, or ``≥ 0`` when
    ``allow_zero_iter``: scikit-learn's ``LogisticRegression`` takes ``0``, its ``Ridge`` and
    ``Lasso`` do not); ``solver`` must be ``"auto"`` or a name of ``jaxlogreg.solvers.SOLVERS``,
    one that handles an L1 part when ``l1``."""
    tol = check_positive_number("tol", tol)
    if not allow_zero_iter:
        max_iter = check_positive_int("max_iter", max_iter)
    elif isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer, got {max_iter!r}")
    check_choice("solver", solver, ("auto", *SOLVERS))
    if solver != "auto":
        get_solver(solver, l1=l1)
    return tol, int(max_iter)


def fit_dtype(dtype, *, stacklevel: int = 5) -> np.dtype:
    """The dtype a fit on ``X`` of ``dtype`` computes in, as scikit-learn's: ``X`` validated to
    float32 (kept) or float64 (anything else). float64 needs JAX's float64
    (``jax_enable_x64``); without it the fit runs in float32, with one
    ``DataConversionWarning`` that says so."""
    dtype = np.dtype(dtype)
    if dtype == np.float32 or jax.dtypes.canonicalize_dtype(dtype) == dtype:
        return dtype
    warnings.warn(
        f"X is {dtype}, but JAX's float64 is off: the fit runs in float32 and its coef_ and "
        "intercept_ are float32. For a float64 fit, enable float64 at startup with "
        "jax.config.update('jax_enable_x64', True); to silence this warning, pass float32 X",
        DataConversionWarning,
        stacklevel=stacklevel,
    )
    return np.dtype(np.float32)
