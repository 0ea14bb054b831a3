"""The line searches' halving loop and their acceptance tests: pure functions of scalars that give
the same answers on NumPy values (a host-side loop) and traced JAX values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlogreg.solvers._linesearch import (
    composite_step_accepted,
    halving_search,
    smooth_step_accepted,
)

EPS = np.finfo(np.float64).eps


def test_halving_search_returns_the_first_accepted_step():
    def trial(t):
        return (2 * t, -t), t <= 0.1

    t, values, accepted = jax.jit(lambda t0: halving_search(trial, t0, 40))(jnp.asarray(1.0))
    assert float(t) == 0.0625 and bool(accepted)
    np.testing.assert_array_equal(values, (0.125, -0.0625))
    t, _, accepted = halving_search(trial, jnp.asarray(1.0), 2)  # 1, ½, ¼: none accepted
    assert float(t) == 0.25 and not bool(accepted)


# (objective, new_objective, t, slope or decrease, progress, new_progress, smooth, composite)
CASES = [
    (1.0, 0.9, 1.0, -1.0, 5.0, 6.0, True, True),  # Armijo's sufficient decrease
    (1.0, 1.0 - 1e-6, 1.0, -1.0, 5.0, 6.0, False, False),  # too little decrease
    (1.0, 1.0 + EPS, 1.0, -1e-17, 5.0, 4.0, True, True),  # rounding level, progress
    (1.0, 1.0 + EPS, 1.0, -1e-17, 5.0, 5.0, False, False),  # rounding level, no progress
    (1.0, 1.0 + 10 * EPS, 1.0, -1e-17, 5.0, 4.0, False, True),  # within 64ε but not 4ε
    (1.0, 1.0 + EPS, 1.0, -1e-3, 5.0, 4.0, True, False),  # Δ above the resolution
    (1.0, np.nan, 1.0, -1.0, 5.0, 4.0, False, False),
    (1.0, -np.inf, 1.0, -1.0, 5.0, 4.0, False, False),
]


@pytest.mark.parametrize("case", CASES)
def test_acceptance_tests_on_host_and_traced_values(case):
    *args, smooth, composite = case
    for test, expected in ((smooth_step_accepted, smooth), (composite_step_accepted, composite)):
        on_host = test(*map(np.float64, args), eps=EPS)
        assert isinstance(on_host, np.bool_) and bool(on_host) == expected, test.__name__
        traced = jax.jit(lambda *a, test=test: test(*a, eps=EPS))(*map(jnp.asarray, args))
        assert bool(traced) == expected, test.__name__
