"""Running the suite: every selected method on every selected workload, then scoring.

A row runs in the current process or, with ``isolate=True`` (the default for full runs), in a
fresh Python process of its own (``python -m benchmarks.worker``): its peak memory is then
exact, one library's thread pools or caches cannot slow another's, a crash or a row over
``timeout_s`` becomes that row's status instead of ending the suite. The data of a workload is
generated once and handed to the rows (an ``.npz`` file for isolated rows; a sparse ``X`` as its
CSR arrays). A workload that names its methods (the sparse ones) runs those only, all of them
also at ``--quick`` size.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from . import adapters
from .data import Dataset, save_dataset
from .measure import time_calls
from .objective import GAP_TOL
from .score import score_rows, target_result
from .spec import Output, Spec
from .workloads import DENSE, WORKLOADS, build

__all__ = ["Options", "run_row", "run_suite"]

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTIONS = {
    "jaxlogreg": "jaxlogreg",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "numpy": "numpy",
    "scipy": "scipy",
    "scikit-learn": "scikit-learn",
    "glmnet": "python-glmnet",
    "glum": "glum",
    "skglm": "skglm",
    "statsmodels": "statsmodels",
}


@dataclasses.dataclass(frozen=True)
class Options:
    """What to run and how (see ``python -m benchmarks --help``)."""

    workloads: tuple[str, ...] = DENSE
    libraries: tuple[str, ...] = tuple(adapters.LIBRARIES)
    methods: tuple[str, ...] = ()
    quick: bool = False
    scale: float = 1.0
    dtype: str = "float64"
    repeats: int = 3
    budget_s: float = 30.0
    isolate: bool = True
    timeout_s: float = 900.0


def run_row(method: adapters.Method, spec: Spec, data: Dataset, options: Options) -> tuple:
    """``(row fields, Output or None)`` of one method on one workload, in this process."""
    try:
        timing = time_calls(
            method.build(spec, data),
            repeats=options.repeats,
            budget_s=options.budget_s,
            compiles=method.compiles,
        )
    except Exception as error:  # a failing library is a result, not the end of the suite
        message = "".join(traceback.format_exception_only(error)).strip()
        return {"status": "error", "error": message[-500:]}, None
    out = timing.result
    fields = {
        "status": "ok",
        "time_s": timing.median_s,
        "first_s": timing.first_s,
        "times_s": timing.times_s,
        "compile_s": timing.compile_s,
        "peak_mb": timing.peak_mb,
        "note": out.note,
    }
    return fields, out


def _run_isolated(method, spec: Spec, data_file: Path, options: Options, workdir: Path):
    """``run_row`` in a fresh ``python -m benchmarks.worker`` process."""
    task = {
        "library": method.library,
        "solver": method.solver,
        "spec": dataclasses.asdict(spec),
        "data": str(data_file),
        "options": dataclasses.asdict(options),
        "output": str(workdir / "row.npz"),
    }
    task_file = workdir / "task.json"
    task_file.write_text(json.dumps(task))
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", str(task_file)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=options.timeout_s,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"over {options.timeout_s:g} s"}, None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"status": "error", "error": " | ".join(tail)[-500:]}, None
    with np.load(task["output"], allow_pickle=False) as saved:
        fields = json.loads(str(saved["fields"]))
        if fields["status"] != "ok":
            return fields, None
        arrays = {k: saved[k] for k in saved.files if k != "fields"}
    out = Output(
        coef=arrays["coef"],
        intercept=arrays["intercept"],
        selected_lambda=fields.pop("selected_lambda"),
        fold_coef=arrays.get("fold_coef"),
        fold_intercept=arrays.get("fold_intercept"),
        note=fields.get("note", ""),
    )
    return fields, out


def _selected(method: adapters.Method, workload, options: Options) -> bool:
    """Whether ``method`` runs on ``workload``: one the workload names (when it names any),
    chosen by ``options.methods`` (key or library), and, at ``--quick`` size, one of the
    quick methods unless the workload named it."""
    if workload.methods and method.key not in workload.methods:
        return False
    if options.methods and not {method.key, method.library} & set(options.methods):
        return False
    return not options.quick or method.quick or bool(workload.methods)


_START = time.perf_counter()


def _clock() -> str:
    return f"{time.perf_counter() - _START:.0f} s"


def _run_workload(key: str, options: Options, log, save=None) -> dict:
    """One workload's scored result; ``save(result)``, if given, also gets it scored after
    every row, so that a run stopped in the middle of a workload keeps its finished rows."""
    workload = WORKLOADS[key]
    spec, data = build(workload, quick=options.quick, scale=options.scale, dtype=options.dtype)
    log(f"{key}: {workload.title} — n={spec.n_samples:,}, p={spec.n_features:,} [{_clock()}]")
    rows: list[dict] = []
    outputs: dict[int, Output] = {}
    skipped: list[dict] = []
    scores: dict = {}  # objectives computed so far (score_rows' cache)

    def result() -> dict:
        score_rows(spec, data, rows, outputs, scores)
        scored = {
            "key": key,
            "title": workload.title,
            "kind": spec.kind,
            "n": spec.n_samples,
            "p": spec.n_features,
            "n_classes": spec.n_classes,
            "l1_ratio": spec.l1_ratio,
            "lambdas": list(spec.lambdas),
            "Cs": list(spec.Cs),
            "design": workload.design,
            "nnz": int(data.X.nnz) if workload.sparse else spec.n_samples * spec.n_features,
            "rows": [dict(row) for row in rows],  # as they stand now: later rows rescore them
            "skipped": list(skipped),
        }
        if workload.target is not None:
            scored["target"] = target_result(workload.target, rows)
        return scored

    with tempfile.TemporaryDirectory(prefix=f"bench-{key}-") as tmp:
        workdir = Path(tmp)
        data_file = workdir / "data.npz"
        if options.isolate:
            save_dataset(data_file, data)
        for library in options.libraries:
            reason = adapters.missing(library)
            if reason is not None:
                skipped.append({"method": library, "reason": reason})
                continue
            for method in adapters.methods(library):
                if not _selected(method, workload, options):
                    continue
                why = method.supports(spec)
                if why is not None:
                    if why:  # "" means: not a problem this method is meant for
                        skipped.append({"method": method.key, "reason": why})
                    continue
                if options.isolate:
                    fields, out = _run_isolated(method, spec, data_file, options, workdir)
                else:
                    fields, out = run_row(method, spec, data, options)
                row = {"library": method.library, "solver": method.solver, **fields}
                row["settings"] = method.settings
                if out is not None:
                    outputs[len(rows)] = out
                rows.append(row)
                shown = row["status"]
                if out is not None:
                    shown = f"{row['time_s']:.3f} s (first {row['first_s']:.2f} s)"
                log(f"  {method.key}: {shown}")
                if save is not None:
                    save(result())
    return result()


def machine_info(dtype: str) -> dict[str, Any]:
    """CPU model, cores, Python and library versions, JAX's device."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import jax

    device = jax.devices()[0]
    versions = {}
    for name, dist in DISTRIBUTIONS.items():
        try:
            versions[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "device": f"{device.platform} ({device.device_kind})",
        "dtype": dtype,
        "versions": versions,
    }


def run_suite(options: Options, log=print, checkpoint=None) -> dict[str, Any]:
    """Run every selected workload; the JSON-ready results (``benchmarks.report`` renders).

    ``checkpoint(results)``, if given, is called after every row with the results so far (the
    current workload scored on its finished rows), so that a run cut short keeps what it ran.
    """
    import jax

    jax.config.update("jax_enable_x64", options.dtype == "float64")
    machine = machine_info(options.dtype)
    load_start = os.getloadavg()[1]  # 5-minute average: other processes sharing the cores
    results = {
        "schema": 1,
        "options": dataclasses.asdict(options),
        "gap_tol": GAP_TOL,
        "machine": machine,
        "workloads": [],
    }
    finished = results["workloads"]

    def save(partial: dict | None = None) -> None:
        machine["load_average"] = [round(load_start, 2), round(os.getloadavg()[1], 2)]
        if checkpoint is not None:
            checkpoint({**results, "workloads": finished + ([partial] if partial else [])})

    for key in options.workloads:
        finished.append(_run_workload(key, options, log, save if checkpoint else None))
        save()
    return results
