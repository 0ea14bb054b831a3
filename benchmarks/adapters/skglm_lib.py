"""skglm: ``SparseLogisticRegression`` (proximal Newton with working sets, ``ProxNewton``).

Conversion: none. skglm minimizes ``(1/n)Σᵢ log(1 + e^{−ỹᵢzᵢ}) + α_skglm[ρ‖w‖₁ + (1−ρ)/2‖w‖²]``
with ``ỹ = 2y − 1``, which is the common objective with ``alpha = λ``, ``l1_ratio = α`` (ridge
included: ``l1_ratio = 0``). Binary models only.

Stopping: ``tol = 1e-8`` (largest violation of the optimality conditions, as jaxlogreg's),
``max_iter = 100`` outer steps, ``max_epochs = 100,000``; paths warm-start each ``λ`` from the
previous solution. Its first call compiles (numba, about 10 s): that shows as compile time.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..data import Dataset
from ..spec import Output, Spec
from . import Method

TOL = 1e-8
MAX_ITER = 100
MAX_EPOCHS = 100_000


def _supports(spec: Spec) -> str | None:
    if not spec.binary:
        return "binary models only"
    if spec.kind == "cv":
        return ""
    return None


def _build(spec: Spec, data: Dataset):
    from skglm import SparseLogisticRegression

    def run() -> Output:
        model = SparseLogisticRegression(
            alpha=spec.lambdas[0],
            l1_ratio=spec.l1_ratio,
            tol=TOL,
            max_iter=MAX_ITER,
            max_epochs=MAX_EPOCHS,
            warm_start=True,
        )
        coef, intercept = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for lam in spec.lambdas:
                model.set_params(alpha=lam).fit(data.X, data.y)
                coef.append(np.reshape(model.coef_, (1, -1)))
                intercept.append(np.ravel(model.intercept_)[:1])
        return Output(np.stack(coef), np.stack(intercept))

    return run


def methods() -> list[Method]:
    settings = f"tol {TOL:g}, max_iter {MAX_ITER}, max_epochs {MAX_EPOCHS}"
    return [Method("skglm", "ProxNewton", _supports, _build, settings, compiles=True)]
