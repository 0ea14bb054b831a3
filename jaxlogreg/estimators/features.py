"""Polynomial feature expansion: a scikit-learn transformer whose transform is a pure function.

For an exponent matrix ``P`` of shape ``(m, p)`` (one row per output feature), the expansion of
a sample ``x ∈ ℝᵖ`` is ``φ(x)ₖ = Πⱼ xⱼ^{Pₖⱼ}``: all monomials of total degree ``≤ degree`` (or,
with ``interaction_only``, the products of distinct features), in scikit-learn's column order.
"""

from __future__ import annotations

from itertools import chain, combinations, combinations_with_replacement

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from .. import persistence
from .._validation import check_positive_int, to_device
from ..precision import precise_jit

__all__ = ["PolynomialFeatures", "polynomial_features", "polynomial_powers"]


@precise_jit
def polynomial_features(X: jax.Array, powers: jax.Array) -> jax.Array:
    """``Φ (n, m)`` with ``Φᵢₖ = Πⱼ Xᵢⱼ^{Pₖⱼ}`` for integer exponents ``powers = P (m, p)``."""
    return jnp.prod(X[:, None, :] ** powers[None, :, :], axis=2)


def polynomial_powers(
    n_features: int, degree: int, *, interaction_only: bool, include_bias: bool
) -> np.ndarray:
    """The exponent matrix ``(m, n_features)``, rows ordered by degree, then lexicographically."""
    combine = combinations if interaction_only else combinations_with_replacement
    start = 0 if include_bias else 1
    terms = chain.from_iterable(combine(range(n_features), k) for k in range(start, degree + 1))
    rows = [np.bincount(np.asarray(term, dtype=int), minlength=n_features) for term in terms]
    return np.asarray(rows, dtype=np.int32).reshape(-1, n_features)


class PolynomialFeatures(TransformerMixin, BaseEstimator):
    """All monomials of the features up to total degree ``degree``, as in scikit-learn.

    Parameters:
        degree: the largest total degree (a positive integer).
        interaction_only: only products of distinct features (no ``xⱼ²``, ...).
        include_bias: include the constant column ``1`` (first).

    Attributes:
        powers_: ``(n_output_features, n_features_in)`` exponents; output ``k`` is
            ``Πⱼ xⱼ^{powers_[k, j]}``.
        n_output_features_, n_features_in_, feature_names_in_: as in scikit-learn.

    The transform is ``polynomial_features(X, powers_)``, a jit-compiled pure function, in the
    dtype of ``X`` (float64 input with ``jax_enable_x64`` off is expanded by NumPy, in float64).
    """

    def __init__(self, degree=2, *, interaction_only=False, include_bias=False):
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias

    def fit(self, X, y=None):
        """Compute the exponent matrix for the number of features of ``X``."""
        degree = check_positive_int("degree", self.degree)
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self.powers_ = polynomial_powers(
            X.shape[1],
            degree,
            interaction_only=bool(self.interaction_only),
            include_bias=bool(self.include_bias),
        )
        self.n_output_features_ = self.powers_.shape[0]
        return self

    def transform(self, X):
        """``(n_samples, n_output_features_)`` monomials of the rows of ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        if X.dtype != jax.dtypes.canonicalize_dtype(X.dtype):  # float64, x64 off: NumPy keeps it
            return np.prod(X[:, None, :] ** self.powers_[None, :, :], axis=2)
        return np.asarray(polynomial_features(to_device(X), jnp.asarray(self.powers_)))

    def get_feature_names_out(self, input_features=None):
        """Names such as ``"x0^2 x1"`` (``"1"`` for the bias), as scikit-learn writes them."""
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.asarray(
            [
                " ".join(names[j] if e == 1 else f"{names[j]}^{e}" for j, e in enumerate(row) if e)
                or "1"
                for row in self.powers_
            ],
            dtype=object,
        )

    def save(self, path) -> None:
        """Write the fitted transformer to ``path`` (``.npz`` arrays + JSON metadata)."""
        check_is_fitted(self)
        persistence.save(self, path)
