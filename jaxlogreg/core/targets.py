"""Classification targets: which model a label set gets (the mode) and its solver targets.

The modes, for class indices ``y ∈ {0, …, K−1}``:

- ``BINARY``: one logit ``z`` for class 1 against class 0 (binary loss, targets ``(n, 1)``);
- ``BINARY_SOFTMAX``: a two-class softmax (multinomial loss, one-hot targets ``(n, 2)``), fitted
  when a two-class problem asks for ``multi_class="multinomial"``; reported as the equivalent
  logit ``θ₁ − θ₀``;
- ``MULTINOMIAL``: a ``K``-class softmax (multinomial loss, one-hot targets ``(n, K)``);
- ``OVR``: ``K`` binary problems, class ``k`` against the rest (targets ``(K, n, 1)``).

A fitted model's decision values ``Z (n, K)`` (``K = 1`` for a logit) give the class
log-probabilities of ``class_log_proba``, the one formula of prediction and cross-validation.

An offset (a known term of the decision values, glmnet's ``offset``) is given in the layout of
the decision values (``score_offset``) and handed to the solver in the layout of its targets
(``encode_offset``).
"""

from __future__ import annotations

import enum
from types import ModuleType

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from .._validation import readable_here
from .losses import BINARY, MULTINOMIAL, Loss

__all__ = [
    "MULTI_CLASS",
    "Mode",
    "check_target_values",
    "choose_mode",
    "class_log_proba",
    "class_weights",
    "encode_offset",
    "encode_targets",
    "fit_targets",
    "logit_of_softmax",
    "score_offset",
    "softmax_of_logit",
]

#: The ``multi_class`` options of the classifiers.
MULTI_CLASS = ("auto", "multinomial", "ovr")


class Mode(enum.StrEnum):
    """How a classifier models its classes (see the module docstring)."""

    BINARY = "binary"
    BINARY_SOFTMAX = "binary-softmax"
    MULTINOMIAL = "multinomial"
    OVR = "ovr"


def choose_mode(multi_class: str, n_classes: int) -> Mode:
    """The mode of ``multi_class`` (``"auto"``, ``"multinomial"`` or ``"ovr"``) for ``n_classes``:
    two classes are one logit unless a softmax is asked for; more are a softmax unless
    one-vs-rest is asked for."""
    if multi_class == "ovr":
        return Mode.BINARY if n_classes == 2 else Mode.OVR
    if n_classes == 2:
        return Mode.BINARY_SOFTMAX if multi_class == "multinomial" else Mode.BINARY
    return Mode.MULTINOMIAL


def encode_targets(y_index: np.ndarray, n_classes: int, mode: Mode, dtype=np.float64):
    """The solver targets of class indices ``y_index (n,)``, and the loss they go with.

    ``BINARY``: ``(n, 1)`` indicator of class 1 (binary loss); ``OVR``: ``(K, n, 1)``, one
    binary problem per class; ``MULTINOMIAL`` and ``BINARY_SOFTMAX``: ``(n, K)`` one-hot rows
    (multinomial loss).
    """
    if mode == Mode.BINARY:
        return (y_index == 1).astype(dtype)[:, None], BINARY
    if mode == Mode.OVR:
        one_vs_rest = y_index[None, :] == np.arange(n_classes)[:, None]
        return one_vs_rest.astype(dtype)[:, :, None], BINARY
    return np.eye(n_classes, dtype=dtype)[y_index], MULTINOMIAL


def score_offset(offset, n_samples: int, n_classes: int, mode: Mode) -> np.ndarray | None:
    """A user's ``offset`` in the layout of the decision values: ``(n, 1)`` for a logit (two
    classes), ``(n, K)`` otherwise; ``None`` stays ``None``.

    A logit takes ``(n,)`` (or ``(n, 1)``); one-vs-rest ``(n,)`` (the same offset in every class
    problem) or ``(n, K)`` (column ``k`` in the problem of class ``k``); a softmax of ``K > 2``
    classes ``(n, K)`` only: one offset added to every class's score would not change it.
    """
    if offset is None:
        return None
    offset = np.asarray(offset, dtype=np.float64)
    n_scores = 1 if n_classes == 2 else n_classes
    if offset.ndim == 1 and mode != Mode.MULTINOMIAL:
        offset = offset[:, None]
    if offset.ndim != 2 or offset.shape[0] != n_samples or offset.shape[1] not in {1, n_scores}:
        shapes = f"({n_samples},)" if n_scores == 1 else f"({n_samples}, {n_scores})"
        if mode == Mode.OVR:
            shapes = f"({n_samples},) or {shapes}"
        raise ValueError(
            f"offset must have shape {shapes} for {n_classes} classes ({mode} model), got "
            f"{offset.shape}; a softmax needs one column per class (the same value added to "
            "every class's score changes nothing)"
        )
    if not np.all(np.isfinite(offset)):
        raise ValueError("offset must be finite")
    return np.broadcast_to(offset, (n_samples, n_scores))


def encode_offset(offset, mode: Mode) -> np.ndarray | None:
    """The solver's offset of a ``score_offset`` ``(n, R)``, in the layout of
    ``encode_targets``: ``(n, 1)`` for ``BINARY``, ``(K, n, 1)`` for ``OVR``, ``(n, K)`` for
    ``MULTINOMIAL`` and ``(n, 2) = [0, o]`` for ``BINARY_SOFTMAX`` (the logit ``z₁ − z₀`` moves
    by ``o``)."""
    if offset is None:
        return None
    if mode == Mode.OVR:
        return np.ascontiguousarray(offset.T[:, :, None])
    if mode == Mode.BINARY_SOFTMAX:
        return np.concatenate([np.zeros_like(offset), offset], axis=1)
    return np.ascontiguousarray(offset)


def logit_of_softmax(coef, intercept):
    """The binary logit ``θ₁ − θ₀`` of a two-class softmax: ``(2, p), (2,) -> (1, p), (1,)``
    (the last axes; any leading ones are kept)."""
    return coef[..., 1:, :] - coef[..., :1, :], intercept[..., 1:] - intercept[..., :1]


def softmax_of_logit(coef):
    """The centred two-class softmax ``(−θ/2, θ/2)`` of a binary logit ``θ``: ``(1, d) -> (2, d)``;
    it has the same probabilities and the smallest ridge penalty of all equivalent ones."""
    return np.concatenate([-coef / 2, coef / 2], axis=-2)


def class_log_proba(scores, mode: Mode, xp: ModuleType = np):
    """Class log-probabilities ``(…, n, n_classes)`` of decision values ``scores (…, n, K)``,
    without overflow, in the array module ``xp`` (``numpy`` or ``jax.numpy``):

    - a logit (``K = 1``): ``[log σ(−z), log σ(z)]``;
    - ``OVR``: the normalized one-vs-rest probabilities ``log σ(zₖ) − log Σⱼ σ(zⱼ)``;
    - otherwise the softmax: ``zₖ − m − log Σⱼ exp(zⱼ − m)``, ``m = maxⱼ zⱼ``.

    ``log σ(z) = −log(1 + e^{−z})`` is ``−logaddexp(−z, 0)``, as ``jax.nn.log_sigmoid`` computes
    it; the log-sums subtract their largest term first (the forms of ``jax.nn.log_softmax`` and
    ``jax.nn.logsumexp``).
    """
    if scores.shape[-1] == 1:
        return xp.concatenate([_log_sigmoid(-scores, xp), _log_sigmoid(scores, xp)], axis=-1)
    if mode == Mode.OVR:
        log_p = _log_sigmoid(scores, xp)
        largest = xp.max(log_p, axis=-1, keepdims=True)
        return log_p - (xp.log(xp.sum(xp.exp(log_p - largest), axis=-1, keepdims=True)) + largest)
    shifted = scores - xp.max(scores, axis=-1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))


def _log_sigmoid(z, xp: ModuleType):
    return -xp.logaddexp(-z, 0.0)


def class_weights(class_weight, classes, y, sample_weight=None) -> np.ndarray:
    """The weight ``(n_classes,)`` of each of the sorted ``classes``: ones without
    ``class_weight``, else scikit-learn's ``compute_class_weight`` (``"balanced"``:
    ``Σs / (n_classes · Σ_{yᵢ = k} sᵢ)``, the sample weights ``s`` counted when given)."""
    if class_weight is None:
        return np.ones(len(classes))
    return compute_class_weight(class_weight, classes=classes, y=y, sample_weight=sample_weight)


def fit_targets(values, loss: Loss, X_shape: tuple[int, int]):
    """The functional ``fit``'s ``y`` as targets ``(n, K)``: a vector is one column (binary or
    squared loss); multinomial targets come as rows."""
    shape = values.shape
    if values.ndim == 1:
        if loss.shift_invariant:
            raise ValueError("multinomial targets must be one-hot rows of shape (n, K)")
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != X_shape[0]:
        raise ValueError(f"y of shape {shape} does not match X of shape {X_shape}")
    return values


def check_target_values(targets, loss: Loss, sample_weight=None) -> None:
    """Targets ``(n, K)`` given as numbers (the functional ``fit``) in their loss's domain:
    binary, probabilities in ``[0, 1]``; multinomial, rows of probabilities (non-negative,
    each summing to 1). Outside it the cross-entropy is unbounded below and a fit diverges.
    Rows of zero weight (e.g. padding) count for nothing and are not checked, nor are arrays
    this process cannot read (traced, or held by other processes)."""
    weights_readable = sample_weight is None or readable_here(sample_weight)
    if loss not in (BINARY, MULTINOMIAL) or not (readable_here(targets) and weights_readable):
        return
    T = np.asarray(targets)
    if sample_weight is not None:
        T = T[np.asarray(sample_weight) > 0]
    if T.size == 0:
        return
    low, high = float(T.min()), float(T.max())
    if loss is BINARY and (low < 0 or high > 1):
        raise ValueError(
            f"y must lie in [0, 1] for loss='binary' (labels 0/1 or probabilities), got values "
            f"in [{low:g}, {high:g}]; for more classes pass one-hot rows with "
            "loss='multinomial', or fit LogisticRegression, which encodes any labels"
        )
    sums = T.sum(axis=1)
    if loss is MULTINOMIAL and (low < 0 or not np.allclose(sums, 1.0, rtol=0, atol=1e-6)):
        raise ValueError(
            "multinomial targets must be rows of probabilities (non-negative, each summing to "
            f"1), e.g. one-hot rows; got values in [{low:g}, {high:g}] and row sums in "
            f"[{sums.min():g}, {sums.max():g}]"
        )
