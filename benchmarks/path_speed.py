"""Speed of a 100-λ lasso path: ``jaxlogreg.path`` against python-glmnet's ``LogitNet``.

Run ``python benchmarks/path_speed.py`` (options: ``--help``). Synthetic binary data, float64:
``X`` standard normal ``(n, p)``, ten true nonzero coefficients, labels drawn from the logistic
model (fixed seed). Both libraries solve the same problem (glmnet convention, ``α = 1``,
``standardize=False``) on the same grid of ``--n-lambdas`` values from ``λ_max`` down to
``10⁻⁴·λ_max``, to comparable tolerances. Times are the median of ``--repeats`` runs after a
warm-up; the compile time of the jitted path is measured separately (ahead-of-time ``lower`` +
``compile``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from jaxlogreg.losses import BINARY  # noqa: E402
from jaxlogreg.path import _path, lambda_max, null_init  # noqa: E402


def make_data(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:10] = rng.choice([-1.0, 1.0], 10) * rng.uniform(0.5, 1.5, 10)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(X @ beta - 0.3)))).astype(np.float64)
    return X, y


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--p", type=int, default=100)
    parser.add_argument("--n-lambdas", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-7)
    args = parser.parse_args()

    X, y = make_data(args.n, args.p)
    Xj, T = jnp.asarray(X), jnp.asarray(y)[:, None]
    w, factor = jnp.ones(args.n), jnp.ones(args.p)
    lmax = float(lambda_max(Xj, T, w, 1.0, loss=BINARY, fit_intercept=True))
    lambdas = lmax * np.geomspace(1.0, 1e-4, args.n_lambdas)
    init = null_init(Xj, T, w, loss=BINARY, fit_intercept=True)
    arrays = (Xj, T, w, jnp.asarray(lambdas), 1.0, factor, init, args.tol)
    rows = []
    for screening in (True, False):
        static = dict(
            loss=BINARY, solver="cd", fit_intercept=True, max_iter=1000, screening=screening
        )
        start = time.perf_counter()
        compiled = _path.lower(*arrays, **static).compile()
        compile_s = time.perf_counter() - start
        result = compiled(*arrays)
        jax.block_until_ready(result)
        run_s = median_time(lambda c=compiled: jax.block_until_ready(c(*arrays)), args.repeats)
        rows.append((f"jaxlogreg cd (screening={screening})", run_s, compile_s, result))

    from glmnet import LogitNet

    def glmnet_fit():
        return LogitNet(
            alpha=1.0,
            lambda_path=lambdas,
            standardize=False,
            n_splits=0,
            tol=1e-7,
            max_iter=100_000,
        ).fit(X, y)

    ref_s = median_time(glmnet_fit, args.repeats)
    ref = glmnet_fit()

    def objective(W, b, lam):
        z = X @ W + b
        return np.mean(np.logaddexp(0.0, z) - y * z) + lam * np.sum(np.abs(W))

    f_ref = np.array(
        [
            objective(ref.coef_path_[0, :, i], ref.intercept_path_[0, i], lam)
            for i, lam in enumerate(lambdas)
        ]
    )
    print(
        f"{args.n_lambdas}-λ lasso path, n = {args.n}, p = {args.p}, float64, "
        f"{jax.devices()[0].platform}, {jax.local_device_count()} device(s)\n"
    )
    print("| method | time (s) | compile (s) | time / glmnet | max rel. objective gap |")
    print("|---|---|---|---|---|")
    for name, run_s, compile_s, result in rows:
        gap = np.max((np.asarray(result.objective) - f_ref) / f_ref)
        print(f"| {name} | {run_s:.3f} | {compile_s:.2f} | {run_s / ref_s:.2f} | {gap:+.1e} |")
    print(f"| glmnet LogitNet | {ref_s:.3f} | n/a | 1.00 | 0 |")
    print(
        f"\niterations (jaxlogreg, total over λ): {int(np.sum(rows[0][3].n_iter))}; "
        f"columns discarded by the strong rule (mean over λ): "
        f"{float(np.mean(rows[0][3].n_discarded)):.1f}"
    )


if __name__ == "__main__":
    main()
