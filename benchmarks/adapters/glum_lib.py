"""glum: ``GeneralizedLinearRegressor(family="binomial")``, IRLS and L-BFGS, fits and paths.

Conversion: none. glum minimizes ``(1/Σwᵢ)·½·deviance + α_glum[ρ‖W‖₁ + (1−ρ)/2‖W‖²]``; the
binomial half-deviance of 0/1 labels is ``Σᵢℓᵢ``, its weights are normalized, so ``alpha = λ`` and
``l1_ratio = α``. glum fits binary models only (no multinomial).

Stopping: ``gradient_tol = 1e-8`` (its default is ``1e-4``), ``max_iter = 1,000``. ``irls`` is
glum's automatic choice (IRLS with a least-squares inner solve for L2, coordinate descent with an
L1 part); paths pass the grid as ``alphas`` with ``alpha_search=True`` (warm starts).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..data import Dataset
from ..spec import Output, Spec
from . import Method

TOL = 1e-8
MAX_ITER = 1_000


def _supports(solver: str):
    def supports(spec: Spec) -> str | None:
        if not spec.binary:
            return "binary models only"
        if spec.kind == "cv":
            return ""
        if solver == "lbfgs" and spec.l1_ratio > 0:
            return ""
        return None

    return supports


def _build(solver: str):
    def build(spec: Spec, data: Dataset):
        from glum import GeneralizedLinearRegressor

        path = spec.kind == "path"
        kwargs = dict(
            family="binomial",
            l1_ratio=spec.l1_ratio,
            solver="auto" if solver == "irls" else solver,
            gradient_tol=TOL,
            max_iter=MAX_ITER,
        )
        if path:
            kwargs.update(alpha_search=True, alphas=np.asarray(spec.lambdas))
        else:
            kwargs.update(alpha=spec.lambdas[0])
        y = data.y.astype(np.float64)

        def run() -> Output:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = GeneralizedLinearRegressor(**kwargs).fit(data.X, y)
            if path:
                coef = np.asarray(model.coef_path_)[:, None, :]
                intercept = np.asarray(model.intercept_path_).reshape(-1, 1)
            else:
                coef = np.asarray(model.coef_).reshape(1, 1, -1)
                intercept = np.asarray(model.intercept_).reshape(1, 1)
            return Output(coef, intercept, note=f"solver {model._solver}")

        return run

    return build


def methods() -> list[Method]:
    settings = f"gradient_tol {TOL:g}, max_iter {MAX_ITER}"
    return [
        Method("glum", solver, _supports(solver), _build(solver), settings, solver == "irls")
        for solver in ("irls", "lbfgs")
    ]
