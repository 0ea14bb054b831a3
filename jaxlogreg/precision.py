"""How the library compiles: matrix products at full float32 precision, XLA's own reductions on
CPUs, quick compilation of small programs, and the persistent compilation cache.

On GPUs and TPUs, XLA computes a float32 matrix product at its default precision with
reduced-precision inputs. On an H100 (JAX 0.11), the gradient ``Xᵀ(μ − y)/n`` of a 10⁷ × 100
problem then had a relative error of 2e-4 (1.2e-7 at full precision), an error that does not
shrink at the optimum: every float32 fit of the benchmark suite stalled above its tolerance.

``precise_jit`` is ``jax.jit`` of ``fun`` traced under ``jax.default_matmul_precision("highest")``:
every product it traces (``@``, ``jnp.dot``, ``einsum``, ``lax.dot_general``) is exact to float32
rounding. On CPUs and in float64 it changes nothing. The library compiles every function with it.

On CPUs it also compiles with ``CPU_COMPILER_OPTIONS``. XLA hands its products, not its
reductions, to YNNPACK: with YNNPACK's fused reductions the risk ``Σᵢ s̃ᵢℓᵢ`` of 10⁵ float64
samples (a line-search trial) took 1.5 ms, against 0.73 ms with XLA's own; the 50-λ L1 path of
the benchmark suite (W3) ran 6% faster without them, its cross-validation (W7) 11%. And XLA
emits its fusions with its older loop emitters: a Newton solve (1,024 × 30) compiled in 1.1 s
of CPU time instead of 1.7–2.0 s, an L-BFGS one (3 classes) in 1.5 s instead of 2.0 s, and on
100,000 × 100 both ran as fast (Newton 0.74 against 0.77 s, L-BFGS with 10 classes 2.5–3.1
against 3.3–3.8 s; all on a busy 2-core machine). Options this XLA does not know are left out.
Two more options shortened the first calls of the benchmark suite and were left out for what
they cost warm (A/B runs of its rows on one machine): LLVM's optimizations at level 1 instead
of 2 (W2–W5's first calls 5–8% shorter, but W1's and W7's Newton fits ran 29–31% slower), and
no rewrite of long sums into trees of 32-term partial sums (W3's path compiled in 2.9–3.1 s
instead of 4.2–4.3 s, but W2–W5's fits ran 7–40% slower: the trees' partial sums run on both
cores, a plain sum on one).

Programs whose arguments hold a sparse design (``scatters``: a node whose class sets
``SCATTERS``; its products are scatters and gathers), unless small, compile with XLA's fusion
emitters (``SCATTER_COMPILER_OPTIONS``): the older loop emitters rewrite every scatter into a
loop over its elements, one step a value (``Rᵀ X`` of 10⁶ nonzeros: 10 ms against 3.6 ms).
Warm, the benchmark suite's S1 (Newton-CG) took 0.37 against 0.59 s, S1-l1 (``cd``) 0.55
against 0.71 s, S3 (``cd``, 20 classes) 17.2 against 23.8 s and S2's path 79 against 103 s,
their first calls as much shorter (the compilations took as long, with 120–160 MB more memory at
their peak). Small programs keep the loop emitters: the sparse tests' CPU time grew by a third
with the fusion emitters.

Small programs (``is_small``: at most ``SMALL_PROGRAM_ELEMENTS`` elements in their array
arguments) compile with ``QUICK_COMPILER_OPTIONS`` as well, without LLVM's optimizations: the
Newton solve above then compiled in 0.35 s and ran in 3.8–5.6 ms instead of 1.4–2.2 ms, the
L-BFGS one in 0.45 s, running in 15–18 ms instead of 7–8 ms.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from pathlib import Path

import jax
from jax.experimental.compilation_cache import compilation_cache

__all__ = [
    "CPU_COMPILER_OPTIONS",
    "MATMUL_PRECISION",
    "QUICK_COMPILER_OPTIONS",
    "SCATTER_COMPILER_OPTIONS",
    "SMALL_PROGRAM_ELEMENTS",
    "default_cache_dir",
    "enable_compilation_cache",
    "is_small",
    "precise_jit",
    "scatters",
]

MATMUL_PRECISION = "highest"

#: XLA's default YNNPACK fusions on CPUs, less the reductions; XLA's older loop emitters for
#: its fusions, which compile faster and run as fast.
CPU_COMPILER_OPTIONS = {
    "xla_cpu_experimental_ynn_fusion_type": (
        "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT,LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION"
    ),
    "xla_cpu_use_fusion_emitters": False,
}
#: Added for programs on sparse designs (``scatters``): XLA's fusion emitters, which emit a
#: scatter as one kernel.
SCATTER_COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": True}
#: Added for small programs, whose run time a compilation dwarfs: XLA's backend (LLVM)
#: optimizations off.
QUICK_COMPILER_OPTIONS = {"xla_backend_optimization_level": 0}
#: Most elements, all array arguments together, of a program compiled with the quick options.
SMALL_PROGRAM_ELEMENTS = 2**17


def _accepted(options: dict) -> bool:
    """Whether this XLA compiles with ``options``."""
    try:
        jax.jit(lambda x: x + 1, compiler_options=options).lower(0.0).compile()
    except RuntimeError:
        return False
    return True


@functools.cache
def compiler_options(quick: bool = False, scatter: bool = False) -> dict[str, str]:
    """``CPU_COMPILER_OPTIONS``, with ``QUICK_COMPILER_OPTIONS`` when ``quick`` and
    ``SCATTER_COMPILER_OPTIONS`` when ``scatter``, when the default backend is a CPU: those of
    them this XLA knows (an option it does not know is left out)."""
    if jax.default_backend() != "cpu":
        return {}
    options = CPU_COMPILER_OPTIONS | (QUICK_COMPILER_OPTIONS if quick else {})
    options |= SCATTER_COMPILER_OPTIONS if scatter else {}
    if _accepted(options):
        return options
    return {key: value for key, value in options.items() if _accepted({key: value})}


def scatters(args) -> bool:
    """Whether ``args`` hold a pytree node whose class sets ``SCATTERS`` (a sparse design)."""
    marked = jax.tree.leaves(args, is_leaf=_sets_scatters)
    return any(_sets_scatters(node) for node in marked)


def _sets_scatters(node) -> bool:
    return getattr(type(node), "SCATTERS", False)


def is_small(args) -> bool:
    """Whether the array leaves of ``args`` hold at most ``SMALL_PROGRAM_ELEMENTS`` elements."""
    leaves = jax.tree.leaves(args)
    return sum(math.prod(getattr(leaf, "shape", ())) for leaf in leaves) <= SMALL_PROGRAM_ELEMENTS


def precise_jit(fun=None, /, **jit_kwargs):
    """``jax.jit(fun, **jit_kwargs)``, tracing ``fun`` at ``MATMUL_PRECISION`` and compiling with
    ``compiler_options()``; also usable as ``partial(precise_jit, static_argnames=...)`` or as a
    decorator. The optioned ``jax.jit`` is made at the first top-level call, once the backend
    is known; its methods (``lower``, ``trace``, …) are the returned function's."""
    if fun is None:
        return functools.partial(precise_jit, **jit_kwargs)

    @functools.wraps(fun)
    def traced(*args, **kwargs):
        with jax.default_matmul_precision(MATMUL_PRECISION):
            return fun(*args, **kwargs)

    return _FirstCallJit(traced, jit_kwargs)


class _FirstCallJit:
    """``jax.jit(traced, **jit_kwargs)``, compiled with ``compiler_options()`` when called at the
    top level (JAX takes options there only; a call inside another trace is part of that
    program). The optioned ``jax.jit`` is made at the first such call: asking for the backend at
    import would fix it before the user configures JAX."""

    def __init__(self, traced, jit_kwargs):
        functools.update_wrapper(self, traced)
        self._traced, self._jit_kwargs = traced, jit_kwargs
        self._nested, self._top = jax.jit(traced, **jit_kwargs), {}

    def _top_level(self, quick: bool = False, scatter: bool = False):
        if (quick, scatter) not in self._top:
            options = compiler_options(quick, scatter)
            self._top[quick, scatter] = (
                jax.jit(self._traced, compiler_options=options, **self._jit_kwargs)
                if options
                else self._nested
            )
        return self._top[quick, scatter]

    def __call__(self, *args, **kwargs):
        leaves = jax.tree.leaves((args, kwargs))
        if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
            return self._nested(*args, **kwargs)
        small = is_small(leaves)
        return self._top_level(small, not small and scatters((args, kwargs)))(*args, **kwargs)

    def __getattr__(self, name):  # only for names the instance lacks: the jax.jit object's
        if name.startswith("__") or name in ("_traced", "_jit_kwargs", "_nested", "_top"):
            raise AttributeError(name)  # not set yet (copies, pickling): no recursion
        return getattr(self._top_level(), name)


def default_cache_dir() -> Path:
    """Where ``enable_compilation_cache`` keeps compiled programs unless told otherwise:
    ``$JAXLOGREG_CACHE_DIR``, else ``jaxlogreg/xla`` in the user's cache folder
    (``$XDG_CACHE_HOME`` or ``~/.cache``; ``~/Library/Caches`` on macOS; ``%LOCALAPPDATA%`` on
    Windows)."""
    if os.environ.get("JAXLOGREG_CACHE_DIR"):
        return Path(os.environ["JAXLOGREG_CACHE_DIR"]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "jaxlogreg" / "xla"


def enable_compilation_cache(path=None) -> Path:
    """Keep every program JAX compiles from now on in ``path`` (default ``default_cache_dir()``)
    and load it from there instead of compiling it again, in this and later processes.

    This is JAX's persistent compilation cache (``jax_compilation_cache_dir``), with every
    program cached however short its compilation. What is cached: the compiled executables,
    keyed by the program, its shapes, the compiler options, the device and the JAX and XLA
    versions (a new JAX writes new entries). Clear it by deleting the folder. The folder is
    trusted: anyone who can write to it can make this process run their code. Importing
    jaxlogreg changes no JAX configuration; this call does. Returns the folder.
    """
    folder = Path(default_cache_dir() if path is None else path).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    compilation_cache.set_cache_dir(str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    compilation_cache.reset_cache()  # a cache found disabled at an earlier compile is retried
    return folder
