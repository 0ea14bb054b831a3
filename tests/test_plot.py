"""Tests of the regularization-path and cross-validation figures (data drawn, not pixels)."""

import subprocess
import sys
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import standardized

import jaxlogreg
from jaxlogreg.plot import (
    plot_coefficient_path,
    plot_cv_curve,
    plot_train_validation,
    save_cv_plot,
    save_path_plot,
)

N_LAMBDAS = 30


@pytest.fixture(scope="module")
def cancer():
    X, y = standardized("breast_cancer")
    return X[:, :10], y


@pytest.fixture(scope="module")
def lasso_path(cancer):
    X, y = cancer
    return jaxlogreg.regularization_path(
        X, y, n_lambdas=N_LAMBDAS, lambda_min_ratio=1e-3, l1_ratio=1.0, tol=1e-6
    )


@pytest.fixture(scope="module")
def cv_model(cancer):
    X, y = cancer
    return jaxlogreg.LogisticRegressionCV(Cs=8, l1_ratios=[0.5, 1.0], cv=3, max_iter=300).fit(X, y)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_coefficient_path_draws_every_feature_along_the_grid(lasso_path):
    names = [f"feature {j}" for j in range(10)]
    ax = plot_coefficient_path(lasso_path, names)
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == N_LAMBDAS]
    assert len(lines) == 10
    for line in lines:
        np.testing.assert_allclose(line.get_xdata(), lasso_path.lambdas)
    assert ax.get_xscale() == "log"
    left, right = ax.get_xlim()
    assert left > right  # decreasing λ to the right
    written = {text.get_text() for text in ax.texts}
    largest = names[int(np.argmax(np.abs(lasso_path.coef[-1])))]
    assert largest in written
    top = next(other for other in ax.figure.axes if other is not ax)
    assert top.get_xlabel() == "nonzero coefficients"
    assert top.get_xticklabels()[0].get_text() == "0"  # λ_max: every coefficient zero


def test_coefficient_path_of_a_multiclass_path_draws_one_class():
    X, y = standardized("iris")
    path = jaxlogreg.regularization_path(X, y, n_lambdas=10, l1_ratio=0.5)
    ax = plot_coefficient_path(path, class_index=2)
    assert "class 2" in ax.get_title()
    assert sum(len(line.get_xdata()) == 10 for line in ax.get_lines()) == X.shape[1]


def test_cv_curve_marks_the_chosen_lambdas(cv_model):
    ax = plot_cv_curve(cv_model)
    markers = {line.get_gid(): line.get_xdata()[0] for line in ax.get_lines() if line.get_gid()}
    assert markers["lambda_min"] == pytest.approx(cv_model.lambda_min_)
    assert markers["lambda_1se"] == pytest.approx(cv_model.lambda_1se_)
    assert cv_model.lambda_1se_ >= cv_model.lambda_min_
    chosen = ax.containers[0]  # the error-bar curve of the chosen l1_ratio
    x, y = chosen.lines[0].get_data()
    assert len(x) == len(cv_model.Cs_)
    a = list(cv_model.l1_ratios_).index(cv_model.l1_ratio_[0])
    validation_loss = -cv_model.scores_[1][:, :, a].mean(axis=0)
    np.testing.assert_allclose(np.sort(y), np.sort(validation_loss))
    assert np.min(y) == pytest.approx(y[np.argmin(np.abs(x - cv_model.lambda_min_))])
    assert "log-loss" in ax.get_ylabel()


def test_train_validation_shows_overfitting_at_small_lambda(cv_model):
    figure = plot_train_validation(cv_model)
    loss_axes, accuracy_axes = figure.axes
    lines = {line.get_label(): line for line in loss_axes.get_lines()}
    train = lines["training"].get_ydata()
    validation = lines["validation (mean over folds)"].get_ydata()
    assert len(train) == len(cv_model.Cs_)
    assert train[-1] < validation[-1]  # smallest λ: training loss below validation loss
    assert validation[0] > validation.min()  # largest λ: underfitting
    assert "accuracy" in accuracy_axes.get_ylabel()
    assert any("overfitting" in text.get_text() for text in loss_axes.texts)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_saved_figures(tmp_path, lasso_path, cv_model, suffix):
    save_path_plot(lasso_path, tmp_path / f"path{suffix}")
    save_cv_plot(cv_model, tmp_path / f"cv{suffix}")
    for name in ("path", "cv"):
        assert (tmp_path / f"{name}{suffix}").stat().st_size > 10_000


def test_unknown_file_suffix(tmp_path, lasso_path):
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        save_path_plot(lasso_path, tmp_path / "path.pdf")


def test_figures_leave_pyplot_and_the_backend_alone(tmp_path):
    """Without pyplot in use, figures are standalone: drawing and saving them imports no pyplot."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import jaxlogreg
        from jaxlogreg.plot import plot_coefficient_path, save_path_plot

        X = np.random.default_rng(0).normal(size=(60, 3))
        path = jaxlogreg.regularization_path(X, (X[:, 0] > 0).astype(int), n_lambdas=5)
        ax = plot_coefficient_path(path)
        save_path_plot(path, sys.argv[1])
        assert "matplotlib.pyplot" not in sys.modules
        """
    )
    file = tmp_path / "path.png"
    result = subprocess.run(
        [sys.executable, "-c", script, str(file)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert file.stat().st_size > 10_000
