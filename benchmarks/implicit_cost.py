"""The cost of a gradient through a fit, against the fit itself, as the solver's iterations grow.

A validation loss ``V = mean ℓ(X_val Θ*(λ, s, X))`` of a fit on synthetic float64 data; the gradient
of ``V`` with respect to ``λ``, the sample weights ``s`` and the data ``X`` together, by implicit
differentiation (``jaxlogreg.engine.implicit``). For each solver and stopping rule: the solver's
iterations, the time of the fit alone (``V``), of ``V`` with its gradient (one program), their
ratio, and the gradient's own cost: their difference (the Hessian at the solution and its Cholesky
factor, or nothing for CG, then the backward pass) and the backward pass alone (timed on the
residuals ``jax.vjp`` keeps: the triangular or CG solves and one vector-Jacobian product). Neither
may grow with the iterations. Times are the best of 10 runs of the compiled programs after a warm-up
run, the three programs run in turn (so that other work on the machine disturbs them alike). Prints
a Markdown table.

Run: ``python benchmarks/implicit_cost.py [--quick]`` (``--quick``: smaller data, for a smoke run)
"""

from __future__ import annotations

import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from jaxlogreg import fit  # noqa: E402
from jaxlogreg.losses import get_loss  # noqa: E402

SEED, LAM, REPEATS = 0, 1e-3, 10
# (loss, solver, l1_ratio, adjoint, tol, max_iter): the same problem at a loose and a tight
# tolerance, or at a small and a large iteration budget.
CASES = [
    ("binary", "newton", 0.0, "dense", 1e-4, 100),
    ("binary", "newton", 0.0, "dense", 1e-12, 100),
    ("binary", "lbfgs", 0.0, "dense", 1e-4, 1000),
    ("binary", "lbfgs", 0.0, "dense", 1e-10, 1000),
    ("binary", "gd", 0.0, "dense", 1e-12, 50),
    ("binary", "gd", 0.0, "dense", 1e-12, 500),
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
    """Compiled programs: the fit and validation loss; the same with its gradient; the gradient's
    backward pass alone (from the residuals ``jax.vjp`` keeps)."""

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
    both = jax.jit(jax.value_and_grad(validation, has_aux=True))
    linearized = jax.jit(lambda params: jax.vjp(validation, params, has_aux=True)[1])
    backward = jax.jit(lambda pullback: pullback(jnp.ones(())))
    return forward, both, linearized, backward


def best_seconds(runs):
    """Best time of every ``(function, argument)`` of ``runs``, run in turn ``REPEATS`` times."""
    jax.block_until_ready([run(argument) for run, argument in runs])  # compile and warm up
    times = [[] for _ in runs]
    for _ in range(REPEATS):
        for (run, argument), record in zip(runs, times, strict=True):
            start = time.perf_counter()
            jax.block_until_ready(run(argument))
            record.append(time.perf_counter() - start)
    return [min(record) for record in times]


def main():
    quick = "--quick" in sys.argv
    n, n_val, p = (2_000, 500, 20) if quick else (20_000, 5_000, 100)
    print(
        f"Gradient of a validation loss through a fit w.r.t. (lambda, sample weights, X), "
        f"{n:,} x {p} float64 (multinomial: 5 classes, {p // 3} features), lambda = {LAM:g}, "
        f"device {jax.devices()[0].platform}\n"
    )
    print(
        "| loss | solver | l1_ratio | adjoint | tol | max_iter | iterations | fit (ms) "
        "| fit + gradient (ms) | ratio | gradient's cost (ms) | backward pass (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    data = {}
    for loss, solver, l1_ratio, adjoint, tol, max_iter in CASES:
        if loss not in data:
            # Five classes on fewer features: a Hessian of the same order as the binary one's.
            K, p_loss = (2, p) if loss == "binary" else (5, p // 3)
            X, T = synthetic(n + n_val, p_loss, K)
            T = T.reshape(len(T), -1)
            data[loss] = (X[:n], T[:n], jnp.asarray(X[n:]), jnp.asarray(T[n:]))
        X, T, X_val, T_val = data[loss]
        params = {
            "X": jnp.asarray(X),
            "targets": jnp.asarray(T),
            "lam": jnp.asarray(LAM),
            "sample_weight": jnp.ones(n),
        }
        forward, both, linearized, backward = programs(
            loss, solver, l1_ratio, adjoint, tol, max_iter, X_val, T_val
        )
        n_iter = int(forward(params)[1])
        pullback = linearized(params)
        fit_s, both_s, backward_s = best_seconds(
            [(forward, params), (both, params), (backward, pullback)]
        )
        print(
            f"| {loss} | {solver} | {l1_ratio:g} | {adjoint} | {tol:g} | {max_iter} | {n_iter} "
            f"| {1e3 * fit_s:.1f} | {1e3 * both_s:.1f} | {both_s / fit_s:.2f} "
            f"| {1e3 * (both_s - fit_s):.1f} | {1e3 * backward_s:.1f} |"
        )


if __name__ == "__main__":
    main()
