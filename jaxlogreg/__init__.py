"""jaxlogreg: logistic regression and its linear-model family on JAX.

Public API:
    LogisticRegression: scikit-learn compatible estimator (scikit-learn's ``C`` convention).
    LogisticRegressionCV: ``C`` (and ``l1_ratio``) chosen by batched cross-validation.
    LinearRegression, Ridge, Lasso, ElasticNet: least-squares regressors (scikit-learn's alpha).
    PolynomialFeatures: polynomial feature expansion (a scikit-learn transformer).
    fit: the pure functional fit (glmnet's ``λ`` convention, ``λ = 1/(C·n)``), jit/vmap-able.
    FitResult: what ``fit`` returns.
    load: read a model written by ``estimator.save(path)``.
    PerfectSeparationWarning: an unpenalized fit whose maximum-likelihood estimate does not exist.
    NumericalError: a fit that overflowed (a ``ValueError``), raised instead of returning NaN.
    losses, penalties, solvers: the building blocks.
"""

from . import losses, penalties, solvers
from ._validation import NumericalError
from .cv import LogisticRegressionCV
from .features import PolynomialFeatures
from .functional import FitResult, fit
from .linear import ElasticNet, Lasso, LinearRegression, Ridge
from .logistic import LogisticRegression
from .path import RegularizationPath, lambda_max, regularization_path
from .persistence import load
from .separation import PerfectSeparationWarning

__all__ = [
    "ElasticNet",
    "FitResult",
    "Lasso",
    "LinearRegression",
    "LogisticRegression",
    "LogisticRegressionCV",
    "NumericalError",
    "PerfectSeparationWarning",
    "PolynomialFeatures",
    "RegularizationPath",
    "Ridge",
    "fit",
    "lambda_max",
    "load",
    "losses",
    "penalties",
    "regularization_path",
    "solvers",
]
__version__ = "0.1.0"
