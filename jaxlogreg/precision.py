"""How the library compiles: matrix products at full float32 precision, XLA's own reductions on
CPUs.

On GPUs and TPUs, XLA computes a float32 matrix product at its default precision with
reduced-precision inputs. On an H100 (JAX 0.11), the gradient ``Xᵀ(μ − y)/n`` of a 10⁷ × 100
problem then had a relative error of 2e-4 (1.2e-7 at full precision), an error that does not
shrink at the optimum: every float32 fit of the benchmark suite stalled above its tolerance.

``precise_jit`` is ``jax.jit`` of ``fun`` traced under ``jax.default_matmul_precision("highest")``:
every product it traces (``@``, ``jnp.dot``, ``einsum``, ``lax.dot_general``) is exact to float32
rounding. On CPUs and in float64 it changes nothing. The library compiles every function with it.

On CPUs it also compiles with ``CPU_COMPILER_OPTIONS``: XLA hands its products, not its
reductions, to YNNPACK. With YNNPACK's fused reductions the risk ``Σᵢ s̃ᵢℓᵢ`` of 10⁵ float64
samples (a line-search trial) took 1.5 ms, against 0.73 ms with XLA's own; the 50-λ L1 path of
the benchmark suite (W3) ran 6% faster without them, its cross-validation (W7) 11%. An XLA that
does not know the option compiles without it.
"""

from __future__ import annotations

import functools

import jax

__all__ = ["CPU_COMPILER_OPTIONS", "MATMUL_PRECISION", "precise_jit"]

MATMUL_PRECISION = "highest"

#: XLA's default YNNPACK fusions on CPUs, less the reductions.
CPU_COMPILER_OPTIONS = {
    "xla_cpu_experimental_ynn_fusion_type": (
        "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT,LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION"
    )
}


@functools.cache
def compiler_options() -> dict[str, str]:
    """``CPU_COMPILER_OPTIONS`` when the default backend is a CPU whose XLA accepts them."""
    if jax.default_backend() != "cpu":
        return {}
    try:
        jax.jit(lambda x: x + 1, compiler_options=CPU_COMPILER_OPTIONS).lower(0.0).compile()
    except RuntimeError:  # an XLA without the option: its defaults
        return {}
    return CPU_COMPILER_OPTIONS


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
        self._nested, self._top = jax.jit(traced, **jit_kwargs), None

    def _top_level(self):
        if self._top is None:
            options = compiler_options()
            self._top = (
                jax.jit(self._traced, compiler_options=options, **self._jit_kwargs)
                if options
                else self._nested
            )
        return self._top

    def __call__(self, *args, **kwargs):
        leaves = jax.tree.leaves((args, kwargs))
        traced = any(isinstance(leaf, jax.core.Tracer) for leaf in leaves)
        return (self._nested if traced else self._top_level())(*args, **kwargs)

    def __getattr__(self, name):  # only for names the instance lacks: the jax.jit object's
        if name.startswith("__") or name in ("_traced", "_jit_kwargs", "_nested", "_top"):
            raise AttributeError(name)  # not set yet (copies, pickling): no recursion
        return getattr(self._top_level(), name)
