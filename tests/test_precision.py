"""Every matrix product the library compiles runs at full float32 precision (``precision.py``).

Accelerators compute float32 products with TensorFloat-32 inputs by default; a gradient with a
1e-4 relative error stalls every solver above a tight tolerance. The products must be marked
``Precision.HIGHEST`` in the traced programs, whichever solver or entry point traces them.
"""

from pathlib import Path

import jax
import jax.extend.core
import jax.numpy as jnp
import numpy as np
import pytest

import jaxlogreg
from jaxlogreg.engine.functional import solve
from jaxlogreg.engine.path import _path
from jaxlogreg.losses import BINARY, MULTINOMIAL
from jaxlogreg.solvers import SOLVERS

HIGHEST = (jax.lax.Precision.HIGHEST, jax.lax.Precision.HIGHEST)


def dot_precisions(jaxpr) -> list:
    """The ``precision`` of every ``dot_general`` in ``jaxpr`` and the programs it calls."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            found.append(eqn.params["precision"])
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            found.extend(dot_precisions(sub))
    return found


def problem_arrays(n=40, p=5, K=1):
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.normal(size=(n, p)), jnp.float32)
    T = jnp.asarray(np.eye(max(K, 2))[rng.integers(0, max(K, 2), n)][:, -K:], jnp.float32)
    return X, T, jnp.ones(n, jnp.float32), jnp.ones(p, jnp.float32)


@pytest.mark.parametrize("solver", sorted(SOLVERS))
@pytest.mark.parametrize("loss", [BINARY, MULTINOMIAL], ids=["binary", "multinomial"])
def test_every_solver_traces_full_precision_products(solver, loss):
    K = 1 if loss is BINARY else 3
    X, T, s, factors = problem_arrays(K=K)
    init = jnp.zeros((K, X.shape[1] + 1), jnp.float32)
    traced = jax.make_jaxpr(
        lambda X, T: solve(
            X, T, s, 0.01, 0.5, factors, init, 1e-5,
            loss=loss, solver=solver, fit_intercept=True, max_iter=5,
        )
    )(X, T)  # fmt: skip
    precisions = dot_precisions(traced.jaxpr)
    assert precisions, "no matrix product traced"
    assert all(p == HIGHEST for p in precisions), set(precisions)


def test_path_traces_full_precision_products():
    X, T, s, factors = problem_arrays()
    lambdas = jnp.asarray([0.1, 0.01], jnp.float32)
    init = jnp.zeros((1, X.shape[1] + 1), jnp.float32)
    traced = jax.make_jaxpr(
        lambda X: _path(
            X, T, s, lambdas, 1.0, factors, init, 1e-5,
            loss=BINARY, solver="cd", fit_intercept=True, max_iter=5, screening=True,
            transposed=True,
        )
    )(X)  # fmt: skip
    precisions = dot_precisions(traced.jaxpr)
    assert precisions and all(p == HIGHEST for p in precisions), set(precisions)


def test_the_library_compiles_only_through_precise_jit():
    """A bare ``jax.jit`` would trace at the default precision again."""
    package = Path(jaxlogreg.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        if path.name != "precision.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "jax.jit" in line or "from jax import jit" in line
    ]
    assert not offenders, offenders


def weighted_sum(w, z):
    """A weighted sum of a transcendental, the shape of the risk ``Σ s̃ᵢℓᵢ``."""
    return jnp.dot(w, jnp.log1p(jnp.exp(z)))


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the options are XLA CPU's")
def test_top_level_calls_compile_without_ynnpack_reductions():
    """On a CPU a top-level call compiles without YNNPACK's fused reductions, where this XLA
    fuses the weighted sum into one by default (a plain ``jax.jit``)."""
    from jaxlogreg.precision import CPU_COMPILER_OPTIONS, compiler_options, precise_jit

    assert compiler_options().items() <= CPU_COMPILER_OPTIONS.items()
    w, z = jnp.full(10_000, 1e-4), jnp.linspace(-3.0, 3.0, 10_000)

    def library_fusions(text):
        return [line for line in text.splitlines() if "ynn_fusion" in line and " = " in line]

    plain = library_fusions(jax.jit(weighted_sum).lower(w, z).compile().as_text())
    if not (compiler_options() and plain):
        pytest.skip("this XLA has no YNNPACK reduction fusion to turn off")
    optioned = library_fusions(precise_jit(weighted_sum).lower(w, z).compile().as_text())
    assert not optioned, optioned


def test_calls_inside_other_programs_and_vmap_give_the_same_value():
    """A call inside another program is part of it (JAX takes compile options at the top level
    only); nested, vmapped and top-level calls agree."""
    from jaxlogreg.precision import precise_jit

    w, z = jnp.full(10_000, 1e-4), jnp.linspace(-3.0, 3.0, 10_000)
    fitted = precise_jit(weighted_sum)
    outer = jax.jit(lambda w, z: fitted(w, z) + 1.0)
    expected = float(np.dot(np.asarray(w), np.log1p(np.exp(np.asarray(z)))))
    np.testing.assert_allclose(float(fitted(w, z)), expected, rtol=1e-6)
    np.testing.assert_allclose(float(outer(w, z)), expected + 1.0, rtol=1e-6)
    batched = jax.vmap(fitted, (None, 0))(w, z[None])
    np.testing.assert_allclose(float(batched[0]), expected, rtol=1e-6)


def test_an_xla_without_the_option_compiles_with_its_defaults(monkeypatch):
    from jaxlogreg import precision

    monkeypatch.setattr(precision, "CPU_COMPILER_OPTIONS", {"xla_cpu_no_such_option": "1"})
    precision.compiler_options.cache_clear()
    try:
        assert precision.compiler_options() == {}
        value = precision.precise_jit(weighted_sum)(jnp.ones(3), jnp.zeros(3))
        np.testing.assert_allclose(float(value), 3 * np.log(2.0), rtol=1e-6)
    finally:
        precision.compiler_options.cache_clear()
