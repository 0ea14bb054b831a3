"""Out-of-core fit of a 20,000,000 x 50 float32 ``.npy`` file (4 GB): wall time and peak memory.

Run ``python benchmarks/out_of_core.py`` (options: ``--help``). It writes, chunk by chunk (so in
bounded memory), ``X.npy`` (``--rows`` x ``--features`` standard normal float32) and ``y.npy``
(0/1 labels drawn from a logistic model, fixed seed) under ``--dir``, then:

1. fits the ridge logistic regression (glmnet convention, ``λ = --lam``) on the whole file with
   ``jaxlogreg.fit_out_of_core`` in a fresh process, and reports its wall time, number of
   passes and peak resident memory (VmHWM, and ``ru_maxrss`` of the finished child);
2. writes the first ``--compare-rows`` rows to a smaller copy and fits it both out of core and
   in memory (``jaxlogreg.fit``), each in its own process, and reports the largest coefficient
   difference.

Computation is in float64 (the float32 data are cast chunk by chunk). The files are deleted at
the end unless ``--keep``. Not part of the test suite: it takes minutes and 4 GB of disk.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import json, sys, time
import jax
jax.config.update("jax_enable_x64", True)
import numpy as np
import jaxlogreg
mode, X, y, lam, chunk_rows, tol = sys.argv[1:7]
passes = []
start = time.perf_counter()
if mode == "out_of_core":
    result = jaxlogreg.fit_out_of_core(
        X, y, lam=float(lam), chunk_rows=int(chunk_rows), tol=float(tol),
        progress=lambda info: (passes.append(info.passes),
                               print(f"  iteration {info.iteration}: {info.passes} passes, "
                                     f"max|grad| {info.kkt_violation:.2e}, {info.seconds:.0f} s",
                                     file=sys.stderr, flush=True)))
else:
    X, y = np.load(X).astype(np.float64), np.load(y)
    result = jaxlogreg.fit(X, y, lam=float(lam), tol=float(tol))
coef = np.concatenate([np.ravel(result.coef), np.ravel(result.intercept)])
seconds = time.perf_counter() - start
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
print(json.dumps({"seconds": seconds, "coef": coef.tolist(), "n_iter": int(result.n_iter),
                  "converged": bool(result.converged), "passes": passes[-1] if passes else None,
                  "vm_hwm_kb": int(status["VmHWM"].split()[0])}))
"""


def write_npy(path: Path, shape: tuple[int, ...], dtype, blocks) -> None:
    """Write a ``.npy`` file of ``shape`` from an iterator of row blocks (bounded memory)."""
    with open(path, "wb") as file:
        header = {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(file, header)
        for block in blocks:
            file.write(np.ascontiguousarray(block, dtype).tobytes())


def generate(folder: Path, n: int, p: int, chunk: int, seed: int = 0) -> np.ndarray:
    """``X.npy``, ``y.npy`` from the logistic model with coefficients ``β``; returns ``β, b``."""
    rng = np.random.default_rng(seed)
    beta = rng.normal(scale=1 / np.sqrt(p), size=p)
    intercept = -0.5
    labels = []

    def rows():
        for start in range(0, n, chunk):
            X = rng.standard_normal((min(chunk, n - start), p), dtype=np.float32)
            margin = X.astype(np.float64) @ beta + intercept
            labels.append((rng.uniform(size=len(X)) < 1 / (1 + np.exp(-margin))).astype(np.int8))
            yield X

    write_npy(folder / "X.npy", (n, p), np.float32, rows())
    write_npy(folder / "y.npy", (n,), np.int8, labels)
    return np.concatenate([beta, [intercept]])


def copy_rows(source: Path, target: Path, rows: int, chunk: int) -> None:
    data = np.load(source, mmap_mode="r")
    blocks = (data[a : min(a + chunk, rows)] for a in range(0, rows, chunk))
    write_npy(target, (rows, *data.shape[1:]), data.dtype, blocks)


def child(mode: str, X: Path, y: Path, args) -> dict:
    command = [sys.executable, "-c", CHILD, mode, str(X), str(y), str(args.lam)]
    command += [str(args.chunk_rows), str(args.tol)]
    run = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=3600, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--chunk-rows", type=int, default=65_536)
    parser.add_argument("--compare-rows", type=int, default=1_000_000)
    parser.add_argument("--lam", type=float, default=1e-4)
    parser.add_argument("--tol", type=float, default=1e-10)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/jaxlogreg-out-of-core"))
    parser.add_argument("--keep", action="store_true", help="keep the data files")
    args = parser.parse_args()

    n, p = args.rows, args.features
    needed = (n * (4 * p + 1) + args.compare_rows * (4 * p + 1)) * 1.1
    args.dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(args.dir).free
    if free < needed:
        sys.exit(f"{args.dir}: {free / 1e9:.1f} GB free, {needed / 1e9:.1f} GB needed")
    try:
        start = time.perf_counter()
        truth = generate(args.dir, n, p, args.chunk_rows)
        size = (args.dir / "X.npy").stat().st_size
        seconds = time.perf_counter() - start
        print(f"wrote {n:,} x {p} float32 ({size / 1e9:.2f} GB) in {seconds:.0f} s")

        full = child("out_of_core", args.dir / "X.npy", args.dir / "y.npy", args)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB, this child only
        error = np.max(np.abs(np.asarray(full["coef"]) - truth))
        print(
            f"out of core, {n:,} rows: {full['seconds']:.0f} s, {full['n_iter']} Newton "
            f"iterations, {full['passes']} passes, converged {full['converged']}; peak RSS "
            f"{full['vm_hwm_kb'] / 1024:.0f} MB (VmHWM), {peak / 1024:.0f} MB (ru_maxrss); "
            f"max |coef - true coef| {error:.4f}"
        )

        m = args.compare_rows
        copy_rows(args.dir / "X.npy", args.dir / "X_small.npy", m, args.chunk_rows)
        copy_rows(args.dir / "y.npy", args.dir / "y_small.npy", m, args.chunk_rows)
        small = child("out_of_core", args.dir / "X_small.npy", args.dir / "y_small.npy", args)
        memory = child("in_memory", args.dir / "X_small.npy", args.dir / "y_small.npy", args)
        difference = np.max(np.abs(np.asarray(small["coef"]) - np.asarray(memory["coef"])))
        print(
            f"first {m:,} rows: out of core {small['seconds']:.1f} s, in memory "
            f"{memory['seconds']:.1f} s (peak RSS {memory['vm_hwm_kb'] / 1024:.0f} MB); "
            f"max |coef difference| {difference:.2e}"
        )
    finally:
        if not args.keep:
            for name in ("X.npy", "y.npy", "X_small.npy", "y_small.npy"):
                (args.dir / name).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
