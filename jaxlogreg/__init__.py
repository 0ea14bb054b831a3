"""jaxlogreg: logistic regression and its linear-model family on JAX.

Public API:
    LogisticRegression: scikit-learn compatible estimator (scikit-learn's ``C`` convention).
    LogisticRegressionCV: ``C`` (and ``l1_ratio``) chosen by batched cross-validation.
    LinearRegression, Ridge, Lasso, ElasticNet: least-squares regressors (scikit-learn's alpha).
    PolynomialFeatures: polynomial feature expansion (a scikit-learn transformer).
    fit: the pure functional fit (glmnet's ``λ`` convention, ``λ = 1/(C·n)``), jit/vmap-able.
    fit_out_of_core: the same fit (ridge) on data read in chunks from files larger than memory.
    FitResult: what ``fit`` returns.
    load: read a model written by ``estimator.save(path)``.
    infer, likelihood_ratio_test: Wald inference (``estimator.summary(X, y)`` prints it).
    bootstrap: ``bootstrap.bootstrap`` gives bootstrap standard errors and percentile
        intervals, all refits in one compiled call; inference: the Wald machinery.
    PerfectSeparationWarning: an unpenalized fit whose maximum-likelihood estimate does not exist.
    NumericalError: a fit that overflowed (a ``ValueError``), raised instead of returning NaN.
    losses, penalties, solvers: the building blocks.
    sharding: meshes and row-sharded data for multi-device and multi-host fits (``mesh=``).
    out_of_core: chunked fits (``fit_out_of_core``, ``logistic_regression``, ``find_classes``).
"""

from . import bootstrap, inference, losses, out_of_core, penalties, sharding, solvers
from ._validation import NumericalError
from .cv import LogisticRegressionCV
from .features import PolynomialFeatures
from .functional import FitResult, fit
from .inference import infer, likelihood_ratio_test
from .linear import ElasticNet, Lasso, LinearRegression, Ridge
from .logistic import LogisticRegression
from .out_of_core import fit_out_of_core
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
    "bootstrap",
    "fit",
    "fit_out_of_core",
    "infer",
    "inference",
    "lambda_max",
    "likelihood_ratio_test",
    "load",
    "losses",
    "out_of_core",
    "penalties",
    "regularization_path",
    "sharding",
    "solvers",
]
__version__ = "0.1.0"
