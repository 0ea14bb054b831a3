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
import jax.numpy as jnp
import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .. import persistence
from .._validation import (
    check_choice,
    check_finite_result,
    check_positive_number,
    check_sample_weight,
    to_device,
    validate_inputs,
    warn_on_feature_scale,
)
from ..core.penalties import l1_ratio_of, lam_of_C
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
from ..inference.separation import warn_if_separable
from ..scale import sharding
from ..solvers.auto import Purpose, auto_solver
from ..solvers.stop import warn_not_converged
from ._base import AtomicFit, check_solver_options

__all__ = ["LogisticRegression"]


class LogisticRegression(AtomicFit, LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    """Regularized logistic regression (binary, multinomial, one-vs-rest).

    Parameters:
        penalty: ``"l2"`` (default), ``"l1"``, ``"elasticnet"`` or ``None``.
        C: inverse regularization strength (``> 0``; ``np.inf`` means no penalty).
        l1_ratio: elastic-net mixing in ``[0, 1]``, used with ``penalty="elasticnet"``.
        fit_intercept: fit an unpenalized intercept per class.
        solver: ``"auto"`` or a name from ``jaxlogreg.solvers.SOLVERS``.
        multi_class: ``"auto"`` (multinomial for more than two classes), ``"multinomial"``
            or ``"ovr"``.
        max_iter: maximum solver iterations.
        tol: stop when the largest gradient component (KKT violation) of the objective divided
            by ``C·Σsᵢ`` (the glmnet convention) is at most ``tol``.
        class_weight: ``None``, ``"balanced"`` or a dict ``{class: weight}``.
        warm_start: start from the previous fit's coefficients when shapes match.
        verbose: ``1`` prints a line per fit; ``2`` also records the objective at every iteration
            (``objective_history_``) and prints it.
        random_state: accepted for scikit-learn compatibility and stored; unused: the
            deterministic solvers draw nothing, and ``"sgd"``/``"adam"`` shuffle with their
            own fixed seed (``jaxlogreg.solvers.SGD(seed=...)``).
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

    Computation runs in float64 when ``jax_enable_x64`` is on, else in float32.
    """

    #: What ``solver="auto"`` picks a solver for (``jaxlogreg.solvers.auto``).
    _auto_purpose = Purpose.FIT

    def __init__(
        self,
        penalty="l2",
        *,
        C=1.0,
        l1_ratio=None,
        fit_intercept=True,
        solver="auto",
        multi_class="auto",
        max_iter=100,
        tol=1e-4,
        class_weight=None,
        warm_start=False,
        verbose=0,
        random_state=None,
        mesh=None,
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.multi_class = multi_class
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state
        self.mesh = mesh

    def _fit(self, X, y, sample_weight):
        l1_ratio = l1_ratio_of(self.penalty, self.l1_ratio)
        C = check_positive_number("C", self.C, allow_inf=True)
        l1 = l1_ratio > 0 and self.penalty is not None
        tol, max_iter = self._check_solver_options(l1)
        X, y, classes, y_index = self._classification_data(X, y)
        solver = self._solver_for(l1, len(classes), X.shape[1])
        weights = check_sample_weight(sample_weight, X.shape[0], np.float64)
        weights = weights * class_weights(self.class_weight, classes, y, weights)[y_index]
        lam = 0.0 if self.penalty is None else float(lam_of_C(C, weights.sum()))

        mode = choose_mode(self.multi_class, len(classes))
        targets, loss = encode_targets(y_index, len(classes), mode)
        init = self._warm_start_init(mode, len(classes), X.shape[1])
        arrays = (X, targets, weights, lam, l1_ratio, np.ones(X.shape[1]), init, tol)
        static = dict(loss=loss, solver=solver, max_iter=max_iter, history=self.verbose >= 2)
        result = self._solve(*arrays, one_vs_rest=mode == Mode.OVR, **static)

        coef = np.array(result.coef, np.float64).reshape(-1, X.shape[1])
        intercept = np.array(result.intercept, np.float64).reshape(-1)
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
        self._report(solver, result, tol, max_iter, l1)

    def _check_solver_options(self, l1: bool) -> tuple[float, int]:
        """The checked ``tol`` and ``max_iter``; ``multi_class`` and ``solver`` checked too."""
        check_choice("multi_class", self.multi_class, MULTI_CLASS)
        return check_solver_options(self.solver, self.tol, self.max_iter, l1=l1)

    def _solver_for(self, l1: bool, n_classes: int, n_features: int) -> str:
        """``solver``, or the one ``"auto"`` stands for with ``K·(p + 1)`` coefficients."""
        if self.solver != "auto":
            return self.solver
        n_params = (1 if n_classes == 2 else n_classes) * (n_features + 1)
        platform = jax.default_backend()
        return auto_solver(l1=l1, n_params=n_params, platform=platform, purpose=self._auto_purpose)

    def _classification_data(self, X, y):
        """Validated ``X`` (in the compute dtype) and ``y``, the sorted classes, class indices."""
        X, y = validate_inputs(self, X, y, dtype=[np.float64, np.float32], order="C")
        X = X.astype(np.dtype(jnp.result_type(float)), copy=False)
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
        solves the class problems (``targets (K, n, 1)``, ``init (K, 1, d)``) in one ``vmap``."""
        if self.mesh is None:
            data = (to_device(X), targets, weights)
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
                stacklevel=3,
            )

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
        the covariance and likelihood statistics. See ``jaxlogreg.inference.infer``."""
        from ..inference.wald import infer  # inference builds on this module

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
        tags.input_tags.sparse = True  # densified, up to _validation.MAX_DENSE_BYTES
        return tags
