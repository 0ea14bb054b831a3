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
    enable_compilation_cache: keep compiled programs on disk for later processes.
    infer, likelihood_ratio_test: Wald inference (``estimator.summary(X, y)`` prints it).
    bootstrap: ``bootstrap.bootstrap`` gives bootstrap standard errors and percentile
        intervals, all refits in one compiled call; inference: the Wald machinery.
    PerfectSeparationWarning: an unpenalized fit whose maximum-likelihood estimate does not exist.
    NumericalError: a fit that overflowed (a ``ValueError``), raised instead of returning NaN.
    losses, penalties, solvers: the building blocks.
    sharding: meshes and row-sharded data for multi-device and multi-host fits (``mesh=``).
    out_of_core: chunked fits (``fit_out_of_core``, ``logistic_regression``, ``find_classes``).
"""

import sys

from . import solvers
from ._validation import NumericalError
from .core import losses, penalties
from .engine.functional import FitResult, fit
from .engine.path import lambda_max
from .estimators import out_of_core
from .estimators.features import PolynomialFeatures
from .estimators.linear import ElasticNet, Lasso, LinearRegression, Ridge
from .estimators.logistic import LogisticRegression
from .estimators.logistic_cv import LogisticRegressionCV
from .inference import bootstrap, infer, likelihood_ratio_test
from .inference.separation import PerfectSeparationWarning
from .persistence import load
from .precision import enable_compilation_cache
from .scale import sharding
from .scale.out_of_core import fit_out_of_core
from .selection.path import RegularizationPath, regularization_path

#: Modules importable by their short public path (``import jaxlogreg.losses``,
#: ``from jaxlogreg.sharding import make_mesh``) wherever they live in the package's layers.
PUBLIC_MODULES = {
    "losses": losses,
    "penalties": penalties,
    "bootstrap": bootstrap,
    "sharding": sharding,
    "out_of_core": out_of_core,
}
for _name, _module in PUBLIC_MODULES.items():
    sys.modules[f"{__name__}.{_name}"] = _module

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
    "enable_compilation_cache",
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
