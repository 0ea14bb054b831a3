"""One adapter module per library; each lists its ``Method`` s (a library with one solver).

A method says whether it can solve a ``Spec`` (``supports`` returns ``None``, or the reason it
cannot) and builds a zero-argument ``run`` that solves it and returns an ``Output`` (the timed
call). Data is handed over as float64 NumPy arrays, or CSR matrices for the sparse workloads
(``float32`` for jaxlogreg when asked): conversions a library makes are part of its time. Every
adapter's docstring states how it converts ``λ`` (glmnet's convention) to the library's
parameter, and its stopping settings.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable

from ..data import Dataset
from ..spec import Output, Spec

__all__ = ["LIBRARIES", "Method", "methods", "missing"]

#: Library name -> (adapter module, the import names it needs).
LIBRARIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "jaxlogreg": ("jaxlogreg_lib", ("jaxlogreg",)),
    "scikit-learn": ("sklearn_lib", ("sklearn",)),
    "glmnet": ("glmnet_lib", ("glmnet",)),
    "glum": ("glum_lib", ("glum",)),
    "skglm": ("skglm_lib", ("skglm",)),
    "statsmodels": ("statsmodels_lib", ("statsmodels",)),
}


@dataclasses.dataclass(frozen=True)
class Method:
    """``library`` run with ``solver``; ``settings`` states its tolerances in words.

    ``supports(spec)`` is ``None`` when the method runs, ``""`` when the problem is not one it
    is meant for (not listed), else the reason it cannot run (listed). ``quick``: also run at
    ``--quick`` size (where one method per library and kind of problem keeps CI fast).
    ``compiles``: the first call compiles code (JAX, numba), so it is never the timed call.
    """

    library: str
    solver: str
    supports: Callable[[Spec], str | None]
    build: Callable[[Spec, Dataset], Callable[[], Output]]
    settings: str = ""
    quick: bool = True
    compiles: bool = False

    @property
    def key(self) -> str:
        return f"{self.library}/{self.solver}"


def missing(library: str) -> str | None:
    """``None`` when the library can be imported, else why not (e.g. ``"not installed"``)."""
    for name in LIBRARIES[library][1]:
        try:
            importlib.import_module(name)
        except ImportError as error:
            return f"not installed ({error.name or name})"
    return None


def methods(library: str) -> list[Method]:
    """The methods of an installed library (import it only when asked)."""
    module = importlib.import_module(f".{LIBRARIES[library][0]}", __name__)
    return module.methods()
