"""How close a full-batch gradient pass and a Newton Hessian build come to the device's limits.

On synthetic binary data ``X (n, p)`` (float32 and float64), with ``Θ ≠ 0`` so that nothing is
trivially zero, this times the library's own compiled functions:

- the gradient pass ``Problem.smooth_value_and_grad``: ``z = Xw + b`` (one read of ``X``), then
  ``∇ = Xᵀ(σ(z) − y)/n`` (a second read). Bandwidth is reported two ways: the bytes the pass must
  move (``2·n·p`` elements of ``X``, as XLA cannot fuse the two products) and the bytes of ``X``
  alone (``n·p``), each over the time, as a fraction of the measured copy bandwidth and of the
  datasheet's;
- the Hessian build ``Problem.risk_hessian``: ``2·n·d²`` floating-point operations (``d = p + 1``)
  for ``Aᵀ diag(v) A``, over the time, as a fraction of the measured and the datasheet's peak.

The ceilings are measured in the same run: a copy ``X + 1`` (bytes read plus written) and a large
square matrix product in the same dtype, at the library's full float32 precision
(``jaxlogreg.precision``). Times are medians of ``--repeats`` runs after a warm-up,
each synchronised (``block_until_ready``). Prints a Markdown table; ``--json`` also saves it.

Run: ``python -m benchmarks.roofline [--n 10000000] [--p 100] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from jaxlogreg.engine.functional import make_problem  # noqa: E402
from jaxlogreg.losses import get_loss  # noqa: E402
from jaxlogreg.precision import precise_jit  # noqa: E402

#: Datasheet figures (SXM parts, dense): memory bandwidth in bytes/s, FLOP/s per dtype. float32
#: is the CUDA-core rate; a float32 product on tensor cores (TF32) can reach ~495e12.
DATASHEETS = {
    "H100": {"bandwidth": 3.35e12, "float64": 67e12, "float32": 67e12},
    "H200": {"bandwidth": 4.8e12, "float64": 67e12, "float32": 67e12},
}
GEMM_SIZE = 8192


def median_time(fn, *args, repeats: int) -> float:
    """Median wall time of ``fn(*args)`` (synchronised) after one warm-up call."""
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def datasheet(device) -> dict | None:
    for name, figures in DATASHEETS.items():
        if name in device.device_kind:
            return figures
    return None


def measure(n: int, p: int, dtype: str, repeats: int) -> dict:
    """The ceilings and the two library kernels at one size and dtype."""
    key_x, key_y, key_w, key_a = jax.random.split(jax.random.key(0), 4)
    X = jax.random.normal(key_x, (n, p), dtype)
    y = (jax.random.uniform(key_y, (n,)) < 0.5).astype(dtype)
    problem = make_problem(
        X, y[:, None], jnp.ones(n, dtype), 1.0 / n, 0.0, jnp.ones(p, dtype),
        loss=get_loss("binary"), fit_intercept=True,
    )  # fmt: skip
    coef = 0.1 * jax.random.normal(key_w, (1, p + 1), dtype) / np.sqrt(p)
    itemsize = np.dtype(dtype).itemsize
    x_bytes = n * p * itemsize

    copy_s = median_time(jax.jit(lambda a: a + 1), X, repeats=repeats)
    A = jax.random.normal(key_a, (GEMM_SIZE, GEMM_SIZE), dtype)
    gemm_s = median_time(precise_jit(lambda a: a @ a), A, repeats=repeats)
    grad = precise_jit(type(problem).smooth_value_and_grad)
    grad_s = median_time(grad, problem, coef, repeats=repeats)
    hess_s = median_time(precise_jit(type(problem).risk_hessian), problem, coef, repeats=repeats)
    copy_bw = 2 * x_bytes / copy_s
    gemm_rate = 2 * GEMM_SIZE**3 / gemm_s
    hess_flops = 2 * n * (p + 1) ** 2
    return {
        "n": n,
        "p": p,
        "dtype": dtype,
        "x_gb": x_bytes / 1e9,
        "copy_s": copy_s,
        "copy_bandwidth": copy_bw,
        "gemm_s": gemm_s,
        "gemm_flops_per_s": gemm_rate,
        "grad_s": grad_s,
        "grad_bandwidth_moved": 2 * x_bytes / grad_s,
        "grad_bandwidth_x_once": x_bytes / grad_s,
        "hessian_s": hess_s,
        "hessian_flops_per_s": hess_flops / hess_s,
        "hessian_bandwidth": x_bytes / hess_s,
    }


def table(rows: list[dict], sheet: dict | None) -> str:
    def frac(value, ceiling):
        return f"{value / ceiling:.0%}" if ceiling else "-"

    lines = [
        "| dtype | X (GB) | copy TB/s | grad pass ms | grad TB/s moved (2 reads) | "
        "of copy | of datasheet | X-once TB/s | of datasheet | Hessian ms | Hessian TFLOP/s | "
        "of GEMM | of datasheet | GEMM TFLOP/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        bw = sheet["bandwidth"] if sheet else None
        peak = sheet[r["dtype"]] if sheet else None
        lines.append(
            f"| {r['dtype']} | {r['x_gb']:.1f} | {r['copy_bandwidth'] / 1e12:.2f} "
            f"| {r['grad_s'] * 1e3:.2f} | {r['grad_bandwidth_moved'] / 1e12:.2f} "
            f"| {frac(r['grad_bandwidth_moved'], r['copy_bandwidth'])} "
            f"| {frac(r['grad_bandwidth_moved'], bw)} "
            f"| {r['grad_bandwidth_x_once'] / 1e12:.2f} | {frac(r['grad_bandwidth_x_once'], bw)} "
            f"| {r['hessian_s'] * 1e3:.2f} | {r['hessian_flops_per_s'] / 1e12:.2f} "
            f"| {frac(r['hessian_flops_per_s'], r['gemm_flops_per_s'])} "
            f"| {frac(r['hessian_flops_per_s'], peak)} | {r['gemm_flops_per_s'] / 1e12:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.roofline", description=__doc__)
    parser.add_argument("--n", type=int, default=10_000_000, help="rows (default 10,000,000)")
    parser.add_argument("--p", type=int, default=100, help="features (default 100)")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", help="also save the measurements here")
    args = parser.parse_args(argv)
    device = jax.devices()[0]
    sheet = datasheet(device)
    rows = [measure(args.n, args.p, d, args.repeats) for d in args.dtypes.split(",")]
    print(f"Device: {device.platform} ({device.device_kind}); jax {jax.__version__}; "
          f"datasheet: {sheet or 'unknown device'}\n")  # fmt: skip
    print(table(rows, sheet))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": device.device_kind, "datasheet": sheet, "rows": rows}, f,
                      indent=1)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
