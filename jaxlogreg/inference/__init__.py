"""Statistical inference on fitted models: Wald covariances and tests, likelihood statistics,
the bootstrap, influence functions, separation checks and the printed summary."""

from . import bootstrap
from .covariance import COV_TYPES, covariance, log_likelihood, scores
from .wald import Inference, InferenceWarning, LikelihoodRatioTest, infer, likelihood_ratio_test

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
