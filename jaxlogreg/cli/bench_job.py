"""`jaxlogreg bench ARGS`: the benchmark suite of a source checkout (`python -m benchmarks ARGS`);
the suite is not part of the installed package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_bench_command(commands: argparse._SubParsersAction) -> None:
    """List `bench` in the help; `main` hands its arguments to the suite unparsed."""
    commands.add_parser(
        "bench",
        help="run the benchmark suite against the peers (source checkout only; "
        "`jaxlogreg bench --help` lists its options)",
        add_help=False,
    )


def run_bench(argv: list[str]) -> int:
    """`jaxlogreg bench ARGS` = `python -m benchmarks ARGS`, from the source checkout this
    package was imported from (the suite is not part of the installed package)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / "__main__.py").is_file():
        print(
            "jaxlogreg: error: `jaxlogreg bench` runs the benchmark suite of a source checkout "
            f"(a benchmarks/ folder next to the jaxlogreg package), and there is none at {root}. "
            "Clone the repository, `pip install -e '.[bench]'` there, and run "
            "`jaxlogreg bench` or `python -m benchmarks` from it.",
            file=sys.stderr,
        )
        return 2
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.__main__ import main as bench_main

    return bench_main(argv, prog="jaxlogreg bench")
