"""Determinism: the same input gives bit-identical output, run to run, on the same device."""

import hashlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import jaxlogreg
from jaxlogreg import LogisticRegression, Ridge

ROOT = Path(__file__).resolve().parent.parent


def outputs() -> list[np.ndarray]:
    """Estimator, path and functional fits on fixed data (a solver of each kind), as arrays."""
    rng = np.random.default_rng(42)
    X = rng.normal(size=(60, 4))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(60, 3)), axis=1)
    w = rng.uniform(0.5, 2.0, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = [
            LogisticRegression(C=0.5).fit(X, y, sample_weight=w),  # Newton, multinomial
            LogisticRegression(penalty="l1", C=0.5).fit(X, y),  # coordinate descent
            Ridge(alpha=2.0).fit(X, X[:, 0], sample_weight=w),  # closed form
        ]
        path = jaxlogreg.regularization_path(X, y == 1, n_lambdas=5, l1_ratio=0.5)
        result = jaxlogreg.fit(X, (y == 2).astype(float), lam=0.01, solver="lbfgs")
    arrays = [a for model in fits for a in (model.coef_, np.atleast_1d(model.intercept_))]
    arrays += [fits[0].predict_proba(X), path.coef, path.intercept, result.coef, result.intercept]
    return [np.asarray(a) for a in arrays]


def digest(arrays) -> str:
    """SHA-256 of the bytes of every array: equal digests mean bit-identical outputs."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def test_two_fits_in_one_process_are_bit_identical():
    first, second = outputs(), outputs()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.tobytes() == b.tobytes()  # also -0.0 vs 0.0 and NaN payloads


def test_two_processes_give_bit_identical_outputs():
    script = (
        "import jax; jax.config.update('jax_enable_x64', True)\n"
        "import sys; sys.path.insert(0, 'tests')\n"
        "from test_determinism import digest, outputs\n"
        "print(digest(outputs()))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            # the same environment: e.g. OPENBLAS_CORETYPE picks other kernels, other round-off
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        ).stdout.split()[-1]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert runs[0] == digest(outputs())  # and the same as this process (float64 here too)
