"""What an adapter is asked to solve (``Spec``) and what it hands back (``Output``).

Every problem is stated in glmnet's convention (``benchmarks.objective``): a loss (binary when
``n_classes == 2``, else multinomial), an elastic-net mixing ``α = l1_ratio`` and one or more
penalty strengths ``λ``. Adapters convert ``λ`` to their library's parameter.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

__all__ = ["Output", "Spec"]


@dataclasses.dataclass(frozen=True)
class Spec:
    """A problem for the adapters.

    Attributes:
        kind: ``"fit"`` (one ``λ``), ``"path"`` (every ``λ`` of ``lambdas``, decreasing, warm
            starts allowed) or ``"cv"`` (``n_folds``-fold cross-validation over ``Cs``, scored by
            the log-loss, then a refit on all data at the best ``C``).
        n_samples, n_features: the training data's shape ``(n, p)``.
        n_classes: number of classes ``K`` (2: binary logistic, else multinomial).
        l1_ratio: ``α``.
        lambdas: ``λ`` values, decreasing; for ``"cv"`` the full-data ``λ = 1/(C·n)`` of ``Cs``.
        dtype: ``"float64"`` or ``"float32"``: the precision jaxlogreg computes in.
        Cs: scikit-learn's ``C`` grid (increasing), ``"cv"`` only.
        n_folds: folds of ``"cv"`` (``StratifiedKFold`` without shuffling, the same for all).
    """

    kind: str
    n_samples: int
    n_features: int
    n_classes: int
    l1_ratio: float
    lambdas: tuple[float, ...]
    dtype: str = "float64"
    Cs: tuple[float, ...] = ()
    n_folds: int = 0

    @property
    def binary(self) -> bool:
        return self.n_classes == 2

    @property
    def n_rows(self) -> int:
        """Rows ``K`` of the coefficient matrix: 1 for a binary model."""
        return 1 if self.binary else self.n_classes

    @property
    def n_params(self) -> int:
        """Coefficients of the model, intercepts included: ``K·(p + 1)``."""
        return self.n_rows * (self.n_features + 1)


class Output(NamedTuple):
    """A result in the common layout.

    ``coef (L, K, p)`` and ``intercept (L, K)``: one model per ``λ`` of the spec (``L = 1`` for a
    fit, and for cross-validation, where it is the final model at ``selected_lambda``).
    Cross-validation results may add the fold models ``fold_coef (F, L, K, p)``,
    ``fold_intercept (F, L, K)`` at every ``C`` (fold ``f`` has ``λ = 1/(C·n_f)``).
    ``note``: anything a reader should know (e.g. the solver an ``"auto"`` setting chose).
    """

    coef: np.ndarray
    intercept: np.ndarray
    selected_lambda: float | None = None
    fold_coef: np.ndarray | None = None
    fold_intercept: np.ndarray | None = None
    note: str = ""
