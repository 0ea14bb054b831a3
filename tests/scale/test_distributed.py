"""Multi-host: a 2-process ``jax.distributed`` run on localhost equals the single-process fit.

This file runs itself twice (``python tests/scale/test_distributed.py PROCESS_ID PORT OUTPUT``): two
processes, each with 2 CPU devices, join through a coordinator on 127.0.0.1 (CPU collectives by
gloo), so a mesh spans 4 devices in 2 processes. Each process holds only its own rows for the
functional fits (``process_local_rows``, dense and sparse; unequal row counts, so the padding
differs), and the estimator, given the full data in every process, reads only the rows of its
own devices. Both processes must finish within the timeout, or the test fails (no hang).
"""

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.preprocessing import StandardScaler

# Its module-scoped fixtures start processes: one worker runs them all (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_distributed")

TIMEOUT = 240
LAM = 1e-3


def data():
    (Xb, yb), (Xi, yi) = (load(return_X_y=True) for load in (load_breast_cancer, load_iris))
    return (
        StandardScaler().fit_transform(Xb),
        yb.astype(float),
        StandardScaler().fit_transform(Xi),
        yi,
    )


def sparse_rows(X):
    """``X`` with its small entries dropped, as a CSR matrix."""
    import scipy.sparse

    return scipy.sparse.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))


def _process(process_id: int, port: int, output: str) -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_num_cpu_devices", 2)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=f"127.0.0.1:{port}",
        num_processes=2,
        process_id=process_id,
        initialization_timeout=60,
    )
    import jaxlogreg
    from jaxlogreg.sharding import fetch, make_mesh, process_local_rows

    Xb, yb, Xi, yi = data()
    mesh = make_mesh()
    rows = slice(0, 300) if process_id == 0 else slice(300, None)
    X, y, w = process_local_rows(mesh, Xb[rows], yb[rows])
    functional = fetch(jaxlogreg.fit(X, y, lam=LAM, sample_weight=w, tol=1e-12))
    X, y, w = process_local_rows(mesh, sparse_rows(Xb)[rows], yb[rows])
    options = dict(lam=LAM, sample_weight=w, solver="newton-cg", tol=1e-12)
    sparse = fetch(jaxlogreg.fit(X, y, **options))
    estimator = jaxlogreg.LogisticRegression(C=0.5, tol=1e-10, mesh=mesh).fit(Xi, yi)
    if process_id == 0:
        result = {
            "devices": len(mesh.devices.reshape(-1)),
            "global_rows": X.shape[0],
            "coef": np.asarray(functional.coef).tolist(),
            "intercept": np.asarray(functional.intercept).tolist(),
            "sparse_coef": np.asarray(sparse.coef).tolist(),
            "sparse_row_blocks": X.row_blocks,
            "estimator_coef": estimator.coef_.tolist(),
            "estimator_intercept": estimator.intercept_.tolist(),
        }
        with open(output, "w") as file:
            json.dump(result, file)
    jax.distributed.shutdown()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def distributed_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("distributed")
    output, port = folder / "result.json", free_port()
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    logs = [folder / f"process{i}.log" for i in range(2)]
    processes = []
    for i, log in enumerate(logs):
        with open(log, "w") as file:
            command = [sys.executable, __file__, str(i), str(port), str(output)]
            processes.append(subprocess.Popen(command, env=env, stdout=file, stderr=file))
    # A failed process leaves the other waiting in a collective: stop both at once.
    deadline = time.monotonic() + TIMEOUT
    while any(process.poll() is None for process in processes):
        failed = any(process.returncode not in (None, 0) for process in processes)
        if failed or time.monotonic() > deadline:
            for process in processes:
                process.kill()
                process.wait()
            break
        time.sleep(0.2)
    codes = [process.returncode for process in processes]
    text = "\n".join(log.read_text()[-2000:] for log in logs)
    assert time.monotonic() <= deadline, f"the 2-process run took over {TIMEOUT} s:\n{text}"
    assert codes == [0, 0], text
    return json.loads(output.read_text())


def test_mesh_spans_both_processes(distributed_result):
    assert distributed_result["devices"] == 4
    assert distributed_result["global_rows"] == 2 * 300  # 300 and 269 rows, each padded to 300


def test_functional_fit_from_process_local_rows(distributed_result):
    import jaxlogreg

    Xb, yb, _, _ = data()
    reference = jaxlogreg.fit(Xb, yb, lam=LAM, tol=1e-12)
    np.testing.assert_allclose(distributed_result["coef"], reference.coef, rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        distributed_result["intercept"], reference.intercept, rtol=0, atol=1e-10
    )


def test_sparse_fit_from_process_local_rows(distributed_result):
    """Each process's CSR rows stay on its devices (one row block per device)."""
    import jaxlogreg

    Xb, yb, _, _ = data()
    reference = jaxlogreg.fit(sparse_rows(Xb), yb, lam=LAM, solver="newton", tol=1e-12)
    assert distributed_result["sparse_row_blocks"] == 4
    np.testing.assert_allclose(distributed_result["sparse_coef"], reference.coef, atol=1e-10)


def test_estimator_over_two_processes(distributed_result):
    import jaxlogreg

    _, _, Xi, yi = data()
    reference = jaxlogreg.LogisticRegression(C=0.5, tol=1e-10).fit(Xi, yi)
    np.testing.assert_allclose(
        distributed_result["estimator_coef"], reference.coef_, rtol=0, atol=1e-10
    )
    np.testing.assert_allclose(
        distributed_result["estimator_intercept"], reference.intercept_, rtol=0, atol=1e-10
    )


if __name__ == "__main__":
    _process(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
