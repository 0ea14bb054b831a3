"""Cyclic coordinate descent with glmnet's active sets: the inner loop of ``"cd"``, over single
coefficients (``coordinate.CoordinateDescent``) or over the ``K``-vector blocks of the grouped
multinomial lasso (``group_coordinate``)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

__all__ = ["coordinate_descent", "safe_curvature"]


def safe_curvature(h: jax.Array) -> jax.Array:
    """Coordinate curvatures kept away from zero (an all-zero column has ``hᵢ = 0``)."""
    floor = 1e-12 * jnp.maximum(jnp.max(h), jnp.finfo(h.dtype).tiny)
    return jnp.where(h > floor, h, floor + h)


def coordinate_descent(
    update, theta, aux, tol, max_sweeps: int, classes=None, fixed=None, moves=None
):
    """Cyclic coordinate descent with glmnet's active-set strategy.

    ``update(i, old, aux) -> (new, aux, change)`` minimizes over coordinate ``i`` at value
    ``old``; ``change`` is ``hᵢ|ΔΘᵢ|``. A coordinate is a row of ``theta``: a number for
    ``theta (m,)``, a block of ``K`` numbers for ``theta (m, K)``, active when any of them is
    nonzero. Returns the final ``theta`` and ``aux`` and the number
    of sweeps. A sweep visits each coordinate once, so ``old`` is read from the sweep's start:
    a read of the ``theta`` being written, whose value outlives the write, made XLA's CPU loop
    copy all of ``theta`` at every coordinate (an ``O(m²)`` sweep, 3.5 s at ``m = 10⁵``).

    Classes: ``update`` may be a tuple of ``C`` functions and ``classes (m,)`` say which one
    updates each coordinate (e.g. sparse columns by padded width, ``design.column_step``); a
    sweep then visits the coordinates class by class, each class in one loop of its own (a
    branch per coordinate would copy ``aux``, its operand, at every update).

    ``fixed (m,)``: coordinates that cannot move (e.g. a working set's left-out columns, pinned
    at zero by bounds ``l = u``); no sweep visits them, so a sweep costs what the others do.

    ``moves(theta, aux) -> (m,)``: the change ``hᵢ|ΔΘᵢ|`` that updating each coordinate at
    the current point would make, all at once. With it, a vectorized check stands in for the
    full sweeps: the sweeps visit the nonzero coordinates and those the check finds moving
    until they settle, and the solve stops when the check finds none. A full sweep of
    ``m`` sequential updates costs far more than one vectorized check (the residual form's is
    one product with the design): on a lasso of 2,000 × 20,000, 6 Newton steps took 2.2 s with
    full sweeps and 1.1 s with the check.
    """
    updates = update if isinstance(update, tuple) else (update,)
    m, n_classes = theta.shape[0], len(updates)
    classes = jnp.zeros(m, jnp.int32) if classes is None else classes
    sweep = partial(_sweep, updates)
    movable = jnp.ones(m, bool) if fixed is None else ~fixed
    ordered = partial(_by_class, classes=classes, n_classes=n_classes)

    def nonzero(theta):
        return movable & jnp.any((theta != 0).reshape(m, -1), axis=1)

    def settle(theta, aux, sweeps, change, visit, done):
        """Sweeps over ``visit`` until none moves a coordinate by more than ``tol``."""

        def unsettled(c):
            return ~done & (c[3] > tol) & (c[2] < max_sweeps)

        def again(c):
            theta, aux, change = sweep(c[0], c[1], *visit)
            return theta, aux, c[2] + 1, change

        return jax.lax.while_loop(unsettled, again, (theta, aux, sweeps, change))[:3]

    def full_then_active(carry):
        theta, aux, sweeps, _ = carry
        theta, aux, change = sweep(theta, aux, *ordered(movable))
        done = change <= tol
        theta, aux, sweeps = settle(theta, aux, sweeps + 1, change, ordered(nonzero(theta)), done)
        return theta, aux, sweeps, done

    def check_then_sweep(carry):
        theta, aux, sweeps, _ = carry
        moving = movable & (moves(theta, aux) > tol)
        done = ~jnp.any(moving)
        visit = ordered(moving | nonzero(theta))
        theta, aux, sweeps = settle(
            theta, aux, sweeps, jnp.full((), jnp.inf, theta.dtype), visit, done
        )
        return theta, aux, sweeps, done

    def not_done(carry):
        return ~carry[3] & (carry[2] < max_sweeps)

    start = (theta, aux, jnp.zeros((), jnp.int32), jnp.zeros((), bool))
    body = full_then_active if moves is None else check_then_sweep
    theta, aux, sweeps, _ = jax.lax.while_loop(not_done, body, start)
    return theta, aux, sweeps


def _by_class(visit: jax.Array, *, classes: jax.Array, n_classes: int):
    """The coordinates to visit (``visit``), class by class (stable), and where each class ends
    in that order: a counting sort (one running count per class, the unvisited last), linear in
    time and memory: 3.2 ms on 47,000 coordinates in 9 classes, where an ``argsort`` took 6 ms."""
    key = jnp.where(visit, classes, n_classes)
    position, start, ends = jnp.zeros_like(key), jnp.zeros((), key.dtype), []
    for c in range(n_classes + 1):
        in_class = key == c
        position = jnp.where(in_class, start + jnp.cumsum(in_class, dtype=key.dtype) - 1, position)
        start = start + jnp.sum(in_class, dtype=key.dtype)
        ends.append(start)
    order = jnp.zeros_like(key).at[position].set(jnp.arange(key.shape[0], dtype=key.dtype))
    return order, jnp.stack(ends[:n_classes])


def _sweep(updates, theta, aux, order, ends):
    """One sweep over ``order``, a loop per class (class ``c`` ends at ``ends[c]``); returns
    ``theta``, ``aux`` and the largest change."""
    start, change, begin = theta, jnp.zeros((), theta.dtype), 0
    for c, update in enumerate(updates):

        def body(t, carry, update=update):
            theta, aux, change = carry
            i = order[t]
            new, aux, moved = update(i, start[i], aux)
            return theta.at[i].set(new), aux, jnp.maximum(change, moved)

        theta, aux, change = jax.lax.fori_loop(begin, ends[c], body, (theta, aux, change))
        begin = ends[c]
    return theta, aux, change
