"""Iterations and wall time of the L1 / elastic-net solvers against scikit-learn.

Problems (float64, standardized features, intercept fitted):

- binary L1 on breast_cancer, ``C = 0.1``;
- multinomial L1 on wine, ``C = 0.5``;
- binary elastic net (``l1_ratio = 0.5``) on a synthetic 10,000 × 200 problem, ``C = 0.01``.

jaxlogreg's ``"prox"`` (FISTA) and ``"cd"`` (proximal Newton + coordinate descent) stop at a KKT
violation of ``1e-8``; scikit-learn's saga and liblinear run with ``tol = 1e-8``. Times are the
median of several runs after compilation. ``gap`` is the relative excess of the objective over
the best one found for the problem. liblinear penalizes its intercept (so it solves a slightly
different problem) and does not do multinomial or elastic-net fits.

Run: ``python benchmarks/sparse_table.py`` (prints a Markdown table).
"""

from __future__ import annotations

import platform
import time
import warnings

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from jaxlogreg import fit  # noqa: E402

TOL = 1e-8
REPEATS = 5


def problems():
    X, y = load_breast_cancer(return_X_y=True)
    yield (
        "binary L1, breast_cancer (569 x 30), C=0.1",
        StandardScaler().fit_transform(X),
        y,
        0.1,
        1.0,
    )
    X, y = load_wine(return_X_y=True)
    yield (
        "multinomial L1, wine (178 x 13, K=3), C=0.5",
        StandardScaler().fit_transform(X),
        y,
        0.5,
        1.0,
    )
    rng = np.random.default_rng(0)
    n, p = 10_000, 200
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:20] = rng.standard_normal(20)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w)))).astype(int)
    yield "binary EN l1_ratio=0.5, synthetic (10000 x 200), C=0.01", X, y, 0.01, 0.5


def objective(X, y, coef, intercept, lam, l1_ratio):
    Z = X @ coef.T + intercept
    if coef.shape[0] == 1:
        risk = np.mean(np.logaddexp(0, Z[:, 0]) - y * Z[:, 0])
    else:
        risk = np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])
    return risk + lam * (l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * np.sum(coef**2))


def median_time(run):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times))


def ours(X, y, C, l1_ratio, solver):
    multinomial = y.max() > 1
    targets = np.eye(y.max() + 1)[y] if multinomial else y.astype(float)
    lam = 1 / (C * len(y))
    kwargs = dict(
        lam=lam,
        l1_ratio=l1_ratio,
        loss="multinomial" if multinomial else "binary",
        solver=solver,
        max_iter=100 if solver == "cd" else 100_000,
        tol=TOL,
    )

    def run():
        result = fit(X, targets, **kwargs)
        result.objective.block_until_ready()
        return result

    run()  # compile
    result, seconds = median_time(run)
    coef, intercept = np.asarray(result.coef), np.asarray(result.intercept)
    return dict(
        iterations=int(result.n_iter),
        seconds=seconds,
        objective=objective(X, y, coef, intercept, lam, l1_ratio),
        nonzero=int(np.count_nonzero(coef)),
        converged=bool(result.converged),
    )


def sklearn(X, y, C, l1_ratio, solver):
    model = LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=TOL, max_iter=100_000)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X, y)

    fitted, seconds = median_time(run)
    n_iter = int(np.max(fitted.n_iter_))
    return dict(
        iterations=n_iter,
        seconds=seconds,
        objective=objective(X, y, fitted.coef_, fitted.intercept_, 1 / (C * len(y)), l1_ratio),
        nonzero=int(np.count_nonzero(fitted.coef_)),
        converged=n_iter < 100_000,
    )


def main():
    rows = []
    for name, X, y, C, l1_ratio in problems():
        results = {
            "jaxlogreg prox": ours(X, y, C, l1_ratio, "prox"),
            "jaxlogreg cd": ours(X, y, C, l1_ratio, "cd"),
            "sklearn saga": sklearn(X, y, C, l1_ratio, "saga"),
        }
        if l1_ratio == 1 and y.max() == 1:
            results["sklearn liblinear*"] = sklearn(X, y, C, l1_ratio, "liblinear")
        best = min(r["objective"] for r in results.values())
        for solver, r in results.items():
            gap = (r["objective"] - best) / abs(best)
            rows.append(
                f"| {name} | {solver} | {r['iterations']} | {1e3 * r['seconds']:.1f} | "
                f"{gap:.1e} | {r['nonzero']} | {'yes' if r['converged'] else 'no'} |"
            )
    print(f"CPU: {platform.processor() or platform.machine()}, jax {jax.__version__}, float64\n")
    print("| problem | solver | iterations | time (ms) | gap | nonzeros | converged |")
    print("|---|---|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    print(
        "\niterations: outer proximal-Newton steps for cd, FISTA steps for prox, epochs for "
        "saga, liblinear's iterations. *liblinear penalizes the intercept."
    )


if __name__ == "__main__":
    main()
