"""Data parallelism: fits with rows sharded over 4 and 8 devices equal single-device fits.

Simulated CPU devices exist only in a process started with
``XLA_FLAGS=--xla_force_host_platform_device_count=8``; this file runs itself in such a
subprocess (``python tests/test_sharding.py CASES``) and compares there every sharded fit with
the same fit without a mesh (float64). Meshes of 4 devices use the first 4 of the 8; ``2x4`` is
2 (batch) x 4 (rows). Each fit compiles its own program, so the default run checks every kind
of fit on one mesh, and a slow test checks them all on every mesh.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

# Its module-scoped fixtures start processes: one worker runs them all (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_sharding")

TOLERANCE = 1e-10

#: Case -> the meshes it runs on.
DEFAULT = {
    "binary": ("4",),
    "multinomial": ("8",),
    "ovr": ("2x4",),
    "l1": ("8",),
    "path_l2": ("4",),
    "out_of_core": ("4",),
}
FULL = {
    "binary": ("4", "8"),
    "multinomial": ("4", "8"),
    "ovr": ("4", "8", "2x4"),
    "l1": ("4", "8"),
    "path_l1": ("4", "8"),
    "path_l2": ("4", "8"),
    "path_ovr_l2": ("8", "2x4"),
    "out_of_core": ("4", "8"),
}


def _sharded_minus_single(selection: dict) -> dict:
    """Largest difference between the sharded and the unsharded fit, per case and mesh."""
    import jax

    jax.config.update("jax_enable_x64", True)
    from sklearn.datasets import load_breast_cancer, load_iris, load_wine
    from sklearn.preprocessing import StandardScaler

    from jaxlogreg import LogisticRegression, regularization_path
    from jaxlogreg.engine.functional import solve
    from jaxlogreg.losses import BINARY
    from jaxlogreg.out_of_core import fit_out_of_core
    from jaxlogreg.sharding import make_mesh, shard_data

    def data(load):
        X, y = load(return_X_y=True)
        return StandardScaler().fit_transform(X), y

    (Xb, yb), (Xi, yi), (Xw, yw) = data(load_breast_cancer), data(load_iris), data(load_wine)

    def model(X, y, **params):
        return lambda mesh: LogisticRegression(tol=1e-10, mesh=mesh, **params).fit(X, y)

    def estimate(fitted):
        return [fitted.coef_, fitted.intercept_]

    def path(X, y, **params):
        return lambda mesh: regularization_path(X, y, tol=1e-10, mesh=mesh, **params)

    def along(result):
        return [result.coef, result.intercept, result.objective]

    cases = {
        "binary": (model(Xb, yb, C=0.5), estimate),
        "multinomial": (model(Xi, yi, C=0.5), estimate),
        "ovr": (model(Xw, yw, C=0.5, multi_class="ovr"), estimate),
        "l1": (model(Xb, yb, penalty="l1", C=0.1), estimate),
        "path_l1": (path(Xb, yb, l1_ratio=1.0, n_lambdas=8), along),
        "path_l2": (path(Xb, yb, n_lambdas=5), along),
        "path_ovr_l2": (path(Xw, yw, multi_class="ovr", n_lambdas=4), along),
        "out_of_core": (
            lambda mesh: fit_out_of_core(Xb, yb, lam=1e-2, chunk_rows=100, tol=1e-12, mesh=mesh),
            lambda result: [result.coef, result.intercept],
        ),
    }
    meshes = {"4": make_mesh(4), "8": make_mesh(8), "2x4": make_mesh(4, 2)}
    report = {}
    for case, mesh_names in selection.items():
        run, arrays = cases[case]
        single = arrays(run(None))
        for name in mesh_names:
            sharded = arrays(run(meshes[name]))
            report[f"{case} on {name}"] = max(
                float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                for a, b in zip(single, sharded, strict=True)
            )

    # Evidence that the work is split: rows on every device, all-reduces in the compiled program.
    n = len(yb)
    X, targets, weights = shard_data(meshes["4"], Xb, (yb[:, None] == 1).astype(float), np.ones(n))
    args = (X, targets, weights, 1e-3, 0.0, np.ones(Xb.shape[1]), np.zeros((1, 31)), 1e-8)
    static = dict(loss=BINARY, solver="newton", fit_intercept=True, max_iter=100)
    report["layout"] = {
        "padded_rows": X.shape[0],
        "devices": len({shard.device for shard in X.addressable_shards}),
        "rows_per_shard": sorted({shard.data.shape[0] for shard in X.addressable_shards}),
        "padding_weight": float(np.sum(np.asarray(weights)[n:])),
        "all_reduce": "all-reduce" in solve.lower(*args, **static).compile().as_text(),
    }
    # Shapes of every all-gather's result in the compiled solvers, on enough rows (8192) for any
    # row-blocked computation to show: none may hold all the rows (X stays split).
    rng = np.random.default_rng(0)
    big = shard_data(meshes["4"], rng.normal(size=(8192, 3)), rng.integers(0, 2, (8192, 1)) * 1.0,
                     np.ones(8192))  # fmt: skip
    report["gathered"] = {}
    for solver, l1_ratio in (("newton", 0.0), ("cd", 0.5), ("prox", 0.5)):
        big_args = (*big, 1e-3, l1_ratio, np.ones(3), np.zeros((1, 4)), 1e-8)
        static = dict(loss=BINARY, solver=solver, fit_intercept=True, max_iter=100)
        text = solve.lower(*big_args, **static).compile().as_text()
        report["gathered"][solver] = re.findall(r"= (\w+\[[\d,]*\])\S* all-gather\(", text)
    return report


def run_on_8_devices(selection: str) -> dict:
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    run = subprocess.run(
        [sys.executable, __file__, selection], env=env, capture_output=True, text=True, timeout=500
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sharded_report():
    return run_on_8_devices("default")


def test_rows_are_split_over_the_devices(sharded_report):
    layout = sharded_report["layout"]
    assert layout == {
        "padded_rows": 572,  # 569 rows, padded to a multiple of 4
        "devices": 4,
        "rows_per_shard": [143],
        "padding_weight": 0.0,
        "all_reduce": True,
    }
    for solver, shapes in sharded_report["gathered"].items():  # a few coefficients at most
        sizes = [np.prod([int(k) for k in re.findall(r"\d+", shape)[1:]]) for shape in shapes]
        assert all(size < 100 for size in sizes), (solver, shapes)


@pytest.mark.parametrize("case", [f"{case} on {m}" for case, ms in DEFAULT.items() for m in ms])
def test_sharded_fit_equals_single_device_fit(sharded_report, case):
    assert sharded_report[case] <= TOLERANCE


@pytest.mark.slow
def test_every_fit_on_every_mesh():
    report = run_on_8_devices("full")
    differences = {case: report[f"{case} on {m}"] for case, ms in FULL.items() for m in ms}
    assert max(differences.values()) <= TOLERANCE, differences


def test_estimator_with_mesh_clones_saves_and_checks(tmp_path):
    from sklearn.base import clone
    from sklearn.datasets import load_breast_cancer

    from jaxlogreg import LogisticRegression, load
    from jaxlogreg.sharding import make_mesh

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    mesh = make_mesh()
    model = LogisticRegression(C=0.5, mesh=mesh)
    copy = clone(model)
    assert copy.get_params()["mesh"] is mesh
    copy.fit(X, y)
    plain = LogisticRegression(C=0.5).fit(X, y)
    np.testing.assert_allclose(copy.coef_, plain.coef_, rtol=0, atol=1e-12)
    copy.save(tmp_path / "model.npz")
    assert copy.mesh is mesh
    loaded = load(tmp_path / "model.npz")
    assert loaded.mesh is None
    np.testing.assert_array_equal(loaded.coef_, copy.coef_)

    broken = LogisticRegression(mesh="all devices")
    with pytest.raises(TypeError, match=r"mesh must be a jax\.sharding\.Mesh"):
        broken.fit(X, y)
    assert not hasattr(broken, "coef_")


def test_padding_and_mesh_errors():
    from jaxlogreg.sharding import make_mesh, padded_rows, shard_rows

    mesh = make_mesh()
    X = np.arange(12.0).reshape(6, 2)
    np.testing.assert_array_equal(np.asarray(shard_rows(mesh, X)), X)
    assert padded_rows(6, mesh) == 6
    with pytest.raises(ValueError, match="xla_force_host_platform_device_count"):
        make_mesh(1000)


if __name__ == "__main__":
    print(json.dumps(_sharded_minus_single({"default": DEFAULT, "full": FULL}[sys.argv[1]])))
