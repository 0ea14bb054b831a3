"""A very wide sparse fit: 200,000 × 10,000,000 CSR (16 TB dense), wall time and peak memory.

Run ``python benchmarks/wide_sparse.py`` (options: ``--help``). Each row has ``--nnz`` values
``1/√nnz`` in uniformly drawn columns; the labels come from a logistic model on 5,000 random
columns (fixed seed). Each fitter runs in a fresh process that builds the same matrix and
reports the fit's wall time (compilation included), its iterations, its objective in the
scikit-learn convention, and the process's peak resident memory (``ru_maxrss``), beside the
CSR's own bytes: jaxlogreg's ``LogisticRegression`` (default solver) and scikit-learn's
``lbfgs``. Not part of the test suite: it takes minutes and several GB of memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np, scipy.sparse
fitter, n, p, r, C = sys.argv[1], *map(int, sys.argv[2:5]), float(sys.argv[5])
rng = np.random.default_rng(0)
X = scipy.sparse.csr_matrix(
    (np.full(n * r, r ** -0.5), rng.integers(0, p, n * r), np.arange(0, n * r + 1, r)), (n, p)
)
X.sum_duplicates()
w = np.zeros(p)
w[rng.integers(0, p, 5000)] = 3 * rng.normal(size=5000)
y = (X @ w + rng.logistic(size=n) > 0).astype(int)
if fitter == "jaxlogreg":
    import jax
    jax.config.update("jax_enable_x64", True)
    from jaxlogreg import LogisticRegression
    model = LogisticRegression(C=C, tol=1e-6, max_iter=500)
else:
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(C=C, tol=1e-6, max_iter=500)
start = time.perf_counter()
model.fit(X, y)
seconds = time.perf_counter() - start
z = X @ model.coef_[0] + model.intercept_[0]
objective = C * np.sum(np.logaddexp(0, z) - y * z) + 0.5 * np.sum(model.coef_ ** 2)
print(json.dumps({
    "fitter": fitter, "seconds": seconds, "n_iter": int(np.max(model.n_iter_)),
    "objective": float(objective),
    "solver": str(getattr(model, "solver_", model.solver)),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
    "csr_mb": (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 1e6,
}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cols", type=int, default=10_000_000)
    parser.add_argument("--nnz", type=int, default=20, help="stored values a row")
    parser.add_argument("--C", type=float, default=10.0)
    parser.add_argument("--fitters", default="jaxlogreg,sklearn")
    args = parser.parse_args(argv)
    for fitter in args.fitters.split(","):
        options = [str(v) for v in (args.rows, args.cols, args.nnz, args.C)]
        run = subprocess.run(
            [sys.executable, "-c", CHILD, fitter, *options], capture_output=True, text=True
        )
        if run.returncode != 0:
            print(json.dumps({"fitter": fitter, "error": run.stderr.strip()[-500:]}))
            continue
        print(run.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
