"""First-call latency: short scripts timed in fresh processes, jaxlogreg beside its peers.

Every scenario is a complete script run in a new Python process, once per library, so the times
include importing, tracing and compiling, as a user running the script feels them. jaxlogreg
runs twice: ``cold`` (no persistent compilation cache: every program is compiled) and
``cached`` (``jaxlogreg.enable_compilation_cache`` on a folder a previous, untimed run of the same
script filled). Each process reports its whole wall time and the time of its work alone (after
the imports and the data); the figures are medians over ``--repeats`` processes. Each also
reports its imports (the script's first line to its data), and a jaxlogreg process where its
work went, from JAX's monitoring events: tracing to jaxprs, lowering to StableHLO, compiling or
loading from the cache (``compile / load``), and how many programs it compiled or loaded.

Scenarios:
- ``cross_val_score``: scikit-learn's ``cross_val_score`` (5 folds, a ``StandardScaler``
  pipeline) on the four bundled datasets (breast_cancer, digits, wine, iris), default estimator.
- ``grid_search``: ``GridSearchCV`` over 10 ``C`` in ``logspace(-3, 3)`` on digits (5 folds).
- ``l1_path``: a 50-``λ`` lasso path from ``λ_max`` to ``10⁻³·λ_max`` on the suite's W3 data
  (100,000 × 100), against glmnet (``LogitNet``, ``standardize=False``, ``tol=1e-9``).
- ``subsamples``: 100 default fits on random subsamples of breast_cancer of 100 to 569 rows.

    python -m benchmarks.latency [--scenarios a,b] [--repeats 3] [--output DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from .report import table, write_table

_PRELUDE = """
import json, time, warnings
first_line = time.perf_counter()
warnings.simplefilter("ignore")
LIB, CACHE = {lib!r}, {cache!r}
events = {{}}
if LIB == "jaxlogreg":
    import jax
    jax.config.update("jax_enable_x64", True)
    def record(event, duration, **kwargs):
        events[event] = events.get(event, 0.0) + duration
        events[event + "#"] = events.get(event + "#", 0) + 1
    jax.monitoring.register_event_duration_secs_listener(record)
    import jaxlogreg
    if CACHE:
        jaxlogreg.enable_compilation_cache(CACHE)
    from jaxlogreg import LogisticRegression
else:
    from sklearn.linear_model import LogisticRegression
"""

_SCENARIOS = {
    "cross_val_score": (
        ("scikit-learn", "jaxlogreg"),
        """
        from sklearn import datasets
        from sklearn.model_selection import cross_val_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        loaders = ("breast_cancer", "digits", "wine", "iris")
        data = [getattr(datasets, "load_" + name)(return_X_y=True) for name in loaders]
        start = time.perf_counter()
        scores = [
            cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y).mean()
            for X, y in data
        ]
        """,
    ),
    "grid_search": (
        ("scikit-learn", "jaxlogreg"),
        """
        import numpy as np
        from sklearn.datasets import load_digits
        from sklearn.model_selection import GridSearchCV
        from sklearn.preprocessing import StandardScaler
        X, y = load_digits(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        start = time.perf_counter()
        search = GridSearchCV(LogisticRegression(), {"C": np.logspace(-3, 3, 10)}).fit(X, y)
        scores = [search.best_score_]
        """,
    ),
    "l1_path": (
        ("glmnet", "jaxlogreg"),
        """
        import numpy as np
        from benchmarks.data import make_dataset
        from benchmarks.objective import lambda_max
        data = make_dataset(100_000, 100)
        lmax = lambda_max(data.X, data.y, 2, 1.0)
        lambdas = lmax * np.geomspace(1.0, 1e-3, 50)
        start = time.perf_counter()
        if LIB == "jaxlogreg":
            path = jaxlogreg.regularization_path(data.X, data.y, lambdas=lambdas, l1_ratio=1.0)
            scores = [float(np.count_nonzero(path.coef[-1]))]
        else:
            from glmnet import LogitNet
            model = LogitNet(alpha=1.0, lambda_path=lambdas, standardize=False, n_splits=0,
                             tol=1e-9, max_iter=1_000_000).fit(data.X, data.y)
            scores = [float(np.count_nonzero(model.coef_path_[..., -1]))]
        """,
    ),
    "subsamples": (
        ("scikit-learn", "jaxlogreg"),
        """
        import numpy as np
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler
        X, y = load_breast_cancer(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        rng = np.random.default_rng(0)
        sizes = rng.integers(100, len(X) + 1, 100)
        start = time.perf_counter()
        scores = []
        for size in sizes:
            rows = rng.choice(len(X), size, replace=False)
            scores.append(LogisticRegression().fit(X[rows], y[rows]).score(X, y))
        """,
    ),
}

_EPILOGUE = """
phases = {"trace_s": "jaxpr_trace_duration", "lower_s": "jaxpr_to_mlir_module_duration",
          "compile_s": "backend_compile_duration"}
print(json.dumps({
    "work_s": time.perf_counter() - start, "score": float(sum(scores)),
    "imports_s": start - first_line,
    "programs": events.get("/jax/core/compile/backend_compile_duration#", 0),
    **{key: events.get("/jax/core/compile/" + name, 0.0) for key, name in phases.items()},
}))
"""
#: Per-process figures, each a median over the repeats.
_FIGURES = ("process_s", "work_s", "imports_s", "trace_s", "lower_s", "compile_s", "programs")


def _script(scenario: str, lib: str, cache: str | None) -> str:
    body = textwrap.dedent(_SCENARIOS[scenario][1])
    return _PRELUDE.format(lib=lib, cache=cache) + body + _EPILOGUE


def run_process(scenario: str, lib: str, cache: str | None = None) -> dict:
    """One fresh process of ``scenario`` with ``lib``: its wall and work times."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _script(scenario, lib, cache)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    wall = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{scenario}/{lib} failed:\n{done.stderr[-2000:]}")
    return {"process_s": wall, **json.loads(done.stdout.strip().splitlines()[-1])}


def measure(scenario: str, repeats: int) -> list[dict]:
    """Median process and work times of every library (and jaxlogreg cold and cached)."""
    peer, _ = _SCENARIOS[scenario][0]
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        run_process(scenario, "jaxlogreg", cache)  # fills the cache
        for lib, mode, folder in (
            (peer, "", None),
            ("jaxlogreg", "cold", None),
            ("jaxlogreg", "cached", cache),
        ):
            runs = [run_process(scenario, lib, folder) for _ in range(repeats)]
            row = {"scenario": scenario, "library": f"{lib} ({mode})" if mode else lib}
            row |= {key: statistics.median(r[key] for r in runs) for key in _FIGURES}
            rows.append(row | {"score": runs[0]["score"]})
    base = rows[0]
    for row in rows:
        row["process_ratio"] = row["process_s"] / base["process_s"]
        row["work_ratio"] = row["work_s"] / base["work_s"]
    return rows


def as_markdown(rows: list[dict]) -> str:
    header = ["scenario", "library", "whole process (s)", "ratio", "work alone (s)", "ratio"]
    header += ["imports (s)", "trace (s)", "lower (s)", "compile / load (s)", "programs"]
    cells = [
        [
            r["scenario"],
            r["library"],
            f"{r['process_s']:.2f}",
            f"{r['process_ratio']:.2f}x",
            f"{r['work_s']:.3f}",
            f"{r['work_ratio']:.2f}x",
            f"{r['imports_s']:.2f}",
            *(f"{r[key]:.3f}" for key in ("trace_s", "lower_s", "compile_s")),
            f"{r['programs']:g}",
        ]
        for r in rows
    ]
    return table(header, cells)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(_SCENARIOS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=None, help="folder for latency.json/.md")
    args = parser.parse_args(argv)
    rows = []
    for scenario in args.scenarios.split(","):
        rows += measure(scenario, args.repeats)
        print(as_markdown([r for r in rows if r["scenario"] == scenario]), flush=True)
    write_table(args.output, "latency", rows, as_markdown(rows))


if __name__ == "__main__":
    main()
