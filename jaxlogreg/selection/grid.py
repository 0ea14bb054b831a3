"""The grid a cross-validation searches: the ``C`` values and the elastic-net mixings
``l1_ratios``, checked and read as scikit-learn 1.9's ``LogisticRegressionCV`` reads them."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._validation import check_choice, check_positive_int, check_positive_number
from ..core.penalties import UNSET, l1_ratio_of

__all__ = ["CV_PENALTIES", "check_Cs", "check_l1_ratios"]

#: ``penalty`` values: ``UNSET`` (scikit-learn 1.9's default) takes it from ``l1_ratios``.
CV_PENALTIES = (UNSET, "l2", "l1", "elasticnet")


def check_Cs(Cs) -> np.ndarray:
    """``Cs``: an int ``k ≥ 1`` (``np.logspace(-4, 4, k)``) or a 1-D list of positive values."""
    if isinstance(Cs, numbers.Integral) and not isinstance(Cs, bool):
        return np.logspace(-4, 4, check_positive_int("Cs", Cs))
    if isinstance(Cs, bool | str) or np.ndim(Cs) != 1 or len(Cs) == 0:
        raise ValueError(
            f"Cs must be a positive integer or a non-empty 1-D list of C values, got {Cs!r}"
        )
    for C in Cs:
        check_positive_number("every value of Cs", C, allow_inf=True)
    return np.asarray(Cs, dtype=np.float64)


def check_l1_ratios(penalty, l1_ratios) -> np.ndarray:
    """The elastic-net mixings ``α`` of the grid, as scikit-learn 1.9 decides them: with
    ``penalty`` unset (``UNSET``, the default) each value of ``l1_ratios`` is fitted as given
    (``None``: ridge alone), so ``(1,)`` is the lasso; a named ``penalty`` (deprecated, with
    scikit-learn's ``FutureWarning``) fixes ``α`` for every entry (``l1_ratio_of``), and
    ``l1_ratios``, ignored with a warning unless ``"elasticnet"``, sets the grid's length."""
    check_choice("penalty", penalty, CV_PENALTIES)
    if penalty == "elasticnet" and l1_ratios is None:
        raise ValueError(
            "penalty='elasticnet' needs l1_ratios, a non-empty list of numbers in [0, 1]; "
            "got None (or leave penalty unset: l1_ratios alone choose the penalty)"
        )
    values = np.asarray([0.0] if l1_ratios is None else l1_ratios, dtype=object)
    message = f"l1_ratios, the mixings to search, must be numbers in [0, 1]; got {l1_ratios!r}"
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(message)
    try:  # each value checked as an l1_ratio
        alphas = np.array([l1_ratio_of(UNSET, value) for value in values])
    except (TypeError, ValueError) as error:
        raise ValueError(message) from error
    if penalty != UNSET:
        warnings.warn(
            "penalty was deprecated in scikit-learn 1.8 (removed in 1.10): leave it unset and "
            "use l1_ratios and Cs instead: l1_ratios=(0,) for penalty='l2', (1,) for 'l1', "
            "values in (0, 1) for 'elasticnet', and Cs=(np.inf,) for no penalty",
            FutureWarning,
            stacklevel=4,
        )
    if penalty in ("l1", "l2") and l1_ratios is not None:
        warnings.warn(
            f"l1_ratios={l1_ratios!r} is ignored with penalty={penalty!r}: leave penalty unset "
            "and let l1_ratios choose it",
            UserWarning,
            stacklevel=4,
        )
    if penalty in ("l1", "l2"):
        return np.full(len(values), l1_ratio_of(penalty, None))
    return alphas
