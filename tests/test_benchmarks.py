"""The benchmark suite at ``--quick`` size: it runs, its JSON is complete, and its objective gaps
are measured in the common (glmnet) convention.

The suite runs once, in a subprocess (``python -m benchmarks --quick``, as CI runs it); the sparse
workloads (S1–S4, S1-l1) run once more the same way (slow tests). Gaps are
checked against references computed here independently: scikit-learn fits at ``C = 1/(λ·n)``
(tight tolerances) and the objective written out from scikit-learn's ``log_loss``. Peers that
are not installed must be reported as skipped, not fail the run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from benchmarks import adapters
from benchmarks.__main__ import main as bench_main
from benchmarks.objective import GAP_TOL, objective, relative_gaps
from benchmarks.workloads import DENSE, SPARSE, WORKLOADS, build

# Its module-scoped fixtures start processes: one worker runs them all (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_benchmarks")

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def _run_quick(output, *arguments):
    """``python -m benchmarks --quick`` into ``output``. Tiny problems: native thread pools
    (BLAS, OpenMP, numba) only spin at this size, and slow the run down several times on a busy
    machine, so each gets one thread."""
    single = {name: "1" for name in THREAD_VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output), *arguments],
        cwd=ROOT, env={**os.environ, **single}, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """The results of ``python -m benchmarks --quick`` (and the folder they were written to)."""
    output = tmp_path_factory.mktemp("bench")
    done = _run_quick(output)
    assert done.returncode == 0, done.stderr[-3000:]
    (json_file,) = output.glob("*.json")
    return json.loads(json_file.read_text()), json_file


def _rows(results, key):
    (workload,) = [w for w in results["workloads"] if w["key"] == key]
    return workload, [r for r in workload["rows"] if r["status"] == "ok"]


def test_json_schema(quick):
    results, json_file = quick
    assert json_file.name == "cpu-float64-quick.json"
    assert results["options"]["quick"] is True
    assert results["gap_tol"] == GAP_TOL
    machine = results["machine"]
    for field in ("cpu", "cores", "device", "dtype", "platform", "versions"):
        assert machine[field], field
    assert machine["versions"]["jax"] and machine["versions"]["jaxlogreg"]
    assert [w["key"] for w in results["workloads"]] == list(DENSE)
    for workload in results["workloads"]:
        libraries = {r["library"] for r in workload["rows"]}
        assert "jaxlogreg" in libraries and "scikit-learn" in libraries
        for row in workload["rows"]:
            assert row["status"] == "ok", (workload["key"], row)
            assert 0 <= row["compile_s"] <= row["first_s"]
            assert row["time_s"] > 0 and len(row["times_s"]) == 1
            assert row["peak_mb"] is None or row["peak_mb"] >= 0
            assert row["accurate"] == (row["gap"] <= GAP_TOL)
            assert 0 <= row["test_accuracy"] <= 1
            rows_of_coef = 1 if workload["n_classes"] == 2 else workload["n_classes"]
            assert 0 <= row["nonzeros"] <= rows_of_coef * workload["p"]
            n_objectives = 1 if workload["kind"] == "cv" else len(workload["lambdas"])
            assert len(row["objective"]) == n_objectives
        if WORKLOADS[workload["key"]].target is not None:
            target = workload["target"]
            assert isinstance(target["holds"], bool) or (
                target["holds"] is None and target["why"].startswith("no reference row")
            )


def test_missing_peers_are_reported_as_skipped(quick):
    results, _ = quick
    absent = [lib for lib in adapters.LIBRARIES if adapters.missing(lib) is not None]
    for workload in results["workloads"]:
        skipped = {s["method"]: s["reason"] for s in workload["skipped"]}
        for library in absent:
            assert skipped[library].startswith("not installed")
            assert all(r["library"] != library for r in workload["rows"])


def test_ratios_are_to_the_fastest_accurate_peer(quick):
    results, _ = quick
    for workload in results["workloads"]:
        peers = [r for r in workload["rows"] if r["library"] != "jaxlogreg" and r["accurate"]]
        fastest = min(peers, key=lambda r: r["time_s"])
        assert fastest["ratio"] == 1.0
        for row in workload["rows"]:
            assert row["ratio"] == pytest.approx(row["time_s"] / fastest["time_s"])


def _common_objective(X, y, coef, intercept, lam, l1_ratio):
    """The glmnet-convention objective, written from scikit-learn's log-loss."""
    Z = X @ coef.T + intercept
    if coef.shape[0] == 1:
        risk = log_loss(y, 1 / (1 + np.exp(-Z[:, 0])), labels=[0, 1])
    else:
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        risk = log_loss(y, P / P.sum(axis=1, keepdims=True), labels=np.arange(coef.shape[0]))
    return risk + lam * ((1 - l1_ratio) / 2 * np.sum(coef**2) + l1_ratio * np.sum(np.abs(coef)))


def _reference(spec, data, lam):
    """scikit-learn at ``C = 1/(λ·n)``, tight tolerance: the common objective's minimum."""
    solver = "saga" if spec.l1_ratio > 0 else "newton-cholesky"
    model = LogisticRegression(
        C=1 / (lam * spec.n_samples), l1_ratio=spec.l1_ratio, solver=solver,
        tol=1e-12, max_iter=100_000, random_state=0,
    ).fit(data.X, data.y)  # fmt: skip
    return _common_objective(data.X, data.y, model.coef_, model.intercept_, lam, spec.l1_ratio)


@pytest.mark.parametrize("key", ["W1", "W3", "W4-l2"])
def test_gaps_are_relative_to_the_common_objective(quick, key):
    """Every row's objective (per λ of a path) is the glmnet-convention objective; the best one
    reaches an independent reference (or beats it, by less than its accuracy); the gap is
    (F − F_best)/F_best, maximized over λ."""
    results, _ = quick
    workload, rows = _rows(results, key)
    spec, data = build(WORKLOADS[key], quick=True, scale=1.0, dtype="float64")
    assert list(spec.lambdas) == workload["lambdas"]
    values = np.array([r["objective"] for r in rows])  # (rows, L)
    best = values.min(axis=0)
    for lam, value in zip(spec.lambdas, best, strict=True):
        # At least as low as the reference; saga (the L1 reference) stops within ~1e-8 of the
        # minimum, so the best row may be lower than it, by little.
        reference = _reference(spec, data, lam)
        assert reference * (1 - 1e-6) <= value <= reference * (1 + 1e-9)
    for row, value in zip(rows, values, strict=True):
        assert row["gap"] == pytest.approx(np.max((value - best) / best), rel=1e-6, abs=1e-15)


def test_cv_rows_select_the_same_C_and_are_accurate(quick):
    results, _ = quick
    _, rows = _rows(results, "W7")
    assert len({round(np.log(r["selected_C"]), 6) for r in rows}) == 1
    (ours,) = [r for r in rows if r["library"] == "jaxlogreg"]
    assert ours["accurate"]
    spec, data = build(WORKLOADS["W7"], quick=True, scale=1.0, dtype="float64")
    lam = 1 / (ours["selected_C"] * spec.n_samples)
    assert ours["objective"][0] == pytest.approx(_reference(spec, data, lam), rel=1e-9)


def test_objective_and_gaps_against_scikit_learn(rng):
    X = rng.standard_normal((200, 4))
    y = rng.integers(0, 3, 200)
    coef, intercept = rng.standard_normal((3, 4)), rng.standard_normal(3)
    expected = _common_objective(X, y, coef, intercept, 0.1, 0.3)
    assert objective(X, y, coef, intercept, 0.1, 0.3) == pytest.approx(expected, rel=1e-12)
    binary = (y > 0).astype(int)
    expected = _common_objective(X, binary, coef[:1], intercept[:1], 0.2, 1.0)
    assert objective(X, binary, coef[:1], intercept[:1], 0.2, 1.0) == pytest.approx(expected)
    gaps = relative_gaps({"a": np.array([2.0, 4.0]), "b": np.array([1.0, 5.0])})
    np.testing.assert_allclose(gaps["a"], [1.0, 0.0])
    np.testing.assert_allclose(gaps["b"], [0.0, 0.25])


def test_readme_section_and_tables_render_from_json(quick, tmp_path):
    _, json_file = quick
    copy = tmp_path / json_file.name
    copy.write_text(json_file.read_text())
    assert bench_main(["--from-json", str(copy), "--readme", str(tmp_path / "section.md")]) == 0
    section = (tmp_path / "section.md").read_text()
    assert section.startswith("## Performance")
    table = (tmp_path / "cpu-float64-quick.md").read_text()
    for key in DENSE:
        assert key in section and f"## {key} " in table
    assert (tmp_path / "cpu-float64-quick.png").stat().st_size > 0


def test_targets_are_judged_as_the_workloads_state_them_now(quick, tmp_path):
    """Rendering scores each target on the run's rows, as ``WORKLOADS`` states it now: a target
    set after a run is judged on its figures, and a workload without one shows none."""
    _, json_file = quick
    stale = json.loads(json_file.read_text())
    for workload in stale["workloads"]:
        workload.pop("target", None)
    (w4,) = [w for w in stale["workloads"] if w["key"] == "W4-l2"]
    w4["target"] = {"target": "≤ 0.01x nobody", "holds": True, "why": "stale"}
    copy = tmp_path / json_file.name
    copy.write_text(json.dumps(stale))
    assert bench_main(["--from-json", str(copy)]) == 0
    table = (tmp_path / "cpu-float64-quick.md").read_text()
    targets = table.split("## Targets", 1)[1].split("\n## ", 1)[0]
    keys = {line.split(" | ")[0][2:] for line in targets.splitlines() if line.startswith("| W")}
    assert keys == {key for key in DENSE if WORKLOADS[key].target is not None}
    assert "W5" in keys and "stale" not in table


def test_readme_section_replaces_only_the_performance_section():
    from benchmarks.readme import splice_section

    document = "# Title\n\n## Performance\n\nold table\n\n## Performance on a GPU\n\nkept\n"
    spliced = splice_section(document, "## Performance\n\nnew table\n")
    assert spliced == (
        "# Title\n\n## Performance\n\nnew table\n\n## Performance on a GPU\n\nkept\n"
    )
    last = splice_section("# Title\n\n## Performance\n\nold\n", "## Performance\n\nnew\n")
    assert last == "# Title\n\n## Performance\n\nnew\n"
    assert splice_section("# No section\n", "## Performance\n") == "## Performance\n"


def test_cli_bench_delegates_to_the_suite_and_explains_its_absence(monkeypatch, capsys):
    from jaxlogreg.cli import bench_job, commands

    with pytest.raises(SystemExit) as exit_info:
        commands.main(["bench", "--help"])
    assert exit_info.value.code == 0
    assert "--quick" in capsys.readouterr().out
    monkeypatch.setattr(
        bench_job, "__file__", "/nonexistent/site-packages/jaxlogreg/cli/bench_job.py"
    )
    assert commands.main(["bench", "--quick"]) == 2
    assert "source checkout" in capsys.readouterr().err


def test_results_of_several_runs_combine_into_one(quick, tmp_path):
    results, _ = quick
    first, second = dict(results), dict(results)
    first["workloads"], second["workloads"] = results["workloads"][:2], results["workloads"][2:]
    files = [tmp_path / "a.json", tmp_path / "b.json"]
    out = tmp_path / "combined"
    # Two parts of one run (the same machine record) count as one run; another run's load
    # shows; a part combined before counts the runs it records.
    same_run = results["machine"]["load_average"]
    cases = [
        (same_run, {}, "1 run "),
        ([9.0, 9.5], {"runs": 4}, "5 runs"),
        ([9.0, 9.5], {}, "2 runs"),
    ]
    for second_load, recorded, runs in cases:
        second["machine"] = {**results["machine"], "load_average": second_load, **recorded}
        for file, part in zip(files, (first, second), strict=True):
            file.write_text(json.dumps(part))
        assert bench_main(["--from-json", *map(str, files), "--output", str(out)]) == 0
        combined = json.loads((out / "cpu-float64-quick.json").read_text())
        assert combined["workloads"] == results["workloads"]
        assert combined["options"]["workloads"] == [w["key"] for w in results["workloads"]]
        assert f"Combined from {runs}" in (out / "cpu-float64-quick.md").read_text()
    assert combined["machine"]["load_average"][1] == 9.5
    # "up to N timed runs": N is the most any part made
    second["options"] = {**results["options"], "repeats": results["options"]["repeats"] + 4}
    files[1].write_text(json.dumps(second))
    assert bench_main(["--from-json", *map(str, files), "--output", str(out)]) == 0
    combined = json.loads((out / "cpu-float64-quick.json").read_text())
    assert combined["options"]["repeats"] == results["options"]["repeats"] + 4

    second["options"] = {**results["options"], "dtype": "float32"}
    files[1].write_text(json.dumps(second))
    with pytest.raises(ValueError, match="cannot be combined"):
        bench_main(["--from-json", *map(str, files), "--output", str(out)])
    second["options"], second["workloads"] = results["options"], results["workloads"][:1]
    files[1].write_text(json.dumps(second))
    with pytest.raises(ValueError, match="several results"):
        bench_main(["--from-json", *map(str, files), "--output", str(out)])


def test_methods_filter_and_checkpoints(monkeypatch):
    from benchmarks import suite

    def fake_workload(key, options, log, save=None):
        rows = []
        for solver in ("a", "b"):
            rows.append(solver)
            if save is not None:
                save({"key": key, "rows": list(rows)})
        return {"key": key, "rows": rows}

    monkeypatch.setattr(suite, "_run_workload", fake_workload)
    seen = []
    results = suite.run_suite(
        suite.Options(workloads=("W1", "W2"), quick=True, isolate=False),
        log=lambda line: None,
        checkpoint=lambda partial: seen.append(
            [(w["key"], "".join(w["rows"])) for w in partial["workloads"]]
        ),
    )
    # after every row (the current workload on its finished rows), then after every workload
    assert seen == [
        [("W1", "a")],
        [("W1", "ab")],
        [("W1", "ab")],
        [("W1", "ab"), ("W2", "a")],
        [("W1", "ab"), ("W2", "ab")],
        [("W1", "ab"), ("W2", "ab")],
    ]
    assert [w["key"] for w in results["workloads"]] == ["W1", "W2"]
    monkeypatch.undo()

    options = suite.Options(
        workloads=("W1",), libraries=("jaxlogreg", "scikit-learn"),
        methods=("jaxlogreg/lbfgs", "scikit-learn"), quick=False, scale=0.01,
        repeats=1, isolate=False,
    )  # fmt: skip
    saved = []
    (workload,) = suite.run_suite(
        options, log=lambda line: None, checkpoint=lambda partial: saved.append(partial)
    )["workloads"]
    keys = {f"{r['library']}/{r['solver']}" for r in workload["rows"]}
    assert "jaxlogreg/lbfgs" in keys and "jaxlogreg/newton" not in keys
    # a run stopped after its first row would keep that row, scored
    (first,) = saved[0]["workloads"]
    assert len(first["rows"]) == 1 and first["rows"][0]["gap"] == 0.0
    assert len(saved) == len(workload["rows"]) + 1
    assert {k for k in keys if k.startswith("scikit-learn/")} >= {
        "scikit-learn/lbfgs",
        "scikit-learn/newton-cholesky",
    }


# S3 (20 classes) and FISTA take minutes even at --quick size: left out here.
SPARSE_QUICK, SPARSE_METHODS = (
    ("S1", "S1-l1", "S2", "S4"),
    "jaxlogreg/lbfgs,jaxlogreg/newton-cg,jaxlogreg/cd,scikit-learn,glmnet,skglm",
)


@pytest.fixture(scope="module")
def quick_sparse(tmp_path_factory):
    """``python -m benchmarks --quick`` on sparse workloads (results, JSON file)."""
    output = tmp_path_factory.mktemp("bench-sparse")
    arguments = ("--workloads", ",".join(SPARSE_QUICK), "--methods", SPARSE_METHODS)
    done = _run_quick(output, *arguments)
    assert done.returncode == 0, done.stderr[-3000:]
    (json_file,) = output.glob("*.json")
    return json.loads(json_file.read_text()), json_file


def test_sparse_data_is_deterministic_csr_like_its_model():
    for key in SPARSE:
        workload = WORKLOADS[key]
        spec, data = build(workload, quick=True, scale=1.0, dtype="float64")
        _, again = build(workload, quick=True, scale=1.0, dtype="float64")
        assert sp.isspmatrix_csr(data.X) and data.X.shape == (spec.n_samples, spec.n_features)
        assert (data.X != again.X).nnz == 0 and np.array_equal(data.y, again.y)
        classes = set(np.unique(data.y))  # 200 rows may miss a few of 20 classes
        assert classes <= set(range(workload.n_classes)) and len(classes) > workload.n_classes // 2
        per_row = np.diff(data.X.indptr)
        if workload.design == "hashed":  # one entry a field, two fields may share a column
            assert np.all(data.X.data == 1.0) and per_row.max() == workload.nnz_per_row
            assert per_row.mean() > 0.95 * workload.nnz_per_row
        else:  # Poisson word draws, repeats merged; tf-idf rows of unit norm
            assert 0.5 * workload.nnz_per_row < per_row.mean() <= workload.nnz_per_row
            norms = sp.linalg.norm(data.X, axis=1)
            np.testing.assert_allclose(norms, 1.0, rtol=1e-12)
            frequency = np.sort(np.bincount(data.X.indices, minlength=spec.n_features))[::-1]
            assert frequency[0] > 5 * np.median(frequency)  # power-law column frequencies


def test_sparse_objective_equals_the_dense_one_and_data_round_trips(rng, tmp_path):
    from benchmarks.data import load_dataset, save_dataset
    from benchmarks.objective import lambda_max

    spec, data = build(WORKLOADS["S3"], quick=True, scale=1.0, dtype="float64")
    coef, intercept = rng.standard_normal((20, spec.n_features)), rng.standard_normal(20)
    dense = data.X.toarray()
    expected = _common_objective(dense, data.y, coef, intercept, 0.01, 0.5)
    assert objective(data.X, data.y, coef, intercept, 0.01, 0.5) == pytest.approx(expected)
    assert lambda_max(data.X, data.y, 20) == pytest.approx(lambda_max(dense, data.y, 20))
    save_dataset(tmp_path / "data.npz", data)
    loaded = load_dataset(tmp_path / "data.npz")
    assert sp.isspmatrix_csr(loaded.X) and (loaded.X != data.X).nnz == 0
    assert np.array_equal(loaded.y_test, data.y_test)


def test_sparse_section_is_added_after_the_performance_section():
    from benchmarks.readme import splice_section

    document = "# T\n\n## Performance\n\ndense\n\n## Performance on a GPU\n\ngpu\n"
    section = "## Performance on sparse data\n\nsparse\n"
    added = splice_section(document, section)
    assert added == (
        "# T\n\n## Performance\n\ndense\n\n## Performance on sparse data\n\nsparse\n\n"
        "## Performance on a GPU\n\ngpu\n"
    )
    replaced = splice_section(added, "## Performance on sparse data\n\nnew\n")
    assert replaced == added.replace("sparse\n\n##", "new\n\n##")
    assert splice_section(added, "## Performance\n\nd2\n") == added.replace("dense", "d2")


@pytest.mark.slow
def test_sparse_rows_run_and_reach_an_independent_reference(quick_sparse):
    results, json_file = quick_sparse
    assert json_file.name == "cpu-float64-sparse-quick.json"
    assert [w["key"] for w in results["workloads"]] == list(SPARSE_QUICK)
    for workload in results["workloads"]:
        expected = {m for m in WORKLOADS[workload["key"]].methods if m != "jaxlogreg/prox"}
        assert {f"{r['library']}/{r['solver']}" for r in workload["rows"]} == expected
        assert all(r["status"] == "ok" and r["peak_mb"] is not None for r in workload["rows"])
        assert workload["design"] != "dense" and workload["nnz"] > 0
        if workload["kind"] == "path":
            continue
        key = workload["key"]
        spec, data = build(WORKLOADS[key], quick=True, scale=1.0, dtype="float64")
        dense = data._replace(X=data.X.toarray())  # the reference fits the densified data
        reference = _reference(spec, dense, spec.lambdas[0])
        best = min(r["objective"][0] for r in workload["rows"])
        below = 1e-6 if spec.l1_ratio > 0 else 1e-9  # saga, the L1 reference, stops near it
        assert reference * (1 - below) <= best <= reference * (1 + 1e-9), key
        ours = [r for r in workload["rows"] if r["library"] == "jaxlogreg"]
        assert ours and all(r["accurate"] for r in ours), (key, ours)


@pytest.mark.slow
def test_sparse_readme_section_renders_from_json(quick_sparse, tmp_path):
    _, json_file = quick_sparse
    copy = tmp_path / json_file.name
    copy.write_text(json_file.read_text())
    readme = tmp_path / "README.md"
    readme.write_text("# T\n\n## Performance\n\ndense\n\n## Installation\n\nx\n")
    assert bench_main(["--from-json", str(copy), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.index("## Performance\n") < text.index("## Performance on sparse data")
    assert text.index("## Performance on sparse data") < text.index("## Installation")
    section = text.split("## Performance on sparse data")[1].split("## Installation")[0]
    assert "peak MB" in section and "cpu-float64-sparse-quick.md" in section
    assert all(f"| {key} — " in section for key in SPARSE_QUICK)
    assert "nonzeros a row" in (tmp_path / "cpu-float64-sparse-quick.md").read_text()
