"""Losses: values against numpy references, closed-form Hessians against jax.hessian,
gradients against finite differences, and no overflow for huge margins."""

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import logsumexp

from jaxlogreg.core.problem import Problem
from jaxlogreg.losses import (
    BINARY,
    GRAM_BLOCK_ROWS,
    MULTINOMIAL,
    SQUARED,
    _weighted_gram,
    get_loss,
)
from jaxlogreg.penalties import ElasticNetPenalty


def make_problem(loss, rng, n=40, p=5, K=3, fit_intercept=True, lam=0.1, l1_ratio=0.0):
    X = rng.normal(size=(n, p))
    if loss is MULTINOMIAL:
        T = np.eye(K)[rng.integers(0, K, n)]
    elif loss is BINARY:
        T = rng.integers(0, 2, (n, 1)).astype(float)
    else:
        T = rng.normal(size=(n, 2))
    w = rng.uniform(0.5, 2.0, n)
    d = p + int(fit_intercept)
    factors = np.r_[np.ones(p), np.zeros(int(fit_intercept))]
    problem = Problem(
        X=jnp.asarray(X),
        targets=jnp.asarray(T),
        weights=jnp.asarray(w / w.sum()),
        penalty=ElasticNetPenalty(jnp.asarray(lam), jnp.asarray(l1_ratio), jnp.asarray(factors)),
        loss=loss,
        fit_intercept=fit_intercept,
    )
    coef = jnp.asarray(rng.normal(size=(T.shape[1], d)))
    return problem, coef


def test_pointwise_values_match_numpy(rng):
    z = rng.normal(size=(30, 1)) * 5
    t = rng.integers(0, 2, (30, 1)).astype(float)
    np.testing.assert_allclose(
        BINARY.pointwise(jnp.asarray(z), jnp.asarray(t)),
        (np.log1p(np.exp(z)) - t * z)[:, 0],
        rtol=1e-13,
    )
    Z = rng.normal(size=(30, 4)) * 5
    T = np.eye(4)[rng.integers(0, 4, 30)]
    np.testing.assert_allclose(
        MULTINOMIAL.pointwise(jnp.asarray(Z), jnp.asarray(T)),
        logsumexp(Z, axis=1) - np.sum(T * Z, axis=1),
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        SQUARED.pointwise(jnp.asarray(Z), jnp.asarray(T)), 0.5 * np.sum((Z - T) ** 2, axis=1)
    )


@pytest.mark.parametrize("margin", [1e4, -1e4, 800.0, -800.0])
def test_no_overflow_for_huge_margins(margin):
    z = jnp.full((3, 1), margin)
    for t in (0.0, 1.0):
        value = BINARY.pointwise(z, jnp.full((3, 1), t))
        expected = max(margin, 0.0) - t * margin  # log(1 + e^z) → max(z, 0) for |z| ≫ 1
        np.testing.assert_allclose(value, expected, rtol=1e-15)
        grad = jax.grad(lambda z, t=t: BINARY.pointwise(z, jnp.full((3, 1), t)).sum())(z)
        assert np.all(np.isfinite(grad))
    Z = jnp.array([[margin, 0.0, -margin]])
    value = MULTINOMIAL.pointwise(Z, jnp.array([[0.0, 1.0, 0.0]]))
    np.testing.assert_allclose(value, abs(margin), rtol=1e-15)


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL, SQUARED], ids=lambda l: l.name)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_closed_form_hessian_matches_autodiff(loss, fit_intercept, rng):
    problem, coef = make_problem(loss, rng, fit_intercept=fit_intercept)
    closed = problem.smooth_hessian(coef)
    auto = jax.hessian(problem.smooth_value)(coef)
    n_params = coef.size
    np.testing.assert_allclose(closed, auto.reshape(n_params, n_params), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL, SQUARED], ids=lambda l: l.name)
def test_gradient_matches_closed_form_and_finite_differences(loss, rng):
    problem, coef = make_problem(loss, rng)
    _, grad = problem.smooth_value_and_grad(coef)
    # closed form: Σᵢ s̃ᵢ (μᵢ − tᵢ) aᵢᵀ + ridge
    Z = problem.linear_predictor(coef)
    residual = problem.weights[:, None] * (loss.mean(Z) - problem.targets)
    closed = residual.T @ problem.design() + problem.penalty.l2_weights() * coef
    np.testing.assert_allclose(grad, closed, rtol=1e-12, atol=1e-14)
    h = 1e-6
    for index in [(0, 0), (0, coef.shape[1] - 1), (coef.shape[0] - 1, 2)]:
        e = jnp.zeros_like(coef).at[index].set(h)
        fd = (problem.smooth_value(coef + e) - problem.smooth_value(coef - e)) / (2 * h)
        np.testing.assert_allclose(grad[index], fd, rtol=1e-7, atol=1e-9)


def test_curvature_matvec_matches_autodiff(rng):
    Z = jnp.asarray(rng.normal(size=(10, 4)))
    V = jnp.asarray(rng.normal(size=(10, 4)))
    for loss in (BINARY, MULTINOMIAL, SQUARED):
        Zk = Z[:, :1] if loss is BINARY else Z
        Vk = V[:, :1] if loss is BINARY else V

        def grad_z(z, loss=loss):
            return jax.grad(lambda z: loss.pointwise(z, jnp.zeros_like(z)).sum())(z)

        expected = jax.jvp(grad_z, (Zk,), (Vk,))[1]
        np.testing.assert_allclose(loss.curvature_matvec(Zk, Vk), expected, rtol=1e-12)


def test_get_loss_rejects_unknown_names():
    assert get_loss("binary") is BINARY
    with pytest.raises(ValueError, match="unknown loss 'logit'"):
        get_loss("logit")


@pytest.mark.parametrize("transposed", [False, True], ids=["A", "A_T"])
@pytest.mark.parametrize("n_rows", [100, 4 * 64, 5 * 64 + 37])
def test_blocked_weighted_gram_matches_numpy(n_rows, transposed, rng):
    """``Aᵀ diag(v) A`` accumulated over row blocks of 64 (with a remainder, or too few rows to
    block) equals the direct product, also batched under ``vmap``, and with ``A`` given as
    ``Aᵀ``."""
    A = rng.normal(size=(n_rows, 7))
    V = rng.uniform(0.0, 1.0, (3, n_rows))
    given = jnp.asarray(A.T.copy() if transposed else A)
    blocked = partial(_weighted_gram, block_rows=64, transposed=transposed)
    batched = jax.vmap(blocked, in_axes=(None, 0))(given, jnp.asarray(V))
    for v, gram in zip(V, batched, strict=True):
        np.testing.assert_allclose(gram, A.T @ (v[:, None] * A), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(blocked(given, v), gram, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("transposed", [False, True], ids=["A", "A_T"])
@pytest.mark.parametrize("n_rows", [3000, 5 * GRAM_BLOCK_ROWS + 123])
def test_default_gram_matches_numpy(n_rows, transposed, rng):
    """No ``block_rows`` given, ``A`` or ``Aᵀ``: on a single CPU device blocks of
    ``GRAM_BLOCK_ROWS`` (once there are enough rows), one product on fewer rows or
    elsewhere; the same ``Aᵀ diag(v) A`` either way."""
    A = rng.normal(size=(n_rows, 9))
    v = rng.uniform(0.0, 1.0, n_rows)
    given = jnp.asarray(A.T.copy() if transposed else A)
    gram = jax.jit(partial(_weighted_gram, transposed=transposed))(given, v)
    np.testing.assert_allclose(gram, A.T @ (v[:, None] * A), rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL, SQUARED], ids=lambda l: l.name)
def test_hessian_of_a_problem_holding_its_transpose(loss, rng):
    """A problem that holds ``Xᵀ`` (with ``X`` a view of it, as paths have it) builds the same
    Hessian as one on ``X``."""
    problem, coef = make_problem(loss, rng)
    X_T = jnp.asarray(np.asarray(problem.X).T.copy())
    held = dataclasses.replace(problem, X=X_T.T, X_T=X_T)
    np.testing.assert_allclose(
        jax.jit(type(held).risk_hessian)(held, coef),
        problem.risk_hessian(coef),
        rtol=1e-12,
        atol=1e-13,
    )


def test_link_inverts_the_mean(rng):
    """``mean(link(μ)) = μ``; the multinomial link is the class-centred log, the binary one
    stays finite at ``μ ∈ {0, 1}``."""
    mu = rng.uniform(0.05, 0.95, (20, 1))
    np.testing.assert_allclose(BINARY.mean(BINARY.link(jnp.asarray(mu))), mu, rtol=1e-14)
    assert np.all(np.isfinite(BINARY.link(jnp.array([[0.0], [1.0]]))))
    mu = rng.dirichlet(np.ones(4), size=20)
    z = MULTINOMIAL.link(jnp.asarray(mu))
    np.testing.assert_allclose(MULTINOMIAL.mean(z), mu, rtol=1e-13)
    np.testing.assert_allclose(jnp.sum(z, axis=1), 0.0, atol=1e-13)
    np.testing.assert_allclose(MULTINOMIAL.link(jnp.asarray(mu[0])), z[0], rtol=1e-14)
    np.testing.assert_array_equal(SQUARED.link(jnp.asarray(mu)), mu)


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL, SQUARED], ids=lambda l: l.name)
def test_curvature_matrix_diagonal_and_bound(loss, rng):
    """``curvature_matrix`` is ``∂²ℓ/∂z²`` (``jax.hessian``), ``curvature_diagonal`` its
    diagonal, and ``curvature_bound`` bounds its largest eigenvalue (nearly attained)."""
    K = 1 if loss is BINARY else 3
    Z = jnp.asarray(rng.normal(size=(30, K)) * 3)
    C = loss.curvature_matrix(Z)
    hessians = jax.vmap(jax.hessian(lambda z: loss.pointwise(z[None], jnp.zeros((1, K)))[0]))(Z)
    np.testing.assert_allclose(C, hessians, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        loss.curvature_diagonal(Z), jnp.diagonal(C, axis1=1, axis2=2), rtol=1e-15
    )
    assert np.max(np.linalg.eigvalsh(np.asarray(C))) <= loss.curvature_bound
    # The bound is the supremum: reached at z = 0 (binary), z = (c, c, −∞) (softmax), anywhere.
    extreme = {"binary": [[0.0]], "multinomial": [[0.0, 0.0, -50.0]], "squared": [[0.0] * 3]}
    top = np.linalg.eigvalsh(np.asarray(loss.curvature_matrix(jnp.asarray(extreme[loss.name]))))
    np.testing.assert_allclose(top.max(), loss.curvature_bound, rtol=1e-12)


def offset_problem(loss, rng, shared_column: bool, fit_intercept=True):
    """A problem of ``make_problem`` with an offset: ``(n,)`` (one column for every output) when
    ``shared_column``, else ``(n, K)``."""
    problem, coef = make_problem(loss, rng, fit_intercept=fit_intercept)
    n, K = problem.targets.shape
    offset = rng.normal(size=n if shared_column else (n, K))
    return dataclasses.replace(problem, offset=jnp.asarray(offset)), coef


@pytest.mark.parametrize(
    ("loss", "shared_column"), [(BINARY, True), (MULTINOMIAL, False), (SQUARED, True)]
)
def test_offset_is_a_known_term_of_the_linear_predictor(loss, shared_column, rng):
    problem, coef = offset_problem(loss, rng, shared_column)
    offset = np.asarray(problem.offset).reshape(len(problem.weights), -1)
    W, b = np.asarray(coef[:, :-1]), np.asarray(coef[:, -1])
    Z = np.asarray(problem.X) @ W.T + b + offset  # (n, 1) broadcasts over the K outputs
    np.testing.assert_allclose(problem.linear_predictor(coef), Z, rtol=1e-13)
    np.testing.assert_allclose(problem.design_matmul(coef), Z - offset, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(problem.without_offset(jnp.asarray(Z)), Z - offset, atol=1e-13)
    risk = np.dot(problem.weights, loss.pointwise(jnp.asarray(Z), problem.targets))
    ridge = 0.5 * np.sum(np.asarray(problem.penalty.l2_weights()) * np.asarray(coef) ** 2)
    np.testing.assert_allclose(problem.smooth_value(coef), risk + ridge, rtol=1e-13)
    no_offset = dataclasses.replace(problem, offset=None)
    zero_offset = dataclasses.replace(problem, offset=jnp.zeros_like(problem.offset))
    assert zero_offset.objective(coef) == no_offset.objective(coef)
    assert problem.objective(coef) != no_offset.objective(coef)


@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL], ids=lambda l: l.name)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_and_gradient_with_an_offset_match_autodiff(loss, fit_intercept, rng):
    problem, coef = offset_problem(loss, rng, loss is BINARY, fit_intercept)
    closed = problem.smooth_hessian(coef)
    auto = jax.hessian(problem.smooth_value)(coef).reshape(coef.size, coef.size)
    np.testing.assert_allclose(closed, auto, rtol=1e-10, atol=1e-13)
    _, grad = problem.smooth_value_and_grad(coef)
    np.testing.assert_allclose(grad, jax.grad(problem.smooth_value)(coef), rtol=1e-12, atol=1e-14)


def test_problems_with_different_offsets_batch_in_one_program(rng):
    problem, coef = offset_problem(BINARY, rng, shared_column=True)
    offsets = jnp.asarray(rng.normal(size=(3, len(problem.weights))))
    traces = []

    @jax.jit
    def objective(problem):
        traces.append(1)
        return problem.objective(coef)

    looped = [objective(dataclasses.replace(problem, offset=o)) for o in offsets]
    assert len(traces) == 1  # the offset is data: one program for every offset
    batched = jax.vmap(lambda o: dataclasses.replace(problem, offset=o).objective(coef))(offsets)
    np.testing.assert_allclose(batched, looped, rtol=1e-13)
