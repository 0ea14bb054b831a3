"""``solver="auto"``: the one rule that picks a solver for a problem."""

from __future__ import annotations

__all__ = ["NEWTON_MAX_PARAMS", "auto_solver"]

#: Largest number of coefficients ``K·d`` for which ``solver="auto"`` uses exact Newton: beyond it
#: building and factoring the ``K·d × K·d`` Hessian costs more than L-BFGS's gradient steps.
NEWTON_MAX_PARAMS = 100


def auto_solver(l1: bool, n_params: int) -> str:
    """Coordinate descent with an L1 part, else Newton (small) or L-BFGS."""
    if l1:
        return "cd"
    return "newton" if n_params <= NEWTON_MAX_PARAMS else "lbfgs"
