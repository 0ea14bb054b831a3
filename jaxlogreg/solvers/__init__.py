"""Iterative solvers, all run by one driver loop (``iterative_solve``).

``SOLVERS`` maps the public solver names to solver objects; ``get_solver`` validates a name
against the penalty it must handle.
"""

from __future__ import annotations

from ._driver import Solution, Solver, SolverState, iterative_solve
from .coordinate import CoordinateDescent
from .first_order import ConjugateGradient, GradientDescent
from .newton import IRLS, Newton
from .newton_cg import NewtonCG
from .proximal import FISTA
from .quasi_newton import BFGS, LBFGS
from .stochastic import SGD, Adam

__all__ = [
    "BFGS",
    "FISTA",
    "IRLS",
    "LBFGS",
    "PROXIMAL",
    "SGD",
    "SOLVERS",
    "Adam",
    "ConjugateGradient",
    "CoordinateDescent",
    "GradientDescent",
    "Newton",
    "NewtonCG",
    "Solution",
    "Solver",
    "SolverState",
    "get_solver",
    "iterative_solve",
]

SOLVERS: dict[str, Solver] = {
    "newton": Newton(),
    "irls": IRLS(),
    "prox": FISTA(),
    "cd": CoordinateDescent(),
    "gd": GradientDescent(),
    "cg": ConjugateGradient(),
    "bfgs": BFGS(),
    "lbfgs": LBFGS(),
    "newton-cg": NewtonCG(),
    "adam": Adam(),
    "sgd": SGD(),
}


#: The solvers with a proximal step, the only ones that handle box constraints and the grouped
#: multinomial lasso (``core.penalties.ElasticNetPenalty``).
PROXIMAL = ("prox", "cd")


def get_solver(
    name: str | Solver, *, l1: bool = False, bounds: bool = False, grouped: bool = False
) -> Solver:
    """The solver called ``name`` (or ``name`` itself, a ``Solver``); a clear error when it is
    unknown or cannot handle an L1 part, box constraints (``bounds``) or the grouped lasso."""
    if isinstance(name, Solver):
        solver = name
    elif name not in SOLVERS:
        raise ValueError(f"unknown solver {name!r}; expected one of {sorted(SOLVERS)}")
    else:
        solver = SOLVERS[name]
    if l1 and not solver.supports_l1:
        able = sorted(n for n, s in SOLVERS.items() if s.supports_l1)
        hint = f"use one of {able}" if able else "no solver of this version handles an L1 part"
        raise ValueError(
            f"solver {name!r} cannot handle an L1 penalty (penalty='l1' or 'elasticnet', "
            f"l1_ratio > 0): {hint}, or use penalty='l2' or None"
        )
    proximal = isinstance(solver, tuple(type(SOLVERS[n]) for n in PROXIMAL))
    for needed, what in (
        (bounds, "box constraints (lower_bounds, upper_bounds)"),
        (grouped, "the grouped multinomial lasso (multinomial_l1='grouped')"),
    ):
        if needed and not proximal:
            raise ValueError(
                f"solver {name!r} cannot handle {what}: use solver='prox' or solver='cd'"
            )
    return solver
