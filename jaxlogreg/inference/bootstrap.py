"""Bootstrap standard errors and percentile intervals: all refits in one compiled, vmapped solve.

Resample ``b`` draws ``n`` samples with replacement, i.e. weights ``cᵦ ⊙ s`` with counts
``cᵦ ~ Multinomial(n, 1/n)``. Refitting on it means minimizing the estimator's own objective
``C Σᵢ cᵦᵢ sᵢ ℓᵢ + penalty``: in the glmnet convention of ``jaxlogreg.engine.functional.solve``, the
weights ``cᵦ ⊙ s`` with ``λᵦ = 1/(C Σᵢ cᵦᵢ sᵢ)``. Counts and ``λᵦ`` are run-time arrays of one
shape, so the ``B`` refits are one ``jax.vmap`` of ``solve`` (``functional.solve_many``), run in
chunks of ``batch_size`` by ``lax.map`` within the same compiled program, each started from the
original fit. This is valid for every penalty the estimator supports, L1 included: the
percentile intervals describe the sampling distribution of the penalized estimator (centred on
its biased mean, like any interval for a penalized fit). Unpenalized fits of small samples may
meet separated resamples, whose estimates are infinite: their huge draws inflate ``bse``
(inspect ``samples``, or penalize).

The reported coefficients follow ``jaxlogreg.inference``: one row per equation, intercept last;
the multinomial in the reference-category (default) or class-centred parametrization.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._validation import check_choice, check_positive_int
from ..core.losses import Loss
from ..core.penalties import lam_of_C
from ..core.targets import Mode
from ..engine.functional import FitArrays, solve_many
from ..precision import precise_jit
from ..solvers.stop import warn_not_converged
from .fitted import coefficient_transform, equation_labels, fitted_problem, reference_index

__all__ = ["Bootstrap", "bootstrap", "refit_many", "resampling_weights"]

#: Default chunk: about this many bytes of per-refit intermediates (``n × K·d`` arrays) at once.
#: On a CPU small chunks stay in cache (larger ones are slower per refit); accelerators want
#: large batches.
_CHUNK_BYTES = {"cpu": 2**25}
_ACCELERATOR_CHUNK_BYTES = 2**30


@partial(precise_jit, static_argnames=("n_resamples", "n_samples", "dtype"))
def resampling_weights(key: jax.Array, n_resamples: int, n_samples: int, dtype=None) -> jax.Array:
    """Counts of ``n_samples`` draws with replacement, per resample: ``(n_resamples, n)``
    (one compiled program, not one per operation)."""
    dtype = jnp.result_type(float) if dtype is None else dtype
    draws = jax.random.randint(key, (n_resamples, n_samples), 0, n_samples)
    return jax.vmap(lambda i: jnp.zeros(n_samples, dtype).at[i].add(1))(draws)


@partial(
    precise_jit,
    static_argnames=("loss", "solver", "fit_intercept", "max_iter", "one_vs_rest", "batch_size"),
)
def refit_many(
    X,
    targets,
    sample_weight,
    counts,
    C,
    l1_ratio,
    init,
    tol,
    penalty_factor=None,
    offset=None,
    *,
    loss: Loss,
    solver: str,
    fit_intercept: bool,
    max_iter: int,
    one_vs_rest: bool = False,
    batch_size: int,
):
    """One refit per row of ``counts (B, n)``, scikit-learn's objective with weights
    ``counts ⊙ sample_weight``: a ``FitResult`` with a leading ``B`` axis.

    ``targets (n, K)``, ``init (K, d)``, ``penalty_factor (p,)`` (default ones), ``offset``
    ``(n, K)`` or ``(n, 1)`` (default none); with ``one_vs_rest``, ``targets (K, n, 1)``,
    ``init (K, 1, d)`` and ``offset (K, n, 1)`` (every class's binary problem in each
    resample). ``C = inf``: no penalty.
    """
    static = dict(loss=loss, solver=solver, fit_intercept=fit_intercept, max_iter=max_iter)
    by_resample = FitArrays(sample_weight=0, lam=0)
    if one_vs_rest:
        by_offset = None if offset is None else 0
        by_class = solve_many(FitArrays(targets=0, init=0, offset=by_offset), **static)
        refit = jax.vmap(by_class, in_axes=tuple(by_resample))
    else:
        refit = solve_many(by_resample, **static)
    weights = counts * sample_weight
    lam = lam_of_C(C, jnp.sum(weights, axis=1))
    if penalty_factor is None:
        penalty_factor = jnp.ones(X.shape[1], X.dtype)

    def chunk(args):
        w, lam_chunk = args
        arrays = (X, targets, w, lam_chunk, l1_ratio, penalty_factor, init, tol, offset)
        return refit(*arrays, None, None)  # no bounds (``fitted_problem`` refuses them)

    B = counts.shape[0]
    n_chunks = -(-B // batch_size)
    pad = n_chunks * batch_size - B  # repeat the last resample to fill the last chunk
    weights = jnp.concatenate([weights, jnp.repeat(weights[-1:], pad, 0)])
    lam = jnp.concatenate([lam, jnp.repeat(lam[-1:], pad)])
    shaped = (weights.reshape(n_chunks, batch_size, -1), lam.reshape(n_chunks, batch_size))
    result = jax.lax.map(chunk, shaped)
    return jax.tree.map(lambda a: a.reshape(-1, *a.shape[2:])[:B], result)


@dataclasses.dataclass(frozen=True, eq=False)
class Bootstrap:
    """Bootstrap draws of a fit's coefficients.

    Attributes:
        params: ``(R, d)`` the original estimate (rows and columns as ``Inference.params``).
        samples: ``(B, R, d)`` the refitted coefficients.
        converged: ``(B,)`` whether each refit converged; n_iter: ``(B,)`` its iterations.
        equations, feature_names: the row and column labels.
    """

    params: np.ndarray
    samples: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    equations: list
    feature_names: list[str]

    @property
    def bse(self) -> np.ndarray:
        """Bootstrap standard errors ``(R, d)``: the standard deviation of the draws."""
        return np.std(self.samples, axis=0, ddof=1)

    def conf_int(self, level: float = 0.95) -> np.ndarray:
        """Percentile intervals ``(R, d, 2)``: the ``(1 ∓ level)/2`` quantiles of the draws."""
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), e.g. 0.95, got {level!r}")
        # Percentiles 50 ∓ 50·level: exact for levels such as 0.9, where (1 − 0.9)/2 is not 0.05.
        percents = [50 - 50 * level, 50 + 50 * level]
        return np.moveaxis(np.percentile(self.samples, percents, axis=0), 0, -1)


def bootstrap(
    estimator,
    X,
    y,
    *,
    n_resamples: int = 1000,
    sample_weight=None,
    random_state=0,
    parametrization: str = "reference",
    reference=None,
    batch_size: int | None = None,
    offset=None,
) -> Bootstrap:
    """Refit a fitted ``LogisticRegression`` on ``n_resamples`` bootstrap resamples of its data.

    Args:
        estimator: the fitted model; every refit uses its penalty (penalty factors included),
            solver, ``tol``, ``max_iter``. A standardized fit's refits keep the training data's
            ``σ`` (the scaling is held fixed, not re-estimated on each resample).
        X, y, sample_weight: its training data; a sparse ``X`` stays sparse (one
            ``SparseDesign`` that every resample reweights).
        offset: the training offset, required when the model was fitted with one; each
            resample keeps its samples' offsets.
        n_resamples: ``B``.
        random_state: an int seed or a ``jax.random`` key: the same seed, the same draws.
        parametrization, reference: for multinomial models, as in ``jaxlogreg.inference.infer``.
        batch_size: refits vmapped at once (default: as many as fit in about 32 MiB of
            intermediates on a CPU, 1 GiB on an accelerator); the chunks run one after another
            in the same compiled call.
    """
    B = check_positive_int("n_resamples", n_resamples)
    check_choice("parametrization", parametrization, ("reference", "full"))
    fp = fitted_problem(estimator, X, y, sample_weight, offset=offset, keep_sparse=True)
    ref = reference_index(fp, reference)
    problem = fp.problem
    n, d = problem.X.shape[0], problem.n_params_per_output
    key = random_state if isinstance(random_state, jax.Array) else jax.random.key(random_state)
    counts = resampling_weights(key, B, n, problem.X.dtype)
    if batch_size is None:
        outputs = fp.coef.size // d  # K, or 1 for binary
        budget = _CHUNK_BYTES.get(jax.default_backend(), _ACCELERATOR_CHUNK_BYTES)
        batch_size = max(1, budget // (8 * n * d * outputs))
    batch_size = min(check_positive_int("batch_size", batch_size), B)
    result = refit_many(
        problem.X,
        problem.targets,
        problem.weights * fp.total_weight,
        counts,
        jnp.asarray(fp.C, problem.X.dtype),
        problem.penalty.l1_ratio,
        fp.coef,
        jnp.asarray(estimator.tol, problem.X.dtype),
        problem.penalty.factors[: problem.X.shape[1]],
        problem.offset,
        loss=problem.loss,
        solver=estimator.solver_,
        fit_intercept=problem.fit_intercept,
        max_iter=int(estimator.max_iter),
        one_vs_rest=fp.mode == Mode.OVR,
        batch_size=int(batch_size),
    )
    theta = np.concatenate(
        [np.asarray(result.coef), np.asarray(result.intercept)[..., None]], axis=-1
    )
    theta = theta[..., :d].reshape(B, -1, d)  # drops the zero intercept; (B, K, 1, d) for ovr
    original = np.asarray(fp.coef).reshape(-1, d)
    T = coefficient_transform(fp.mode, original.shape[0], d, parametrization, ref)
    T = T * np.tile(fp.unscaling(), original.shape[0])  # T D: standardized columns unscaled
    converged = np.asarray(result.converged).reshape(B, -1).all(axis=1)
    if not converged.all():
        warn_not_converged(
            f"{B - converged.sum()} of {B} bootstrap refits",
            result.stop_reason,
            float(np.max(np.asarray(result.kkt_violation))),
            estimator.tol,
            max_iter=int(estimator.max_iter),
            advice="Their coefficients are included. Increase max_iter, or penalize the fit if "
            "resamples are separated.",
        )
    return Bootstrap(
        params=(T @ original.ravel()).reshape(-1, d),
        samples=(theta.reshape(B, -1) @ T.T).reshape(B, -1, d),
        converged=converged,
        n_iter=np.asarray(result.n_iter).reshape(B, -1).max(axis=1),
        equations=equation_labels(fp, parametrization, ref),
        feature_names=fp.feature_names + (["intercept"] if problem.fit_intercept else []),
    )
