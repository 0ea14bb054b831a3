"""jaxlogreg: the functional ``fit``, ``regularization_path`` and ``LogisticRegressionCV``.

Conversion: none for ``fit`` and ``regularization_path`` (glmnet's convention, ``λ`` as is);
``LogisticRegressionCV`` takes scikit-learn's ``Cs`` (its fold ``f`` solves ``λ = 1/(C·n_f)``).

Stopping: ``tol`` bounds the largest KKT violation (``max |∇F|`` for smooth penalties) of the
glmnet-convention objective: ``1e-8`` in float64 (the library's default), ``1e-5`` in float32.
Data is converted to the requested dtype before the clock starts; the host-to-device copy that
``fit`` makes is timed. Newton and IRLS form the dense ``K(p+1) × K(p+1)`` Hessian, so they are
not run beyond ``MAX_DENSE`` coefficients. ``cd`` (glmnet's method) runs on every penalty, ridge
included; at ``--quick`` size it is the one solver run on fits and paths (one compiled program
serves several workloads of equal shapes, which keeps CI fast). A sparse ``X`` is handed over
as float64 (or float32) CSR; the sparse workloads name their solvers (``benchmarks.workloads``).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from ..data import Dataset, stratified_fold_ids
from ..spec import Output, Spec
from . import Method

TOL = {"float64": 1e-8, "float32": 1e-5}
MAX_ITER = {"newton": 100, "irls": 100, "newton-cg": 500, "lbfgs": 10_000, "cd": 500}
MAX_ITER_DEFAULT = 50_000  # prox: one FISTA step per iteration
MAX_DENSE = 5_000


def _supports(solver: str, kinds: tuple[str, ...], *, l1: bool | None):
    def supports(spec: Spec) -> str | None:
        if spec.kind not in kinds:
            return ""
        if l1 is not None and (spec.l1_ratio > 0) != l1:
            return ""  # a solver for the other kind of penalty
        if solver in ("newton", "irls") and spec.n_params > MAX_DENSE:
            return f"dense Hessian of {spec.n_params} > {MAX_DENSE} coefficients"
        return None

    return supports


def _as_dtype(X, dtype: str):
    """``X`` in ``dtype``: C-ordered if dense, CSR (never densified) if sparse."""
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.dtype(dtype))
    return np.ascontiguousarray(X, dtype=np.dtype(dtype))


def _fit(solver: str, spec: Spec, data: Dataset):
    import jaxlogreg

    X = _as_dtype(data.X, spec.dtype)
    if spec.binary:
        targets, loss = data.y.astype(X.dtype), "binary"
    else:
        targets, loss = np.eye(spec.n_classes, dtype=X.dtype)[data.y], "multinomial"
    kwargs = dict(
        lam=spec.lambdas[0],
        l1_ratio=spec.l1_ratio,
        loss=loss,
        solver=solver,
        tol=TOL[spec.dtype],
        max_iter=MAX_ITER.get(solver, MAX_ITER_DEFAULT),
    )

    def run() -> Output:
        result = jaxlogreg.fit(X, targets, **kwargs)
        coef = np.asarray(result.coef, np.float64)
        note = f"{int(result.n_iter)} iterations" + ("" if result.converged else ", NOT converged")
        return Output(coef[None], np.asarray(result.intercept, np.float64)[None], note=note)

    return run


def _path(solver: str, spec: Spec, data: Dataset, screening: bool | None):
    import jaxlogreg

    X = _as_dtype(data.X, spec.dtype)
    lambdas = np.asarray(spec.lambdas)
    kwargs = dict(
        lambdas=lambdas,
        l1_ratio=spec.l1_ratio,
        solver=solver,
        tol=TOL[spec.dtype],
        max_iter=MAX_ITER.get(solver, MAX_ITER_DEFAULT),
        screening=screening,
    )

    def run() -> Output:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-convergence shows in the objective gap
            path = jaxlogreg.regularization_path(X, data.y, **kwargs)
        L = len(lambdas)
        coef = path.coef.reshape(L, spec.n_rows, -1)
        note = f"{int(np.sum(path.n_iter))} iterations in all"
        if not np.all(path.converged):
            note += f", {int(np.sum(~path.converged))} λ NOT converged"
        return Output(coef, path.intercept.reshape(L, spec.n_rows), note=note)

    return run


def _cv(solver: str, spec: Spec, data: Dataset):
    import jaxlogreg

    X = _as_dtype(data.X, spec.dtype)
    ids = stratified_fold_ids(data.y, spec.n_folds)
    splits = [(np.flatnonzero(ids != f), np.flatnonzero(ids == f)) for f in range(spec.n_folds)]
    n = len(data.y)

    def run() -> Output:
        model = jaxlogreg.LogisticRegressionCV(
            Cs=list(spec.Cs),
            cv=splits,
            scoring="neg_log_loss",
            solver=solver,
            tol=TOL[spec.dtype],
            max_iter=MAX_ITER.get(solver, MAX_ITER_DEFAULT),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, data.y)
        paths = model.coefs_paths_[model.classes_[-1]]  # (F, L, p + 1), binary
        C = float(model.C_[0])
        return Output(
            model.coef_[None],
            model.intercept_[None],
            selected_lambda=1.0 / (C * n),
            fold_coef=paths[:, :, None, :-1],
            fold_intercept=paths[:, :, None, -1],
            note=f"solver {model.solver_}",
        )

    return run


def _method(
    solver: str, kinds: tuple[str, ...], *, l1: bool | None, screening=None, quick=False
) -> Method:
    name = solver if screening is None else f"{solver} (no screening)"

    def build(spec: Spec, data: Dataset):
        if spec.kind == "fit":
            return _fit(solver, spec, data)
        if spec.kind == "path":
            return _path(solver, spec, data, screening)
        return _cv(solver, spec, data)

    settings = f"tol {TOL['float64']:g} (KKT), max_iter {MAX_ITER.get(solver, MAX_ITER_DEFAULT)}"
    supports = _supports(name, kinds, l1=l1)
    return Method("jaxlogreg", name, supports, build, settings, quick, compiles=True)


def methods() -> list[Method]:
    return [
        _method("newton", ("fit", "path"), l1=False),
        _method("newton", ("cv",), l1=False),
        _method("irls", ("fit",), l1=False),
        _method("lbfgs", ("fit", "path"), l1=False),
        _method("newton-cg", ("fit", "path"), l1=False),
        _method("cd", ("fit", "path"), l1=None, quick=True),
        _method("cd", ("path",), l1=True, screening=False),
        _method("prox", ("fit", "path"), l1=True),
        _method("auto", ("cv",), l1=None, quick=True),
    ]
