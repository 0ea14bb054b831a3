"""What a command-line run reports: its metrics, a text report and a figure of three panels (four,
with the decision boundary, for two features and two classes)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics
from sklearn.preprocessing import StandardScaler

from ..estimators.features import PolynomialFeatures
from .config import Config
from .datasets import Dataset

PLOTTED_COEFFICIENTS = 15
BOUNDARY_GRID = 200  # points per axis of the decision-boundary grid
REPORT_WIDTH = 96


@dataclass(frozen=True)
class Experiment:
    """A fitted estimator, the train/test split it saw, and how long fitting took.

    With polynomial `features`, `X_train` and `X_test` hold the expanded features the estimator
    saw; their first `features.n_features_in_` columns are the (scaled) raw features.
    """

    dataset: Dataset
    estimator: Any
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    config: Config
    config_source: str
    scaler: StandardScaler | None
    dtype: str
    first_fit_seconds: float
    fit_seconds: float
    convergence_warning: str | None
    features: PolynomialFeatures | None = None

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the estimator's features: the dataset's, or their monomials."""
        if self.features is None:
            return self.dataset.feature_names
        return tuple(self.features.get_feature_names_out(self.dataset.feature_names))


def summarize(experiment: Experiment) -> dict[str, Any]:
    """Everything the report states, as a JSON-ready dict (it is what metrics.json holds)."""
    dataset, estimator, config = experiment.dataset, experiment.estimator, experiment.config
    model = config["model"]
    n_train = len(experiment.y_train)
    n_iter = np.atleast_1d(np.asarray(estimator.n_iter_)).astype(int)
    return {
        "config": experiment.config_source,
        "dataset": {
            "name": dataset.name,
            "n_samples": int(dataset.X.shape[0]),
            "n_features": int(dataset.X.shape[1]),
            "class_names": list(dataset.class_names),
        },
        "split": {
            "n_train": n_train,
            "n_test": len(experiment.y_test),
            "test_size": config["data"]["test_size"],
            "seed": config["data"]["seed"],
            "standardized": config["data"]["standardize"],
        },
        "model": {
            "penalty": model["penalty"],
            "C": model["C"],
            "glmnet_lambda": 0.0 if model["penalty"] == "none" else 1.0 / (model["C"] * n_train),
            "solver": model["solver"],
            "solver_used": estimator.solver_,
            "multi_class": model["multi_class"],
            "max_iter": model["max_iter"],
            "tol": model["tol"],
            "dtype": experiment.dtype,
        },
        "fit": {
            "n_iter": n_iter.tolist(),
            "converged": experiment.convergence_warning is None,
            "convergence_warning": experiment.convergence_warning,
            "fit_seconds": experiment.fit_seconds,
            "compile_seconds": max(experiment.first_fit_seconds - experiment.fit_seconds, 0.0),
        },
        "metrics": {
            "train": _scores(estimator, experiment.X_train, experiment.y_train, dataset.classes),
            "test": _scores(estimator, experiment.X_test, experiment.y_test, dataset.classes),
        },
        "features": {
            "polynomial_degree": config["features"]["polynomial_degree"],
            "names": list(experiment.feature_names),
        },
        "top_coefficients": top_coefficients(experiment, config["output"]["top_coefficients"]),
        "feature_scaling": None
        if experiment.scaler is None
        else {
            "mean": experiment.scaler.mean_.tolist(),
            "scale": experiment.scaler.scale_.tolist(),
        },
    }


def top_coefficients(experiment: Experiment, count: int) -> list[dict[str, Any]]:
    """The `count` largest coefficients by absolute value, with their feature and class.

    Binary models have one coefficient per feature (for the second class). Multiclass models
    have one per feature and class; each feature is listed once, with the class it pushes
    hardest.
    """
    dataset = experiment.dataset
    coef = np.atleast_2d(np.asarray(experiment.estimator.coef_, dtype=np.float64))
    strongest_row = np.argmax(np.abs(coef), axis=0)
    strongest = coef[strongest_row, np.arange(coef.shape[1])]
    row_classes = dataset.class_names[1:] if coef.shape[0] == 1 else dataset.class_names
    order = np.argsort(-np.abs(strongest), kind="stable")[:count]
    return [
        {
            "feature": experiment.feature_names[j],
            "class": row_classes[strongest_row[j]],
            "coefficient": float(strongest[j]),
        }
        for j in order
    ]


def format_report(summary: dict[str, Any]) -> str:
    """The human-readable report of a run."""
    dataset, split, model = summary["dataset"], summary["split"], summary["model"]
    fit, scores = summary["fit"], summary["metrics"]
    classes = dataset["class_names"]
    binary = len(classes) == 2
    if model["penalty"] == "none":
        penalty = "none (unpenalized maximum likelihood; C is not used)"
    else:
        penalty = (
            f"{model['penalty']}, C = {model['C']:g} "
            f"(glmnet lambda = 1/(C * n_train) = {model['glmnet_lambda']:.4g})"
        )
    if split["standardized"]:
        scaling = (
            "standardized to mean 0, std 1 using the training set (model.npz expects features "
            "scaled so: the mean and scale are under feature_scaling in metrics.json)"
        )
    else:
        scaling = "used as given (not standardized)"
    degree = summary["features"]["polynomial_degree"]
    if degree > 1:
        names = summary["features"]["names"]
        scaling += (
            f", then expanded into their {len(names)} monomials of degree 1 to {degree} "
            f"({', '.join(names[:6])}{', ...' if len(names) > 6 else ''}), the features model.npz "
            "expects"
        )
    solver = model["solver_used"]
    if model["solver"] == "auto":
        solver += " (chosen by solver = auto)"
    converged = (
        "converged" if fit["converged"] else f"did NOT converge: {fit['convergence_warning']}"
    )
    fields = [
        ("Config", summary["config"]),
        (
            "Dataset",
            f"{dataset['n_samples']} samples, {dataset['n_features']} features, "
            f"{len(classes)} classes: {', '.join(classes)}",
        ),
        (
            "Split",
            f"{split['n_train']} train / {split['n_test']} test "
            f"(test_size = {split['test_size']:g}, stratified, seed = {split['seed']})",
        ),
        ("Features", scaling),
        ("Penalty", penalty),
        ("Solver", f"{solver}, multi_class = {model['multi_class']}, dtype = {model['dtype']}"),
        ("Stopping", f"max_iter = {model['max_iter']}, tol = {model['tol']:g}"),
        ("Iterations", f"{', '.join(str(n) for n in fit['n_iter'])}: {converged}"),
        (
            "Fit time",
            f"{_duration(fit['fit_seconds'])} (a repeated fit, reusing the compiled code)",
        ),
        (
            "Compile time",
            f"{_duration(fit['compile_seconds'])} "
            "(first fit minus repeated fit: JAX compiling the solver)",
        ),
    ]
    lines = [f"jaxlogreg report: {dataset['name']}", "=" * REPORT_WIDTH]
    for label, text in fields:
        lines += textwrap.wrap(
            text,
            REPORT_WIDTH,
            initial_indent=f"{label:<14}",
            subsequent_indent=" " * 14,
            break_on_hyphens=False,
        )
    lines += ["", f"{'':14}{'train':>9}{'test':>9}"]
    for name, key in [("accuracy", "accuracy"), ("log-loss", "log_loss"), ("ROC AUC", "roc_auc")]:
        lines.append(f"{name:14}{scores['train'][key]:9.4f}{scores['test'][key]:9.4f}")
    if not binary:
        lines.append("(ROC AUC: mean over classes of one-vs-rest AUC)")
    lines += ["", *_coefficient_heading(summary)]
    width = max(len(entry["feature"]) for entry in summary["top_coefficients"])
    for entry in summary["top_coefficients"]:
        line = f"  {entry['feature']:<{width}}  {entry['coefficient']:+9.4f}"
        lines.append(line if binary else f"{line}  (class {entry['class']})")
    return "\n".join(lines) + "\n"


def plot_report(experiment: Experiment, summary: dict[str, Any], path: str | Path) -> None:
    """Save the figure: ROC curve, predicted probabilities (or confusion matrix), coefficients,
    and, for two raw features and two classes, the decision boundary over the data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    probabilities = np.asarray(experiment.estimator.predict_proba(experiment.X_test))
    boundary = len(experiment.dataset.feature_names) == 2 and len(experiment.dataset.classes) == 2
    figure, panels = plt.subplots(
        1, 4 if boundary else 3, figsize=(26 if boundary else 20, 6.5), layout="constrained"
    )
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
    plt.close(figure)


def _scores(estimator: Any, X: np.ndarray, y: np.ndarray, classes: np.ndarray) -> dict[str, float]:
    """Accuracy, log-loss and ROC AUC of `estimator` on `X` with label codes `y`."""
    probabilities = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    labels = np.arange(probabilities.shape[1])
    if probabilities.shape[1] == 2:
        roc_auc = metrics.roc_auc_score(y, probabilities[:, 1])
    else:
        roc_auc = metrics.roc_auc_score(
            y, probabilities, multi_class="ovr", average="macro", labels=labels
        )
    return {
        "accuracy": float(metrics.accuracy_score(classes[y], estimator.predict(X))),
        "log_loss": float(metrics.log_loss(y, probabilities, labels=labels)),
        "roc_auc": float(roc_auc),
    }


def _coefficient_heading(summary: dict[str, Any]) -> list[str]:
    count = len(summary["top_coefficients"])
    unit = "standard deviation" if summary["split"]["standardized"] else "unit"
    classes = summary["dataset"]["class_names"]
    if len(classes) == 2:
        return [
            f"Top {count} coefficients: change in the log-odds of '{classes[1]}' per {unit} "
            "of the feature",
            f"(+ favours '{classes[1]}', - favours '{classes[0]}')",
        ]
    return [
        f"Top {count} coefficients: change in a class's log-odds score per {unit} of the feature",
        "(each feature listed once, with the class it moves most)",
    ]


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


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
