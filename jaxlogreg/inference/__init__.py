"""Statistical inference on fitted models: Wald covariances and tests, likelihood statistics,
the bootstrap, influence functions, separation checks and the printed summary."""

from . import bootstrap
from .wald import (
    COV_TYPES,
    Inference,
    InferenceWarning,
    LikelihoodRatioTest,
    covariance,
    infer,
    likelihood_ratio_test,
    log_likelihood,
    scores,
)

__all__ = [
    "COV_TYPES",
    "Inference",
    "InferenceWarning",
    "LikelihoodRatioTest",
    "bootstrap",
    "covariance",
    "infer",
    "likelihood_ratio_test",
    "log_likelihood",
    "scores",
]
