"""What a cross-validation tells its user about its fold fits: a verbose line, and a
``ConvergenceWarning`` naming how many fits did not converge and what to try."""

from __future__ import annotations

import numpy as np

from ..solvers.stop import warn_not_converged
from .cv import CrossValidation

__all__ = ["CV_ADVICE", "report_fold_fits"]

#: What to try when cross-validation fits do not converge.
CV_ADVICE = (
    "Increase max_iter, standardize the features, drop the smallest-penalty Cs, loosen tol, or "
    "enable float64 with jax.config.update('jax_enable_x64', True)."
)


def report_fold_fits(
    fits: CrossValidation, solver: str, tol: float, max_iter: int, *, verbose: int, stacklevel: int
) -> None:
    """The verbose line (``verbose > 0``), and a ``ConvergenceWarning`` unless every fold fit
    converged (``stacklevel`` as ``solvers.stop.warn_not_converged``'s, counted from here)."""
    converged = fits.converged
    if verbose > 0:
        print(
            f"LogisticRegressionCV(solver={solver!r}): {converged.sum()} of {converged.size} "
            f"fold fits converged, at most {fits.n_iter.max()} iterations"
        )
    if not converged.all():
        failed = ~converged
        warn_not_converged(
            f"solver {solver!r}",
            fits.stop_reason[failed],
            float(np.max(fits.kkt_violation)),
            tol,
            max_iter=max_iter,
            where=f"on {failed.sum()} of {converged.size} cross-validation fits",
            advice=CV_ADVICE,
            stacklevel=stacklevel,
        )
