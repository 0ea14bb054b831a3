"""The cost of a gradient through a fit, against the fit itself, as the solver's iterations grow.

A validation loss ``V = mean ℓ(X_val Θ*(λ, s, X))`` of a fit on synthetic float64 data; the
gradient of ``V`` with respect to ``λ``, the sample weights ``s`` and the data ``X`` together, by
implicit differentiation (``jaxlogreg.implicit``). For each solver and stopping rule: the solver's
iterations, the time of the fit alone (``V``), of ``V`` and its gradient, their ratio, and the
gradient's own cost (the difference). The gradient's own cost is one Hessian (or Hessian-free CG)
solve and one vector-Jacobian product: it must not grow with the iterations. Times are medians of
5 runs of the compiled programs after a warm-up run. Prints a Markdown table.

Run: ``python benchmarks/implicit_cost.py [--quick]`` (``--quick``: smaller data, for a smoke run)
"""

from __future__ import annotations

import statistics
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from jaxlogreg import fit  # noqa: E402
from jaxlogreg.losses import get_loss  # noqa: E402

SEED, LAM, REPEATS = 0, 1e-3, 5
# (loss, solver, l1_ratio, adjoint, tol, max_iter): the same problem at a loose and a tight
# tolerance, or at a small and a large iteration budget.
CASES = [
    ("binary", "newton", 0.0, "dense", 1e-4, 100),
    ("binary", "newton", 0.0, "dense", 1e-12, 100),
    ("binary", "lbfgs", 0.0, "dense", 1e-4, 1000),
    ("binary", "lbfgs", 0.0, "dense", 1e-10, 1000),
    ("binary", "gd", 0.0, "dense", 1e-12, 100),
    ("binary", "gd", 0.0, "dense", 1e-12, 1000),
    ("binary", "lbfgs", 0.0, "cg", 1e-4, 1000),
    ("binary", "lbfgs", 0.0, "cg", 1e-10, 1000),
    ("binary", "cd", 0.5, "dense", 1e-4, 1000),
    ("binary", "cd", 0.5, "dense", 1e-12, 1000),
    ("multinomial", "newton", 0.0, "dense", 1e-4, 100),
    ("multinomial", "newton", 0.0, "dense", 1e-12, 100),
]


def synthetic(n, p, n_classes):
    """Correlated Gaussian features; labels from a random linear model (one-hot when K > 2)."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.normal(size=(p, p)) / np.sqrt(p))
    scores = X @ rng.normal(size=(p, n_classes)) * 0.5 + rng.gumbel(size=(n, n_classes))
    if n_classes == 2:
        return X, (scores[:, 1] > scores[:, 0]).astype(float)
    return X, np.eye(n_classes)[scores.argmax(axis=1)]


def programs(loss, solver, l1_ratio, adjoint, tol, max_iter, X_val, T_val):
    """The compiled fit-and-validate program and its value-and-gradient."""

    def validation(params):
        result = fit(
            params["X"],
            params["targets"],
            lam=params["lam"],
            l1_ratio=l1_ratio,
            loss=loss,
            sample_weight=params["sample_weight"],
            solver=solver,
            tol=tol,
            max_iter=max_iter,
            adjoint=adjoint,
        )
        Z = X_val @ result.coef.T + result.intercept
        return jnp.mean(get_loss(loss).pointwise(Z, T_val)), result.n_iter

    forward = jax.jit(validation)
    backward = jax.jit(jax.value_and_grad(validation, has_aux=True))
    return forward, backward


def median_seconds(run, params):
    jax.block_until_ready(run(params))  # compile and warm up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        jax.block_until_ready(run(params))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    quick = "--quick" in sys.argv
    n, n_val, p = (2_000, 500, 20) if quick else (20_000, 5_000, 100)
    print(
        f"Gradient of a validation loss through a fit w.r.t. (lambda, sample weights, X), "
        f"{n:,} x {p} float64 (multinomial: 5 classes), lambda = {LAM:g}, "
        f"device {jax.devices()[0].platform}\n"
    )
    print(
        "| loss | solver | l1_ratio | adjoint | tol | max_iter | iterations | fit (ms) "
        "| fit + gradient (ms) | ratio | gradient alone (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    data = {}
    for loss, solver, l1_ratio, adjoint, tol, max_iter in CASES:
        if loss not in data:
            X, T = synthetic(n + n_val, p, 2 if loss == "binary" else 5)
            T = T.reshape(len(T), -1)
            data[loss] = (X[:n], T[:n], jnp.asarray(X[n:]), jnp.asarray(T[n:]))
        X, T, X_val, T_val = data[loss]
        params = {
            "X": jnp.asarray(X),
            "targets": jnp.asarray(T),
            "lam": jnp.asarray(LAM),
            "sample_weight": jnp.ones(n),
        }
        forward, backward = programs(loss, solver, l1_ratio, adjoint, tol, max_iter, X_val, T_val)
        n_iter = int(forward(params)[1])
        fit_seconds = median_seconds(forward, params)
        grad_seconds = median_seconds(backward, params)
        print(
            f"| {loss} | {solver} | {l1_ratio:g} | {adjoint} | {tol:g} | {max_iter} | {n_iter} "
            f"| {1e3 * fit_seconds:.1f} | {1e3 * grad_seconds:.1f} "
            f"| {grad_seconds / fit_seconds:.2f} | {1e3 * (grad_seconds - fit_seconds):.1f} |"
        )


if __name__ == "__main__":
    main()
