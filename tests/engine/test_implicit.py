"""Derivatives of fits by implicit differentiation: against central finite differences of refits
at tol 1e-12, for L2 and elastic net, binary and multinomial (coefficients, validation loss and
objective); the same under jit, vmap and forward mode; the Hessian-free adjoint agrees with the
dense one."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlogreg import fit
from jaxlogreg.losses import get_loss

RTOL = 1e-5  # acceptance: implicit derivative vs central differences, relative
STEP = 1e-6  # central-difference step (relative to the parameter's scale)
N, P, K = 60, 4, 3


def make_data(loss, seed=0):
    """Training data with a signal, a validation set, and a random direction for every input."""
    rng = np.random.default_rng(seed)
    X, Xv = rng.normal(size=(N, P)), rng.normal(size=(30, P))
    truth = rng.normal(size=(P, K))
    if loss == "binary":
        T = (X @ truth[:, 0] + rng.normal(size=N) > 0).astype(float)[:, None]
        T[:5] = rng.uniform(size=(5, 1))  # some soft targets: the targets' derivative is generic
        Tv = (Xv @ truth[:, 0] > 0).astype(float)[:, None]
    else:
        T = np.eye(K)[np.argmax(X @ truth + rng.gumbel(size=(N, K)), axis=1)]
        Tv = np.eye(K)[np.argmax(Xv @ truth, axis=1)]
    params = dict(
        lam=jnp.asarray(0.05, float),  # strongly typed: perturbed values reuse the compilation
        l1_ratio=jnp.asarray(0.6, float),
        sample_weight=jnp.asarray(rng.uniform(0.5, 1.5, N)),
        X=jnp.asarray(X),
        penalty_factor=jnp.asarray(rng.uniform(0.5, 2.0, P)),
        targets=jnp.asarray(T),
    )
    directions = {key: rng.normal(size=np.shape(value)) for key, value in params.items()}
    if loss == "multinomial":  # one-hot rows must keep summing to one
        directions["targets"] -= directions["targets"].mean(axis=1, keepdims=True)
    functional = rng.normal(size=(T.shape[1], P + 1))
    return params, directions, (jnp.asarray(Xv), jnp.asarray(Tv)), jnp.asarray(functional)


def fitted(params, *, loss, l1, solver, adjoint="auto"):
    return fit(
        params["X"],
        params["targets"],
        lam=params["lam"],
        l1_ratio=params["l1_ratio"] if l1 else 0.0,
        loss=loss,
        sample_weight=params["sample_weight"],
        penalty_factor=params["penalty_factor"],
        solver=solver,
        tol=1e-12,
        max_iter=1000,
        adjoint=adjoint,
    )


def criterion(params, validation, functional, *, loss, l1, solver, raw, adjoint="auto"):
    """Validation loss of the fit plus its objective (envelope theorem), plus (``raw``) a random
    linear functional of ``[W | b]``; and the fit itself."""
    result = fitted(params, loss=loss, l1=l1, solver=solver, adjoint=adjoint)
    Xv, Tv = validation
    value = jnp.mean(get_loss(loss).pointwise(Xv @ result.coef.T + result.intercept, Tv))
    value = value + result.objective
    if raw:
        theta = jnp.concatenate([result.coef, result.intercept[:, None]], axis=1)
        value = value + jnp.vdot(functional, theta)
    return value, result


STATIC = ("loss", "l1", "solver", "raw", "adjoint")
# One compiled program per case serves the gradient, the fit and the finite differences' refits.
value_and_grad = jax.jit(jax.value_and_grad(criterion, has_aux=True), static_argnames=STATIC)


def gradient(*args, **static):
    return value_and_grad(*args, **static)[1]


def value(*args, **static):
    return value_and_grad(*args, **static)[0][0]


# Multinomial with an L1 part: the intercept's class shift is not pinned down by the objective
# (the solver's choice), so only class-invariant quantities are tested there.
CASES = [
    ("binary", False, "newton", True),
    ("binary", True, "cd", True),
    ("multinomial", False, "newton", True),
    ("multinomial", True, "cd", False),
]


@pytest.mark.parametrize(("loss", "l1", "solver", "raw"), CASES)
def test_gradients_match_central_differences(loss, l1, solver, raw):
    params, directions, validation, functional = make_data(loss)
    static = dict(loss=loss, l1=l1, solver=solver, raw=raw)
    (_, result), grads = value_and_grad(params, validation, functional, **static)
    assert bool(result.converged)
    if l1:  # the elastic net must be sparse here, or its support rule goes untested
        nonzero = int(jnp.count_nonzero(result.coef))
        assert 0 < nonzero < result.coef.size
    keys = [key for key in params if l1 or key != "l1_ratio"]
    for key in keys:
        u = directions[key]
        h = STEP * max(1.0, float(jnp.max(jnp.abs(params[key]))))
        plus = value({**params, key: params[key] + h * u}, validation, functional, **static)
        minus = value({**params, key: params[key] - h * u}, validation, functional, **static)
        finite_difference = float(plus - minus) / (2 * h)
        implicit = float(jnp.vdot(grads[key], u))
        assert implicit == pytest.approx(finite_difference, rel=RTOL), key
    assert not any(jnp.all(grads[key] == 0) for key in keys)


def test_jit_vmap_and_forward_mode_give_the_plain_gradient_and_second_derivatives():
    params, _, validation, functional = make_data("multinomial")
    static = dict(loss="multinomial", l1=False, solver="newton", raw=True)

    def of_lam(lam):
        return criterion({**params, "lam": lam}, validation, functional, **static)[0]

    lams = jnp.array([0.01, 0.05, 0.3])
    plain = float(jax.grad(of_lam)(lams[1]))  # no jit around the gradient
    jitted = [
        float(gradient({**params, "lam": lam}, validation, functional, **static)["lam"])
        for lam in lams
    ]
    assert jitted[1] == pytest.approx(plain, rel=1e-10)
    np.testing.assert_allclose(jax.jit(jax.vmap(jax.grad(of_lam)))(lams), jitted, rtol=1e-10)
    # Forward mode over the gradient: the gradient again, and the second derivative, which
    # must match central differences of the gradient.
    first, second = jax.jit(lambda lam: jax.jvp(jax.grad(of_lam), (lam,), (jnp.ones(()),)))(lams[1])
    assert float(first) == pytest.approx(plain, rel=1e-10)
    h = STEP * float(lams[1])
    plus, minus = (
        gradient({**params, "lam": lams[1] + sign * h}, validation, functional, **static)["lam"]
        for sign in (1, -1)
    )
    assert float(second) == pytest.approx(float(plus - minus) / (2 * h), rel=RTOL)


def test_vmap_over_fold_masks_gives_each_folds_gradient():
    params, _, validation, functional = make_data("binary")
    static = dict(loss="binary", l1=True, solver="cd", raw=True)
    masks = jnp.asarray(np.random.default_rng(1).uniform(size=(3, N)) > 0.3, float)

    def of_weights(w):
        return criterion({**params, "sample_weight": w}, validation, functional, **static)[0]

    batched = jax.jit(jax.vmap(jax.grad(of_weights)))(masks)
    for mask, row in zip(masks, batched, strict=True):
        single = gradient({**params, "sample_weight": mask}, validation, functional, **static)
        np.testing.assert_allclose(row, single["sample_weight"], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    ("case", "other_solver"), [(CASES[1], "cd"), (CASES[2], "lbfgs")], ids=["enet", "multinomial"]
)
def test_hessian_free_adjoint_and_other_solvers_give_the_same_gradient(case, other_solver):
    """CG with Hessian-vector products against Cholesky of the Hessian ("auto" at this size);
    the derivative is a property of the solution, not of the solver's path to it."""
    loss, l1, solver, raw = case
    params, _, validation, functional = make_data(loss)
    static = dict(loss=loss, l1=l1, raw=raw)
    dense = gradient(params, validation, functional, solver=solver, **static)
    cg = gradient(params, validation, functional, solver=other_solver, adjoint="cg", **static)
    for key in dense:
        np.testing.assert_allclose(cg[key], dense[key], rtol=1e-7, atol=1e-10, err_msg=key)


def test_unknown_adjoint_is_rejected():
    with pytest.raises(ValueError, match="adjoint must be one of"):
        fit(np.eye(3), np.ones(3), lam=0.1, adjoint="lu")
