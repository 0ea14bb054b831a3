"""scikit-learn: ``LogisticRegression`` (lbfgs, newton-cholesky, newton-cg, saga, liblinear) and
``LogisticRegressionCV``.

Conversion: scikit-learn minimizes ``C·Σᵢℓᵢ + (1−α)/2‖W‖² + α‖W‖₁``, which is ``C·n`` times the
glmnet-convention objective with ``λ = 1/(C·n)``: so ``C = 1/(λ·n)``. liblinear also penalizes
the intercept, as a feature of constant value ``intercept_scaling``; ``intercept_scaling = 100``
makes that penalty ``10⁴`` times smaller, and the common objective shows what is left of it.

Stopping: lbfgs, newton-cholesky and newton-cg stop at a largest gradient entry of the objective
divided by ``C·n`` (the glmnet scale, the same test as jaxlogreg's) ``≤ tol = 1e-8``; saga stops
when an epoch changes no coefficient by more than ``tol = 1e-8`` relative to the largest one
(at most 1,000 epochs); liblinear runs at ``tol = 1e-8`` with ``random_state = 0``: its
coordinate order is drawn at random, and its time with it (S1-l1: 1.5 s in one process, over
600 s in another, unseeded). Paths fit the grid from the largest
``λ`` down with ``warm_start=True`` (not available for liblinear). Multinomial fits use the
multinomial loss (liblinear, one-vs-rest only, is not run on them).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from ..data import Dataset, stratified_fold_ids
from ..spec import Output, Spec
from . import Method

TOL = 1e-8
MAX_ITER = {"saga": 1_000}
MAX_ITER_DEFAULT = 10_000
SOLVERS = ("lbfgs", "newton-cholesky", "newton-cg", "saga", "liblinear")
#: Largest number of features for newton-cholesky, which forms and factors the p × p Hessian.
MAX_DENSE = 5_000


def _estimator(solver: str, spec: Spec, lam: float, **extra):
    from sklearn.linear_model import LogisticRegression

    kwargs = dict(
        C=1.0 / (lam * spec.n_samples),
        l1_ratio=spec.l1_ratio,
        solver=solver,
        tol=TOL,
        max_iter=MAX_ITER.get(solver, MAX_ITER_DEFAULT),
    )
    if solver == "liblinear":
        kwargs.update(intercept_scaling=100.0, random_state=0)
    return LogisticRegression(**kwargs, **extra)


def _supports(solver: str):
    def supports(spec: Spec) -> str | None:
        if spec.kind == "cv":
            return None if solver == "lbfgs" else ""
        if spec.l1_ratio > 0 and solver not in ("saga", "liblinear"):
            return ""  # a solver for smooth penalties
        if solver == "liblinear" and 0 < spec.l1_ratio < 1:
            return ""
        if solver == "liblinear" and not spec.binary:
            return "one-vs-rest only"
        if solver == "newton-cholesky" and spec.n_params > MAX_DENSE:
            return f"dense Hessian of {spec.n_params} > {MAX_DENSE} coefficients"
        return None

    return supports


def _fits(solver: str, spec: Spec, data: Dataset):
    warm = solver != "liblinear" and spec.kind == "path"
    K = spec.n_rows

    def run() -> Output:
        coef, intercept = [], []
        model = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-convergence shows in the objective gap
            for lam in spec.lambdas:
                if model is None or not warm:
                    model = _estimator(solver, spec, lam, warm_start=warm)
                else:
                    model.set_params(C=1.0 / (lam * spec.n_samples))
                model.fit(data.X, data.y)
                coef.append(model.coef_.reshape(K, -1))
                intercept.append(np.ravel(model.intercept_) * np.ones(K))
        note = f"{int(np.max(model.n_iter_))} iterations at the last λ"
        return Output(np.stack(coef), np.stack(intercept), note=note)

    return run


def _cv(n_jobs: int | None, spec: Spec, data: Dataset):
    from sklearn.linear_model import LogisticRegressionCV

    ids = stratified_fold_ids(data.y, spec.n_folds)
    splits = [(np.flatnonzero(ids != f), np.flatnonzero(ids == f)) for f in range(spec.n_folds)]

    def run() -> Output:
        model = LogisticRegressionCV(
            Cs=list(spec.Cs),
            cv=splits,
            l1_ratios=(0.0,),
            scoring="neg_log_loss",
            solver="lbfgs",
            tol=TOL,
            max_iter=MAX_ITER_DEFAULT,
            n_jobs=n_jobs,
            use_legacy_attributes=False,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(data.X, data.y)
        paths = model.coefs_paths_[:, 0]  # (F, L, 1, p + 1)
        return Output(
            model.coef_[None],
            model.intercept_[None],
            selected_lambda=1.0 / (float(model.C_) * spec.n_samples),
            fold_coef=paths[..., :-1],
            fold_intercept=paths[..., -1],
        )

    return run


def _method(solver: str) -> Method:
    def build(spec: Spec, data: Dataset):
        return _cv(None, spec, data) if spec.kind == "cv" else _fits(solver, spec, data)

    settings = f"tol {TOL:g}, max_iter {MAX_ITER.get(solver, MAX_ITER_DEFAULT)}"
    quick = solver in ("lbfgs", "saga")
    return Method("scikit-learn", solver, _supports(solver), build, settings, quick)


def _cv_parallel() -> Method:
    """LogisticRegressionCV with its folds spread over every core of the machine."""
    cores = os.cpu_count() or 1

    def supports(spec: Spec) -> str | None:
        return None if spec.kind == "cv" else ""

    return Method(
        "scikit-learn",
        f"lbfgs (n_jobs={cores})",
        supports,
        lambda spec, data: _cv(cores, spec, data),
        f"tol {TOL:g}, folds in {cores} processes",
        quick=False,
    )


def methods() -> list[Method]:
    return [*(_method(solver) for solver in SOLVERS), _cv_parallel()]
