"""The result and batch-axes types of the functional fit (``jaxlogreg.engine.functional``)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

from .working_set import Screening

__all__ = ["FitArrays", "FitResult"]


class FitResult(NamedTuple):
    """A fit's coefficients ``coef (K, p)``, ``intercept (K,)`` and diagnostics.

    ``K = 1`` for binary and single-target squared loss. ``kkt_violation`` is the largest
    violation of the optimality (KKT) conditions, ``objective`` the glmnet-convention objective
    above.
    ``stop_reason`` is why the solver stopped (a ``jaxlogreg.solvers.stop.StopReason`` code).
    ``history`` (with ``history=True``) is the objective at the start and after every iteration,
    ``(max_iter + 1,)``, NaN after the last one.

    A regularization path (``jaxlogreg.engine.path.path``) returns one ``FitResult`` for all its
    ``λ``: every field gains a leading ``L`` axis, and ``screening`` says what the strong rule
    discarded at each ``λ`` (``jaxlogreg.engine.working_set``). A single fit by working sets
    (``working_sets=True``) fills ``screening`` (full passes over ``X`` included) and
    ``duality_gap``, ``F − D ≥ 0`` at a dual point built from the residual
    (``jaxlogreg.engine.duality``); both are ``None`` otherwise.
    """

    coef: jax.Array
    intercept: jax.Array
    n_iter: jax.Array
    converged: jax.Array
    stop_reason: jax.Array
    objective: jax.Array
    kkt_violation: jax.Array
    history: jax.Array | None = None
    screening: Screening | None = None
    duality_gap: jax.Array | None = None


class FitArrays(NamedTuple):
    """The array arguments of ``solve``, in its order.

    As ``solve_many``'s ``in_axes`` each field is that argument's batch axis, ``None`` (the
    default) for an argument every member of the batch shares: ``FitArrays(targets=0, init=0)``.
    """

    X: Any = None
    targets: Any = None
    sample_weight: Any = None
    lam: Any = None
    l1_ratio: Any = None
    penalty_factor: Any = None
    init: Any = None
    tol: Any = None
    offset: Any = None
    lower: Any = None
    upper: Any = None
