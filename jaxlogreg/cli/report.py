"""What a command-line run reports: its metrics (metrics.json) and the text report; its figure is
drawn by ``report_figure``."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics
from sklearn.preprocessing import StandardScaler

from ..core.penalties import lam_of_C
from ..estimators.features import PolynomialFeatures
from .config import Config
from .datasets import Dataset

REPORT_WIDTH = 96


@dataclass(frozen=True)
class Experiment:
    """A fitted estimator, the train/test split it saw, and how long fitting took.

    With polynomial `features`, `X_train` and `X_test` hold the expanded features the estimator
    saw; their first `features.n_features_in_` columns are the (scaled) raw features. `offsets`:
    the train and test samples' offsets (config `data.offset`), or `(None, None)`.
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
    offsets: tuple[np.ndarray | None, np.ndarray | None] = (None, None)

    @property
    def train_data(self) -> tuple:
        """`(X_train, y_train, offset)`."""
        return self.X_train, self.y_train, self.offsets[0]

    @property
    def test_data(self) -> tuple:
        """`(X_test, y_test, offset)`."""
        return self.X_test, self.y_test, self.offsets[1]

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
            "offset": config["data"]["offset"] if dataset.offset is not None else None,
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
            "glmnet_lambda": (
                0.0 if model["penalty"] == "none" else float(lam_of_C(model["C"], n_train))
            ),
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
            "train": _scores(estimator, *experiment.train_data, dataset.classes),
            "test": _scores(estimator, *experiment.test_data, dataset.classes),
        },
        "features": {
            "polynomial_degree": config["features"]["polynomial_degree"],
            "names": list(experiment.feature_names),
        },
        "top_coefficients": top_coefficients(experiment, config["output"]["top_coefficients"]),
        "feature_scaling": None
        if experiment.scaler is None
        else {
            "mean": experiment.scaler.mean_.tolist() if experiment.scaler.with_mean else None,
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
    dataset, scores = summary["dataset"], summary["metrics"]
    binary = len(dataset["class_names"]) == 2
    lines = [f"jaxlogreg report: {dataset['name']}", "=" * REPORT_WIDTH]
    for label, text in _report_fields(summary):
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


def _report_fields(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The labelled lines at the top of the report: the data, the model, the fit."""
    dataset, split, model = summary["dataset"], summary["split"], summary["model"]
    fit, classes = summary["fit"], dataset["class_names"]
    if model["penalty"] == "none":
        penalty = "none (unpenalized maximum likelihood; C is not used)"
    else:
        penalty = (
            f"{model['penalty']}, C = {model['C']:g} "
            f"(glmnet lambda = 1/(C * n_train) = {model['glmnet_lambda']:.4g})"
        )
    solver = model["solver_used"]
    if model["solver"] == "auto":
        solver += " (chosen by solver = auto)"
    converged = (
        "converged" if fit["converged"] else f"did NOT converge: {fit['convergence_warning']}"
    )
    return [
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
        ("Features", _features_line(summary)),
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


def _features_line(summary: dict[str, Any]) -> str:
    """How the features were scaled and expanded before the fit."""
    if summary["split"]["standardized"] and summary["feature_scaling"]["mean"] is None:
        scaling = (
            "sparse, divided by their std (not centred) using the training set (model.npz "
            "expects features scaled so: the scale is under feature_scaling in metrics.json)"
        )
    elif summary["split"]["standardized"]:
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
    return scaling


def _scores(estimator: Any, X, y, offset, classes: np.ndarray) -> dict[str, float]:
    """Accuracy, log-loss and ROC AUC of `estimator` on `X` (with `offset`, or None) with
    label codes `y`."""
    probabilities = np.asarray(estimator.predict_proba(X, offset=offset), dtype=np.float64)
    labels = np.arange(probabilities.shape[1])
    if probabilities.shape[1] == 2:
        roc_auc = metrics.roc_auc_score(y, probabilities[:, 1])
    else:
        roc_auc = metrics.roc_auc_score(
            y, probabilities, multi_class="ovr", average="macro", labels=labels
        )
    return {
        "accuracy": float(metrics.accuracy_score(classes[y], estimator.predict(X, offset=offset))),
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


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
