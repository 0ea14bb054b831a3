"""Why a solve stopped: ``StopReason``, born in the driver loop and reported by every layer above.

Inside ``jit`` the reason is data (an ``int32`` code in ``Solution.stop_reason``); outside, the
estimators, paths, cross-validation and the command line turn it into one message and warning
(``not_converged_message``, ``warn_not_converged``) instead of re-deriving it.
"""

from __future__ import annotations

import enum
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "DEFAULT_ADVICE",
    "StopReason",
    "not_converged_message",
    "stop_reason",
    "warn_not_converged",
    "worst_reason",
]

#: What to try when a fit did not converge (callers with a better hint pass their own).
DEFAULT_ADVICE = (
    "Increase max_iter, standardize the features, increase the penalty (smaller C), loosen tol, "
    "or enable float64 with jax.config.update('jax_enable_x64', True)."
)


class StopReason(enum.IntEnum):
    """Why ``iterative_solve`` stopped, from the best outcome to the worst."""

    CONVERGED = 0
    MAX_ITER = 1
    STALLED = 2
    NON_FINITE = 3

    def describe(self, max_iter: int | None = None) -> str:
        """The reason in words, e.g. ``"reached max_iter=100"``."""
        if self is StopReason.MAX_ITER:
            return "reached max_iter" + ("" if max_iter is None else f"={max_iter}")
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    StopReason.CONVERGED: "converged",
    StopReason.STALLED: "stopped: no step decreases the objective at this floating-point precision",
    StopReason.NON_FINITE: "stopped: the objective or its gradient is not finite (overflow)",
}


def stop_reason(
    converged: jax.Array, stalled: jax.Array, objective: jax.Array, kkt_violation: jax.Array
) -> jax.Array:
    """The ``StopReason`` code of a finished loop (``int32``, traceable): converged; else a
    non-finite objective or KKT violation; else a stall; else the iteration limit."""
    finite = jnp.isfinite(objective) & jnp.isfinite(kkt_violation)
    reasons = [StopReason.CONVERGED, StopReason.NON_FINITE, StopReason.STALLED]
    return jnp.select(
        [converged, ~finite, stalled],
        [jnp.int32(r) for r in reasons],
        jnp.int32(StopReason.MAX_ITER),
    )


def worst_reason(codes) -> StopReason:
    """The worst of several solves' ``StopReason`` codes (any shape)."""
    return StopReason(int(np.max(np.asarray(codes))))


def not_converged_message(
    subject: str,
    codes,
    kkt_violation: float,
    tol: float,
    *,
    max_iter: int | None = None,
    where: str | None = None,
    measure: str = "KKT violation",
    advice: str = DEFAULT_ADVICE,
) -> str:
    """The one text of a fit that did not converge, the reason being the worst of ``codes``.

    One fit: ``"<subject> did not converge (<reason>); the largest <measure> is … > tol=….
    <advice>"``. A grid of fits (``where``, e.g. ``"at lambda = …"``): ``"<subject> did not
    converge to tol=… (<reason>) <where>: the largest <measure> is …. <advice>"``. ``measure``
    names the KKT violation as the user knows it (a gradient component for a smooth fit).
    """
    reason = worst_reason(codes).describe(max_iter)
    largest = f"the largest {measure} is {kkt_violation:.3e}"
    if where is None:
        return f"{subject} did not converge ({reason}); {largest} > tol={tol:g}. {advice}"
    return f"{subject} did not converge to tol={tol:g} ({reason}) {where}: {largest}. {advice}"


def warn_not_converged(*args, stacklevel: int = 2, **kwargs) -> None:
    """Issue ``not_converged_message(*args, **kwargs)`` as a ``ConvergenceWarning``."""
    warnings.warn(
        not_converged_message(*args, **kwargs), ConvergenceWarning, stacklevel=stacklevel + 1
    )
