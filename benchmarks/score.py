"""Scoring a workload's rows: common objective, relative gaps, accuracy, ratios, targets.

- fits and paths: the objective of every model at its ``λ``; a row's gap is the largest over
  the path of ``(F − F*)/|F*|``, ``F*`` the best any row reached at that ``λ``;
- cross-validation: the final model's objective on all data at the ``λ`` it selected (compared
  with every row that selected the same ``λ`` and with an untimed reference fit there:
  scikit-learn's newton-cholesky at ``tol = 1e-12``), and, where a library returns its fold
  models, their objectives on the training folds (fold ``f`` at ``λ = 1/(C·n_f)``); the row's
  gap is the largest of these.

A row whose gap exceeds ``GAP_TOL`` is inaccurate: it is never the fastest peer and never meets a
target. Ratios compare a row's time with the fastest accurate peer (any library but jaxlogreg).
"""

from __future__ import annotations

import numpy as np

from .data import Dataset, stratified_fold_ids
from .objective import GAP_TOL, linear_predictor, objective, relative_gaps
from .spec import Output, Spec
from .workloads import Target

__all__ = ["score_rows", "target_result"]

OURS = "jaxlogreg"


def _predict(coef: np.ndarray, intercept: np.ndarray, X: np.ndarray) -> np.ndarray:
    Z = linear_predictor(X, coef) + intercept
    return (Z[:, 0] > 0).astype(np.int64) if coef.shape[0] == 1 else np.argmax(Z, axis=1)


def _reference_objective(spec: Spec, data: Dataset, lam: float) -> float:
    """Objective of scikit-learn's newton-cholesky at ``tol = 1e-12`` (untimed reference)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=1.0 / (lam * spec.n_samples), solver="newton-cholesky", tol=1e-12, max_iter=1_000
    ).fit(data.X, data.y)
    return objective(data.X, data.y, model.coef_, model.intercept_, lam, spec.l1_ratio)


def _fold_objectives(spec: Spec, data: Dataset, out: Output) -> np.ndarray:
    """``(F, L)`` objectives of the fold models on their training folds."""
    ids = stratified_fold_ids(data.y, spec.n_folds)
    values = np.empty(out.fold_coef.shape[:2])
    for f in range(values.shape[0]):
        mask = (ids != f).astype(np.float64)
        for k, C in enumerate(spec.Cs):
            lam = 1.0 / (C * mask.sum())
            values[f, k] = objective(
                data.X, data.y, out.fold_coef[f, k], out.fold_intercept[f, k], lam,
                spec.l1_ratio, mask,
            )  # fmt: skip
    return values


def _model_objectives(spec: Spec, data: Dataset, out: Output) -> np.ndarray:
    lambdas = [out.selected_lambda] if spec.kind == "cv" else spec.lambdas
    return np.array(
        [
            objective(data.X, data.y, out.coef[k], out.intercept[k], lam, spec.l1_ratio)
            for k, lam in enumerate(lambdas)
        ]
    )


def score_rows(
    spec: Spec,
    data: Dataset,
    rows: list[dict],
    outputs: dict[int, Output],
    cache: dict | None = None,
) -> None:
    """Fill in ``objective``, ``gap``, ``accurate``, ``test_accuracy``, ``nonzeros`` and
    ``ratio`` of every row that produced an ``Output`` (``outputs`` by row index), in place.

    ``cache`` keeps the objectives already computed (by row index, and the reference fit's by
    ``λ``) between calls, so a workload rescored after each new row evaluates each model once.
    """
    cache = {} if cache is None else cache

    def cached(key, compute, *args):
        if key not in cache:
            cache[key] = compute(spec, data, *args)
        return cache[key]

    objectives = {i: cached(("model", i), _model_objectives, out) for i, out in outputs.items()}
    if spec.kind == "cv":
        gaps = {}
        by_lambda: dict[float, list[int]] = {}
        for i, out in outputs.items():
            by_lambda.setdefault(float(out.selected_lambda), []).append(i)
        for lam, members in by_lambda.items():
            group = {i: objectives[i] for i in members}
            group[-1] = np.array([cached(("reference", lam), _reference_objective, lam)])
            gaps.update(relative_gaps(group))
        folds = {
            i: cached(("folds", i), _fold_objectives, out)
            for i, out in outputs.items()
            if out.fold_coef is not None
        }
        for i, fold_gap in relative_gaps(folds).items():
            gaps[i] = np.maximum(np.max(gaps[i]), np.max(fold_gap))
    else:
        gaps = relative_gaps(objectives)
    for i, out in outputs.items():
        row = rows[i]
        gap = float(np.max(gaps[i]))
        row["objective"] = [v if np.isfinite(v) else None for v in objectives[i].tolist()]
        row["gap"] = gap if np.isfinite(gap) else None
        row["accurate"] = bool(np.isfinite(gap) and gap <= GAP_TOL)
        coef, intercept = out.coef[-1], out.intercept[-1]
        row["test_accuracy"] = float(np.mean(_predict(coef, intercept, data.X_test) == data.y_test))
        row["nonzeros"] = int(np.count_nonzero(coef))
        if spec.kind == "cv":
            row["selected_C"] = 1.0 / (out.selected_lambda * spec.n_samples)
    peers = [r for r in rows if r["library"] != OURS and r.get("accurate")]
    fastest = min(peers, key=lambda r: r["time_s"], default=None)
    for row in rows:
        if fastest is not None and row.get("time_s") is not None:
            row["ratio"] = row["time_s"] / fastest["time_s"]
    return None


def _fastest(rows: list[dict], *, accurate: bool = True) -> dict | None:
    candidates = [
        r for r in rows if r.get("time_s") is not None and (r.get("accurate") or not accurate)
    ]
    return min(candidates, key=lambda r: r["time_s"], default=None)


def target_result(target: Target, rows: list[dict]) -> dict:
    """Whether jaxlogreg's fastest accurate row meets ``target``, and why (or why not);
    ``holds`` is ``None`` (not measured) when the run has no reference row."""
    ours = _fastest([r for r in rows if r["library"] == OURS])
    if target.reference is None:
        reference = _fastest([r for r in rows if r["library"] != OURS])
    elif "/" in target.reference:  # one named row: its time, accurate or not (stated)
        library, solver = target.reference.split("/", 1)
        named = [r for r in rows if r["library"] == library and r["solver"] == solver]
        reference = _fastest(named, accurate=False)
    else:
        reference = _fastest([r for r in rows if r["library"] == target.reference])
    result = {"target": target.describe(), "holds": False}
    if ours is None:
        result["why"] = "no accurate jaxlogreg row"
        return result
    if reference is None:
        result.update(holds=None, why="no reference row in this run")
        return result
    ratio = ours["time_s"] / reference["time_s"]
    holds = ratio <= target.ratio
    why = f"{ratio:.2f}x {reference['library']}/{reference['solver']}"
    if not reference.get("accurate"):
        why += " (itself inaccurate)"
    if target.compile_s is not None:
        compile_ok = ours["compile_s"] <= target.compile_s
        holds = holds and compile_ok
        why += f", compile {ours['compile_s']:.2f} s"
    result.update(
        ours=f"{OURS}/{ours['solver']}",
        reference=f"{reference['library']}/{reference['solver']}",
        ratio=ratio,
        compile_s=ours["compile_s"],
        holds=bool(holds),
        why=why,
    )
    return result
