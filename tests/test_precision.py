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
from jaxlogreg.functional import solve
from jaxlogreg.losses import BINARY, MULTINOMIAL
from jaxlogreg.path import _path
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
