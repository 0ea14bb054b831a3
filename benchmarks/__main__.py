"""``python -m benchmarks``: run the suite and write JSON, Markdown and a plot.

Examples::

    python -m benchmarks                      # full sizes, float64, results in benchmarks/results
    python -m benchmarks --quick              # tiny sizes: seconds per workload (CI)
    python -m benchmarks --dtype float32 --scale 10 --workloads W1,W6-tall
    python -m benchmarks --from-json benchmarks/results/cpu-float64.json --readme README.md
    python -m benchmarks --from-json run1.json run2.json   # combine runs into one result
    python -m benchmarks --workloads S1,S1-l1,S2,S3,S4    # sparse data: results cpu-float64-sparse
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import adapters
from .readme import readme_section, splice_section
from .report import combine, result_name, write_all
from .score import target_result
from .workloads import DENSE, SPARSE, WORKLOADS

RESULTS = Path(__file__).resolve().parent / "results"


def _names(text: str, known, what: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {unknown or text!r}; choose from {', '.join(known)}"
        )
    return names


def build_parser(prog: str = "python -m benchmarks") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="jaxlogreg against scikit-learn, glmnet, glum, skglm and statsmodels: "
        "workloads W1-W7 (dense) and S1-S4, S1-l1 (sparse), every result scored by one objective "
        "function.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI); one timed run")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every workload's rows (default 1)"
    )
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="precision jaxlogreg computes in (peers run in float64)")  # fmt: skip
    parser.add_argument(
        "--workloads",
        type=lambda t: _names(t, WORKLOADS, "workload"),
        default=DENSE,
        help=f"comma-separated subset of {','.join(WORKLOADS)} (default: the dense "
        f"{DENSE[0]}-{DENSE[-1]}; the sparse ones: --workloads {','.join(SPARSE)})",
    )
    parser.add_argument(
        "--libraries",
        type=lambda t: _names(t, adapters.LIBRARIES, "library"),
        default=tuple(adapters.LIBRARIES),
        help=f"comma-separated subset of {','.join(adapters.LIBRARIES)}",
    )
    parser.add_argument(
        "--methods",
        type=lambda t: tuple(name.strip() for name in t.split(",") if name.strip()),
        default=(),
        help="keep only these rows: library/solver keys, or a library name for all of its "
        "methods (default: every method of the selected libraries)",
    )
    parser.add_argument("--repeats", type=int, help="timed runs per row (default 3; quick 1)")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="stop repeating a row after this many seconds"
    )
    parser.add_argument(
        "--isolate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run every row in a fresh process (default: yes, except with --quick)",
    )
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="seconds per isolated row (default 900)"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help=f"results folder (default {RESULTS})"
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        help="render an existing results file instead of running; several files (one device, "
        "dtype and size) are combined into one result, written to --output",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        help="also write the performance section into this file: in place of its "
        "'## Performance' section (sparse workloads only: '## Performance on sparse data', "
        "added after '## Performance' when missing) when it has one, else the section alone",
    )
    return parser


def _current_targets(results: dict) -> dict:
    """``results`` with each workload's target as ``WORKLOADS`` states it now, scored on its
    rows: a target set after a run is judged on that run's figures."""
    for workload in results["workloads"]:
        defined = WORKLOADS.get(workload["key"])
        workload.pop("target", None)
        if defined is not None and defined.target is not None:
            workload["target"] = target_result(defined.target, workload["rows"])
    return results


def main(argv: list[str] | None = None, prog: str = "python -m benchmarks") -> int:
    args = build_parser(prog).parse_args(argv)
    if args.from_json is not None:
        parts = [_current_targets(json.loads(path.read_text())) for path in args.from_json]
        if len(parts) == 1:
            results, output = parts[0], args.from_json[0].parent
            write_all(results, output, write_json=False)
        else:
            results, output = combine(parts), args.output
            print(f"Wrote {write_all(results, output)}.json, .md and .png")
    else:
        from .suite import Options, run_suite

        options = Options(
            workloads=args.workloads,
            libraries=args.libraries,
            methods=args.methods,
            quick=args.quick,
            scale=args.scale,
            dtype=args.dtype,
            repeats=args.repeats if args.repeats is not None else (1 if args.quick else 3),
            budget_s=args.budget,
            isolate=(not args.quick) if args.isolate is None else args.isolate,
            timeout_s=args.timeout,
        )
        output = args.output
        results = run_suite(
            options,
            log=lambda line: print(line, flush=True),
            checkpoint=lambda partial: write_all(partial, output, plots=False),
        )
        stem = write_all(results, output)
        print(f"Wrote {stem}.json, .md and .png")
    if args.readme is not None:
        section = readme_section(results, result_name(results))
        existing = args.readme.read_text() if args.readme.exists() else ""
        args.readme.write_text(splice_section(existing, section))
        print(f"Wrote {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
