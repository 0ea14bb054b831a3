"""A sparse X with its rows sharded over 8 simulated devices: CSR row blocks, one per device.

This file runs itself in a subprocess started with
``XLA_FLAGS=--xla_force_host_platform_device_count=8`` (``python tests/scale/test_sparse_sharding.py
OUTPUT``), fits there on the sharded design and on one device, and reports the largest
differences (float64), the layout of the stored values and the collectives of the compiled
gradient.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

# Its module-scoped fixtures start processes: one worker runs them all (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_sparse_sharding")

#: Largest coefficient difference from the single-device fit: Newton-CG solves to round-off;
#: L-BFGS and FISTA stop on the gradient (``tol``), so their iterates may differ by
#: ``‖H⁻¹‖·tol`` once sums are taken in another order.
TOLERANCE = {"newton-cg": 1e-10, "lbfgs": 1e-7, "prox": 1e-7}


def _problem():
    """A tf-idf-like CSR (uneven rows, a few empty ones) and binary and 3-class labels."""
    import scipy.sparse

    rng = np.random.default_rng(0)
    X = scipy.sparse.random(1001, 120, density=0.06, random_state=1, format="csr")
    scales = rng.uniform(0.5, 3.0, 1001)
    scales[5:9] = 0.0  # empty rows
    X = scipy.sparse.csr_matrix(scipy.sparse.diags(scales) @ X)
    X.eliminate_zeros()
    W = rng.normal(size=(3, 120))
    scores = X @ W.T + rng.logistic(size=(1001, 3))
    return X, (scores[:, 0] > 0).astype(float), scores.argmax(axis=1)


def _report(output: str) -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    import jaxlogreg
    from jaxlogreg.core.design import matmul_t, rmatmul
    from jaxlogreg.sharding import fetch, make_mesh, shard_data, shard_sparse_rows

    X, y, classes = _problem()
    T = np.eye(3)[classes]
    mesh = make_mesh(8)
    report = {"fits": {}}
    fits = {
        "binary lbfgs": (y, dict(lam=1e-3, solver="lbfgs")),
        "binary newton-cg": (y, dict(lam=1e-3, solver="newton-cg")),
        "binary prox l1": (y, dict(lam=2e-3, l1_ratio=1.0, solver="prox")),
        "multinomial lbfgs": (T, dict(lam=1e-3, loss="multinomial", solver="lbfgs")),
    }
    for name, (targets, options) in fits.items():
        single = jaxlogreg.fit(X, targets, tol=1e-10, max_iter=3000, **options)
        design, targets_on, weights = shard_data(mesh, X, targets, np.ones(X.shape[0]))
        sharded = fetch(
            jaxlogreg.fit(
                design, targets_on, sample_weight=weights, tol=1e-10, max_iter=3000, **options
            )
        )
        report["fits"][name] = max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in ((single.coef, sharded.coef), (single.intercept, sharded.intercept))
        )

    design = shard_sparse_rows(mesh, X)
    block = design.shape[0] // 8
    shards = sorted(design.rows.addressable_shards, key=lambda shard: shard.index[0].start)
    report["layout"] = {
        "row_blocks": design.row_blocks,
        "padded_rows": design.shape[0],
        "slab_sizes": sorted({shard.data.shape[0] for shard in shards}),
        "devices": len({shard.device for shard in shards}),
        "own_rows_only": all(
            bool(np.all(np.asarray(shard.data) // block == d)) for d, shard in enumerate(shards)
        ),
        "stored_values": float(jnp.sum(design.data)),
        "csr_values": float(X.sum()),
    }

    def gradient(design, w, r):
        return rmatmul(r - jax.nn.sigmoid(matmul_t(design, w)), design)

    residual = shard_data(mesh, X, np.zeros((X.shape[0], 1)), np.ones(X.shape[0]))[1]
    text = jax.jit(gradient).lower(design, jnp.zeros((1, 120)), residual).compile().as_text()
    report["collectives"] = {
        op: re.findall(rf"= (\w+\[[\d,]*\])\S* {op}\(", text)
        for op in ("all-gather", "all-reduce", "all-to-all", "reduce-scatter")
    }
    try:
        jaxlogreg.fit(design, residual[:, 0], lam=1e-3, l1_ratio=1.0, solver="cd")
    except ValueError as error:
        report["cd_error"] = str(error)
    report["estimators"] = {}
    for name, params in (("auto l2", {}), ("auto l1", dict(penalty="l1", C=0.5))):
        models = [
            jaxlogreg.LogisticRegression(tol=1e-10, max_iter=3000, mesh=on, **params).fit(
                X, classes
            )
            for on in (None, mesh)
        ]
        report["estimators"][name] = {
            "solver": models[1].solver_,
            "difference": float(np.max(np.abs(models[0].coef_ - models[1].coef_))),
        }
    try:
        jaxlogreg.LogisticRegression(penalty="l1", solver="cd", mesh=mesh).fit(X, classes)
    except ValueError as error:
        report["estimator_cd_error"] = str(error)
    with open(output, "w") as file:
        json.dump(report, file)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    output = tmp_path_factory.mktemp("sparse_sharding") / "report.json"
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    run = subprocess.run(
        [sys.executable, __file__, str(output)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(output.read_text())


@pytest.mark.parametrize(
    "name", ["binary lbfgs", "binary newton-cg", "binary prox l1", "multinomial lbfgs"]
)
def test_sharded_sparse_fit_equals_single_device_fit(report, name):
    assert report["fits"][name] <= TOLERANCE[name.split()[1]]


def test_each_device_holds_its_own_rows_nonzeros(report):
    layout = report["layout"]
    assert layout["row_blocks"] == layout["devices"] == 8
    assert layout["padded_rows"] == 1008  # 1001 rows padded to a multiple of 8
    assert len(layout["slab_sizes"]) == 1  # equal slabs: the arrays split like the rows
    assert layout["own_rows_only"]
    assert layout["stored_values"] == pytest.approx(layout["csr_values"], rel=1e-12)


def test_a_gradient_pass_reduces_only_the_coefficients(report):
    """No rows are gathered: one all-reduce of the ``(p, K)`` gradient, nothing else."""
    collectives = report["collectives"]
    assert collectives["all-gather"] == [] and collectives["all-to-all"] == []
    assert collectives["all-reduce"] == ["f64[120,1]"]


def test_coordinate_descent_is_refused_with_the_fix(report):
    for error in (report["cd_error"], report["estimator_cd_error"]):
        assert "solver='prox'" in error and "keeps no columns" in error


def test_estimator_with_a_mesh_on_a_sparse_x(report):
    """``auto`` picks a row-wise solver; the multinomial fits equal the single-device ones
    (newton-cg to round-off, FISTA to its tolerance)."""
    l2, l1 = report["estimators"]["auto l2"], report["estimators"]["auto l1"]
    assert l2["solver"] == "newton-cg" and l2["difference"] <= TOLERANCE["newton-cg"]
    assert l1["solver"] == "prox" and l1["difference"] <= TOLERANCE["prox"]


if __name__ == "__main__":
    _report(sys.argv[1])
