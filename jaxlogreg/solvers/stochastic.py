"""Stochastic first-order solvers (optax): minibatch SGD and Adam, one epoch per step.

One ``step`` is one pass over the data in a fresh random order (``lax.scan`` over
``⌊n/batch_size⌋`` minibatches; the samples left over change with every shuffle). On a minibatch
``B`` the gradient of ``(n/|B|)·Σᵢ∈B s̃ᵢℓᵢ + P(Θ)``, an unbiased estimate of ``∇F``, drives the
optax update; the learning rate follows ``η·decay_rateᵉ`` (``e`` the fractional epoch count).

A minibatch step may increase the full objective, so the solver's iterate (``coef``, with its
objective, full gradient and optimality) is the best of the running iterates seen at the end of
each epoch, by full-batch objective: the objective never increases, and convergence is judged on
the full-batch gradient of that iterate. The running optax iterate, its optimizer state and the
PRNG key live in ``extra``.

These are approximate solvers: with a decaying learning rate they approach the optimum, but to a
tolerance far looser than the deterministic methods reach.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from ..core.design import take_rows
from ..core.problem import Problem
from ._driver import Solver, SolverState, initial_state
from .curvature import lipschitz_bound

__all__ = ["SGD", "Adam"]


class _EpochState(NamedTuple):
    params: jax.Array  # running iterate of the optimizer
    opt_state: Any
    learning_rate: jax.Array  # initial learning rate η
    key: jax.Array


class _Minibatch(Solver):
    """One epoch of minibatch updates per step; the best iterate is the solver's iterate."""

    def __init__(
        self,
        learning_rate: float | None,
        batch_size: int,
        decay_rate: float,
        seed: int,
    ):
        self.learning_rate = None if learning_rate is None else float(learning_rate)
        self.batch_size = int(batch_size)
        self.decay_rate = float(decay_rate)
        self.seed = int(seed)

    def with_seed(self, seed: int) -> _Minibatch:
        """This method, drawing its minibatches with ``seed``."""
        copy = type(self).__new__(type(self))
        vars(copy).update(vars(self), seed=int(seed))
        return copy

    def __repr__(self) -> str:
        config = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({config})"

    @abc.abstractmethod
    def optimizer(self, schedule: optax.Schedule) -> optax.GradientTransformation:
        """The optax transformation for a learning-rate schedule."""

    @abc.abstractmethod
    def default_learning_rate(self, problem: Problem) -> jax.Array:
        """``η`` when ``learning_rate`` is ``None``."""

    def _schedule(self, problem: Problem, learning_rate: jax.Array) -> optax.Schedule:
        steps_per_epoch = problem.X.shape[0] // self._batch_size(problem)
        return optax.exponential_decay(
            learning_rate, transition_steps=steps_per_epoch, decay_rate=self.decay_rate
        )

    def _batch_size(self, problem: Problem) -> int:
        return max(1, min(self.batch_size, problem.X.shape[0]))

    def init(self, problem: Problem, coef: jax.Array) -> SolverState:
        coef = problem.center_classes(coef)
        if self.learning_rate is None:
            rate = self.default_learning_rate(problem)
        else:
            rate = jnp.asarray(self.learning_rate)
        rate = rate.astype(coef.dtype)
        opt_state = self.optimizer(self._schedule(problem, rate)).init(coef)
        extra = _EpochState(coef, opt_state, rate, jax.random.PRNGKey(self.seed))
        return initial_state(problem, coef, extra)

    def step(self, problem: Problem, state: SolverState) -> SolverState:
        params, opt_state, rate, key = state.extra
        optimizer = self.optimizer(self._schedule(problem, rate))
        n = problem.X.shape[0]
        size = self._batch_size(problem)
        key, subkey = jax.random.split(key)
        batches = jax.random.permutation(subkey, n)[: (n // size) * size].reshape(-1, size)

        def minibatch_update(carry, rows):
            params, opt_state = carry
            batch = dataclasses.replace(
                problem,
                X=take_rows(problem.X, rows),
                X_T=None,
                targets=problem.targets[rows],
                weights=problem.weights[rows] * (n / size),
                offset=None if problem.offset is None else problem.offset[rows],
            )
            grad = jax.grad(batch.smooth_value)(params)
            updates, opt_state = optimizer.update(grad, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), None

        (params, opt_state), _ = jax.lax.scan(minibatch_update, (params, opt_state), batches)
        objective, grad = problem.smooth_value_and_grad(params)
        finite = jnp.isfinite(objective) & jnp.all(jnp.isfinite(grad))
        better = finite & (objective < state.objective)
        # A diverged running iterate restarts from the best one.
        params = jnp.where(finite, params, state.coef)
        return state._replace(
            coef=jnp.where(better, params, state.coef),
            objective=jnp.where(better, objective, state.objective),
            grad=jnp.where(better, grad, state.grad),
            kkt_violation=jnp.where(
                better, problem.kkt_violation(params, grad), state.kkt_violation
            ),
            extra=_EpochState(params, opt_state, rate, key),
        )


class SGD(_Minibatch):
    """Minibatch SGD with heavy-ball momentum.

    Args:
        learning_rate: initial ``η``; default ``(1 − momentum)/L`` (``L`` from
            ``lipschitz_bound``), the step of gradient descent at the effective rate
            ``η/(1 − momentum)`` of the momentum method.
        batch_size: samples per minibatch.
        decay_rate: learning-rate factor per epoch (``1`` for a constant rate).
        momentum: heavy-ball momentum (``0`` for plain SGD).
        seed: seed of the shuffling.
    """

    def __init__(
        self,
        learning_rate: float | None = None,
        batch_size: int = 16,
        decay_rate: float = 0.99,
        momentum: float = 0.9,
        seed: int = 0,
    ):
        super().__init__(learning_rate, batch_size, decay_rate, seed)
        self.momentum = float(momentum)

    def default_learning_rate(self, problem):
        return (1.0 - self.momentum) / lipschitz_bound(problem)

    def optimizer(self, schedule):
        return optax.sgd(schedule, momentum=self.momentum or None)


class Adam(_Minibatch):
    """Minibatch Adam.

    Args:
        learning_rate: initial ``η`` (Adam's steps are about ``η`` per coefficient, whatever the
            scale of the gradient).
        batch_size: samples per minibatch.
        decay_rate: learning-rate factor per epoch (``1`` for a constant rate).
        b1, b2: Adam's moment decay rates.
        seed: seed of the shuffling.
    """

    def __init__(
        self,
        learning_rate: float | None = 0.03,
        batch_size: int = 16,
        decay_rate: float = 0.99,
        b1: float = 0.9,
        b2: float = 0.999,
        seed: int = 0,
    ):
        super().__init__(learning_rate, batch_size, decay_rate, seed)
        self.b1 = float(b1)
        self.b2 = float(b2)

    def default_learning_rate(self, problem):
        return jnp.asarray(0.03)

    def optimizer(self, schedule):
        return optax.adam(schedule, b1=self.b1, b2=self.b2)
