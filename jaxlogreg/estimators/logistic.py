"""``LogisticRegression``: a scikit-learn compatible estimator on the batch-native engine.

It minimizes scikit-learn's objective::

    C · Σᵢ sᵢ ℓᵢ + (1 − l1_ratio)/2 · ‖W‖²_F + l1_ratio · ‖W‖₁

(``sᵢ`` = sample weight × class weight, intercept unpenalized) by solving the equivalent
glmnet-convention problem of ``jaxlogreg.fit`` with ``λ = 1/(C·Σᵢ sᵢ)``. One-vs-rest fits all
binary problems in one ``jax.vmap``-ed solve. Offsets, penalty factors and standardization
follow glmnet (``core.standardization``, ``_prediction``).
"""

from __future__ import annotations

import copy

import jax
import jax.experimental.sparse
import jax.numpy as jnp
import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .. import persistence
from .._validation import (
    check_choice,
    check_finite_result,
    check_penalty_factor,
    check_positive_number,
    check_sample_weight,
    unchanged_on_error,
    validate_inputs,
    warn_on_feature_scale,
)
from ..core.penalties import UNSET, lam_of_C, penalty_of
from ..core.standardization import feature_scales, scale_columns
from ..core.targets import (
    MULTI_CLASS,
    Mode,
    choose_mode,
    class_weights,
    encode_offset,
    encode_targets,
    logit_of_softmax,
    score_offset,
)
from ..inference.separation import warn_if_separable
from ..solvers import SOLVERS
from ..solvers.auto import Purpose, auto_solver
from ..solvers.stop import warn_not_converged
from ._base import AtomicFit, check_solver_options, fit_dtype
from ._constraints import fit_constraints
from ._placement import placed_solve
from ._prediction import OffsetClassifierMixin
from ._warm_start import warm_start_init

__all__ = ["LogisticRegression"]


class LogisticRegression(AtomicFit, OffsetClassifierMixin, SparseCoefMixin, BaseEstimator):
    """Regularized logistic regression (binary, multinomial, one-vs-rest).

    Parameters:
        C: inverse regularization strength (``> 0``); ``np.inf`` means no penalty.
        l1_ratio: the elastic-net mixing ``α ∈ [0, 1]``, which chooses the penalty (as in
            scikit-learn 1.8+): ``0`` ridge (L2, the default), ``1`` lasso (L1), in between
            the elastic net. An L1 part needs a solver that handles it (``"auto"`` picks one).
        penalty: deprecated by scikit-learn 1.8, understood as scikit-learn 1.9 does: leave
            it unset (``"deprecated"``) and use ``l1_ratio`` and ``C``. A given ``"l2"``,
            ``"l1"``, ``"elasticnet"`` (with ``l1_ratio``) or ``None`` (no penalty, ``C``
            ignored) wins over ``l1_ratio``, with scikit-learn's ``FutureWarning`` (and its
            ``UserWarning`` where ``l1_ratio`` or ``C`` contradicts it); see
            ``jaxlogreg.core.penalties.penalty_of``.
        dual: ``False`` only (the default): jaxlogreg solves the primal problem; scikit-learn's
            ``dual=True`` exists for ``solver="liblinear"`` only.
        fit_intercept: fit an unpenalized intercept per class.
        intercept_scaling: a positive number, accepted and ignored, as scikit-learn ignores it
            for every solver but ``"liblinear"`` (which penalizes the intercept; jaxlogreg
            never does).
        solver: ``"auto"`` or a name from ``jaxlogreg.solvers.SOLVERS``.
        multi_class: ``"auto"`` (multinomial for more than two classes), ``"multinomial"``
            or ``"ovr"``.
        max_iter: maximum solver iterations; ``0`` returns the starting model (zeros, or the
            warm start) with a ``ConvergenceWarning`` unless it is optimal already.
        tol: stop when the largest gradient component (KKT violation) of the objective divided
            by ``C·Σsᵢ`` (the glmnet convention) is at most ``tol``.
        class_weight: ``None``, ``"balanced"`` or a dict ``{class: weight}``.
        warm_start: start from the previous fit's coefficients when shapes match.
        verbose: ``1`` prints a line per fit; ``2`` also records the objective at every iteration
            (``objective_history_``) and prints it.
        random_state: the seed of the minibatches of ``"sgd"`` and ``"adam"`` (an int or a
            ``RandomState``; ``None``: the solver's own fixed seed, so that fits repeat exactly);
            the deterministic solvers draw nothing.
        n_jobs: accepted for scikit-learn compatibility and stored; no effect (scikit-learn
            1.8 deprecated it too).
        mesh: a ``jax.sharding.Mesh`` (e.g. ``jaxlogreg.sharding.make_mesh()``) to split the
            rows over its devices (data parallelism, also across hosts); same answer as without.
            It is where the fit runs, not part of the model: ``save`` does not store it.
        penalty_factor: ``None`` (ones) or ``(n_features,)`` non-negative multipliers ``ϖⱼ`` of
            the penalty of feature ``j`` (``0``: unpenalized), used as given. glmnet's
            ``penalty.factor`` is rescaled to sum to ``p``: ``λ_glmnet`` with factors ``ϖ`` is
            ``penalty_factor = ϖ·p/Σϖ`` at ``C = 1/(λ_glmnet·Σsᵢ)``.
        standardize: ``True`` fits on the columns divided by their weighted standard deviation
            (glmnet's default ``standardize = TRUE``, the same coefficients for a dense or a
            sparse ``X``, never densified) and reports ``coef_`` on the original scale; the
            penalty then weighs ``σⱼ βⱼ`` (``jaxlogreg.core.standardization``).
            ``False`` (the default, scikit-learn's): the columns as given.
        lower_bounds, upper_bounds: box constraints on ``coef_`` (glmnet's ``lower.limits`` and
            ``upper.limits``; ``None``: free): a number, ``(n_features,)`` or ``(n_classes,
            n_features)``, ``lower ≤ 0 ≤ upper``; intercepts are never bounded.
        multinomial_l1: ``"grouped"``: a softmax's L1 part is ``Σⱼ ‖coef_[:, j]‖₂`` (glmnet's
            ``type.multinomial``), a feature kept for all classes or none; ``"ungrouped"``
            (default): ``Σ|coef_|``. Bounds and grouping need ``"prox"`` or ``"cd"``; bounds
            without an L1 part also ``"lbfgs"`` (projected quasi-Newton).

    ``fit(X, y, sample_weight=None, offset=None)`` and every prediction method take an
    ``offset``, a known term added to the decision values (glmnet's ``offset``): ``(n,)`` for
    two classes or one-vs-rest, ``(n, n_classes)`` for a softmax (and one-vs-rest).

    Attributes:
        coef_: ``(1, n_features)`` for two classes, else ``(n_classes, n_features)``; a
            writable array (``sparsify()`` turns it into a SciPy CSR matrix, ``densify()`` back).
        intercept_: ``(1,)`` or ``(n_classes,)``.
        classes_: the sorted class labels.
        n_iter_: iterations, ``(1,)``, or ``(n_classes,)`` for one-vs-rest.
        n_features_in_, feature_names_in_: as in scikit-learn.

    The fit computes in the dtype of ``X`` as scikit-learn validates it: float32 ``X`` in
    float32, anything else in float64; ``coef_``, ``intercept_`` and the predictions on such
    ``X`` follow. float64 needs JAX's float64 (``jax.config.update("jax_enable_x64", True)``):
    without it the fit runs in float32, with a ``DataConversionWarning``.

    A sparse ``X`` (``scipy.sparse`` csr/csc/coo, or ``jax.experimental.sparse.BCOO``) is never
    densified: the fit solves on its nonzeros (``jaxlogreg.core.design.SparseDesign``), and
    exact Newton (``"newton"``, ``"irls"``) takes it up to
    ``jaxlogreg.solvers.auto.NEWTON_MAX_PARAMS`` coefficients (``"auto"`` picks accordingly).
    ``mesh`` shards a sparse ``X`` by row blocks, for the row-wise solvers (``jaxlogreg.sharding``);
    ``summary`` takes a dense ``X`` only.
    """

    #: What ``solver="auto"`` picks a solver for (``jaxlogreg.solvers.auto``).
    _auto_purpose = Purpose.FIT

    def __init__(
        self,
        penalty=UNSET,
        *,
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        random_state=None,
        solver="auto",
        max_iter=100,
        verbose=0,
        warm_start=False,
        n_jobs=None,
        multi_class="auto",
        mesh=None,
        penalty_factor=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
        multinomial_l1="ungrouped",
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.multi_class = multi_class
        self.mesh = mesh
        self.penalty_factor = penalty_factor
        self.standardize = standardize
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds
        self.multinomial_l1 = multinomial_l1

    def fit(self, X, y, sample_weight=None, offset=None):
        """Fit the model, with an ``offset`` in the decision values when given (see the class
        docstring); on error the estimator is left exactly as it was."""
        with unchanged_on_error(self):
            self._fit(X, y, sample_weight, offset)
        return self

    def _fit(self, X, y, sample_weight, offset=None):
        self._check_primal_options()
        C = check_positive_number("C", self.C, allow_inf=True)
        C, l1_ratio = penalty_of(self.penalty, self.l1_ratio, C)
        tol, max_iter = self._check_solver_options(l1_ratio > 0)
        X, y, classes, y_index = self._classification_data(X, y, follow_dtype=True)
        sparse = scipy.sparse.issparse(X)
        mode = choose_mode(self.multi_class, len(classes))
        constraints = fit_constraints(self, mode, len(classes), X.shape[1])
        l1 = l1_ratio > 0 or constraints.grouped
        bounded = constraints.checked.bounded
        options = dict(sparse=sparse, bounds=bounded, columns=not sparse or self.mesh is None)
        solver = self._solver_for(l1, len(classes), X.shape[1], **options)
        weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
        weights = weights * class_weights(self.class_weight, classes, y, weights)[y_index]
        lam = float(lam_of_C(C, weights.sum()))
        targets, loss = encode_targets(y_index, len(classes), mode, X.dtype)
        with_offset = offset is not None
        offset = encode_offset(score_offset(offset, len(y), len(classes), mode), mode)
        factors = check_penalty_factor(self.penalty_factor, X.shape[1]).astype(X.dtype)
        X_fit, scales = self._standardized(X, weights)
        init = warm_start_init(self, mode, len(classes), X.shape[1])
        init[..., : X.shape[1]] *= scales  # the coefficients of the scaled columns
        arrays = (weights.astype(X.dtype), lam, l1_ratio, factors, init.astype(X.dtype), tol)
        static = dict(loss=loss, solver=self._seeded(solver), max_iter=max_iter)
        static.update(history=self.verbose >= 2, fit_intercept=bool(self.fit_intercept))
        static.update(grouped=constraints.grouped, one_vs_rest=mode == Mode.OVR)
        static.update(offset=offset, bounds=constraints.bounds(scales, X.dtype))
        result = placed_solve(self.mesh, X_fit, targets, *arrays, **static)

        coef = (np.array(result.coef, np.float64).reshape(-1, X.shape[1]) / scales).astype(X.dtype)
        intercept = np.array(result.intercept, X.dtype).reshape(-1)
        if mode == Mode.BINARY_SOFTMAX:
            coef, intercept = logit_of_softmax(coef, intercept)
        check_finite_result(coef, intercept)
        if lam == 0:  # no penalty: the MLE may not exist
            options = dict(fit_intercept=bool(self.fit_intercept), one_vs_rest=mode == Mode.OVR)
            warn_if_separable(X, y_index, weights, len(classes), coef, intercept, **options)

        self.classes_, self.fitted_with_offset_ = classes, with_offset
        self.coef_ = coef
        self.intercept_ = intercept if self.fit_intercept else np.zeros_like(intercept)
        self.n_iter_ = np.atleast_1d(np.asarray(result.n_iter, np.int32))
        self.solver_ = solver
        self.objective_ = float(np.sum(np.asarray(result.objective)))
        if result.history is not None:  # (max_iter + 1,), or (K, max_iter + 1) one-vs-rest
            self.objective_history_ = np.asarray(result.history, np.float64)
        self._report(solver, result, tol, max_iter, l1 or bounded)

    def _standardized(self, X, weights) -> tuple:
        """``(X / σ, σ)`` with ``standardize``, else ``(X, 1)``: ``σ (p,)`` the columns' weighted
        standard deviations (``core.standardization.feature_scales``)."""
        check_choice("standardize", self.standardize, (False, True))
        if not self.standardize:
            return X, np.ones(X.shape[1])
        scales = feature_scales(X, weights)
        return scale_columns(X, scales), scales

    def _check_primal_options(self) -> None:
        """``dual`` must be ``False`` and ``intercept_scaling`` a positive number (ignored),
        scikit-learn's rules for every solver but ``"liblinear"``."""
        if not isinstance(self.dual, bool | np.bool_):
            raise TypeError(f"dual must be True or False, got {self.dual!r}")
        if self.dual:
            raise ValueError(
                "dual=True (the dual problem, scikit-learn's liblinear only) is not available: "
                "jaxlogreg solves the primal problem, which has the same solution. Use "
                "dual=False (the default)"
            )
        check_positive_number("intercept_scaling", self.intercept_scaling, allow_inf=True)

    def _check_solver_options(self, l1: bool) -> tuple[float, int]:
        """The checked ``tol`` and ``max_iter`` (``0`` allowed, as in scikit-learn);
        ``multi_class`` and ``solver`` checked too."""
        check_choice("multi_class", self.multi_class, MULTI_CLASS)
        options = (self.solver, self.tol, self.max_iter)
        return check_solver_options(*options, l1=l1, allow_zero_iter=True)

    def _solver_for(
        self, l1: bool, n_classes: int, n_features: int, *, sparse, bounds, columns=True
    ) -> str:
        """``solver``, or the one ``"auto"`` stands for with ``K·(p + 1)`` coefficients (of a
        sparse ``X`` when ``sparse``; without column access unless ``columns``)."""
        if self.solver != "auto":
            return self.solver
        n_params = (1 if n_classes == 2 else n_classes) * (n_features + 1)
        options = dict(platform=jax.default_backend(), purpose=self._auto_purpose, sparse=sparse)
        return auto_solver(l1=l1, n_params=n_params, bounds=bounds, columns=columns, **options)

    def _seeded(self, solver: str):
        """``solver``, or for the minibatch solvers (``"sgd"``, ``"adam"``) with a
        ``random_state``, that solver drawing its minibatches from a seed of ``random_state``
        (one compiled program per seed; ``None`` keeps the solver's own fixed seed)."""
        method = SOLVERS[solver]
        if self.random_state is None or not hasattr(method, "with_seed"):
            return solver
        return method.with_seed(check_random_state(self.random_state).randint(2**31 - 1))

    def _classification_data(self, X, y, *, follow_dtype: bool = False):
        """Validated ``X`` and ``y``, the sorted classes, class indices. ``X`` is in the dtype
        the fit computes in: ``fit_dtype`` of ``X`` when ``follow_dtype``, else JAX's default
        float (float64 with ``jax_enable_x64``, else float32). A sparse ``X`` stays sparse, a CSR
        matrix (``_validation.validate_inputs``)."""
        check = dict(dtype=[np.float64, np.float32], order="C")
        X, y = validate_inputs(self, X, y, **check)
        dtype = fit_dtype(X.dtype) if follow_dtype else np.dtype(jnp.result_type(float))
        X = X.astype(dtype, copy=False)
        if not getattr(self, "standardize", False):  # else the fit scales the columns
            warn_on_feature_scale(X)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has only 1 class ({classes[0]!r}); {type(self).__name__} needs samples of at "
                "least 2 classes"
            )
        return X, y, classes, y_index

    def _report(self, solver, result, tol, max_iter, l1: bool) -> None:
        """The verbose lines, and a ``ConvergenceWarning`` unless every solve converged."""
        converged = np.asarray(result.converged)
        kkt_violation = float(np.max(np.asarray(result.kkt_violation)))
        if self.verbose > 0:
            status = "converged" if converged.all() else "NOT converged"
            print(
                f"LogisticRegression(solver={solver!r}): {status} after {self.n_iter_.max()} "
                f"iterations, max KKT violation {kkt_violation:.3e} (tol {tol:g}), "
                f"objective {self.objective_:.10g}"
            )
        if self.verbose >= 2:
            for row in np.atleast_2d(self.objective_history_):
                steps = row[np.isfinite(row)]
                print("  objective by iteration: " + ", ".join(f"{v:.10g}" for v in steps))
        if not converged.all():
            warn_not_converged(
                f"solver {solver!r}",
                result.stop_reason,
                kkt_violation,
                tol,
                max_iter=max_iter,
                measure="KKT violation" if l1 else "gradient component",
                stacklevel=4,  # the caller of fit (fit → _fit → _report)
            )

    def save(self, path) -> None:
        """Write the fitted model to ``path`` (``.npz`` arrays + JSON metadata, no pickle); a
        sparsified ``coef_`` is stored dense."""
        check_is_fitted(self)
        model = copy.copy(self)
        model.mesh = None  # where the fit ran, not part of the model
        if scipy.sparse.issparse(model.coef_):
            model.coef_ = model.coef_.toarray()
        persistence.save(model, path)

    def summary(
        self,
        X,
        y,
        *,
        sample_weight=None,
        cov_type="nonrobust",
        groups=None,
        use_correction=True,
        level=0.95,
        parametrization="reference",
        reference=None,
        offset=None,
    ):
        """Coefficients, standard errors, z, p-values and ``level`` intervals on the training
        data and ``offset``: ``print(model.summary(X, y))``; ``.frame`` a DataFrame,
        ``.inference`` the covariance and likelihood statistics (``jaxlogreg.inference.infer``).
        Dense ``X`` only: inference builds the dense design and its Hessian."""
        from ..inference.wald import infer  # inference builds on this module

        if scipy.sparse.issparse(X) or isinstance(X, jax.experimental.sparse.BCOO):
            raise TypeError(
                "summary() needs a dense X: inference builds the dense design and the "
                "(K·d)² Hessian, which jaxlogreg does not do for a sparse X. Pass X.toarray() "
                "if it fits in memory"
            )
        result = infer(
            self,
            X,
            y,
            sample_weight=sample_weight,
            cov_type=cov_type,
            groups=groups,
            use_correction=use_correction,
            parametrization=parametrization,
            reference=reference,
            offset=offset,
        )
        return result.summary(level)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.input_tags.sparse = True  # kept sparse (LogisticRegressionCV too)
        return tags
