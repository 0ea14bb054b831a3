"""The README's performance sections, rendered from a results dictionary (or its JSON file).

Dense workloads (W1–W7) fill ``## Performance``; sparse ones only (S1–S4, S1-l1) fill
``## Performance on sparse data``, with the peak memory of each row and, where no peer is
accurate, the most accurate peer and its objective gap. A section's heading is its marker:
``splice_section`` replaces the section of that heading in the README, up to the next ``## ``
heading.
"""

from __future__ import annotations

from typing import Any

from .report import OURS, VERDICTS, describe, is_sparse, seconds

__all__ = ["DENSE_HEADING", "SPARSE_HEADING", "readme_section", "splice_section"]

DENSE_HEADING = "## Performance"
SPARSE_HEADING = "## Performance on sparse data"


def _intro(results: dict[str, Any], stem: str) -> str:
    m, o = results["machine"], results["options"]
    shared = ""
    if m.get("load_average"):
        start, end = m["load_average"]
        shared = f" (shared with other work: 5-minute load average {start:g} to {end:g})"
    memory = (
        " `peak MB`: the rise of the worker process's resident-set high-water mark during the "
        "row's calls (the data it was given not included)."
        if is_sparse(results)
        else ""
    )
    return (
        "Each workload measured side by side in one run on a "
        f"{m['cores']}-core CPU ({m['cpu']}){shared}, "
        f"{m['dtype']}, JAX device {m['device']}; every library solves the same problem, scored "
        "by one objective function in glmnet's convention; a result within a relative "
        f"{results['gap_tol']:g} of the best objective found is accurate, and only accurate "
        f"results count. `warm`: the median of up to {o['repeats']} timed run(s) after a "
        "warm-up run; `first`: that warm-up run, the first call in a fresh process (compilation "
        f"included).{memory}{' ' + m['note'] + '.' if m.get('note') else ''} All rows, "
        "settings and memory: "
        f"[`benchmarks/results/{stem}.md`](benchmarks/results/{stem}.md)."
    )


def _reproduce(results: dict[str, Any], stem: str) -> str:
    regenerate = (
        f"`python -m benchmarks --from-json benchmarks/results/{stem}.json --readme README.md` "
        "regenerates this section in place."
    )
    if is_sparse(results):
        keys = ",".join(w["key"] for w in results["workloads"])
        return (
            f"Reproduce: `python -m benchmarks --workloads {keys}` (each row in a fresh "
            "process, rows over `--timeout` seconds are stopped); `--quick` runs tiny sizes. "
            + regenerate
        )
    return (
        "Reproduce (`pip install -e '.[bench]'` installs the peers; missing ones are skipped): "
        "`python -m benchmarks` (or `jaxlogreg bench`; one to two hours on 2 cores, each row in "
        "a fresh process, rows over `--timeout` seconds are stopped); `--quick` runs tiny sizes "
        "in about a minute (CI); `--dtype float32 --scale 10` is for accelerators. " + regenerate
    )


def _peer(workload: dict, sparse: bool) -> tuple[dict | None, str]:
    """The fastest accurate peer row and its name; for sparse workloads without one, the peer
    row closest to the best objective, named with its gap."""
    rows = [r for r in workload["rows"] if r["library"] != OURS and r.get("time_s") is not None]
    accurate = [r for r in rows if r.get("accurate")]
    if accurate:
        peer = min(accurate, key=lambda r: r["time_s"])
        return peer, f"{peer['library']}/{peer['solver']}"
    scored = [r for r in rows if r.get("gap") is not None]
    if not sparse or not scored:
        return None, "none accurate"
    peer = min(scored, key=lambda r: r["gap"])
    return peer, f"{peer['library']}/{peer['solver']} (inaccurate: gap {peer['gap']:.1e})"


def _megabytes(row: dict | None) -> str:
    return "-" if not row or row.get("peak_mb") is None else f"{row['peak_mb']:.0f}"


def _line(workload: dict, sparse: bool) -> str:
    ours = [r for r in workload["rows"] if r["library"] == OURS and r.get("accurate")]
    best = min(ours, key=lambda r: r["time_s"], default=None)
    peer, peer_text = _peer(workload, sparse)
    ratio = f"{best['time_s'] / peer['time_s']:.2f}x" if best and peer else "-"
    first = "-"
    if best and peer and best.get("first_s") and peer.get("first_s"):
        first = f"{best['first_s'] / peer['first_s']:.2f}x"
    ours_text = f"{best['solver']}" if best else "none accurate"
    cells = [describe(workload), ours_text, seconds(best and best["time_s"])]
    cells += [seconds(best and best.get("first_s"))] + ([_megabytes(best)] if sparse else [])
    cells += [peer_text, seconds(peer and peer["time_s"]), seconds(peer and peer.get("first_s"))]
    cells += [_megabytes(peer)] if sparse else []
    target = "-"
    if "target" in workload:
        t = workload["target"]
        target = f"{t['target']}: {VERDICTS[t['holds']].strip('*')}"
    cells += [ratio, first, target]
    return "| " + " | ".join(cells) + " |"


def readme_section(results: dict[str, Any], stem: str) -> str:
    """The README's performance section: one line per workload with its target, under
    ``SPARSE_HEADING`` when every workload is sparse, else ``DENSE_HEADING``."""
    sparse = is_sparse(results)
    if sparse:
        header = [
            "jaxlogreg (fastest accurate)", "warm s", "first s", "peak MB", "fastest accurate "
            "peer", "warm s", "first s", "peak MB", "ratio warm", "ratio first", "target",
        ]  # fmt: skip
    else:
        header = [
            "jaxlogreg (fastest accurate)", "warm s", "first s", "fastest accurate peer",
            "warm s", "first s", "ratio warm", "ratio first", "target",
        ]  # fmt: skip
    lines = [
        SPARSE_HEADING if sparse else DENSE_HEADING,
        "",
        _intro(results, stem),
        "",
        "| workload | " + " | ".join(header) + " |",
        "|---" * (len(header) + 1) + "|",
        *(_line(w, sparse) for w in results["workloads"]),
        "",
        f"![time relative to the fastest accurate peer](benchmarks/results/{stem}.png)",
        "",
        _reproduce(results, stem),
    ]
    return "\n".join(lines) + "\n"


def _section_end(lines: list[str], start: int) -> int:
    """Index of the next ``## `` heading after ``start`` (or the end)."""
    return next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))


def splice_section(document: str, section: str) -> str:
    """``document`` with the section of ``section``'s heading (its first line), up to the next
    ``## `` heading, replaced by ``section``. A document without that heading gets the sparse
    section right after its ``## Performance`` section; without either, ``section`` alone."""
    lines = document.splitlines(keepends=True)
    heading = section.splitlines()[0]
    starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == heading]
    if starts:
        start, end = starts[0], _section_end(lines, starts[0])
    else:
        dense = [i for i, line in enumerate(lines) if line.rstrip("\n") == DENSE_HEADING]
        if heading != SPARSE_HEADING or not dense:
            return section
        start = end = _section_end(lines, dense[0])
    following = "\n" if end < len(lines) else ""
    before = "".join(lines[:start])
    if start == end and before and not before.endswith("\n\n"):
        before += "\n"  # a new section after the last one of the document
    return before + section + following + "".join(lines[end:])
