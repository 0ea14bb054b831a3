"""Pointwise losses of linear models, written for numerical stability.

Every loss works on a matrix of linear predictors ``Z`` of shape ``(n, K)`` and a target matrix
``T`` of the same shape:

- binary logistic (``K = 1``, ``t ∈ [0, 1]``): ``ℓ(z, t) = log(1 + eᶻ) − t·z``;
- multinomial softmax cross-entropy (``K`` classes, one-hot ``t``):
  ``ℓ(z, t) = logsumexp(z) − Σₖ tₖ zₖ``;
- squared (``K`` targets): ``ℓ(z, t) = ½‖z − t‖²``.

Each loss also gives its inverse link (the predicted mean ``μ``), for which ``∂ℓ/∂z = μ − t``, and
the link itself; its curvature ``∂²ℓ/∂z²``, from which the Hessian of the empirical risk is built
in closed form (``Xᵀ diag(s ⊙ c) X`` for ``K = 1``); and the bound ``sup_z λ_max(∂²ℓ/∂z²)`` of
that curvature, from which first-order methods take their step sizes. The closed forms are
checked against ``jax.hessian`` in the tests.
"""

from __future__ import annotations

import abc

import jax
import jax.numpy as jnp
import numpy as np

from .design import is_sparse, sparse_weighted_gram

__all__ = ["BINARY", "GRAM_BLOCK_ROWS", "LOSSES", "MULTINOMIAL", "SQUARED", "Loss", "get_loss"]


class Loss(abc.ABC):
    """A pointwise loss ``ℓ(z, t)`` of a linear predictor ``z ∈ ℝᴷ`` and a target ``t ∈ ℝᴷ``."""

    name: str
    #: ``ℓ(z + c·1, t) = ℓ(z, t)`` for every ``c``: the Hessian is singular along ``1 ⊗ v``.
    shift_invariant: bool = False
    #: ``sup_z λ_max(∂²ℓ/∂z²)``, so that ``∇²R ≼ c·AᵀSA`` (``A`` the design, ``S`` the weights).
    curvature_bound: float

    @abc.abstractmethod
    def pointwise(self, Z: jax.Array, T: jax.Array) -> jax.Array:
        """Loss of every sample: ``(n, K), (n, K) -> (n,)``."""

    @abc.abstractmethod
    def mean(self, Z: jax.Array) -> jax.Array:
        """Inverse link ``μ(z)`` (probabilities, or the prediction itself): ``(n, K) -> (n, K)``."""

    @abc.abstractmethod
    def link(self, mu: jax.Array) -> jax.Array:
        """The link ``z(μ)``, inverse of ``mean`` (for the multinomial, the class-centred one),
        with ``μ`` kept off the ends of its range: ``(..., K) -> (..., K)``."""

    @abc.abstractmethod
    def curvature_matvec(self, Z: jax.Array, V: jax.Array) -> jax.Array:
        """Per-sample ``(∂²ℓ/∂z²) vᵢ`` for rows ``vᵢ`` of ``V``: ``(n, K), (n, K) -> (n, K)``."""

    def curvature_matrix(self, Z: jax.Array) -> jax.Array:
        """Per-sample curvature ``Cᵢ = ∂²ℓ/∂z²`` at the rows of ``Z``: ``(n, K) -> (n, K, K)``."""
        eye = jnp.eye(Z.shape[1], dtype=Z.dtype)
        # Column l of Cᵢ: the curvature applied to the unit vector e_l.
        return jax.vmap(
            lambda e: self.curvature_matvec(Z, jnp.broadcast_to(e, Z.shape)), out_axes=2
        )(eye)

    def curvature_diagonal(self, Z: jax.Array) -> jax.Array:
        """Per-sample diagonal ``(Cᵢ)ₖₖ`` of the curvature: ``(n, K) -> (n, K)``."""
        return jnp.diagonal(self.curvature_matrix(Z), axis1=1, axis2=2)

    @abc.abstractmethod
    def hessian(
        self,
        A: jax.Array,
        Z: jax.Array,
        s: jax.Array,
        block_rows: int | None = None,
        transposed: bool = False,
    ) -> jax.Array:
        """``Σᵢ sᵢ (∂²ℓ/∂z²)ᵢ ⊗ aᵢaᵢᵀ`` as a ``(K·d, K·d)`` matrix (row index ``k·d + j``).

        ``A`` is the ``(n, d)`` design (with a column of ones when there is an intercept), or
        with ``transposed`` its transpose ``Aᵀ (d, n)``; ``block_rows`` as in ``_weighted_gram``.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # Losses are stateless: make every instance of one class equal, so that they are valid,
    # interchangeable static arguments of jit-compiled functions.
    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


#: Rows per block of a blocked Gram product (``_weighted_gram``): the default on a single CPU
#: device, and what solvers batched by ``jax.vmap`` ask for.
GRAM_BLOCK_ROWS = 1024


def _single_cpu() -> bool:
    """JAX runs on one CPU device: no mesh can split the rows that a blocked product slices."""
    return jax.default_backend() == "cpu" and jax.device_count() == 1


def _weighted_gram(
    A: jax.Array, v: jax.Array, block_rows: int | None = None, transposed: bool = False
) -> jax.Array:
    """``Aᵀ diag(v) A`` for ``A (n, d)``, or for ``A`` given as ``Aᵀ (d, n)`` (``transposed``).

    With ``block_rows``, accumulated over blocks of that many rows: block ``b`` adds
    ``(A_bᵀ ⊙ v_b) A_b``, its transposed weighted copy made in cache and the product taken over
    its contiguous rows. On a CPU that is 2–3× faster than one product over all rows (at
    10⁵ × 64–100: 16–21 against 27–76 ms), so it is the default on a single CPU device. It also
    pays under ``vmap`` over ``v`` (cross-validation folds), where one product would copy ``A``
    once per member. Otherwise one product: accelerators run it well, and a mesh that splits the
    rows keeps its shards only then. Its weighted copy is laid out as ``A`` is given (a weighted
    copy of ``Aᵀ`` in ``A``'s layout would be a transposition, several times slower). A sparse
    ``A`` (``design.SparseDesign``) takes ``design.sparse_weighted_gram``.
    """
    if is_sparse(A):
        return sparse_weighted_gram(A, v)
    n = A.shape[1 if transposed else 0]
    if block_rows is None and _single_cpu():
        block_rows = GRAM_BLOCK_ROWS
    n_blocks = 0 if block_rows is None else n // block_rows
    if n_blocks < 4:
        if transposed:
            return jax.lax.dot_general(A * v, A, (((1,), (1,)), ((), ())))
        return jax.lax.dot_general(A * v[:, None], A, (((0,), (0,)), ((), ())))
    rows_axis = 1 if transposed else 0

    def block_gram(rows_T: jax.Array, v_b: jax.Array) -> jax.Array:
        return jax.lax.dot_general(rows_T * v_b, rows_T, (((1,), (1,)), ((), ())))

    def add_block(total, start):
        rows = jax.lax.dynamic_slice_in_dim(A, start, block_rows, axis=rows_axis)
        v_b = jax.lax.dynamic_slice_in_dim(v, start, block_rows)
        return total + block_gram(rows if transposed else rows.T, v_b), None

    m = n_blocks * block_rows
    rest = A[:, m:] if transposed else A[m:].T
    starts = jnp.arange(n_blocks) * block_rows
    gram, _ = jax.lax.scan(add_block, block_gram(rest, v[m:]), starts)
    return gram


class BinaryLogistic(Loss):
    """``log(1 + eᶻ) − t·z``; ``μ = σ(z)``; curvature ``σ(z)(1 − σ(z))``.

    ``softplus`` evaluates ``log(1 + eᶻ)`` as ``max(z, 0) + log1p(e^{−|z|})``: finite and exact
    for margins of any size (a naive ``log(1 + exp(z))`` overflows at ``z ≈ 710`` in float64).
    """

    name = "binary"
    curvature_bound = 0.25  # σ(1 − σ) ≤ ¼

    def pointwise(self, Z, T):
        return jnp.sum(jax.nn.softplus(Z) - T * Z, axis=-1)

    def mean(self, Z):
        return jax.nn.sigmoid(Z)

    def link(self, mu):
        """``logit(μ)``, ``μ`` clipped to ``[tiny, 1 − ε]``."""
        mu = jnp.clip(mu, jnp.finfo(mu.dtype).tiny, 1.0 - jnp.finfo(mu.dtype).eps)
        return jnp.log(mu) - jnp.log1p(-mu)

    def curvature_diagonal(self, Z):
        mu = jax.nn.sigmoid(Z)
        return mu * (1.0 - mu)

    def curvature_matvec(self, Z, V):
        return self.curvature_diagonal(Z) * V

    def hessian(self, A, Z, s, block_rows=None, transposed=False):
        return _weighted_gram(A, s * self.curvature_diagonal(Z)[:, 0], block_rows, transposed)


class Multinomial(Loss):
    """``logsumexp(z) − Σₖ tₖzₖ``; ``μ = softmax(z)``; curvature ``diag(μ) − μμᵀ``.

    The curvature is singular along ``(1, …, 1)`` (adding a constant to every class leaves the
    softmax unchanged); the Newton solvers account for that null space.
    """

    name = "multinomial"
    shift_invariant = True
    curvature_bound = 0.5  # diag(μ) − μμᵀ ≼ ½I

    def pointwise(self, Z, T):
        return jax.nn.logsumexp(Z, axis=-1) - jnp.sum(T * Z, axis=-1)

    def mean(self, Z):
        return jax.nn.softmax(Z, axis=-1)

    def link(self, mu):
        """``log μ`` (``μ`` at least ``tiny``) less its mean over classes."""
        logs = jnp.log(jnp.maximum(mu, jnp.finfo(mu.dtype).tiny))
        return logs - jnp.mean(logs, axis=-1, keepdims=True)

    def curvature_matvec(self, Z, V):
        mu = jax.nn.softmax(Z, axis=-1)
        return mu * V - mu * jnp.sum(mu * V, axis=-1, keepdims=True)

    def hessian(self, A, Z, s, block_rows=None, transposed=False):
        d = A.shape[0 if transposed else 1]
        mu = jax.nn.softmax(Z, axis=-1)
        K = mu.shape[1]
        # Block (k, l) is Aᵀ diag(s ⊙ (δₖₗμₖ − μₖμₗ)) A. The Hessian is symmetric, so only the
        # K(K+1)/2 blocks with k ≤ l are computed (one weighted Gram matrix each, in sequence:
        # a single (n, K·d) Gram matrix would cost twice the arithmetic and K times the memory).
        rows, cols = np.triu_indices(K)
        diagonal = jnp.asarray(rows == cols, A.dtype)
        weights = s[:, None] * (diagonal * mu[:, rows] - mu[:, rows] * mu[:, cols])  # (n, P)
        upper = jax.lax.map(lambda w: _weighted_gram(A, w, block_rows, transposed), weights.T)
        blocks = jnp.zeros((K, K, d, d), A.dtype).at[rows, cols].set(upper)
        blocks = blocks.at[cols, rows].set(jnp.swapaxes(upper, 1, 2))
        return blocks.transpose(0, 2, 1, 3).reshape(K * d, K * d)


class Squared(Loss):
    """``½‖z − t‖²``; ``μ = z``; curvature ``I``."""

    name = "squared"
    curvature_bound = 1.0

    def pointwise(self, Z, T):
        return 0.5 * jnp.sum(jnp.square(Z - T), axis=-1)

    def mean(self, Z):
        return Z

    def link(self, mu):
        return mu

    def curvature_matvec(self, Z, V):
        return V

    def hessian(self, A, Z, s, block_rows=None, transposed=False):
        K = Z.shape[1]
        gram = _weighted_gram(A, s, block_rows, transposed)
        return jnp.kron(jnp.eye(K, dtype=A.dtype), gram)


BINARY = BinaryLogistic()
MULTINOMIAL = Multinomial()
SQUARED = Squared()
LOSSES: dict[str, Loss] = {loss.name: loss for loss in (BINARY, MULTINOMIAL, SQUARED)}


def get_loss(loss: str | Loss) -> Loss:
    """The loss object for a name (``"binary"``, ``"multinomial"``, ``"squared"``) or a ``Loss``."""
    if isinstance(loss, Loss):
        return loss
    try:
        return LOSSES[loss]
    except KeyError:
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)}") from None
