"""Figures of regularization paths, cross-validation and penalty-tuning results (matplotlib).

The ``λ`` axes are logarithmic with ``λ`` decreasing to the right, as in glmnet: the penalty
weakens and the model grows from left to right. Each ``plot_*`` function draws on the given Axes
(or a new figure) and returns it; the ``save_*`` functions write a PNG or SVG file.

Nothing here selects a matplotlib backend or changes matplotlib's global state. Without ``ax``,
a ``plot_*`` function draws on a new pyplot figure when the caller already uses pyplot (it has
been imported), so that the figure shows where the caller's other figures show (a notebook, a
window, ``plt.show()``); otherwise on a standalone ``matplotlib.figure.Figure`` (``ax.figure``
saves or displays it). The ``save_*`` functions always draw on a standalone figure, rendered by
the canvas the file's format calls for.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "plot_coefficient_path",
    "plot_cv_curve",
    "plot_train_validation",
    "plot_tuning",
    "save_cv_plot",
    "save_path_plot",
    "save_tuning_plot",
]

FILE_FORMATS = (".png", ".svg")
LABELLED_FEATURES = 8  # features named at the end of a coefficient path
NONZERO_TICKS = 6  # ticks of the "nonzero coefficients" top axis


def plot_coefficient_path(path, feature_names=None, ax=None, *, class_index: int = 0):
    """Coefficients against ``λ``: one line per feature, the largest ones at the end of the path
    named and coloured; the top axis counts the nonzero coefficients.

    ``path`` is a ``RegularizationPath``; for a multiclass path the coefficients of class
    ``class_index`` are drawn. Returns the Axes.
    """
    ax = _axes(ax)
    coef = np.asarray(path.coef)
    multiclass = coef.ndim == 3
    if multiclass:
        coef = coef[:, class_index]
    lambdas = np.asarray(path.lambdas)
    p = coef.shape[1]
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(p)]
    labelled = np.argsort(-np.abs(coef[-1]))[: min(LABELLED_FEATURES, p)]
    labelled = labelled[coef[-1, labelled] != 0]
    colors = _palette(len(labelled))
    for j in range(p):
        if j not in labelled:
            ax.plot(lambdas, coef[:, j], color="0.75", linewidth=0.8)
    for color, j in zip(colors, labelled, strict=True):
        ax.plot(lambdas, coef[:, j], color=color, linewidth=1.6, label=names[j])
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xscale("log")
    span = lambdas.max() / lambdas.min() if lambdas.min() > 0 else 10.0
    ax.set_xlim(lambdas.max() * 1.05, lambdas.min() / span**0.15)  # room for the names
    _name_line_ends(ax, lambdas[-1], coef[-1, labelled], [names[j] for j in labelled], colors)

    nonzero = np.count_nonzero(coef, axis=1)
    top = ax.twiny()
    top.set_xscale("log")
    top.set_xlim(ax.get_xlim())
    ticks = np.unique(np.linspace(0, len(lambdas) - 1, NONZERO_TICKS).round().astype(int))
    top.set_xticks(lambdas[ticks], [str(n) for n in nonzero[ticks]])
    top.minorticks_off()
    top.set_xlabel("nonzero coefficients")
    ax.set_xlabel("λ (penalty strength, log scale; weaker to the right)")
    ax.set_ylabel("coefficient (standardized features)")
    title = f"Regularization path (l1_ratio = {path.l1_ratio:g})"
    if multiclass:
        title += f", class {path.classes[class_index]}"
    ax.set_title(title)
    return ax


def plot_cv_curve(cv_model, ax=None):
    """Mean validation score (log-loss for ``neg_log_loss``) against ``λ`` with ±1 standard-error
    bars, one curve per ``l1_ratio``, and vertical lines at ``λ_min`` and ``λ_1se``.

    ``cv_model`` is a fitted ``LogisticRegressionCV``. Returns the Axes.
    """
    ax = _axes(ax)
    lambdas, order = _lambdas(cv_model)
    scores = _grid(next(iter(cv_model.scores_.values())), axis=2)  # (F, L, A)
    loss = _scoring(cv_model) == "neg_log_loss"
    values = -scores if loss else scores
    mean = values.mean(axis=0)[order]
    error = values.std(axis=0, ddof=min(1, len(values) - 1))[order] / np.sqrt(len(values))
    chosen = _chosen_l1_index(cv_model)
    l1_ratios = np.atleast_1d(cv_model.l1_ratios_)
    for a, color in zip(range(len(l1_ratios)), _palette(len(l1_ratios)), strict=True):
        label = f"l1_ratio = {l1_ratios[a]:g}"
        if a == chosen:
            ax.errorbar(
                lambdas,
                mean[:, a],
                yerr=error[:, a],
                color=color,
                marker="o",
                markersize=3,
                capsize=2,
                linewidth=1.6,
                label=label + " (chosen), ±1 SE",
                zorder=3,
            )
        else:
            ax.plot(lambdas, mean[:, a], color=color, linewidth=1, alpha=0.6, label=label)
    _mark_lambdas(ax, cv_model)
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("λ (penalty strength, log scale; weaker to the right)")
    name = "validation log-loss (lower is better)" if loss else f"validation {_scoring(cv_model)}"
    ax.set_ylabel(name)
    ax.set_title(f"{len(values)}-fold cross-validation")
    ax.legend(fontsize="small")
    return ax


def plot_train_validation(cv_model, axes=None):
    """Training and validation log-loss (first Axes) and accuracy (second) against ``λ`` at the
    chosen ``l1_ratio``: a strong penalty (left) underfits, both losses high; a weak one (right)
    overfits, the training loss falls below the validation loss.

    ``axes``: two Axes, or None for a new figure. Returns the figure.
    """
    if axes is None:
        axes = _new_figure((12, 4.8)).subplots(1, 2)
    lambdas, order = _lambdas(cv_model)
    chosen = _chosen_l1_index(cv_model)
    results = cv_model.cv_results_

    def column(key):
        return _grid(np.asarray(results[key]), axis=1)[order, chosen]

    panels = (("loss", "log-loss", "upper center"), ("accuracy", "accuracy", "lower right"))
    for ax, (metric, label, corner) in zip(axes, panels, strict=True):
        ax.plot(lambdas, column(f"mean_train_{metric}"), color="tab:blue", label="training")
        mean, std = column(f"mean_val_{metric}"), column(f"std_val_{metric}")
        ax.plot(lambdas, mean, color="tab:orange", label="validation (mean over folds)")
        ax.fill_between(lambdas, mean - std, mean + std, color="tab:orange", alpha=0.2)
        _mark_lambdas(ax, cv_model)
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("λ (penalty strength, log scale; weaker to the right)")
        ax.set_ylabel(label)
        ax.set_title(f"Training vs validation {label}")
        ax.legend(fontsize="small", loc=corner)
    regions = (
        (0.02, "left", "← underfitting:\nboth losses high"),
        (0.98, "right", "overfitting: →\ntraining ≪ validation"),
    )
    for x, align, text in regions:
        axes[0].text(x, 0.85, text, transform=axes[0].transAxes, ha=align, va="top", color="0.3")
    return axes[0].figure


def save_path_plot(path, file, feature_names=None) -> None:
    """Write ``plot_coefficient_path`` to ``file`` (``.png`` or ``.svg``)."""
    figure = _file_figure(file, (10, 6))
    plot_coefficient_path(path, feature_names, figure.subplots())
    figure.savefig(file, dpi=110)


def save_cv_plot(cv_model, file) -> None:
    """Write the CV curve and the training-vs-validation panels to ``file`` (``.png``/``.svg``)."""
    figure = _file_figure(file, (19, 5.5))
    axes = figure.subplots(1, 3)
    plot_cv_curve(cv_model, axes[0])
    plot_train_validation(cv_model, axes[1:])
    figure.suptitle(
        f"Choosing the penalty by cross-validation: C = {cv_model.C_[0]:.4g}, "
        f"l1_ratio = {cv_model.l1_ratio_[0]:g} (λ_min = {cv_model.lambda_min_:.3g}, "
        f"λ_1se = {cv_model.lambda_1se_:.3g})",
        fontsize=13,
    )
    figure.savefig(file, dpi=110)


def _file_figure(file, figsize) -> Any:
    """A standalone figure for a file, after checking the file's suffix."""
    if Path(file).suffix.lower() not in FILE_FORMATS:
        raise ValueError(f"plot file must end in {' or '.join(FILE_FORMATS)}, got {str(file)!r}")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _new_figure(figsize) -> Any:
    """A new figure: pyplot's when the caller already uses pyplot, else a standalone one."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout="constrained")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _axes(ax) -> Any:
    return ax if ax is not None else _new_figure((10, 6)).subplots()


def _palette(count: int) -> list:
    import matplotlib

    colors = matplotlib.colormaps["tab10"].colors
    return [colors[i % len(colors)] for i in range(count)]


def _name_line_ends(ax, x, ys, names, colors) -> None:
    """Write `names` just right of the line ends at `(x, ys)`, spread so they do not overlap."""
    if len(ys) == 0:
        return
    low, high = ax.get_ylim()
    gap = 0.045 * (high - low)
    order = np.argsort(ys)
    placed = np.array(ys, dtype=float)[order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    placed -= max(0.0, placed[-1] - high + gap / 2)
    for position, i in zip(placed, order, strict=True):
        ax.annotate(
            names[i],
            (x, ys[i]),
            xytext=(x, position),
            textcoords="data",
            fontsize="small",
            color=colors[i],
            va="center",
            ha="left",
            annotation_clip=False,
        )


def _scoring(cv_model) -> str:
    return cv_model.scoring or "neg_log_loss"


def _lambdas(cv_model) -> tuple[np.ndarray, np.ndarray]:
    """The ``λ`` of the C grid in decreasing order, and the order that sorts the grid so."""
    lambdas = _grid(np.asarray(cv_model.cv_results_["lambda"]), axis=1)[:, 0]
    order = np.argsort(-lambdas, kind="stable")
    return lambdas[order], order


def _grid(values: np.ndarray, axis: int) -> np.ndarray:
    """`values` with an ``l1_ratio`` axis at `axis` (added when the penalty is not elastic-net)."""
    return values if values.ndim > axis else np.expand_dims(values, axis)


def _chosen_l1_index(cv_model) -> int:
    return int(np.argmin(np.abs(np.atleast_1d(cv_model.l1_ratios_) - cv_model.l1_ratio_[0])))


def _mark_lambdas(ax, cv_model) -> None:
    """Dashed vertical lines at ``λ_min`` (best mean score) and ``λ_1se`` (one-SE rule)."""
    ax.axvline(
        cv_model.lambda_min_,
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"λ_min = {cv_model.lambda_min_:.3g}",
        gid="lambda_min",
    )
    ax.axvline(
        cv_model.lambda_1se_,
        color="0.45",
        linestyle=":",
        linewidth=1.2,
        label=f"λ_1se = {cv_model.lambda_1se_:.3g}",
        gid="lambda_1se",
    )


def plot_tuning(result, grid_lambdas, grid_losses, axes=None):
    """Hypergradient tuning against grid search: the validation loss along the tuning trajectory
    over the grid-search curve against ``λ`` (first Axes), and against the step (second Axes,
    with ``λ`` on a twin axis).

    ``result`` is a ``jaxlogreg.selection.tuning.TuningResult``; ``grid_lambdas (L,)`` and
    ``grid_losses (L,)`` the curve (``validation_curve``). ``axes``: two Axes, or None for a new
    figure. Returns the figure.
    """
    if axes is None:
        axes = _new_figure((13, 5)).subplots(1, 2)
    grid_lambdas, grid_losses = np.asarray(grid_lambdas), np.asarray(grid_losses)
    best_grid = int(np.nanargmin(grid_losses))
    _plot_tuning_against_lambda(axes[0], result, grid_lambdas, grid_losses, best_grid)
    _plot_tuning_against_step(axes[1], result, grid_losses[best_grid])
    return axes[0].figure


def _plot_tuning_against_lambda(ax, result, grid_lambdas, grid_losses, best_grid: int) -> None:
    """The grid-search curve and the tuning trajectory (coloured by step) against ``λ``."""
    lams, losses = np.asarray(result.lams), np.asarray(result.losses)
    ax.plot(
        grid_lambdas,
        grid_losses,
        color="0.55",
        marker="o",
        markersize=3,
        linewidth=1.2,
        label=f"grid search ({len(grid_lambdas)} λ)",
        zorder=1,
    )
    ax.plot(lams, losses, color="tab:blue", linewidth=0.8, alpha=0.6, zorder=2)
    points = ax.scatter(
        lams,
        losses,
        c=np.arange(len(lams)),
        cmap="viridis",
        s=18,
        zorder=3,
        label="tuning trajectory",
    )
    ax.scatter(
        lams[:1],
        losses[:1],
        marker="s",
        s=60,
        facecolors="none",
        edgecolors="black",
        zorder=4,
        label=f"start: λ = {lams[0]:.3g}",
    )
    ax.scatter(
        [result.lam],
        [result.validation_loss],
        marker="*",
        s=180,
        color="tab:red",
        zorder=5,
        label=f"tuned: λ = {result.lam:.3g}",
    )
    ax.axvline(
        grid_lambdas[best_grid],
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"grid best: λ = {grid_lambdas[best_grid]:.3g}",
    )
    ax.figure.colorbar(points, ax=ax, label="step")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("λ (penalty strength, log scale; weaker to the right)")
    ax.set_ylabel("validation loss (lower is better)")
    ax.set_title("Validation loss: tuning trajectory vs grid search")
    ax.legend(fontsize="small")


def _plot_tuning_against_step(ax, result, grid_minimum: float) -> None:
    """The validation loss by step, the grid-search minimum, and ``λ`` on a twin axis."""
    lams, losses = np.asarray(result.lams), np.asarray(result.losses)
    steps = np.arange(len(lams))
    ax.plot(steps, losses, color="tab:blue", marker=".", label="validation loss")
    ax.axhline(
        grid_minimum, color="black", linestyle="--", linewidth=1, label="grid-search minimum"
    )
    ax.set_xlabel("step")
    ax.set_ylabel("validation loss")
    twin = ax.twinx()
    twin.plot(steps, lams, color="tab:orange", linewidth=1, label="λ")
    twin.set_yscale("log")
    twin.set_ylabel("λ", color="tab:orange")
    ax.set_title("Gradient descent on log λ")
    handles = ax.get_legend_handles_labels()
    twin_handles = twin.get_legend_handles_labels()
    ax.legend(handles[0] + twin_handles[0], handles[1] + twin_handles[1], fontsize="small")


def save_tuning_plot(result, grid_lambdas, grid_losses, file) -> None:
    """Write ``plot_tuning`` to ``file`` (``.png`` or ``.svg``)."""
    figure = _file_figure(file, (14, 5.5))
    plot_tuning(result, grid_lambdas, grid_losses, figure.subplots(1, 2))
    figure.savefig(file, dpi=110)
