"""The figure of a command-line run (report.png): ROC curve, predicted probabilities (or the
confusion matrix), the largest coefficients and, for two features and two classes, the decision
boundary over the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from matplotlib.figure import Figure
from sklearn import metrics

from .report import Experiment, top_coefficients

PLOTTED_COEFFICIENTS = 15
BOUNDARY_GRID = 200  # points per axis of the decision-boundary grid


def plot_report(experiment: Experiment, summary: dict[str, Any], path: str | Path) -> None:
    """Save the figure: ROC curve, predicted probabilities (or confusion matrix), coefficients,
    and, for two raw features and two classes without offsets, the decision boundary over the
    data."""
    X_test, _, offset = experiment.test_data
    probabilities = np.asarray(experiment.estimator.predict_proba(X_test, offset=offset))
    boundary = (
        len(experiment.dataset.feature_names) == 2
        and len(experiment.dataset.classes) == 2
        and not scipy.sparse.issparse(experiment.X_train)
        and offset is None
    )
    # A figure of its own, not pyplot's: drawing it changes no backend and no global state.
    figure = Figure(figsize=(26 if boundary else 20, 6.5), layout="constrained")
    panels = figure.subplots(1, 4 if boundary else 3)
    roc_axes, middle_axes, coef_axes = panels[:3]
    _plot_roc(roc_axes, experiment, probabilities)
    if len(experiment.dataset.class_names) == 2:
        _plot_probabilities(middle_axes, experiment, probabilities)
    else:
        _plot_confusion(middle_axes, experiment, probabilities)
    _plot_coefficients(coef_axes, experiment, summary)
    if boundary:
        _plot_boundary(panels[3], experiment, summary)
    model = summary["model"]
    penalty = (
        "no penalty" if model["penalty"] == "none" else f"{model['penalty']}, C={model['C']:g}"
    )
    figure.suptitle(
        f"Logistic regression on {experiment.dataset.name} ({penalty}): "
        f"test accuracy {summary['metrics']['test']['accuracy']:.3f}, "
        f"test ROC AUC {summary['metrics']['test']['roc_auc']:.3f}",
        fontsize=14,
    )
    figure.savefig(path, dpi=110)


def _plot_roc(axes: Any, experiment: Experiment, probabilities: np.ndarray) -> None:
    names = experiment.dataset.class_names
    curves = [(names[1], 1)] if len(names) == 2 else [(name, k) for k, name in enumerate(names)]
    for name, k in curves:
        positives = experiment.y_test == k
        false_positive, true_positive, _ = metrics.roc_curve(positives, probabilities[:, k])
        auc = metrics.roc_auc_score(positives, probabilities[:, k])
        label = f"AUC = {auc:.3f}" if len(names) == 2 else f"{name} vs rest (AUC = {auc:.3f})"
        axes.plot(false_positive, true_positive, linewidth=2, label=label)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random guessing")
    target = f"'{names[1]}'" if len(names) == 2 else "each class"
    axes.set(
        title=f"ROC curve on the test set (detecting {target})",
        xlabel="false positive rate (share of negatives flagged)",
        ylabel="true positive rate (share of positives found)",
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
    )
    axes.legend(loc="lower right", fontsize="small")


def _plot_probabilities(axes: Any, experiment: Experiment, probabilities: np.ndarray) -> None:
    names = experiment.dataset.class_names
    bins = np.linspace(0.0, 1.0, 21)
    for k, name in enumerate(names):
        axes.hist(
            probabilities[experiment.y_test == k, 1],
            bins=bins,
            alpha=0.6,
            label=f"truly '{name}'",
        )
    axes.axvline(0.5, linestyle="--", color="grey", label="decision threshold (0.5)")
    axes.set(
        title="Predicted probabilities on the test set, by true class",
        xlabel=f"predicted probability of '{names[1]}'",
        ylabel="number of test samples",
    )
    axes.legend(loc="upper center")


def _plot_confusion(axes: Any, experiment: Experiment, probabilities: np.ndarray) -> None:
    names = experiment.dataset.class_names
    predicted = np.argmax(probabilities, axis=1)
    counts = metrics.confusion_matrix(experiment.y_test, predicted, labels=np.arange(len(names)))
    axes.imshow(counts, cmap="Blues")
    for (true, guess), count in np.ndenumerate(counts):
        color = "white" if count > counts.max() / 2 else "black"
        axes.text(guess, true, str(count), ha="center", va="center", color=color)
    ticks = np.arange(len(names))
    axes.set_xticks(ticks, names, rotation=45, ha="right")
    axes.set_yticks(ticks, names)
    axes.set(
        title="Confusion matrix on the test set (diagonal = correct)",
        xlabel="predicted class",
        ylabel="true class",
    )


def _plot_coefficients(axes: Any, experiment: Experiment, summary: dict[str, Any]) -> None:
    entries = top_coefficients(experiment, PLOTTED_COEFFICIENTS)
    binary = len(experiment.dataset.class_names) == 2
    labels = [
        entry["feature"] if binary else f"{entry['feature']} (class {entry['class']})"
        for entry in entries
    ]
    values = np.array([entry["coefficient"] for entry in entries])
    colors = np.where(values > 0, "tab:red", "tab:blue")
    positions = np.arange(len(entries))
    axes.barh(positions, values, color=colors)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.axvline(0.0, color="black", linewidth=0.8)
    unit = "standard deviation" if summary["split"]["standardized"] else "unit"
    if binary:
        names = experiment.dataset.class_names
        meaning = f"red favours '{names[1]}', blue favours '{names[0]}'"
    else:
        meaning = "red raises, blue lowers the class's score"
    axes.set(
        title=f"Top {len(entries)} coefficients by size\n({meaning})",
        xlabel=f"coefficient: change in log-odds per {unit} of the feature",
    )


def _plot_boundary(axes: Any, experiment: Experiment, summary: dict[str, Any]) -> None:
    """Filled contours of P(second class) over a grid of the two raw features, the P = 0.5
    contour (the decision boundary) and the train/test points."""
    names = experiment.dataset.class_names
    raw_train, raw_test = experiment.X_train[:, :2], experiment.X_test[:, :2]
    points = np.vstack([raw_train, raw_test])
    margin = 0.1 * (points.max(axis=0) - points.min(axis=0))
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    g1, g2 = np.meshgrid(*np.linspace(low, high, BOUNDARY_GRID).T)
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    if experiment.features is not None:
        grid = experiment.features.transform(grid)
    probability = np.asarray(experiment.estimator.predict_proba(grid))[:, 1].reshape(g1.shape)
    filled = axes.contourf(
        g1, g2, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45
    )
    axes.contour(g1, g2, probability, levels=[0.5], colors="black", linewidths=2)
    axes.figure.colorbar(filled, ax=axes, label=f"predicted probability of '{names[1]}'")
    for k, (name, color) in enumerate(zip(names, ("tab:blue", "tab:red"), strict=True)):
        for raw, y, marker, split in (
            (raw_train, experiment.y_train, "o", "train"),
            (raw_test, experiment.y_test, "^", "test"),
        ):
            chosen = raw[y == k]
            axes.scatter(
                chosen[:, 0],
                chosen[:, 1],
                c=color,
                marker=marker,
                s=18,
                edgecolors="black",
                linewidths=0.5,
                label=f"'{name}' ({split})",
            )
    unit = " (standardized)" if summary["split"]["standardized"] else ""
    feature_1, feature_2 = experiment.dataset.feature_names
    axes.set(
        title="Decision boundary (black: probability 0.5) and the data",
        xlabel=feature_1 + unit,
        ylabel=feature_2 + unit,
    )
    axes.legend(loc="upper right", fontsize="small")
