"""Solver × loss table: iterations, convergence, wall time and objective gap to Newton.

Run ``python -m benchmarks.solver_table`` (options: ``--help``). Problems, all standardized and
ridge-penalized with ``λ = 1/n`` (scikit-learn's default ``C = 1``):

- binary: breast_cancer (569 × 30);
- multinomial: digits (1797 × 64, 10 classes);
- squared: diabetes (442 × 10), standardized response.

Every solver runs with the library's default tolerance (largest gradient entry ``≤ 1e-8``); the
stochastic solvers (one iteration = one epoch) run until ``--epochs``. Wall time is the median of
``--repeats`` runs after a first, compiling run (``benchmarks.measure``). The gap is
``(F − F*)/F*`` with ``F*`` from Newton at ``tol = 1e-12`` (the library's own objective: this
table compares jaxlogreg's solvers with each other; ``python -m benchmarks`` compares the
library with its peers).
"""

from __future__ import annotations

import argparse

import jax
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.preprocessing import StandardScaler

import jaxlogreg

from .measure import time_calls

SOLVERS = ["newton", "newton-cg", "lbfgs", "bfgs", "cg", "gd", "adam", "sgd"]
STOCHASTIC = {"adam", "sgd"}


def problems() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    X, y = load_breast_cancer(return_X_y=True)
    binary = StandardScaler().fit_transform(X), y.astype(float)
    X, y = load_digits(return_X_y=True)
    multinomial = StandardScaler().fit_transform(X), np.eye(10)[y]
    X, y = load_diabetes(return_X_y=True)
    squared = StandardScaler().fit_transform(X), (y - y.mean()) / y.std()
    return {"binary": binary, "multinomial": multinomial, "squared": squared}


def main() -> None:
    jax.config.update("jax_enable_x64", True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=10_000, help="deterministic solvers")
    parser.add_argument("--epochs", type=int, default=300, help="stochastic solvers")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    args = parser.parse_args()

    rows = []
    for loss, (X, Y) in problems().items():
        lam = 1.0 / len(X)
        best = float(jaxlogreg.fit(X, Y, lam=lam, loss=loss, solver="newton", tol=1e-12).objective)
        for solver in args.solvers.split(","):
            max_iter = args.epochs if solver in STOCHASTIC else args.max_iter

            def run(solver=solver, max_iter=max_iter, X=X, Y=Y, loss=loss, lam=lam):
                fitted = jaxlogreg.fit(X, Y, lam=lam, loss=loss, solver=solver, max_iter=max_iter)
                return jax.block_until_ready(fitted)

            timing = time_calls(run, repeats=args.repeats, budget_s=float("inf"))
            result, seconds = timing.result, timing.median_s
            gap = (float(result.objective) - best) / abs(best)
            rows.append(
                (
                    solver,
                    f"{loss} ({X.shape[0]}x{X.shape[1]}, K={Y.shape[1] if Y.ndim > 1 else 1})",
                    int(result.n_iter),
                    "yes" if bool(result.converged) else "no",
                    f"{1e3 * seconds:.1f}",
                    f"{gap:.1e}",
                )
            )

    device = jax.devices()[0]
    print(f"Device: {device.platform} ({device.device_kind}); float64; λ = 1/n; tol = 1e-8.\n")
    header = ("solver", "loss", "iterations", "converged", "wall ms", "rel. gap to Newton")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


if __name__ == "__main__":
    main()
