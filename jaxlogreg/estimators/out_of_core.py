"""Out-of-core fits with the scikit-learn face: ``logistic_regression`` returns a fitted
``LogisticRegression`` from data read in chunks.

scikit-learn's objective ``C Σᵢ sᵢ ℓᵢ + ½‖W‖²`` is ``fit_out_of_core``'s glmnet-convention ridge
problem at ``λ = 1/(C·Σᵢ sᵢ)`` (``core.penalties.lam_of_C``). This module is the public
``jaxlogreg.out_of_core``: it also exports the chunked fit itself (``fit_out_of_core``, its
``Progress`` reports) and ``find_classes``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._validation import check_choice, check_positive_number
from ..core.losses import BINARY, MULTINOMIAL
from ..core.penalties import lam_of_C
from ..core.targets import Mode, choose_mode, logit_of_softmax
from ..scale.chunks import column_sum, find_classes, sources
from ..scale.out_of_core import Progress, fit_out_of_core
from ..scale.sparse_chunks import is_sparse_path
from ..solvers.stop import warn_not_converged
from .logistic import LogisticRegression

__all__ = ["Progress", "find_classes", "fit_out_of_core", "logistic_regression"]


def logistic_regression(
    X,
    y,
    *,
    C: float = 1.0,
    penalty: str | None = "l2",
    multi_class: str = "auto",
    sample_weight=None,
    solver="newton",
    chunk_rows: int = 65536,
    max_iter: int = 100,
    tol: float = 1e-6,
    dtype=None,
    mesh=None,
    progress=None,
) -> LogisticRegression:
    """A fitted ``LogisticRegression`` (scikit-learn's ``C`` objective) from data read in chunks.

    ``y`` holds labels (a ``.npy`` path or an array; for a ``.parquet`` ``X``, the name of the
    label column; ``None`` for a libsvm/svmlight ``X``, whose lines start with them). A sparse
    ``X`` (``scipy.sparse``, ``.npz``, libsvm/svmlight) stays sparse. Two classes give the
    binary model of class ``classes_[1]``, more the multinomial one; the fit is
    ``fit_out_of_core`` at ``λ = 1/(C·Σsᵢ)``. ``penalty`` is ``"l2"`` or ``None``,
    ``multi_class`` ``"auto"`` or ``"multinomial"``: an L1 part and one-vs-rest are not
    available out of core. A ``ConvergenceWarning`` says when the fit
    stopped short of ``tol``.
    """
    check_choice("penalty", penalty, ("l2", None))
    check_choice("multi_class", multi_class, ("auto", "multinomial"))
    C = check_positive_number("C", C, allow_inf=True)
    is_parquet = isinstance(X, str | Path) and Path(X).suffix.lower() == ".parquet"
    if is_parquet:
        classes = find_classes(X, column=y)
    else:  # a libsvm/svmlight X holds its labels (y=None)
        classes = find_classes(X if y is None and is_sparse_path(X) else y)
    if len(classes) < 2:
        raise ValueError(f"y has {len(classes)} class(es); a classifier needs at least 2")
    Xs, _, weights = sources(X, y, sample_weight)
    total = Xs.shape[0] if weights is None else column_sum(weights, chunk_rows)
    lam = 0.0 if penalty is None else float(lam_of_C(C, total))
    mode = choose_mode(multi_class, len(classes))
    result = fit_out_of_core(
        X, y, lam=lam, loss=BINARY if mode == Mode.BINARY else MULTINOMIAL, classes=classes,
        sample_weight=sample_weight, solver=solver, chunk_rows=chunk_rows, max_iter=max_iter,
        tol=tol, dtype=dtype, mesh=mesh, progress=progress,
    )  # fmt: skip
    coef, intercept = np.asarray(result.coef, np.float64), np.asarray(result.intercept, np.float64)
    if mode == Mode.BINARY_SOFTMAX:  # reported as the equivalent binary logit
        coef, intercept = logit_of_softmax(coef, intercept)
    name = solver if isinstance(solver, str) else type(solver).__name__.lower()
    model = LogisticRegression(
        C=np.inf if penalty is None else C,
        l1_ratio=0.0,
        solver="auto",
        multi_class=multi_class,
        max_iter=max_iter,
        tol=tol,
    )
    model.classes_, model.coef_, model.intercept_ = classes, coef, intercept
    model.n_features_in_, model.n_iter_ = Xs.shape[1], np.atleast_1d(result.n_iter)
    model.solver_, model.objective_ = name, float(result.objective)
    if not result.converged:
        warn_not_converged(
            f"the out-of-core {name!r} fit",
            result.stop_reason,
            float(result.kkt_violation),
            tol,
            max_iter=max_iter,
        )
    return model
