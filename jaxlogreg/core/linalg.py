"""Linear algebra of the solvers: positive definite solves that account for the softmax's null
space, conjugate gradients and power iteration.

Coefficients ``Θ (K, d)`` are flattened row-major, so a Hessian is ``(K·d, K·d)`` with row index
``k·d + j``. A shift-invariant loss (multinomial) is unchanged by ``Θ ↦ Θ + 1 ⊗ v``: its Hessian
``H`` is singular along the class shifts ``1 ⊗ v`` of the columns ``j`` without a ridge part. With
``c ∈ {0, 1}ᵈ`` marking those columns, ``P = (11ᵀ/K) ⊗ diag(c)`` is the projector onto their class
shifts and ``H + γP`` (``γ > 0``, the mean curvature) is positive definite on them. ``H`` maps
class-centred vectors to class-centred vectors, so for a right-hand side with ``Pb = 0`` (a
gradient at a class-centred point) ``(H + γP)⁻¹b = H⁺b``: the minimum-norm solution, the same
whichever ``γ``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

__all__ = [
    "center_classes",
    "cholesky_solve",
    "class_shift_projector",
    "conjugate_gradient",
    "lift_class_shifts",
    "mean_curvature",
    "power_iteration",
    "project_class_shifts",
    "solve_positive_definite",
    "with_ridge",
]


def class_shift_projector(n_classes: int, columns: jax.Array) -> jax.Array:
    """``P = (11ᵀ/K) ⊗ diag(c)``, ``(K·d, K·d)``: the projector onto the class shifts of the
    columns ``c (d,)`` (ones for every column, or a 0/1 mask)."""
    shared = jnp.full((n_classes, n_classes), 1.0 / n_classes, columns.dtype)
    return jnp.kron(shared, jnp.diag(columns))


def project_class_shifts(V: jax.Array, columns: jax.Array) -> jax.Array:
    """``P v`` in the ``(K, d)`` layout of ``V``: ``c ⊙`` the mean of ``V`` over classes, the
    same for every class (``(1, d)``, broadcast)."""
    return columns * jnp.mean(V, axis=0, keepdims=True)


def center_classes(V: jax.Array) -> jax.Array:
    """``(I − P) v`` with every column in ``c``: ``V (K, d)`` less its mean over classes."""
    return V - jnp.mean(V, axis=0, keepdims=True)


def mean_curvature(diagonal: jax.Array, mask: jax.Array | None = None) -> jax.Array:
    """``γ``: the mean of a Hessian's ``diagonal`` (over the coordinates in ``mask``), or ``1``
    when that is not positive; the unit of the null-space term and of the ridge."""
    if mask is None:
        scale = jnp.mean(diagonal)
    else:
        scale = jnp.sum(diagonal * mask) / jnp.maximum(jnp.sum(mask), 1.0)
    return jnp.where(scale > 0, scale, 1.0)


def lift_class_shifts(H: jax.Array, scale: jax.Array, columns: jax.Array) -> jax.Array:
    """``H + γP``: ``H`` made positive definite on the class shifts of the columns ``c (d,)``."""
    n_classes = H.shape[0] // columns.shape[0]
    return H + scale * class_shift_projector(n_classes, columns)


def with_ridge(H: jax.Array, scale: jax.Array, level=None) -> jax.Array:
    """``H + ρ·γ·I``, a relative ridge; ``ρ = 10ε`` (rounding level) by default, which guards
    against exactly collinear columns without moving a well-posed solution."""
    if level is None:
        level = 10 * jnp.finfo(H.dtype).eps
    return H + level * scale * jnp.eye(H.shape[0], dtype=H.dtype)


@jax.custom_batching.sequential_vmap
def cholesky_solve(A: jax.Array, b: jax.Array) -> jax.Array:
    """``A⁻¹b`` for symmetric positive definite ``A`` (NaN when the factorization fails).

    Under ``jax.vmap`` the factorizations run one after another (``lax.map``) instead of as one
    batched LAPACK call: inside a vmapped ``while_loop``, XLA's CPU runtime deadlocks on the batched
    Cholesky call from about ten problems on (every worker idle, the result never delivered).
    """
    return jsl.cho_solve(jsl.cho_factor(A, lower=True), b)


def solve_positive_definite(
    H: jax.Array, b: jax.Array, *, scale: jax.Array, shift_columns: jax.Array | None = None
) -> jax.Array:
    """``x = (H + γP + 10ε·γI)⁻¹ b`` by Cholesky (``P`` only with ``shift_columns``, see the
    module docstring); should the factorization fail, the stronger ridge ``√ε·γ`` is used."""
    if shift_columns is not None:
        H = lift_class_shifts(H, scale, shift_columns)
    x = cholesky_solve(with_ridge(H, scale), b)
    strong = jnp.sqrt(jnp.finfo(H.dtype).eps).astype(H.dtype)
    return jax.lax.cond(
        jnp.all(jnp.isfinite(x)), lambda: x, lambda: cholesky_solve(with_ridge(H, scale, strong), b)
    )


class _CGCarry(NamedTuple):
    k: jax.Array
    x: jax.Array  # approximate solution of H x = b
    r: jax.Array  # residual b − H x
    p: jax.Array  # search direction
    rz: jax.Array  # rᵀ M r (M the preconditioner; ‖r‖² without one)
    done: jax.Array


def conjugate_gradient(matvec, b: jax.Array, *, tol, max_iter: int, preconditioner=None):
    """Approximate solution of ``H x = b`` by (preconditioned) conjugate gradients from ``x = 0``.

    ``matvec(v) = H v``; ``preconditioner(r) = M r`` with ``M ≈ H⁻¹`` (none by default). Stops once
    ``‖b − H x‖ ≤ tol``, after ``max_iter`` iterations, or on a direction of non-positive
    curvature ``pᵀHp ≤ 0`` (for an indefinite ``H``: the last iterate is kept, or ``b``, the
    steepest-descent direction of ``½xᵀHx − bᵀx``, on the first iteration). The iterates lie in
    the Krylov space of ``H`` and ``Mb``.
    """
    precondition = (lambda v: v) if preconditioner is None else preconditioner

    def keep_going(c: _CGCarry) -> jax.Array:
        return (c.k < max_iter) & ~c.done

    def iterate(c: _CGCarry) -> _CGCarry:
        Hp = matvec(c.p)
        curvature = jnp.vdot(c.p, Hp)
        negative = ~(curvature > 0)  # also catches NaN
        alpha = c.rz / jnp.where(negative, 1.0, curvature)
        x = c.x + alpha * c.p
        r = c.r - alpha * Hp
        z = precondition(r)
        rz = jnp.vdot(r, z)
        p = z + (rz / jnp.where(c.rz > 0, c.rz, 1.0)) * c.p
        rr = rz if preconditioner is None else jnp.vdot(r, r)
        fallback = jnp.where(c.k == 0, b, c.x)
        return _CGCarry(
            k=c.k + 1,
            x=jnp.where(negative, fallback, x),
            r=jnp.where(negative, c.r, r),
            p=jnp.where(negative, c.p, p),
            rz=jnp.where(negative, c.rz, rz),
            done=negative | (jnp.sqrt(rr) <= tol),
        )

    z = precondition(b)
    rz = jnp.vdot(b, z)
    rr = rz if preconditioner is None else jnp.vdot(b, b)
    start = _CGCarry(jnp.zeros((), jnp.int32), jnp.zeros_like(b), b, z, rz, jnp.sqrt(rr) <= tol)
    return jax.lax.while_loop(keep_going, iterate, start).x


def power_iteration(matvec, start: jax.Array, n_iter: int) -> jax.Array:
    """``v ← Hv/‖Hv‖``, ``n_iter`` times from ``start/‖start‖``: a unit vector that approaches
    the leading eigenvector of a positive semi-definite ``H`` (``matvec(v) = Hv``), whose
    Rayleigh quotient ``vᵀHv`` approaches ``λ_max`` from below. ``start`` must not be orthogonal
    to that eigenvector."""
    tiny = jnp.finfo(start.dtype).tiny

    def step(_, v):
        w = matvec(v)
        return w / jnp.maximum(jnp.linalg.norm(w), tiny)

    return jax.lax.fori_loop(0, n_iter, step, start / jnp.linalg.norm(start))
