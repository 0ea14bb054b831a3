"""python-glmnet: ``LogitNet`` (glmnet's Fortran coordinate descent), fits, paths and its CV.

Conversion: none. glmnet minimizes ``(1/n)Σᵢℓᵢ + λ[(1−α)/2‖W‖² + α‖W‖₁]`` (its multinomial model
penalizes all ``K`` rows, like the common objective), so ``lambda_path`` is the spec's ``λ``
grid as is. ``standardize=False``: glmnet standardizes the features by default, which would
solve a different problem.

Stopping: ``tol = 1e-9`` (glmnet's ``thresh``: coordinate descent stops when no update changes
the objective by more than ``tol`` times the null deviance; with the default ``1e-7``
multinomial gaps come close to ``1e-6``), ``max_iter = 10⁶``. A binary fit at one ``λ`` is a
one-point path; a multinomial one is the last point of a ``MULTINOMIAL_PATH``-point path from
``λ_max`` down to ``λ`` (python-glmnet 2.6's multinomial fit diverges when started directly at a
small ``λ``: objective ``10³`` times too large; glmnet itself advises warm starts from
``λ_max``). Cross-validation uses the
same folds as the others (passed as ``groups``, which ``LogitNet`` splits with ``GroupKFold``),
scores by log-loss and picks the best mean score (``cut_point=0``). Unlike scikit-learn's, its
folds share the full-data ``λ`` grid ``λ = 1/(C·n)``, and its fold models are not returned.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..data import Dataset, stratified_fold_ids
from ..objective import lambda_max
from ..spec import Output, Spec
from . import Method

TOL = 1e-9
MAX_ITER = 1_000_000
MULTINOMIAL_PATH = 5


def _supports(spec: Spec) -> str | None:
    return None


def _build(spec: Spec, data: Dataset):
    from glmnet import LogitNet

    cv = spec.kind == "cv"
    groups = stratified_fold_ids(data.y, spec.n_folds) if cv else None
    lambdas = np.asarray(spec.lambdas)
    warm_up = spec.kind == "fit" and not spec.binary
    if warm_up:
        lmax = lambda_max(data.X, data.y, spec.n_classes, spec.l1_ratio)
        lambdas = np.geomspace(max(lmax, lambdas[0]), lambdas[0], MULTINOMIAL_PATH)

    def run() -> Output:
        model = LogitNet(
            alpha=spec.l1_ratio,
            lambda_path=lambdas,
            standardize=False,
            n_splits=spec.n_folds if cv else 0,
            scoring="log_loss" if cv else None,
            cut_point=0.0,
            tol=TOL,
            max_iter=MAX_ITER,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(data.X, data.y, groups=groups)
        coef = np.moveaxis(model.coef_path_, -1, 0)  # (L, K, p)
        intercept = np.moveaxis(np.atleast_2d(model.intercept_path_), -1, 0)  # (L, K)
        if warm_up:
            return Output(coef[-1:], intercept[-1:], note=f"{MULTINOMIAL_PATH}-point path")
        if not cv:
            return Output(coef, intercept)
        best = int(np.atleast_1d(model.lambda_best_inx_)[0])
        return Output(
            coef[best : best + 1],
            intercept[best : best + 1],
            selected_lambda=float(lambdas[best]),
        )

    return run


def methods() -> list[Method]:
    settings = f"tol {TOL:g}, max_iter {MAX_ITER:g}, standardize=False"
    return [Method("glmnet", "LogitNet", _supports, _build, settings)]
