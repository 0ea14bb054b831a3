"""How programs compile (``precision``): quick options for small programs, and the persistent
compilation cache a user turns on with ``jaxlogreg.enable_compilation_cache``."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlogreg import precision

ROOT = Path(__file__).resolve().parent.parent


def _options_of(fitted, *args):
    """The compiler options of the program ``fitted`` would run for ``args``."""
    small = precision.is_small(args)
    return fitted._top_level(small), small


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the options are XLA CPU's")
def test_small_programs_compile_with_the_quick_options_and_large_ones_without():
    fitted = precision.precise_jit(lambda x: jnp.sum(jnp.log1p(jnp.exp(x))))
    small = jnp.zeros(precision.SMALL_PROGRAM_ELEMENTS)
    large = jnp.zeros(precision.SMALL_PROGRAM_ELEMENTS + 1)
    assert precision.is_small((small,)) and not precision.is_small((large,))
    quick = precision.compiler_options(quick=True)
    assert quick.items() >= precision.compiler_options().items()
    if not quick.keys() - precision.compiler_options().keys():
        pytest.skip("this XLA knows none of the quick options")
    for x, expected in ((small, True), (large, False)):
        assert float(fitted(x)) == pytest.approx(x.size * np.log(2.0))
        (program, was_small) = _options_of(fitted, x)
        assert was_small is expected
        assert program._cache_size() == 1  # the call compiled into the program chosen


def test_quick_and_optimized_programs_agree():
    def risk(X, w):
        return jnp.mean(jnp.logaddexp(0.0, X @ w))

    rng = np.random.default_rng(0)
    X, w = rng.normal(size=(50, 4)), rng.normal(size=4)
    fitted = precision.precise_jit(risk)
    quick = fitted(X, w)
    optimized = fitted._top_level(False)(X, w)
    np.testing.assert_allclose(float(quick), float(optimized), rtol=1e-14)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the options are XLA CPU's")
def test_programs_on_a_sparse_design_keep_their_scatters():
    """A program on a sparse design compiles with XLA's fusion emitters: its product ``Rᵀ X``
    stays one scatter, where the loop emitters of the other programs rewrite it into a loop
    over the nonzeros, one step a value."""
    import scipy.sparse as sp

    from jaxlogreg.core.design import SparseDesign, rmatmul

    X = sp.random(2_000, 100, density=0.5, format="csr", random_state=0)
    design = SparseDesign.from_csr(X.data, X.indices, X.indptr, X.shape)
    R = jnp.linspace(-1.0, 1.0, 2_000)[:, None]
    assert precision.scatters((design,)) and not precision.scatters((X.toarray(), R))
    assert not precision.is_small((R, design))  # small programs keep the loop emitters
    if "xla_cpu_use_fusion_emitters" not in precision.compiler_options(scatter=True):
        pytest.skip("this XLA does not know the fusion emitters' option")
    fitted = precision.precise_jit(rmatmul)
    np.testing.assert_allclose(fitted(R, design), (X.T @ np.asarray(R)).T, rtol=1e-12)
    assert fitted._top_level(False, scatter=True)._cache_size() == 1  # the call's program

    def loops(program):
        return program.lower(R, design).compile().as_text().count(" while(")

    assert loops(fitted._top_level(False, scatter=True)) == 0
    assert loops(fitted._top_level(False, scatter=False)) >= 1


def test_the_default_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JAXLOGREG_CACHE_DIR", str(tmp_path / "mine"))
    assert precision.default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("JAXLOGREG_CACHE_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert precision.default_cache_dir() == tmp_path / "xdg" / "jaxlogreg" / "xla"


_SCRIPT = """
import json, sys
import jax
from jax import monitoring
events = {}
monitoring.register_event_listener(lambda e, **k: events.__setitem__(e, events.get(e, 0) + 1))
import numpy as np
import jaxlogreg
before = jax.config.jax_compilation_cache_dir
folder = jaxlogreg.enable_compilation_cache(sys.argv[1]) if sys.argv[1] else None
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 5))
y = (X[:, 0] > 0).astype(int)
jaxlogreg.LogisticRegression().fit(X, y)
print(json.dumps({"before": before, "folder": str(folder),
                  "hits": events.get("/jax/compilation_cache/cache_hits", 0)}))
"""


def _run(folder) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(folder or "")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_programs_the_first_one_cached(tmp_path):
    folder = tmp_path / "cache"
    first = _run(folder)
    assert first["before"] is None  # importing jaxlogreg configured nothing
    assert first["folder"] == str(folder.resolve())
    assert first["hits"] == 0
    assert any(folder.iterdir())
    second = _run(folder)
    assert second["hits"] >= 1
    assert _run(None)["hits"] == 0  # without the call, nothing is cached or loaded
