"""The registry of workloads: W1–W7 (fits, paths and cross-validation of binary and multinomial
models with L2, L1 and elastic-net penalties, dense data) with the performance targets attached
to them, and S1–S4 with S1-l1 (sparse CSR data shaped like text and click-through sets,
``benchmarks.sparse_data``; each names the methods it compares; S1-l1 is S1's data with an L1
penalty, a single wide sparse lasso).

Every workload is a ``Spec`` (``benchmarks.spec``) on deterministic data (``benchmarks.data``,
``benchmarks.sparse_data``) at one of three sizes: full (the ``n × p`` stated by each
workload), ``--quick`` (tiny, for CI) and full x ``--scale`` (more rows, for accelerators).
Penalty strengths are stated in glmnet's convention:

- ``λ = 1/n`` is scikit-learn's default ``C = 1``;
- ``λ_max`` is the smallest ``λ`` at which the lasso keeps only the intercept
  (``benchmarks.objective.lambda_max``); sparse fits use a fraction of it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .data import Dataset, make_dataset
from .objective import lambda_max
from .sparse_data import make_sparse_dataset
from .spec import Spec

__all__ = ["DENSE", "SPARSE", "WORKLOADS", "Target", "Workload", "build"]


@dataclasses.dataclass(frozen=True)
class Target:
    """jaxlogreg's fastest accurate time must be at most ``ratio`` x the reference's.

    ``reference``: ``None`` for the fastest accurate peer, else a library name (its fastest
    accurate row), optionally ``"library/solver"`` for one row. ``compile_s``: also a bound on
    that jaxlogreg row's compile time.
    """

    ratio: float
    reference: str | None = None
    compile_s: float | None = None

    def describe(self) -> str:
        against = self.reference or "the fastest accurate peer"
        text = f"≤ {self.ratio:g}x {against}"
        return text + (f", compile ≤ {self.compile_s:g} s" if self.compile_s else "")


@dataclasses.dataclass(frozen=True)
class Workload:
    """One problem of the suite.

    ``lam``: for a fit, ``"1/n"`` or a fraction of ``λ_max(α)``; for a path, the grid runs from
    ``λ_max`` (of the lasso) down to ``path_ratio·λ_max`` in ``n_lambdas`` log-spaced steps; for
    cross-validation, ``Cs = logspace(−4, 4, n_lambdas)``.

    ``design``: ``"dense"`` (``benchmarks.data``) or a sparse design of
    ``benchmarks.sparse_data`` (``"text"``, ``"hashed"``) with ``nnz_per_row`` nonzeros a row.
    ``methods``: the method keys (``library/solver``) compared on this workload, all of them
    also at ``--quick`` size; empty: every method that can solve it.
    """

    key: str
    title: str
    kind: str
    n: int
    p: int
    quick: tuple[int, int]
    n_classes: int = 2
    l1_ratio: float = 0.0
    lam: str | float = "1/n"
    n_lambdas: int = 1
    quick_lambdas: int = 1
    path_ratio: float = 1e-4
    n_informative: int = 10
    seed: int = 0
    target: Target | None = None
    design: str = "dense"
    nnz_per_row: int = 0
    methods: tuple[str, ...] = ()

    @property
    def sparse(self) -> bool:
        return self.design != "dense"

    def size(self, quick: bool, scale: float) -> tuple[int, int]:
        n, p = self.quick if quick else (self.n, self.p)
        return max(round(n * scale), 10), p


#: jaxlogreg's solvers on sparse data, the ones ``solver="auto"`` picks
#: (``jaxlogreg.solvers.auto``): L-BFGS for ridge (exact Newton is for at most 100 coefficients
#: on sparse data), coordinate descent with an L1 part; and FISTA (``prox``) beside it.
L2_OURS = "jaxlogreg/lbfgs"
SPARSE_L2_OURS = "jaxlogreg/newton-cg"  # solver="auto" on sparse X beyond Newton's size
L1_OURS = ("jaxlogreg/cd", "jaxlogreg/prox")

WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in [
        Workload(
            "W1", "binary L2, one λ (= 1/n, C = 1)", "fit", 100_000, 100, (1_000, 10),
            target=Target(1.0, compile_s=2.0),
        ),
        Workload(
            "W2", "binary L2 path, λ_max to 1e-4·λ_max", "path", 100_000, 100,
            (1_000, 10), n_lambdas=50, quick_lambdas=8, target=Target(0.5),
        ),
        Workload(
            "W3", "binary L1 path, λ_max to 1e-3·λ_max", "path", 100_000, 100,
            (1_000, 10), l1_ratio=1.0, n_lambdas=50, quick_lambdas=8, path_ratio=1e-3,
            target=Target(0.5),
        ),
        Workload(
            "W4-l2", "multinomial (10 classes) L2, λ = 1/n", "fit", 50_000, 100, (1_000, 10),
            n_classes=10,
        ),
        Workload(
            "W4-l1", "multinomial (10 classes) L1, λ = λ_max/50", "fit", 50_000, 100,
            (1_000, 10), n_classes=10, l1_ratio=1.0, lam=1 / 50,
            target=Target(0.2, reference="scikit-learn/saga"),
        ),
        Workload(
            "W5", "binary elastic net (alpha = 0.5), λ = λ_max(alpha)/50", "fit", 100_000, 1_000,
            (100, 300), l1_ratio=0.5, lam=1 / 50, n_informative=50,
            target=Target(0.5, reference="glmnet"),
        ),
        Workload(
            "W6-tall", "binary L2, tall, λ = 1/n", "fit", 1_000_000, 20, (1_000, 10),
        ),
        Workload(
            "W6-wide", "binary L1, wide, λ = λ_max/20", "fit", 2_000, 20_000, (100, 300),
            l1_ratio=1.0, lam=1 / 20, n_informative=20, target=Target(0.5),
        ),
        Workload(
            "W7", "5-fold CV over C (binary L2, log-loss)", "cv", 100_000, 100,
            (1_000, 10), n_lambdas=20, quick_lambdas=4, target=Target(0.3, "scikit-learn"),
        ),
        Workload(
            "S1", "text-like binary L2, λ = 1/n", "fit", 20_000, 200_000, (400, 2_000),
            design="text", nnz_per_row=50, n_informative=100,
            methods=(
                L2_OURS, SPARSE_L2_OURS, "scikit-learn/lbfgs", "scikit-learn/liblinear",
                "scikit-learn/saga",
            ),
            target=Target(0.5),
        ),
        Workload(
            "S1-l1", "text-like binary L1, λ = λ_max/20", "fit", 20_000, 200_000, (400, 2_000),
            l1_ratio=1.0, lam=1 / 20, design="text", nnz_per_row=50, n_informative=100,
            methods=(  # FISTA (prox) ran past 7 minutes on S2 and S3: left out
                "jaxlogreg/cd", "glmnet/LogitNet", "scikit-learn/liblinear", "skglm/ProxNewton",
            ),
            target=Target(0.5, reference="skglm"),  # ≤ 0.5x liblinear and skglm, the faster
        ),
        Workload(
            "S2", "rcv1-sized binary L1 path, λ_max to 1e-2·λ_max", "path", 20_000, 47_000,
            (400, 1_500), l1_ratio=1.0, n_lambdas=50, quick_lambdas=8, path_ratio=1e-2,
            design="text", nnz_per_row=75, n_informative=100,
            methods=(*L1_OURS, "glmnet/LogitNet", "scikit-learn/liblinear"), target=Target(0.5),
        ),
        Workload(
            "S3", "news20-like multinomial (20 classes) L1, λ = λ_max/20", "fit", 11_000,
            130_000, (200, 500), n_classes=20, l1_ratio=1.0, lam=1 / 20, design="text",
            nnz_per_row=100, n_informative=20, methods=(*L1_OURS, "scikit-learn/saga"),
            target=Target(0.2, reference="scikit-learn/saga"),
        ),
        Workload(
            "S4", "click-through-like binary L2 (hashed one-hot), λ = 1/n", "fit", 1_000_000,
            2**20, (2_000, 2**12), design="hashed", nnz_per_row=30, n_informative=100,
            methods=(L2_OURS, SPARSE_L2_OURS, "scikit-learn/lbfgs", "scikit-learn/saga"),
            target=Target(0.5),
        ),
    ]
}  # fmt: skip
#: The dense workloads (the default run) and the sparse ones (``--workloads S1,S1-l1,S2,S3,S4``).
DENSE = tuple(key for key, w in WORKLOADS.items() if not w.sparse)
SPARSE = tuple(key for key, w in WORKLOADS.items() if w.sparse)

N_FOLDS = 5


def _data(workload: Workload, n: int, p: int) -> Dataset:
    if not workload.sparse:
        return make_dataset(
            n, p, n_classes=workload.n_classes, seed=workload.seed,
            n_informative=workload.n_informative,
        )  # fmt: skip
    return make_sparse_dataset(
        n, p, design=workload.design, nnz_per_row=workload.nnz_per_row,
        n_classes=workload.n_classes, seed=workload.seed, n_informative=workload.n_informative,
    )  # fmt: skip


def build(workload: Workload, *, quick: bool, scale: float, dtype: str) -> tuple[Spec, Dataset]:
    """The workload's ``Spec`` and data at the requested size (deterministic)."""
    n, p = workload.size(quick, scale)
    data = _data(workload, n, p)
    n_lambdas = workload.quick_lambdas if quick else workload.n_lambdas
    Cs: tuple[float, ...] = ()
    if workload.kind == "fit":
        if workload.lam == "1/n":
            lambdas = np.array([1.0 / n])
        else:
            lmax = lambda_max(data.X, data.y, workload.n_classes, workload.l1_ratio)
            lambdas = np.array([float(workload.lam) * lmax])
    elif workload.kind == "path":
        lmax = lambda_max(data.X, data.y, workload.n_classes, 1.0)
        lambdas = lmax * np.geomspace(1.0, workload.path_ratio, n_lambdas)
    else:
        Cs = tuple(np.logspace(-4, 4, n_lambdas).tolist())
        lambdas = 1.0 / (np.asarray(Cs) * n)
    spec = Spec(
        kind=workload.kind,
        n_samples=n,
        n_features=p,
        n_classes=workload.n_classes,
        l1_ratio=workload.l1_ratio,
        lambdas=tuple(float(v) for v in lambdas),
        dtype=dtype,
        Cs=Cs,
        n_folds=N_FOLDS if workload.kind == "cv" else 0,
    )
    return spec, data
