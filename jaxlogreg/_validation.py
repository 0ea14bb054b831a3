"""Input checks at the estimator boundary, with messages that name the argument and the fix."""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator

import numpy as np

__all__ = [
    "check_choice",
    "check_l1_ratio",
    "check_penalty_factor",
    "check_positive_int",
    "check_positive_number",
    "check_sample_weight",
    "unchanged_on_error",
]


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)!r}, got {value!r}")


def check_positive_number(name: str, value, *, allow_inf: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not value > 0 or np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(
            f"{name} must be a positive{'' if allow_inf else ' finite'} number, got {value!r}"
        )
    return value


def check_l1_ratio(value) -> float:
    """The elastic-net mixing parameter: a real number in ``[0, 1]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"l1_ratio must be a number in [0, 1], got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"l1_ratio must be in [0, 1], got {value!r}")
    return float(value)


def check_penalty_factor(penalty_factor, p: int) -> np.ndarray:
    """Per-feature penalty factors ``ϖ (p,)``, finite and non-negative; ones when ``None``."""
    if penalty_factor is None:
        return np.ones(p)
    factor = np.asarray(penalty_factor, dtype=np.float64)
    if factor.shape != (p,):
        raise ValueError(f"penalty_factor must have shape ({p},) to match X, got {factor.shape}")
    if not np.all(np.isfinite(factor)) or np.any(factor < 0):
        raise ValueError("penalty_factor must be finite and non-negative")
    return factor


def check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray:
    """``(n,)`` finite non-negative weights with a positive sum; ones when ``None``."""
    if sample_weight is None:
        return np.ones(n_samples, dtype)
    if np.isscalar(sample_weight):
        sample_weight = np.full(n_samples, sample_weight)
    sample_weight = np.asarray(sample_weight, dtype=dtype)
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {sample_weight.shape}"
        )
    if not np.all(np.isfinite(sample_weight)):
        raise ValueError("sample_weight contains NaN or infinity")
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative; got negative values")
    if not np.sum(sample_weight) > 0:
        raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight")
    return sample_weight


@contextlib.contextmanager
def unchanged_on_error(estimator) -> Iterator[None]:
    """Restore ``estimator``'s attributes when the block raises: no half-fitted estimator."""
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise
