"""One row in a process of its own: ``python -m benchmarks.worker TASK.json`` (see ``suite``).

The task names the method, the ``Spec``, the data file and the options; the row's fields (JSON)
and its ``Output`` arrays are written to the task's ``output`` ``.npz`` file.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from . import adapters
from .data import load_dataset
from .spec import Spec
from .suite import Options, run_row


def _tuple(value):
    """JSON lists back to the tuples of the frozen dataclasses."""
    return tuple(value) if isinstance(value, list) else value


def main(task_file: str) -> None:
    with open(task_file) as handle:
        task = json.load(handle)
    options = Options(**{k: _tuple(v) for k, v in task["options"].items()})
    import jax

    jax.config.update("jax_enable_x64", options.dtype == "float64")
    spec = Spec(**{k: _tuple(v) for k, v in task["spec"].items()})
    data = load_dataset(task["data"])
    (method,) = [
        m
        for m in adapters.methods(task["library"])
        if m.solver == task["solver"] and m.supports(spec) is None
    ]
    fields, out = run_row(method, spec, data, options)
    arrays = {}
    if out is not None:
        fields["selected_lambda"] = out.selected_lambda
        arrays = {"coef": out.coef, "intercept": out.intercept}
        if out.fold_coef is not None:
            arrays.update(fold_coef=out.fold_coef, fold_intercept=out.fold_intercept)
    np.savez(task["output"], fields=np.array(json.dumps(fields)), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
