"""jaxlogreg: logistic regression and its linear-model family on JAX.

Public API:
    LogisticRegression: scikit-learn compatible estimator (scikit-learn's ``C`` convention).
    fit: the pure functional fit (glmnet's ``λ`` convention, ``λ = 1/(C·n)``), jit/vmap-able.
    FitResult: what ``fit`` returns.
    load: read a model written by ``estimator.save(path)``.
    losses, penalties, solvers: the building blocks.
"""

from . import losses, penalties, solvers
from .functional import FitResult, fit
from .logistic import LogisticRegression
from .persistence import load

__all__ = ["FitResult", "LogisticRegression", "fit", "load", "losses", "penalties", "solvers"]
__version__ = "0.1.0"
