"""``solver="auto"``: the one rule that picks a solver, for every kind of fit.

Each purpose is a different trade-off, measured where noted:

- ``FIT`` (estimators, paths): coordinate descent with an L1 part (``"cd"`` also when ``α`` is
  traced, its value unknown); otherwise exact Newton up to ``NEWTON_MAX_PARAMS`` coefficients,
  beyond which building and factoring the ``K·d × K·d`` Hessian costs more than L-BFGS's
  gradient steps.
- ``CROSS_VALIDATION`` (folds batched by ``vmap``): on a CPU coordinate descent up to
  ``CV_CD_MAX_PARAMS`` coefficients, with or without an L1 part (its Hessian rebuilds are shared
  across folds); beyond, and on accelerators, where a pass over the data is cheap and
  coordinate descent's one-at-a-time updates are not, the ``FIT`` rule (H100, 5 folds × 20 C
  on 10⁶ × 100, float64: Newton 1.4 s, coordinate descent 2.6 s).
- ``DIFFERENTIABLE`` (hypergradient tuning, influence functions): fits whose derivatives come
  from the Hessian at the solution: ``"cd"`` with an L1 part, else Newton at any size.
- ``LEAST_SQUARES`` (the squared-loss regressors): coordinate descent.

A sparse ``X`` allows exact Newton only up to ``NEWTON_MAX_PARAMS`` coefficients, whatever the
purpose (its Hessian, ``core.design.sparse_weighted_gram``, costs about ``n·r²`` for rows of
``r`` values; ``newton.check_sparse_size``): beyond, without an L1 part, truncated Newton
(``"newton-cg"``: Hessian-vector products, two passes over the nonzeros each), which takes far
fewer passes than L-BFGS on such problems. ``python -m benchmarks`` (one process per row, warm
median; float64, tol 1e-8 on the KKT violation, λ = 1/n; a shared 2-core CPU under a load of
4–7, so absolute times are inflated, ratios within a run hold):

==================================================  ===============  ================  =========
workload                                            newton-cg        lbfgs             liblinear
==================================================  ===============  ================  =========
S1: 20,000 × 200,000 text, 10⁶ nonzeros             0.76 s, 6 steps  5.8 s, 118 steps  3.5 s
S4 at 1%: 10,000 × 2²⁰ hashed one-hot, 3·10⁵ nnz   3.4 s, 8 steps   23 s, 118 steps   —
==================================================  ===============  ================  =========

The other picks (``"cd"``, ``"newton-cg"``) take a sparse ``X`` at any size; a dense ``X`` beyond
``NEWTON_MAX_PARAMS`` keeps L-BFGS (not measured against truncated Newton).

Box constraints without an L1 part take the projected quasi-Newton ``"lbfgs"`` for every purpose
(Newton does not take bounds). Measured against ``"cd"`` (2-core CPU, shared, float64, tol 1e-6
to 1e-8, warm): 100,000 × 100 ridge 0.61 against 1.22 s, 2,000 × 5,000 ridge 0.56 against 8.8 s,
``LogisticRegressionCV`` (10 C, 5 folds) on digits (650 coefficients) 4.1 against 146 s, on
breast_cancer 0.24 against 0.14 s. A sparse ``X`` sharded over devices keeps no columns
(``scale.sharding``): the row-wise ``"prox"`` (L1) or ``"newton-cg"``.
"""

from __future__ import annotations

import enum

__all__ = ["CV_CD_MAX_PARAMS", "NEWTON_MAX_PARAMS", "Purpose", "auto_solver"]

#: Most coefficients ``K·d`` for which the ``FIT`` rule uses exact Newton.
NEWTON_MAX_PARAMS = 100
#: Most coefficients ``K·d`` for which cross-validation on a CPU uses coordinate descent: beyond,
#: its Hessian (``n·m²`` per build and fold) costs more than the gradient passes of L-BFGS.
CV_CD_MAX_PARAMS = 256


class Purpose(enum.Enum):
    """What a fit is for; each has its rule (see the module docstring)."""

    FIT = "fit"
    CROSS_VALIDATION = "cross-validation"
    DIFFERENTIABLE = "differentiable"
    LEAST_SQUARES = "least-squares"


def auto_solver(
    *,
    l1: bool | None,
    n_params: int,
    platform: str = "cpu",
    purpose: Purpose = Purpose.FIT,
    sparse: bool = False,
    bounds: bool = False,
    columns: bool = True,
) -> str:
    """The solver ``"auto"`` stands for.

    Args:
        l1: whether the penalty has an L1 part; ``None`` when that is not known (a traced ``α``).
        n_params: coefficients ``K·d`` (intercepts included).
        platform: ``jax.default_backend()`` of the fit (``"cpu"``, ``"gpu"``, ``"tpu"``).
        purpose: what the fit is for.
        sparse: whether ``X`` is sparse (Newton then at most ``NEWTON_MAX_PARAMS``, beyond it
            truncated Newton).
        bounds: whether the coefficients have box constraints: without an L1 part, the
            projected quasi-Newton ``"lbfgs"`` (Newton does not take bounds).
        columns: whether the solver may walk ``X``'s columns or build its Hessian (``False``
            for a sparse ``X`` sharded over devices: ``"prox"`` with an L1 part, else
            ``"newton-cg"``).
    """
    if purpose is Purpose.LEAST_SQUARES:
        return "cd"
    if l1 is None or l1:
        return "cd" if columns else "prox"
    if bounds:
        return "lbfgs"
    if not columns:
        return "newton-cg"
    if purpose is Purpose.DIFFERENTIABLE and not (sparse and n_params > NEWTON_MAX_PARAMS):
        return "newton"
    if purpose is Purpose.CROSS_VALIDATION and platform == "cpu" and n_params <= CV_CD_MAX_PARAMS:
        return "cd"
    if n_params <= NEWTON_MAX_PARAMS:
        return "newton"
    return "newton-cg" if sparse else "lbfgs"
