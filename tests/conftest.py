"""Test configuration: float64 for the whole run (parity is tested in float64).

Tests of float32 behaviour switch back locally with ``jax.enable_x64(False)``.

Every compiled program keeps memory mappings for its machine code; the suite compiles thousands
(``check_estimator`` alone fits dozens of shapes), which would exhaust the kernel's per-process map
limit (``vm.max_map_count``, 65,530 by default) and crash the compiler. The compiled programs of a
test module are released after it.
"""

import contextlib

import jax
import numpy as np
import pytest
from jax import monitoring
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.preprocessing import StandardScaler

jax.config.update("jax_enable_x64", True)

#: The event JAX reports for each XLA compilation (``counted_compiles``).
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"

#: The feature names of the bundled iris set, as the command line reads them.
IRIS = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")

LOADERS = {
    "breast_cancer": load_breast_cancer,
    "iris": load_iris,
    "wine": load_wine,
    "digits": load_digits,
}


def standardized(name: str, columns=slice(None)):
    """A bundled scikit-learn dataset, standardized, as ``(X, y)``."""
    X, y = LOADERS[name](return_X_y=True)
    return StandardScaler().fit_transform(X[:, columns]), y


#: Box constraints of 10 features of breast_cancer: some bind, some do not, one fixes a sign.
BOX_LOWER = np.array([-0.5, -np.inf, 0.0, 0.0, -1.0, -np.inf, -0.2, -np.inf, -np.inf, 0.0])
BOX_UPPER = np.array([np.inf, 0.8, np.inf, 1.0, 0.0, np.inf, 0.5, np.inf, 0.1, np.inf])


def glmnet_fit(X, y, lam, l1_ratio, *, standardize=False, lower=BOX_LOWER, upper=BOX_UPPER):
    """python-glmnet's bounded binary fit at ``λ`` (``lower_limits``/``upper_limits``):
    ``(coef (p,), intercept)``; skips the test when glmnet is not installed."""
    glmnet = pytest.importorskip("glmnet")
    model = glmnet.LogitNet(
        alpha=l1_ratio,
        lambda_path=np.array([2 * lam, lam]),
        standardize=standardize,
        lower_limits=lower,
        upper_limits=upper,
        tol=1e-14,
        max_iter=10**6,
    ).fit(X, y)
    return model.coef_path_[0, :, -1], model.intercept_path_[0, -1]


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    yield
    jax.clear_caches()


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def cache_calls(monkeypatch):
    """The folders the command line asked ``enable_compilation_cache`` for (``None``: the
    default). The CLI turns JAX's persistent compilation cache on (config ``[compilation]``); in
    this test process that would make every later compilation of the suite write to disk, so
    in-process runs record the call instead (``tests/cli/test_cli.py`` checks the real cache in
    a subprocess)."""
    from jaxlogreg.cli import commands

    calls = []
    monkeypatch.setattr(commands, "enable_compilation_cache", calls.append)
    return calls


def write_toml(tmp_path, text):
    """A job configuration file ``job.toml`` holding ``text``."""
    path = tmp_path / "job.toml"
    path.write_text(text)
    return path


def run_cli(capsys, *argv):
    """``jaxlogreg ARGV`` in this process: its exit code, standard output and error."""
    from jaxlogreg.cli.commands import main

    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


@contextlib.contextmanager
def counted_compiles():
    """Counts the XLA compilations inside the block (``count[0]``). The library's once-per-process
    probe of the compiler options is made first: the count does not depend on test order."""
    from jaxlogreg.precision import compiler_options

    compiler_options(False), compiler_options(True)
    count = [0]

    def listener(event, duration, **kwargs):
        count[0] += event == COMPILE_EVENT

    monitoring.register_event_duration_secs_listener(listener)
    try:
        yield count
    finally:
        monitoring.unregister_event_duration_listener(listener)
