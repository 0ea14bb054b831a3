"""Classification targets: which model a label set gets (the mode) and its solver targets.

The modes, for class indices ``y ∈ {0, …, K−1}``:

- ``BINARY``: one logit ``z`` for class 1 against class 0 (binary loss, targets ``(n, 1)``);
- ``BINARY_SOFTMAX``: a two-class softmax (multinomial loss, one-hot targets ``(n, 2)``), fitted
  when a two-class problem asks for ``multi_class="multinomial"``; reported as the equivalent
  logit ``θ₁ − θ₀``;
- ``MULTINOMIAL``: a ``K``-class softmax (multinomial loss, one-hot targets ``(n, K)``);
- ``OVR``: ``K`` binary problems, class ``k`` against the rest (targets ``(K, n, 1)``).
"""

from __future__ import annotations

import enum

import numpy as np

from .losses import BINARY, MULTINOMIAL

__all__ = [
    "MULTI_CLASS",
    "Mode",
    "choose_mode",
    "encode_targets",
    "logit_of_softmax",
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


def encode_targets(y_index: np.ndarray, n_classes: int, mode: str, dtype=np.float64):
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


def logit_of_softmax(coef, intercept):
    """The binary logit ``θ₁ − θ₀`` of a two-class softmax: ``(2, p), (2,) -> (1, p), (1,)``
    (the last axes; any leading ones are kept)."""
    return coef[..., 1:, :] - coef[..., :1, :], intercept[..., 1:] - intercept[..., :1]


def softmax_of_logit(coef):
    """The centred two-class softmax ``(−θ/2, θ/2)`` of a binary logit ``θ``: ``(1, d) -> (2, d)``;
    it has the same probabilities and the smallest ridge penalty of all equivalent ones."""
    return np.concatenate([-coef / 2, coef / 2], axis=-2)
