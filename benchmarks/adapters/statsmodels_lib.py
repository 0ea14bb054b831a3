"""statsmodels: ridge by ``GLM(Binomial).fit_regularized`` (SciPy BFGS), lasso by
``Logit.fit_regularized(method="l1")`` (SciPy SLSQP). Binary models only.

Conversion: the design gets a column of ones (statsmodels has no separate intercept; the copy is
timed). Ridge minimizes ``−loglik/n + Σⱼ aⱼθⱼ²/2`` with a per-parameter ``a = (λ, …, λ, 0)``
(intercept unpenalized). The lasso minimizes ``−loglik + Σⱼ aⱼ|θⱼ|``, i.e. ``n`` times the common
objective with ``a = (n·λ, …, n·λ, 0)``.

Stopping: ridge runs ``scipy.optimize.minimize(method="bfgs")`` with SciPy's defaults
(``gtol = 1e-5`` on the gradient of the objective above; statsmodels exposes no tolerance);
the lasso uses SLSQP with ``acc = 1e-12``, ``maxiter = 1,000`` and ``trim_mode="auto"``
(coefficients whose optimality conditions say zero are set to zero). SLSQP works on ``2(p+1)``
variables with dense ``O(p²)``–``O(p³)`` steps: it is run only up to ``MAX_L1_FEATURES``
features and ``n·p = MAX_L1_SIZE``.
The elastic net (a pure-Python coordinate descent in statsmodels) is not run. Paths start each
``λ`` from the previous solution.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..data import Dataset
from ..spec import Output, Spec
from . import Method

MAX_L1_SIZE = 1_000_000
MAX_L1_FEATURES = 100
L1_ACC = 1e-12
L1_MAX_ITER = 1_000


def _supports(spec: Spec) -> str | None:
    if not spec.binary:
        return "no penalized multinomial fit (MNLogit's SLSQP lasso: too slow here)"
    if spec.kind == "cv":
        return ""
    if 0 < spec.l1_ratio < 1:
        return "its elastic net is a pure-Python coordinate descent (too slow here)"
    too_big = spec.n_features > MAX_L1_FEATURES or spec.n_samples * spec.n_features > MAX_L1_SIZE
    if spec.l1_ratio == 1 and too_big:
        return f"SLSQP lasso: run up to p = {MAX_L1_FEATURES} and n·p = {MAX_L1_SIZE:.0e}"
    return None


def _build(spec: Spec, data: Dataset):
    import statsmodels.api as sm

    n, p = data.X.shape
    lasso = spec.l1_ratio == 1

    def fit_one(design, lam, start):
        if lasso:
            alpha = np.r_[np.full(p, n * lam), 0.0]
            return sm.Logit(data.y, design).fit_regularized(
                method="l1", alpha=alpha, start_params=start, disp=0,
                acc=L1_ACC, maxiter=L1_MAX_ITER, trim_mode="auto",
            ).params  # fmt: skip
        alpha = np.r_[np.full(p, lam), 0.0]
        model = sm.GLM(data.y, design, family=sm.families.Binomial())
        return model.fit_regularized(
            method="elastic_net", alpha=alpha, L1_wt=0.0, start_params=start
        ).params

    def run() -> Output:
        design = np.column_stack([data.X, np.ones(n)])
        params = []
        start = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for lam in spec.lambdas:
                start = np.asarray(fit_one(design, lam, start))
                params.append(start)
        params = np.stack(params)  # (L, p + 1)
        return Output(params[:, None, :-1], params[:, -1:])

    return run


def methods() -> list[Method]:
    settings = f"ridge: SciPy BFGS defaults; lasso: SLSQP acc {L1_ACC:g}"
    return [Method("statsmodels", "GLM/Logit", _supports, _build, settings)]
