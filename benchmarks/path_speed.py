"""A 100-λ L1 path on 100,000 × 100 (float64): ``regularization_path`` against glmnet.

The data are W3's (``benchmarks.workloads``); the grid is 100 values log-spaced from ``λ_max`` to
``λ_max·1e-3``. jaxlogreg runs coordinate descent with screening (``tol`` 1e-8 on the KKT
conditions); glmnet runs ``LogitNet`` on the same grid (``standardize=False``, ``thresh`` 1e-9).
The two alternate, after one warm-up call each (jaxlogreg's compiles), and the largest relative
gap of each path's objectives to the better of the two is printed with the median times.

    python -m benchmarks.path_speed [--repeats 3] [--lambdas 100]
"""

from __future__ import annotations

import argparse
import time
import warnings

import jax
import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lambdas", type=int, default=100)
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", True)

    from glmnet import LogitNet

    import jaxlogreg

    from .objective import lambda_max, objective
    from .workloads import WORKLOADS, build

    _, data = build(WORKLOADS["W3"], quick=False, scale=1.0, dtype="float64")
    X, y = np.ascontiguousarray(data.X), data.y
    lambdas = lambda_max(X, y, 2, 1.0) * np.geomspace(1.0, 1e-3, args.lambdas)

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = jaxlogreg.regularization_path(
                X, y, lambdas=lambdas, l1_ratio=1.0, solver="cd", tol=1e-8, max_iter=1000
            )
        return np.asarray(path.coef)[:, None, :], np.asarray(path.intercept)[:, None]

    def glmnet():
        model = LogitNet(
            alpha=1.0, lambda_path=lambdas, standardize=False, n_splits=0, tol=1e-9, max_iter=10**6
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        coef = np.moveaxis(model.coef_path_, -1, 0)
        return coef, np.moveaxis(np.atleast_2d(model.intercept_path_), -1, 0)

    runs = {"jaxlogreg cd": ours, "glmnet LogitNet": glmnet}
    paths = {name: run() for name, run in runs.items()}  # warm-up
    times = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    values = {
        name: np.array([objective(X, y, W[k], b[k], lam, 1.0) for k, lam in enumerate(lambdas)])
        for name, (W, b) in paths.items()
    }
    best = np.minimum(*values.values())
    print(f"{args.lambdas}-λ L1 path, λ_max to 1e-3·λ_max, n = {X.shape[0]:,}, p = {X.shape[1]}")
    for name, seconds in times.items():
        gap = np.max((values[name] - best) / np.abs(best))
        runs_s = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"{name}: median {np.median(seconds):.2f} s ({runs_s}); max rel. gap {gap:.1e}")
    ratio = np.median(times["jaxlogreg cd"]) / np.median(times["glmnet LogitNet"])
    print(f"ratio jaxlogreg / glmnet: {ratio:.2f}")


if __name__ == "__main__":
    main()
