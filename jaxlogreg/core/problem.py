"""A penalized linear-model fitting problem: data, loss and penalty, as one pytree.

The objective, in the glmnet convention (see the README for scikit-learn's ``C``)::

    F(Θ) = Σᵢ s̃ᵢ ℓ(zᵢ, tᵢ) + P(Θ),     zᵢ = W xᵢ + b + oᵢ,    s̃ᵢ = sᵢ / Σₗ sₗ

with coefficients ``Θ = [W | b]`` of shape ``(K, d)``: ``W`` is ``(K, p)`` and, when an intercept
is fitted, ``b`` is the last column (``d = p + 1``, its penalty factor is zero); otherwise
``d = p``. ``F = smooth(Θ) + P₁(Θ)`` where ``P₁`` is the L1 part of the penalty. ``oᵢ`` is an
optional known offset (glmnet's and glum's ``offset``), ``0`` without one.

``Z`` is affine in ``Θ``: ``linear_predictor`` (the offset added) gives it at a point,
``design_matmul`` its linear part ``A Vᵀ`` for a direction ``V`` (no offset), so that
``Z(Θ + tV) = Z(Θ) + t·A Vᵀ``.

Everything a solver needs comes from here: the objective, its gradient (``jax.value_and_grad``),
the closed-form Hessian of the smooth part (checked against ``jax.hessian`` in the tests), and
the largest KKT violation, the stopping rule. The evaluations take ``Θ``, and optionally what is
already known there: the linear predictors ``Z`` (``..._given_Z``, or ``Z=``) or the risk
(``..._given_risk``), so that no pass over ``X`` is repeated.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from . import design as design_ops
from .design import SparseDesign
from .linalg import center_classes
from .losses import Loss
from .penalties import ElasticNetPenalty

__all__ = ["Problem", "Risk"]


class Risk(NamedTuple):
    """The risk ``R = Σᵢ s̃ᵢ ℓ(zᵢ, tᵢ)`` (``value``) and its gradient ``(K, d)`` at a point.

    Both depend on the coefficients only through ``Z`` and not at all on the penalty: they hold
    at every ``Θ`` with the same linear predictors, and a path hands them from one ``λ`` to the
    next, whose solve starts at the same coefficients.
    """

    value: jax.Array
    grad: jax.Array


@partial(
    jax.tree_util.register_dataclass,
    data_fields=["X", "targets", "weights", "penalty", "X_T", "offset"],
    meta_fields=["loss", "fit_intercept"],
)
@dataclasses.dataclass(frozen=True)
class Problem:
    """Data ``X (n, p)``, targets ``T (n, K)``, normalized weights ``s̃ (n,)``, a penalty.

    ``loss`` and ``fit_intercept`` are static (they change shapes or code paths); every array is a
    run-time value, so problems that differ only in data, weights or penalty strengths share one
    compiled solver and can be stacked along a leading axis for ``jax.vmap``.

    ``X_T``: optionally ``Xᵀ (p, n)`` held in memory as well. The products with the data then
    run over its contiguous rows: on a CPU the gradient's ``Rᵀ X`` takes about half the time of
    the same product over the columns of a row-major ``X`` (100,000 × 100: 2.4 against 4.5 ms),
    ``X Wᵀ`` and the Gram matrix take as long, and ``X`` may be a transposed view of ``X_T``
    that is never laid out in memory (the sub-problems of ``jaxlogreg.engine.working_set``).
    ``X`` may be a ``SparseDesign`` (then without ``X_T``): every product goes through
    ``jaxlogreg.core.design``.

    ``offset``: optionally a known term added to the linear predictors, ``(n, K)`` or ``(n, 1)``
    (one column shared by the ``K`` outputs); ``None`` means none. It is data, like ``X``: a
    batch of problems with different offsets shares one program. Padding rows (zero weight)
    carry offset ``0``.
    """

    X: jax.Array | SparseDesign
    targets: jax.Array
    weights: jax.Array
    penalty: ElasticNetPenalty
    loss: Loss
    fit_intercept: bool
    X_T: jax.Array | None = None
    offset: jax.Array | None = None

    @property
    def n_outputs(self) -> int:
        return self.targets.shape[1]

    @property
    def n_params_per_output(self) -> int:
        return self.X.shape[1] + int(self.fit_intercept)

    def zeros(self) -> jax.Array:
        """Coefficients ``Θ = 0`` of shape ``(K, d)``."""
        return jnp.zeros((self.n_outputs, self.n_params_per_output), self.X.dtype)

    def split(self, coef: jax.Array) -> tuple[jax.Array, jax.Array]:
        """``Θ -> (W (K, p), b (K,))``; ``b = 0`` without an intercept."""
        p = self.X.shape[1]
        if self.fit_intercept:
            return coef[:, :p], coef[:, p]
        return coef, jnp.zeros(coef.shape[0], coef.dtype)

    def center_classes(self, coef: jax.Array) -> jax.Array:
        """``coef`` less its mean over classes when the loss is shift invariant (multinomial).

        The risk is unchanged and the ridge part cannot grow, so the smooth part of ``F`` does not
        increase; gradients at such a point are orthogonal to the Hessian's null space
        (``core.linalg``).
        """
        if not self.loss.shift_invariant:
            return coef
        return center_classes(coef)

    def center_intercepts(self, coef: jax.Array) -> jax.Array:
        """``coef`` with the mean over classes taken off the intercepts when the loss is shift
        invariant (multinomial): ``F`` is unchanged, and the intercepts are the ones that sum to
        zero, whichever solver found them."""
        if not (self.loss.shift_invariant and self.fit_intercept):
            return coef
        return coef.at[:, -1].add(-jnp.mean(coef[:, -1]))

    def data(self) -> jax.Array:
        """``X (n, p)`` for products: ``X_T`` transposed when the problem holds it (XLA takes the
        transpose into the product, which then reads ``X_T``), else ``X``."""
        return self.X if self.X_T is None else self.X_T.T

    def design(self) -> jax.Array:
        """``X`` with a column of ones appended when an intercept is fitted: ``(n, d)``; dense
        ``X`` only (a sparse one is never made dense)."""
        if design_ops.is_sparse(self.X):
            raise TypeError("this computation needs a dense X; it was given a sparse one")
        X = self.data()
        if not self.fit_intercept:
            return X
        return jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1)

    def linear_predictor(self, coef: jax.Array) -> jax.Array:
        """``Z = X Wᵀ + b + o``: ``(n, K)``, the offset ``o`` added when the problem has one
        (an ``(n,)`` offset is one column, shared by the ``K`` outputs)."""
        Z = self.design_matmul(coef)
        return Z if self.offset is None else Z + self._offset_columns()

    def without_offset(self, Z: jax.Array) -> jax.Array:
        """``Z − o = A Θᵀ``: the part of linear predictors ``Z`` that the coefficients make."""
        return Z if self.offset is None else Z - self._offset_columns()

    def _offset_columns(self) -> jax.Array:
        """The offset as columns, ``(n, K)`` or ``(n, 1)``, that broadcast against ``Z``."""
        return self.offset[:, None] if self.offset.ndim == 1 else self.offset

    def design_matmul(self, V: jax.Array) -> jax.Array:
        """``A Vᵀ = X V_Wᵀ + V_b`` for ``V (K, d)``: ``(n, K)``, linear in ``V`` (no offset): the
        change of ``Z`` along a direction (``design.matmul_t``, over the rows of ``X_T`` when the
        problem holds it)."""
        W, b = self.split(V)
        return design_ops.matmul_t(self.X, W, self.X_T) + b

    def objective(self, coef: jax.Array) -> jax.Array:
        """The full objective ``F(Θ)``."""
        return self.smooth_value(coef) + self.penalty.l1_value(coef)

    def smooth_value(self, coef: jax.Array, Z: jax.Array | None = None) -> jax.Array:
        """Risk plus ridge part at ``coef``; given ``Z`` there (if known), no pass over ``X``."""
        if Z is None:
            Z = self.linear_predictor(coef)
        return self.risk_given_Z(Z) + self.penalty.smooth_value(coef)

    def smooth_value_and_grad(self, coef: jax.Array, Z: jax.Array | None = None):
        """``smooth_value`` and its gradient ``(K, d)``; one pass over ``X`` given ``Z``, else two.

        What ``jax.value_and_grad(smooth_value)`` computes: ``jax.grad`` in ``Z``, then
        ``design_rmatmul``. ``Z`` suits methods that get it at a combination of points as the
        same combination of known ones.
        """
        if Z is None:
            Z = self.linear_predictor(coef)
        return self.smooth_value_and_grad_given_risk(coef, self.risk_and_grad_given_Z(Z))

    def smooth_value_and_grad_given_risk(self, coef: jax.Array, risk: Risk):
        """``smooth_value_and_grad`` given the risk at ``coef``: the ridge part added, no pass."""
        value = risk.value + self.penalty.smooth_value(coef)
        return value, risk.grad + self.penalty.l2_weights() * coef

    def risk_given_Z(self, Z: jax.Array) -> jax.Array:
        """The weighted mean loss ``R = Σᵢ s̃ᵢ ℓ(zᵢ, tᵢ)`` at the linear predictors ``Z``."""
        return jnp.dot(self.weights, self.loss.pointwise(Z, self.targets))

    def risk_and_grad_given_Z(self, Z: jax.Array) -> Risk:
        """The risk and its gradient ``(∂R/∂Z)ᵀ A`` given ``Z``: one pass over ``X``."""
        risk, dZ = jax.value_and_grad(self.risk_given_Z)(Z)
        return Risk(risk, self.design_rmatmul(dZ))

    def risk_given_objective(
        self, coef: jax.Array, objective: jax.Array, smooth_grad: jax.Array
    ) -> Risk:
        """The risk at ``coef`` given ``F`` and the smooth gradient there: the penalty taken off."""
        value = objective - self.penalty.value(coef)
        return Risk(value, smooth_grad - self.penalty.l2_weights() * coef)

    def design_rmatmul(self, R: jax.Array) -> jax.Array:
        """``Rᵀ A`` for ``R (n, K)``: ``(K, d)``, without forming the design ``A = [X | 1]``
        (over the rows of ``X_T`` when the problem holds it)."""
        return self._with_intercept_sums(design_ops.rmatmul(R, self.X, self.X_T), R)

    def design_squares_rmatmul(self, V: jax.Array) -> jax.Array:
        """``Vᵀ (A ⊙ A)`` for ``V (n, K)``: ``(K, d)``, e.g. the diagonal of ``Aᵀ diag(v) A``."""
        return self._with_intercept_sums(design_ops.squares_rmatmul(V, self.X, self.X_T), V)

    def _with_intercept_sums(self, VX: jax.Array, V: jax.Array) -> jax.Array:
        """``(K, p)`` products with ``X`` -> ``(K, d)``: the intercept column's ``Σᵢ vᵢ`` added."""
        if not self.fit_intercept:
            return VX
        return jnp.concatenate([VX, jnp.sum(V, axis=0)[:, None]], axis=1)

    def smooth_hessian(self, coef: jax.Array) -> jax.Array:
        """Hessian of the smooth part, ``(K·d, K·d)`` in the row-major layout of ``Θ``."""
        return self.risk_hessian(coef) + jnp.diag(self.ridge_diagonal())

    def risk_hessian(self, coef: jax.Array, block_rows: int | None = None) -> jax.Array:
        """Hessian of the weighted mean loss alone (no penalty), ``(K·d, K·d)``.

        ``Σᵢ s̃ᵢ Cᵢ ⊗ aᵢaᵢᵀ`` (``Cᵢ`` the ``K × K`` loss curvature) with ``aᵢ = (xᵢ, 1)`` is
        assembled from its blocks ``Σ s̃ Cᵢ ⊗ xᵢxᵢᵀ`` (the loss's closed form on ``X``),
        ``Σ s̃ Cᵢ ⊗ xᵢ`` and ``Σ s̃ Cᵢ``: the ``(n, d)`` design is never formed.
        ``block_rows``: accumulate over row blocks (``losses._weighted_gram``). A problem that
        holds ``X_T`` takes the Gram matrix over it; a sparse ``X`` gives
        ``design.sparse_weighted_gram``'s (``block_rows`` unused).
        """
        Z = self.linear_predictor(coef)
        if self.X_T is None:
            H = self.loss.hessian(self.X, Z, self.weights, block_rows)
        else:
            H = self.loss.hessian(self.X_T, Z, self.weights, block_rows, transposed=True)
        if self.fit_intercept:
            H = self._with_intercept_blocks(H, Z)
        return H

    def ridge_diagonal(self) -> jax.Array:
        """The ridge part's Hessian ``λ(1−α)ϖ`` on the flattened ``Θ`` (``(K·d,)``)."""
        return jnp.tile(self.penalty.l2_weights(), self.n_outputs)

    def _with_intercept_blocks(self, H_X: jax.Array, Z: jax.Array) -> jax.Array:
        """``(K·p)²`` Hessian of the weights ``H_X`` -> ``(K·d)²`` with the intercept rows."""
        K, p = self.n_outputs, self.X.shape[1]
        C = self.loss.curvature_matrix(Z)  # (n, K, K)
        SC = (self.weights[:, None, None] * C).reshape(-1, K * K)  # (n, K²)
        cross = self.design_rmatmul(SC)  # (K², d): [Σ s̃ Cₖₗ xᵢ | Σ s̃ Cₖₗ]
        cross = cross.reshape(K, K, p + 1)
        top = jnp.concatenate(
            [H_X.reshape(K, p, K, p), jnp.swapaxes(cross[:, :, :p], 1, 2)[..., None]], axis=3
        )  # (K, p, K, d)
        bottom = cross[:, None, :, :]  # (K, 1, K, d): the intercept row of class k
        return jnp.concatenate([top, bottom], axis=1).reshape(K * (p + 1), K * (p + 1))

    def kkt_violation(self, coef: jax.Array, smooth_grad: jax.Array) -> jax.Array:
        """Largest violation of the first-order (KKT) conditions: ``0`` exactly at a solution."""
        return jnp.max(self.penalty.kkt_residual(coef, smooth_grad))
