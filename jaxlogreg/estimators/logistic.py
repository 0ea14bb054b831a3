"""``LogisticRegression``: a scikit-learn compatible estimator on the batch-native engine.

It minimizes scikit-learn's objective::

    C · Σᵢ sᵢ ℓᵢ + (1 − l1_ratio)/2 · ‖W‖²_F + l1_ratio · ‖W‖₁

(``sᵢ`` = sample weight × class weight, intercept unpenalized) by solving the equivalent
glmnet-convention problem of ``jaxlogreg.fit`` with ``λ = 1/(C·Σᵢ sᵢ)``. One-vs-rest fits all
binary problems in one ``jax.vmap``-ed solve.
"""

from __future__ import annotations

import copy

import jax
import jax.experimental.sparse
import jax.numpy as jnp
import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .. import persistence
from .._validation import (
    as_sparse_csr,
    check_choice,
    check_finite_result,
    check_positive_number,
    check_sample_weight,
    validate_inputs,
    warn_on_feature_scale,
)
from ..core.penalties import UNSET, lam_of_C, penalty_of
from ..core.targets import (
    MULTI_CLASS,
    Mode,
    choose_mode,
    class_log_proba,
    class_weights,
    encode_targets,
    logit_of_softmax,
    softmax_of_logit,
)
from ..engine.functional import FitArrays, solve, solve_many
from ..engine.shapes import bucket_rows, pad_rows, padded_on_device, padded_sparse_design
from ..inference.separation import warn_if_separable
from ..scale import sharding
from ..solvers import SOLVERS
from ..solvers.auto import Purpose, auto_solver
from ..solvers.stop import warn_not_converged
from ._base import AtomicFit, check_solver_options, fit_dtype

__all__ = ["LogisticRegression"]


class LogisticRegression(AtomicFit, LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
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
    ``mesh`` and ``summary`` take a dense ``X`` only.
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

    def _fit(self, X, y, sample_weight):
        self._check_primal_options()
        C = check_positive_number("C", self.C, allow_inf=True)
        C, l1_ratio = penalty_of(self.penalty, self.l1_ratio, C)
        tol, max_iter = self._check_solver_options(l1_ratio > 0)
        X, y, classes, y_index = self._classification_data(
            X, y, follow_dtype=True, keep_sparse=True
        )
        sparse = scipy.sparse.issparse(X)
        solver = self._solver_for(l1_ratio > 0, len(classes), X.shape[1], sparse=sparse)
        weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
        weights = weights * class_weights(self.class_weight, classes, y, weights)[y_index]
        lam = float(lam_of_C(C, weights.sum()))

        mode = choose_mode(self.multi_class, len(classes))
        targets, loss = encode_targets(y_index, len(classes), mode, X.dtype)
        init = self._warm_start_init(mode, len(classes), X.shape[1]).astype(X.dtype)
        factors = np.ones(X.shape[1], X.dtype)
        arrays = (X, targets, weights.astype(X.dtype), lam, l1_ratio, factors, init, tol)
        method = self._seeded(solver)
        static = dict(loss=loss, solver=method, max_iter=max_iter, history=self.verbose >= 2)
        result = self._solve(*arrays, one_vs_rest=mode == Mode.OVR, **static)

        coef = np.array(result.coef, X.dtype).reshape(-1, X.shape[1])
        intercept = np.array(result.intercept, X.dtype).reshape(-1)
        if mode == Mode.BINARY_SOFTMAX:
            coef, intercept = logit_of_softmax(coef, intercept)
        check_finite_result(coef, intercept)
        if lam == 0:  # no penalty: the MLE may not exist
            options = dict(fit_intercept=bool(self.fit_intercept), one_vs_rest=mode == Mode.OVR)
            warn_if_separable(X, y_index, weights, len(classes), coef, intercept, **options)

        self.classes_ = classes
        self.coef_ = coef
        self.intercept_ = intercept if self.fit_intercept else np.zeros_like(intercept)
        self.n_iter_ = np.atleast_1d(np.asarray(result.n_iter, np.int32))
        self.solver_ = solver
        self.objective_ = float(np.sum(np.asarray(result.objective)))
        if result.history is not None:  # (max_iter + 1,), or (K, max_iter + 1) one-vs-rest
            self.objective_history_ = np.asarray(result.history, np.float64)
        self._report(solver, result, tol, max_iter, l1_ratio > 0)

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
        self, l1: bool, n_classes: int, n_features: int, *, sparse: bool = False
    ) -> str:
        """``solver``, or the one ``"auto"`` stands for with ``K·(p + 1)`` coefficients (of a
        sparse ``X`` when ``sparse``)."""
        if self.solver != "auto":
            return self.solver
        n_params = (1 if n_classes == 2 else n_classes) * (n_features + 1)
        platform = jax.default_backend()
        return auto_solver(
            l1=l1, n_params=n_params, platform=platform, purpose=self._auto_purpose, sparse=sparse
        )

    def _seeded(self, solver: str):
        """``solver``, or for the minibatch solvers (``"sgd"``, ``"adam"``) with a
        ``random_state``, that solver drawing its minibatches from a seed of ``random_state``
        (one compiled program per seed; ``None`` keeps the solver's own fixed seed)."""
        method = SOLVERS[solver]
        if self.random_state is None or not hasattr(method, "with_seed"):
            return solver
        return method.with_seed(check_random_state(self.random_state).randint(2**31 - 1))

    def _classification_data(self, X, y, *, follow_dtype: bool = False, keep_sparse: bool = False):
        """Validated ``X`` and ``y``, the sorted classes, class indices. ``X`` is in the dtype
        the fit computes in: ``fit_dtype`` of ``X`` when ``follow_dtype``, else JAX's default
        float (float64 with ``jax_enable_x64``, else float32). A sparse ``X`` is densified, or
        with ``keep_sparse`` a CSR matrix (``_validation.validate_inputs``)."""
        check = dict(dtype=[np.float64, np.float32], order="C", keep_sparse=keep_sparse)
        X, y = validate_inputs(self, X, y, **check)
        dtype = fit_dtype(X.dtype) if follow_dtype else np.dtype(jnp.result_type(float))
        X = X.astype(dtype, copy=False)
        warn_on_feature_scale(X)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has only 1 class ({classes[0]!r}); {type(self).__name__} needs samples of at "
                "least 2 classes"
            )
        return X, y, classes, y_index

    def _solve(self, X, targets, weights, *arrays, one_vs_rest: bool, **static):
        """``solve`` on the data, its rows split over ``mesh`` when one is given; one-vs-rest
        solves the class problems (``targets (K, n, 1)``, ``init (K, 1, d)``) in one ``vmap``,
        which shares ``X``. A CSR ``X`` is solved as a ``core.design.SparseDesign``."""
        sparse = scipy.sparse.issparse(X)
        if sparse and self.mesh is not None:
            raise ValueError(
                "mesh= shards the rows of a dense X only (sparse rows are not sharded): pass "
                "mesh=None to fit the sparse X on one device, or X.toarray() if it fits in memory"
            )
        if self.mesh is None:  # rows padded: nearby row counts share one program
            n_rows = bucket_rows(X)
            targets = pad_rows(targets, n_rows, axis=np.ndim(targets) - 2)
            X = padded_sparse_design(X, n_rows) if sparse else padded_on_device(X, n_rows)
            data = (X, targets, pad_rows(weights, n_rows))
        else:
            data = sharding.shard_data(self.mesh, X, targets, weights)
        static["fit_intercept"] = bool(self.fit_intercept)
        if one_vs_rest:
            result = solve_many(FitArrays(targets=0, init=0), **static)(*data, *arrays)
        else:
            result = solve(*data, *arrays, **static)
        return sharding.fetch(result)

    def _warm_start_init(self, mode: Mode, n_classes: int, n_features: int) -> np.ndarray:
        """Starting coefficients ``(K, d)`` (``(K, 1, d)`` for one-vs-rest)."""
        rows = {Mode.BINARY: 1, Mode.BINARY_SOFTMAX: 2}.get(mode, n_classes)
        d = n_features + int(bool(self.fit_intercept))
        init = np.zeros((rows, d))
        previous = getattr(self, "coef_", None)
        if scipy.sparse.issparse(previous):  # after sparsify()
            previous = previous.toarray()
        if self.warm_start and previous is not None and previous.shape[1] == n_features:
            full = np.hstack([previous, self.intercept_[:, None]])[:, :d]
            if mode == Mode.BINARY_SOFTMAX and len(full) == 1:
                init = softmax_of_logit(full)
            elif len(full) == rows:
                init = full
        return init[:, None, :] if mode == Mode.OVR else init

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

    def decision_function(self, X):
        """Decision values ``X Wᵀ + b``: ``(n_samples,)`` for two classes, else
        ``(n_samples, n_classes)``; a sparse ``X`` (a BCOO as a CSR matrix) stays sparse."""
        if isinstance(X, jax.experimental.sparse.BCOO):
            X = as_sparse_csr(X)
        return super().decision_function(X)

    def predict_proba(self, X):
        """Class probabilities, ``(n_samples, n_classes)``."""
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X):
        """Logarithms of the class probabilities, computed without overflow
        (``jaxlogreg.core.targets.class_log_proba``)."""
        scores = self.decision_function(X)
        mode = choose_mode(self.multi_class, len(self.classes_))
        return class_log_proba(scores.reshape(len(scores), -1), mode)

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
    ):
        """Coefficients, standard errors, z, p-values and ``level`` intervals on the training
        data: ``print(model.summary(X, y))``; ``.frame`` is a DataFrame, ``.inference`` holds
        the covariance and likelihood statistics. See ``jaxlogreg.inference.infer``. Dense
        ``X`` only: inference builds the dense design and its Hessian."""
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
        )
        return result.summary(level)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.input_tags.sparse = True  # kept sparse (LogisticRegressionCV: densified, as_dense)
        return tags
