"""Bootstrap of a logistic regression: B refits in one compiled call against a loop of fits.

Data: 10,000 × 20 standard-normal features, binary labels from a logistic model; the estimator
is ``LogisticRegression(C=1.0)`` (Newton). ``jaxlogreg.bootstrap.bootstrap`` runs all refits in one
compiled program (``jax.vmap`` of the solver over resampling weights, in chunks); the baseline
refits the estimator once per resample in a Python loop (the same resampling weights, passed as
``sample_weight``), timed on ``--loop`` resamples and extrapolated to B.

    python benchmarks/bootstrap_speed.py [--resamples 1000] [--loop 50] [--float32]
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--loop", type=int, default=50, help="loop fits timed (extrapolated)")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--float32", action="store_true")
    parser.add_argument("--solver", default="auto", help="the fitted model's (and refits') solver")
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", not args.float32)

    from jaxlogreg import LogisticRegression
    from jaxlogreg.bootstrap import bootstrap, resampling_weights

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.samples, args.features))
    beta = rng.normal(size=args.features) / np.sqrt(args.features)
    y = (rng.random(args.samples) < 1 / (1 + np.exp(-X @ beta))).astype(int)
    model = LogisticRegression(C=1.0, solver=args.solver).fit(X, y)
    B = args.resamples
    print(
        f"{args.samples} x {args.features}, B = {B}, solver {model.solver_!r}, "
        f"{'float32' if args.float32 else 'float64'}, {jax.devices()[0].platform}"
    )

    timings = []
    for seed in (0, 1):  # the first call compiles
        start = time.perf_counter()
        result = bootstrap(
            model, X, y, n_resamples=B, random_state=seed, batch_size=args.batch_size
        )
        result.samples.sum()  # results are on the host: the call has finished
        timings.append(time.perf_counter() - start)
    print(
        f"one compiled call: {timings[0]:.2f} s with compilation, {timings[1]:.2f} s without "
        f"({result.converged.mean():.0%} converged)"
    )

    weights = np.asarray(resampling_weights(jax.random.key(1), args.loop, args.samples))
    LogisticRegression(C=1.0).fit(X, y, sample_weight=weights[0])  # compiled once, up front
    start = time.perf_counter()
    for w in weights:
        LogisticRegression(C=1.0).fit(X, y, sample_weight=w)
    loop = (time.perf_counter() - start) / args.loop * B
    print(f"Python loop of fits: {loop:.2f} s for {B} (timed {args.loop}, extrapolated)")
    print(f"ratio loop / compiled call: {loop / timings[1]:.1f}x")


if __name__ == "__main__":
    main()
