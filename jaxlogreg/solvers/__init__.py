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


def get_solver(
    name: str | Solver, *, l1: bool = False, bounds: bool = False, grouped: bool = False
) -> Solver:
    """The solver called ``name`` (or ``name`` itself, a ``Solver``); a clear error, naming the
    solvers that can, when it is unknown or cannot handle an L1 part, box constraints
    (``bounds``: with an L1 part ``"prox"``, ``"cd"``; without, ``"lbfgs"`` too) or the grouped
    lasso (an L1 part whose proximal step is block soft-thresholding: ``"prox"``, ``"cd"``)."""
    if isinstance(name, Solver):
        solver = name
    elif name not in SOLVERS:
        raise ValueError(f"unknown solver {name!r}; expected one of {sorted(SOLVERS)}")
    else:
        solver = SOLVERS[name]
    if (l1 or grouped) and not solver.supports_l1:
        able = _able(lambda s: s.supports_l1)
        what = (
            "the grouped multinomial lasso (multinomial_l1='grouped')"
            if grouped
            else "an L1 penalty (penalty='l1' or 'elasticnet', l1_ratio > 0)"
        )
        alternative = "" if grouped else ", or use penalty='l2' or None"
        raise ValueError(f"solver {name!r} cannot handle {what}: use {able}{alternative}")
    if bounds and not solver.supports_bounds:
        able = _able(lambda s: s.supports_bounds and (s.supports_l1 or not l1))
        raise ValueError(
            f"solver {name!r} cannot handle box constraints (lower_bounds, upper_bounds): "
            f"use {able}"
        )
    return solver


def _able(can) -> str:
    """``solver='a', solver='b' or solver='c'``: the registered solvers for which ``can``."""
    names = [f"solver={n!r}" for n, s in SOLVERS.items() if can(s)]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
