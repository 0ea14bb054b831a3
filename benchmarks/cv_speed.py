"""Cross-validation speed: 5 folds × 20 Cs, binary L2, 100,000 × 100 synthetic float64 data.

``jaxlogreg.LogisticRegressionCV`` (all fits in one batched, compiled program) against
scikit-learn's ``LogisticRegressionCV`` (sequential, and ``n_jobs=2``), on the same folds,
grid, scoring (``neg_log_loss``) and tolerance. Times are medians of 3 runs after a warm-up
run; the first jaxlogreg run's extra time (compilation) is reported separately. Accuracy is on
a held-out set of 20,000 samples. Prints a Markdown table.

Run: ``python benchmarks/cv_speed.py``
"""

from __future__ import annotations

import statistics
import time
import warnings

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402

from jaxlogreg import LogisticRegressionCV  # noqa: E402

N_TRAIN, N_TEST, N_FEATURES, N_CS, N_FOLDS, SEED = 100_000, 20_000, 100, 20, 5, 0


def synthetic():
    """Correlated Gaussian features, a sparse-ish true weight vector, Bernoulli labels."""
    rng = np.random.default_rng(SEED)
    n = N_TRAIN + N_TEST
    mixing = rng.normal(size=(N_FEATURES, N_FEATURES)) / np.sqrt(N_FEATURES)
    X = rng.normal(size=(n, N_FEATURES)) @ (np.eye(N_FEATURES) + 0.3 * mixing)
    w = rng.normal(size=N_FEATURES) * (rng.random(N_FEATURES) < 0.3)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w * 0.5 + 0.2)))).astype(int)
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def timed(make, X, y, repeats=3):
    """(first run's seconds, median of ``repeats`` later runs, fitted model)."""
    start = time.perf_counter()
    model = make().fit(X, y)
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = make().fit(X, y)
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), model


def main():
    X, y, X_test, y_test = synthetic()
    common = dict(Cs=N_CS, cv=N_FOLDS, scoring="neg_log_loss", tol=1e-6, max_iter=100)
    rows = []
    first, median, ours = timed(lambda: LogisticRegressionCV(**common), X, y)
    rows.append(("jaxlogreg (one batched program)", median, first - median, ours))
    for n_jobs in (None, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            _, median, reference = timed(
                lambda n_jobs=n_jobs: SkLogisticRegressionCV(
                    l1_ratios=(0,), n_jobs=n_jobs, use_legacy_attributes=True, **common
                ),
                X,
                y,
            )
        rows.append((f"scikit-learn lbfgs, n_jobs={n_jobs}", median, None, reference))

    baseline = rows[1][1]
    print(
        f"{N_FOLDS}-fold x {N_CS}-C CV, binary L2, {N_TRAIN:,} x {N_FEATURES} float64, "
        f"device {jax.devices()[0].platform}\n"
    )
    print(
        "| implementation | fit (s, median of 3) | compile (s) | speed-up vs sklearn n_jobs=None "
        "| best C | held-out accuracy |"
    )
    print("|---|---|---|---|---|---|")
    for name, median, compile_s, model in rows:
        compile_text = f"{compile_s:.2f}" if compile_s is not None else "-"
        print(
            f"| {name} | {median:.2f} | {compile_text} | {baseline / median:.2f}x "
            f"| {model.C_[0]:.4g} | {accuracy_score(y_test, model.predict(X_test)):.4f} |"
        )


if __name__ == "__main__":
    main()
