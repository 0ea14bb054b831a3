"""`jaxlogreg fit --data FILE.svm | X.npz`: sparse files fitted without densifying, in memory (a
train/test split) and out of core (--chunk-rows).

References: scikit-learn's LogisticRegression on the same split (or the whole data) of the
matrix ``load_svmlight_file`` reads (float64).
"""

import json

import numpy as np
import pytest
import scipy.sparse
from conftest import run_cli
from sklearn.datasets import dump_svmlight_file, load_svmlight_file
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import jaxlogreg
from jaxlogreg.cli.sparse_data import load_sparse

CONFIG = "[model]\ntol = 1e-10\n[compilation]\ncache = false\n"


def refuse_densification(monkeypatch):
    """Every way of making a scipy.sparse matrix dense raises from now on in the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse X was densified")

    for cls in (scipy.sparse.csr_matrix, scipy.sparse.csc_matrix, scipy.sparse.coo_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same sparse data as FILE.svm (string-free numeric labels ±1) and X.npz + labels."""
    rng = np.random.default_rng(0)
    X = scipy.sparse.random(240, 30, density=0.15, random_state=0, format="csr")
    X.data = rng.normal(size=X.nnz)
    y = np.where(X @ rng.normal(size=30) + 0.5 * rng.logistic(size=240) > 0, 1.0, -1.0)
    folder = tmp_path_factory.mktemp("sparse_cli")
    dump_svmlight_file(X, y, str(folder / "data.svm"), zero_based=True)
    scipy.sparse.save_npz(folder / "X.npz", X)
    np.save(folder / "X.labels.npy", y)
    (folder / "labels.txt").write_text("\n".join(str(int(v)) for v in y) + "\n")
    (folder / "job.toml").write_text(CONFIG)
    return folder, X, y


def split_reference(X, y):
    """scikit-learn on the CLI's split: stratified, seed 0, 25% test, scaled without centring."""
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    X_train = StandardScaler(with_mean=False).fit_transform(X_train)
    return SkLogisticRegression(C=1.0, tol=1e-12, solver="newton-cholesky").fit(X_train, y_train)


@pytest.mark.parametrize("data, target", [("data.svm", None), ("X.npz", None), ("X.npz", "t")])
def test_fit_on_sparse_files_matches_scikit_learn(
    files, tmp_path, capsys, monkeypatch, data, target
):
    folder, X, y = files
    refuse_densification(monkeypatch)
    extra = () if target is None else ("--target", folder / "labels.txt")
    out_dir = tmp_path / "out"
    argv = ("fit", "--data", folder / data, *extra, "--config", folder / "job.toml")
    code, out, err = run_cli(capsys, *argv, "--output", out_dir, "--float64")
    assert code == 0, err
    summary = json.loads((out_dir / "metrics.json").read_text())
    assert summary["dataset"]["n_features"] == 30
    assert summary["dataset"]["class_names"] == ["-1", "1"]
    assert summary["feature_scaling"]["mean"] is None
    assert "not centred" in out
    model = jaxlogreg.load(out_dir / "model.npz")
    reference = split_reference(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-6)


@pytest.mark.parametrize("data", ["data.svm", "X.npz"])
def test_out_of_core_fit_on_sparse_files(files, tmp_path, capsys, monkeypatch, data):
    folder, X, y = files
    refuse_densification(monkeypatch)
    out_dir = tmp_path / "out"
    argv = ("fit", "--data", folder / data, "--chunk-rows", 64, "--config", folder / "job.toml")
    code, _, err = run_cli(capsys, *argv, "--output", out_dir, "--float64")
    assert code == 0, err
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["chunk_rows"] == 64 and metrics["n_features"] == 30
    expected_target = "in the data file" if data == "data.svm" else str(folder / "X.labels.npy")
    assert metrics["target"] == expected_target
    model = jaxlogreg.load(out_dir / "model.npz")
    reference = SkLogisticRegression(C=1.0, tol=1e-12, solver="newton-cholesky").fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-6)


def test_svmlight_reader_of_the_cli_matches_scikit_learn(files):
    folder, *_ = files
    X, labels = load_sparse(folder / "data.svm", None)
    expected_X, expected_y = load_svmlight_file(str(folder / "data.svm"))
    assert scipy.sparse.issparse(X) and (X != expected_X).nnz == 0
    np.testing.assert_array_equal(labels, expected_y)


def test_sparse_file_errors_name_the_fix(files, tmp_path, capsys):
    folder, X, _ = files
    scipy.sparse.save_npz(tmp_path / "bare.npz", X)
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    cases = [
        (("--data", tmp_path / "bare.npz"), "pass --target LABELS.npy"),
        (("--data", folder / "data.svm", "--target", "y"), "drop --target"),
        (("--data", folder / "X.npz", "--target", "labels.json"), "labels file"),
        (("--data", folder / "data.svm", "--chunk-rows", 10, "--target", "y"), "drop --target"),
        (("--data", tmp_path / "table.csv"), "pass --target COLUMN"),
    ]
    for args, message in cases:
        code, _, err = run_cli(capsys, "fit", *args, "--output", tmp_path / "out")
        assert code == 2 and message in err, (args, err)
    config = tmp_path / "poly.toml"
    config.write_text(CONFIG + "[features]\npolynomial_degree = 2\n")
    code, _, err = run_cli(capsys, "fit", "--data", folder / "data.svm", "--config", config)
    assert code == 2 and "polynomial_degree" in err
