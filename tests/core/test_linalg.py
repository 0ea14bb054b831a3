"""Linear algebra of the solvers: the class-shift projector, positive definite solves through the
softmax's null space, conjugate gradients and power iteration, against NumPy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlogreg.core.linalg import (
    center_classes,
    class_shift_projector,
    conjugate_gradient,
    lift_class_shifts,
    mean_curvature,
    power_iteration,
    project_class_shifts,
    solve_positive_definite,
    with_ridge,
)


def spd(rng, m, condition=100.0):
    Q, _ = np.linalg.qr(rng.normal(size=(m, m)))
    return (Q * np.geomspace(1.0, condition, m)) @ Q.T


def softmax_like_hessian(rng, K=3, d=4):
    """``Σᵢ Cᵢ ⊗ aᵢaᵢᵀ`` with softmax curvatures ``Cᵢ = diag(μᵢ) − μᵢμᵢᵀ``: singular along
    every class shift ``1 ⊗ v``."""
    A = rng.normal(size=(50, d))
    mu = rng.dirichlet(np.ones(K), size=50)
    C = np.einsum("ik,kl->ikl", mu, np.eye(K)) - mu[:, :, None] * mu[:, None, :]
    return np.einsum("ikl,ij,im->kjlm", C, A, A).reshape(K * d, K * d) / 50


def test_class_shift_projector_is_the_orthogonal_projector_onto_class_shifts(rng):
    K, d = 3, 4
    columns = np.array([1.0, 0.0, 1.0, 1.0])
    P = np.asarray(class_shift_projector(K, jnp.asarray(columns)))
    np.testing.assert_allclose(P @ P, P, atol=1e-15)
    np.testing.assert_allclose(P, P.T)
    shift = np.outer(np.ones(K), rng.normal(size=d) * columns).ravel()
    np.testing.assert_allclose(P @ shift, shift, atol=1e-15)
    V = rng.normal(size=(K, d))
    projected = project_class_shifts(jnp.asarray(V), jnp.asarray(columns))  # (1, d)
    np.testing.assert_allclose(
        np.broadcast_to(projected, (K, d)).ravel(), P @ V.ravel(), atol=1e-15
    )
    full = np.asarray(class_shift_projector(K, jnp.ones(d)))
    centred = center_classes(jnp.asarray(V)).reshape(-1)
    np.testing.assert_allclose(centred, V.ravel() - full @ V.ravel(), atol=1e-15)


def test_mean_curvature_is_the_masked_mean_or_one():
    diagonal = jnp.array([2.0, 4.0, 9.0])
    assert float(mean_curvature(diagonal)) == 5.0
    assert float(mean_curvature(diagonal, jnp.array([1.0, 1.0, 0.0]))) == 3.0
    assert float(mean_curvature(jnp.zeros(3))) == 1.0
    assert float(mean_curvature(diagonal, jnp.zeros(3))) == 1.0


def test_solve_through_the_null_space_gives_the_minimum_norm_solution(rng):
    """For a class-centred right-hand side, ``(H + γP)⁻¹b`` is the pseudo-inverse solution."""
    K, d = 3, 4
    H = softmax_like_hessian(rng, K, d)
    b = center_classes(jnp.asarray(rng.normal(size=(K, d)))).reshape(-1)
    ones = jnp.ones(d)
    scale = mean_curvature(jnp.diag(H))
    x = solve_positive_definite(jnp.asarray(H), b, scale=scale, shift_columns=ones)
    np.testing.assert_allclose(x, np.linalg.pinv(H) @ np.asarray(b), rtol=1e-8, atol=1e-10)
    lifted = lift_class_shifts(jnp.asarray(H), scale, ones)
    assert np.linalg.eigvalsh(np.asarray(lifted))[0] > 1e-3 * float(scale)


def test_solve_positive_definite_falls_back_to_a_stronger_ridge(rng):
    """A symmetric matrix that the rounding-level ridge leaves indefinite: the solve still
    returns finite numbers (with the ``√ε`` ridge); a positive definite one is solved exactly."""
    H = spd(rng, 5)
    b = rng.normal(size=5)
    x = solve_positive_definite(jnp.asarray(H), jnp.asarray(b), scale=jnp.asarray(1.0))
    np.testing.assert_allclose(x, np.linalg.solve(H, b), rtol=1e-10)
    indefinite = np.diag([1.0, 1.0, -1e-12, 1.0, 1.0])
    x = solve_positive_definite(jnp.asarray(indefinite), jnp.asarray(b), scale=jnp.asarray(1.0))
    assert np.all(np.isfinite(x))
    eps = np.finfo(float).eps
    np.testing.assert_allclose(
        with_ridge(jnp.asarray(H), 2.0), H + 20 * eps * np.eye(5), rtol=0, atol=0
    )


@pytest.mark.parametrize("preconditioned", [False, True])
def test_conjugate_gradient_solves_a_positive_definite_system(preconditioned, rng):
    H = spd(rng, 12, condition=1e3)
    b = rng.normal(size=(3, 4))
    inverse_diagonal = 1.0 / np.diag(H).reshape(3, 4)

    def matvec(v):
        return (jnp.asarray(H) @ v.reshape(-1)).reshape(3, 4)

    x = conjugate_gradient(
        matvec,
        jnp.asarray(b),
        tol=1e-12,
        max_iter=200,
        preconditioner=(lambda v: inverse_diagonal * v) if preconditioned else None,
    )
    np.testing.assert_allclose(x.reshape(-1), np.linalg.solve(H, b.ravel()), rtol=1e-9)
    few = conjugate_gradient(matvec, jnp.asarray(b), tol=1e-12, max_iter=2)
    assert np.linalg.norm(H @ few.reshape(-1) - b.ravel()) > 1e-6  # stopped after two steps


def test_conjugate_gradient_stops_on_negative_curvature():
    """Indefinite ``H``: the steepest-descent direction ``b`` on the first iteration, else the
    last iterate before a direction of non-positive curvature."""
    b = jnp.array([1.0, 1.0])
    H = -jnp.eye(2)
    np.testing.assert_array_equal(conjugate_gradient(lambda v: H @ v, b, tol=0.0, max_iter=9), b)
    # bᵀHb = 1 > 0: one step to x = 2b; the next direction has pᵀHp < 0, so x is kept.
    H = jnp.diag(jnp.array([-1.0, 2.0]))
    x = conjugate_gradient(lambda v: H @ v, b, tol=0.0, max_iter=9)
    np.testing.assert_array_equal(x, 2 * b)
    zero = conjugate_gradient(lambda v: H @ v, jnp.zeros(2), tol=0.0, max_iter=10)
    np.testing.assert_array_equal(zero, jnp.zeros(2))


def test_conjugate_gradient_under_jit_and_vmap(rng):
    H = jnp.asarray(spd(rng, 6))
    B = jnp.asarray(rng.normal(size=(4, 6)))

    def solve(b):
        return conjugate_gradient(lambda v: H @ v, b, tol=1e-13, max_iter=50)

    batched = jax.jit(jax.vmap(solve))(B)
    for b, x in zip(B, batched, strict=True):
        np.testing.assert_allclose(x, solve(b), rtol=1e-12, atol=1e-14)


def test_power_iteration_approaches_the_top_eigenpair_from_below(rng):
    H = spd(rng, 8, condition=10.0)
    top = np.linalg.eigvalsh(H)[-1]
    v = power_iteration(lambda v: jnp.asarray(H) @ v, jnp.ones(8), 200)
    np.testing.assert_allclose(np.linalg.norm(v), 1.0, rtol=1e-14)
    rayleigh = float(v @ H @ v)
    assert rayleigh <= top * (1 + 1e-14)
    np.testing.assert_allclose(rayleigh, top, rtol=1e-10)
    # A zero matrix gives a zero vector, not NaN.
    np.testing.assert_array_equal(power_iteration(lambda v: 0.0 * v, jnp.ones(3), 3), 0.0)
