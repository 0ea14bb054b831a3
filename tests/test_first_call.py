"""What a first call traces and compiles: folds of a cross-validation share one program, a refit
on another row count of the same row bucket reuses it, ridge fits of nearby widths share one
(zero columns, which change no fit), and ``import jaxlogreg`` loads neither the command line
nor the plotting code. Counts, never times: JAX's monitoring events say how many functions
were traced to a jaxpr and how many programs XLA compiled (``jax.monitoring``)."""

import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import numpy as np
import pytest
import scipy.sparse
from conftest import LOADERS, standardized
from jax import monitoring
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from jaxlogreg import LogisticRegression
from jaxlogreg.engine.shapes import MIN_COLUMNS, bucket_columns, bucket_rows, column_bucket
from jaxlogreg.estimators import _placement

ROOT = Path(__file__).resolve().parent.parent
TRACED = "/jax/core/compile/jaxpr_trace_duration"
COMPILED = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def counted():
    """Counts of ``TRACED`` and ``COMPILED`` events while the block runs, after emptying JAX's
    in-memory caches (so that an earlier test's programs do not hide a compilation)."""
    counts = {TRACED: 0, COMPILED: 0}

    def record(event, duration, **kwargs):
        if event in counts:
            counts[event] += 1

    jax.clear_caches()
    monitoring.register_event_duration_secs_listener(record)
    try:
        yield counts
    finally:
        monitoring.unregister_event_duration_listener(record)


def test_a_refit_on_another_row_count_of_the_same_bucket_compiles_nothing():
    X, y = standardized("breast_cancer")
    assert bucket_rows(X[:400]) == bucket_rows(X[:460])  # one bucket (engine.shapes)
    with counted() as counts:
        LogisticRegression().fit(X[:400], y[:400])
        first = dict(counts)
        LogisticRegression(C=0.5).fit(X[:460], y[:460])
    assert first[COMPILED] >= 1  # the counter sees a compilation
    assert counts == first


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_cross_validation_over_five_folds_compiles_one_program(name):
    """Every training fold (4/5 of the rows, give or take one) falls in one row bucket and has
    every class, so the five fits are one solve program of one shape: one trace, one
    compilation (the estimator's checks and post-processing run in NumPy)."""
    X, y = LOADERS[name](return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())
    cross_val_score(pipeline, X, y)  # a warm-up: the compiler options' probes, once a process
    with counted() as counts:
        scores = cross_val_score(pipeline, X, y)
    assert scores.mean() > 0.85
    assert counts == {TRACED: 1, COMPILED: 1}


def test_ridge_fits_of_iris_and_wine_share_one_program():
    """iris (4 features) and wine (13) are padded to 16 columns and 512 rows (``engine.shapes``):
    one program for both; a lasso fit keeps its own width."""
    iris, wine = standardized("iris"), standardized("wine")
    assert column_bucket(iris[0].shape[1]) == column_bucket(wine[0].shape[1])
    with counted() as counts:
        LogisticRegression().fit(*iris)
        first = dict(counts)
        model = LogisticRegression(C=3.0).fit(*wine)
    assert first[COMPILED] == 1 and counts == first
    assert model.coef_.shape == (3, wine[0].shape[1])


def test_only_problems_a_compilation_dwarfs_are_widened():
    """Zero columns adding at most ``SMALL_PASS`` elements to a pass: iris is widened, a
    100,000-row problem and a sparse ``X`` keep their columns."""
    assert bucket_columns(np.empty((120, 4))) == column_bucket(4) == MIN_COLUMNS
    assert bucket_columns(np.empty((100_000, 10))) == 10
    assert bucket_columns(scipy.sparse.random(120, 4, density=0.5, format="csr")) == 4


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "newton-cg", "cd"])
@pytest.mark.parametrize("name", ["iris", "breast_cancer"])
def test_padding_columns_changes_no_fit(monkeypatch, solver, name):
    """The same iterations and coefficients with and without the zero columns."""
    X, y = standardized(name, columns=slice(0, 5))
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    model = LogisticRegression(solver=solver, C=0.3, tol=1e-8, max_iter=500)
    padded = clone(model).fit(X, y, sample_weight=weights)
    monkeypatch.setattr(_placement, "bucket_columns", lambda X: X.shape[1])
    unpadded = clone(model).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(padded.n_iter_, unpadded.n_iter_)
    np.testing.assert_allclose(padded.coef_, unpadded.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(padded.intercept_, unpadded.intercept_, rtol=1e-9, atol=1e-12)


def test_importing_the_library_loads_no_command_line_or_plotting_code():
    script = textwrap.dedent(
        """
        import sys
        import jaxlogreg
        unused = ["jaxlogreg.cli", "jaxlogreg.plot", "matplotlib"]
        print(",".join(name for name in unused if name in sys.modules))
        from jaxlogreg.out_of_core import logistic_regression
        assert jaxlogreg.out_of_core.logistic_regression is logistic_regression
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["", "ok"]
