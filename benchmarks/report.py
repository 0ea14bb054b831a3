"""Rendering results: the JSON file, a Markdown table per workload, a plot, the README section.

Everything here reads the results dictionary of ``suite.run_suite`` (or the JSON file it was
saved to), so the committed Markdown, plot and README section can be regenerated from the
committed JSON without running anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["markdown", "plot", "readme_section", "result_name", "write_all"]

OURS = "jaxlogreg"


def result_name(results: dict[str, Any]) -> str:
    """File stem: ``cpu-float64``, with ``-quick`` or ``-x10`` for other sizes."""
    options = results["options"]
    device = results["machine"]["device"].split(" ")[0]
    stem = f"{device}-{options['dtype']}"
    if options["quick"]:
        stem += "-quick"
    if options["scale"] != 1:
        stem += f"-x{options['scale']:g}"
    return stem


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _gap(row: dict) -> str:
    gap = row.get("gap")
    if gap is None:
        return "-"
    return "0" if gap <= 0 else f"{gap:.1e}"


def _sorted_rows(workload: dict) -> list[dict]:
    def order(row):
        return (row.get("time_s") is None, row.get("time_s") or 0.0)

    return sorted(workload["rows"], key=order)


def _describe(workload: dict) -> str:
    shape = f"n = {workload['n']:,}, p = {workload['p']:,}"
    if workload["n_classes"] > 2:
        shape += f", K = {workload['n_classes']}"
    if workload["kind"] == "path":
        shape += f", {len(workload['lambdas'])} λ"
    elif workload["kind"] == "cv":
        shape += f", {len(workload['Cs'])} C"
    return f"{workload['key']} — {workload['title']} ({shape})"


def _header(results: dict[str, Any]) -> str:
    m, o = results["machine"], results["options"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    repeats = f"median of up to {o['repeats']} timed run(s) after a warm-up run"
    where = "one process per row" if o["isolate"] else "all rows in one process"
    load = ""
    if m.get("load_average"):
        start, end = m["load_average"]
        load = f" 5-minute load average {start:g} at the start, {end:g} at the end."
    note = f" {m['note']}." if m.get("note") else ""  # e.g. a workload re-run on its own
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores; JAX device {m['device']}; {m['dtype']}; "
        f"{repeats} ({where}).{load}{note} Versions: {versions}.\n\n"
        f"A row is accurate when its objective (glmnet convention, one NumPy function for all) "
        f"is within a relative {results['gap_tol']:g} of the best found; only accurate rows "
        "count as the fastest peer. `x peer`: time / the fastest accurate peer's time. "
        "`compile`: first call minus the median (JAX compilation, numba for skglm). "
        "`peak MB`: rise of the resident set during the row's calls."
    )


def _target_text(target: dict) -> str:
    verdict = "**holds**" if target["holds"] else "**does not hold**"
    return f"{target['target']}: {verdict} ({target['why']})"


def markdown(results: dict[str, Any]) -> str:
    """Every workload's table, the targets, and what was not run."""
    lines = ["# Benchmark results", "", _header(results), ""]
    targets = [w for w in results["workloads"] if "target" in w]
    if targets:
        lines += ["## Targets", "", "| workload | target | verdict |", "|---|---|---|"]
        for w in targets:
            t = w["target"]
            lines.append(f"| {w['key']} | {t['target']} | {_target_text(t).split(': ', 1)[1]} |")
        lines.append("")
    columns = (
        "library | solver | time (s) | compile (s) | x peer | max rel. gap | accurate "
        "| test acc. | nonzeros | peak MB | note"
    )
    for w in results["workloads"]:
        lines += [f"## {_describe(w)}", "", f"| {columns} |", "|" + "---|" * 11]
        for row in _sorted_rows(w):
            if row["status"] != "ok":
                lines.append(
                    f"| {row['library']} | {row['solver']} | {row['status']} | | | | | | | "
                    f"| {row.get('error', '')[:120].replace('|', '/')} |"
                )
                continue
            ratio = f"{row['ratio']:.2f}" if row.get("ratio") is not None else "-"
            accurate = "yes" if row["accurate"] else "**no**"
            peak = f"{row['peak_mb']:.0f}" if row.get("peak_mb") is not None else "-"
            note = row.get("note", "")
            if "selected_C" in row:
                note = f"C = {row['selected_C']:.3g}; {note}".rstrip("; ")
            lines.append(
                f"| {row['library']} | {row['solver']} | {_seconds(row['time_s'])} "
                f"| {_seconds(row['compile_s'])} | {ratio} | {_gap(row)} | {accurate} "
                f"| {row['test_accuracy']:.4f} | {row['nonzeros']} | {peak} | {note} |"
            )
        if w["skipped"]:
            shown = "; ".join(f"{s['method']}: {s['reason']}" for s in w["skipped"])
            lines += ["", f"Not run: {shown}."]
        if "target" in w:
            lines += ["", f"Target {_target_text(w['target'])}."]
        lines.append("")
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    """Time relative to the fastest accurate peer, one panel per workload (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    panels = [w for w in results["workloads"] if any(r.get("ratio") for r in w["rows"])]
    if not panels:  # e.g. jaxlogreg alone: no peer to compare with
        fig, ax = plt.subplots(figsize=(6, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no accurate peer row to compare with", ha="center", va="center")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return
    heights = [max(len([r for r in w["rows"] if r.get("ratio")]), 1) for w in panels]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(8, 0.28 * sum(heights) + 1.0 * len(panels) + 0.5),
        gridspec_kw={"height_ratios": heights}, squeeze=False,
    )  # fmt: skip
    for ax, w in zip(axes[:, 0], panels, strict=True):
        rows = [r for r in _sorted_rows(w) if r.get("ratio")][::-1]
        ratios = np.array([r["ratio"] for r in rows])
        colors = ["tab:blue" if r["library"] == OURS else "tab:orange" for r in rows]
        bars = ax.barh(range(len(rows)), ratios, color=colors)
        for bar, row in zip(bars, rows, strict=True):
            if not row["accurate"]:
                bar.set_hatch("//")
                bar.set_alpha(0.4)
            ax.annotate(
                f"{row['ratio']:.2g}",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(2, 0), textcoords="offset points", va="center", fontsize=6,
            )  # fmt: skip
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([f"{r['library']}/{r['solver']}" for r in rows], fontsize=7)
        ax.set_xscale("log")
        ax.set_xlim(min(0.8, ratios.min() / 1.5), max(1.25, ratios.max() * 2.0))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_title(_describe(w), fontsize=8, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    axes[-1, 0].set_xlabel(
        "time / fastest accurate peer (log scale; blue: jaxlogreg, hatched: inaccurate)",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def readme_section(results: dict[str, Any], stem: str) -> str:
    """The README's performance section: one line per workload and the targets."""
    m, o = results["machine"], results["options"]
    shared = ""
    if m.get("load_average"):
        start, end = m["load_average"]
        shared = f" (shared with other work: 5-minute load average {start:g} to {end:g})"
    lines = [
        "## Performance",
        "",
        f"Measured side by side in one run on a {m['cores']}-core CPU ({m['cpu']}){shared}, "
        f"{m['dtype']}, JAX device {m['device']}; every library solves the same problem, scored "
        "by one objective function in glmnet's convention; a result within a relative "
        f"{results['gap_tol']:g} of the best objective found is accurate, and only accurate "
        f"results count. Times are medians of up to {o['repeats']} timed run(s) after a warm-up "
        f"run (compile times apart).{' ' + m['note'] + '.' if m.get('note') else ''} All rows, "
        "settings and memory: "
        f"[`benchmarks/results/{stem}.md`](benchmarks/results/{stem}.md).",
        "",
        "| workload | jaxlogreg (fastest accurate) | s | fastest accurate peer | s | ratio "
        "| target |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in results["workloads"]:
        ours = [r for r in w["rows"] if r["library"] == OURS and r.get("accurate")]
        peers = [r for r in w["rows"] if r["library"] != OURS and r.get("accurate")]
        best = min(ours, key=lambda r: r["time_s"], default=None)
        peer = min(peers, key=lambda r: r["time_s"], default=None)
        ratio = f"{best['time_s'] / peer['time_s']:.2f}x" if best and peer else "-"
        target = "-"
        if "target" in w:
            t = w["target"]
            target = f"{t['target']}: {'holds' if t['holds'] else 'does not hold'}"
        ours_text = f"{best['solver']}" if best else "none accurate"
        peer_text = f"{peer['library']}/{peer['solver']}" if peer else "none accurate"
        lines.append(
            f"| {_describe(w)} | {ours_text} | {_seconds(best and best['time_s'])} "
            f"| {peer_text} | {_seconds(peer and peer['time_s'])} | {ratio} | {target} |"
        )
    lines += [
        "",
        f"![time relative to the fastest accurate peer](benchmarks/results/{stem}.png)",
        "",
        "Reproduce (`pip install -e '.[bench]'` installs the peers; missing ones are skipped): "
        "`python -m benchmarks` (or `jaxlogreg bench`; one to two hours on 2 cores, each row in "
        "a fresh process, rows over `--timeout` seconds are stopped); `--quick` runs tiny sizes "
        "in about a minute (CI); `--dtype float32 --scale 10` is for accelerators. "
        "`python -m benchmarks --from-json benchmarks/results/"
        f"{stem}.json --readme FILE` regenerates this section.",
    ]
    return "\n".join(lines) + "\n"


def write_all(results: dict[str, Any], directory: Path, *, write_json: bool = True) -> Path:
    """Write ``<stem>.json`` (unless re-rendering), ``.md`` and ``.png`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = result_name(results)
    if write_json:
        text = json.dumps(results, indent=1, allow_nan=False, default=_jsonable)
        (directory / f"{stem}.json").write_text(text + "\n")
    (directory / f"{stem}.md").write_text(markdown(results))
    plot(results, directory / f"{stem}.png")
    return directory / stem


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
