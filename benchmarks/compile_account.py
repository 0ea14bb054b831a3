"""Where the first call goes: tracing, lowering and XLA compilation of every entry point.

Each entry point runs in a fresh process on a small problem (breast_cancer-sized, 569 × 30) and
a large one (100,000 × 100, the suite's W1 data), float64 on the default device. JAX's own
monitoring events give the time spent tracing to a jaxpr, lowering it to StableHLO and compiling
it (XLA's backend), and the number of programs compiled; ``first`` is the whole first call and
``warm`` the median of three more.

    python -m benchmarks.compile_account [--sizes small,large] [--output DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from .report import table, write_table

ENTRY_POINTS = {
    "fit newton": "jaxlogreg.fit(X, y, lam=lam, solver='newton')",
    "fit lbfgs": "jaxlogreg.fit(X, y, lam=lam, solver='lbfgs')",
    "fit newton-cg": "jaxlogreg.fit(X, y, lam=lam, solver='newton-cg')",
    "fit cd (L2)": "jaxlogreg.fit(X, y, lam=lam, solver='cd')",
    "fit cd (L1)": "jaxlogreg.fit(X, y, lam=lmax / 20, l1_ratio=1.0, solver='cd')",
    "fit prox (L1)": "jaxlogreg.fit(X, y, lam=lmax / 20, l1_ratio=1.0, solver='prox')",
    "LogisticRegression()": "jaxlogreg.LogisticRegression().fit(X, y)",
    "L1 path 50 λ": "jaxlogreg.regularization_path(X, y, lambdas=lambdas, l1_ratio=1.0)",
    "L1 path without screening": (
        "jaxlogreg.regularization_path(X, y, lambdas=lambdas, l1_ratio=1.0, screening=False)"
    ),
    "LogisticRegressionCV 10 C": "jaxlogreg.LogisticRegressionCV(Cs=10).fit(X, y)",
    "bootstrap 100 resamples": "jaxlogreg.bootstrap.bootstrap(model, X, y, n_resamples=100)",
    "hypergradient d coef / d lam": (
        "jax.grad(lambda t: jaxlogreg.fit(X, y, lam=t).coef.sum())(lam)"
    ),
}

_SCRIPT = """
import json, statistics, sys, time
import jax
jax.config.update("jax_enable_x64", True)
from jax import monitoring
import numpy as np
import jaxlogreg
from benchmarks.data import make_dataset
from benchmarks.objective import lambda_max

events = {{}}
def record(event, duration, **kwargs):
    events[event] = events.get(event, 0.0) + duration
    if event.endswith("backend_compile_duration"):
        events["programs"] = events.get("programs", 0) + 1

n, p = {shape}
data = make_dataset(n, p)
X, y = data.X, data.y
lam = 1.0 / n
lmax = lambda_max(X, y, 2, 1.0)
lambdas = lmax * np.geomspace(1.0, 1e-3, 50)
model = jaxlogreg.LogisticRegression().fit(X, y) if {needs_model} else None
jax.clear_caches()
monitoring.register_event_duration_secs_listener(record)

def call():
    jax.block_until_ready(jax.tree.leaves({expression}))

start = time.perf_counter()
call()
first = time.perf_counter() - start
compiled = dict(events)
warm = []
for _ in range(3):
    start = time.perf_counter()
    call()
    warm.append(time.perf_counter() - start)
print(json.dumps({{
    "first_s": first,
    "warm_s": statistics.median(warm),
    "trace_s": compiled.get("/jax/core/compile/jaxpr_trace_duration", 0.0),
    "lower_s": compiled.get("/jax/core/compile/jaxpr_to_mlir_module_duration", 0.0),
    "compile_s": compiled.get("/jax/core/compile/backend_compile_duration", 0.0),
    "programs": compiled.get("programs", 0),
}}))
"""

SIZES = {"small": (569, 30), "large": (100_000, 100)}


def account(entry: str, size: str) -> dict:
    """One entry point at one size, in a fresh process."""
    script = _SCRIPT.format(
        shape=SIZES[size],
        expression=ENTRY_POINTS[entry],
        needs_model="bootstrap" in entry,
    )
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode:
        raise RuntimeError(f"{entry} ({size}) failed:\n{done.stderr[-2000:]}")
    return {"entry": entry, "size": size, **json.loads(done.stdout.strip().splitlines()[-1])}


def as_markdown(rows: list[dict]) -> str:
    header = ["entry point", "size", "first (s)", "trace (s)", "lower (s)", "XLA compile (s)"]
    header += ["programs", "warm (s)"]
    cells = []
    for r in rows:
        n, p = SIZES[r["size"]]
        times = (f"{r[key]:.2f}" for key in ("first_s", "trace_s", "lower_s", "compile_s"))
        cells.append([r["entry"], f"{n:,} x {p}", *times, str(r["programs"]), f"{r['warm_s']:.3f}"])
    return table(header, cells)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--entries", default=",".join(ENTRY_POINTS), help="comma-separated")
    parser.add_argument("--output", type=Path, default=None, help="folder for the .json/.md")
    args = parser.parse_args(argv)
    rows = []
    for size in args.sizes.split(","):
        for entry in args.entries.split(","):
            rows.append(account(entry, size))
            print(as_markdown(rows[-1:]).splitlines()[-1], flush=True)
    write_table(args.output, "compile-account", rows, as_markdown(rows))


if __name__ == "__main__":
    main()
