"""Rendering results: the JSON file, a Markdown table per workload, a plot (the README section:
``benchmarks.readme``).

Everything here reads the results dictionary of ``suite.run_suite`` (or the JSON file it was
saved to), so the committed Markdown, plot and README section can be regenerated from the
committed JSON without running anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "combine",
    "describe",
    "is_sparse",
    "markdown",
    "plot",
    "result_name",
    "seconds",
    "write_all",
]

OURS = "jaxlogreg"
VERDICTS = {True: "**holds**", False: "**does not hold**", None: "**not measured**"}


def is_sparse(results: dict[str, Any]) -> bool:
    """Whether every workload of the results has sparse data (S1–S4, S1-l1)."""
    designs = [w.get("design", "dense") for w in results["workloads"]]
    return bool(designs) and "dense" not in designs


def result_name(results: dict[str, Any]) -> str:
    """File stem: ``cpu-float64``, ``cpu-float64-sparse`` for sparse workloads only, with
    ``-quick`` or ``-x10`` for other sizes."""
    options = results["options"]
    device = results["machine"]["device"].split(" ")[0]
    stem = f"{device}-{options['dtype']}"
    if is_sparse(results):
        stem += "-sparse"
    if options["quick"]:
        stem += "-quick"
    if options["scale"] != 1:
        stem += f"-x{options['scale']:g}"
    return stem


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Results of several runs on one machine, at one dtype and size, as one: their workloads
    in order (each run may select its own methods; ``options`` lists them all)."""
    first = parts[0]
    same = ("dtype", "scale", "quick")
    for part in parts[1:]:
        if part["machine"]["device"] != first["machine"]["device"] or any(
            part["options"][k] != first["options"][k] for k in same
        ):
            raise ValueError("results of different devices, dtypes or sizes cannot be combined")
    workloads = [w for part in parts for w in part["workloads"]]
    keys = [w["key"] for w in workloads]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a workload appears in several results: {keys}")

    def union(field):
        return list(dict.fromkeys(v for part in parts for v in part["options"][field]))

    options = {
        **first["options"],
        "workloads": keys,
        "libraries": union("libraries"),
        "methods": union("methods"),
        "repeats": max(part["options"]["repeats"] for part in parts),  # "up to" this many
    }
    machine = dict(first["machine"])
    loads = [part["machine"]["load_average"] for part in parts]
    if all(loads):  # the range over all runs
        machine["load_average"] = [min(a for a, _ in loads), max(b for _, b in loads)]
    # Workloads split from one run share its machine record: a run is counted once; a part
    # combined before counts the runs it records.
    runs = {}
    for part in parts:
        record = {k: v for k, v in part["machine"].items() if k not in ("note", "runs")}
        runs[json.dumps(record, sort_keys=True)] = part["machine"].get("runs", 1)
    machine["runs"] = sum(runs.values())
    machine["note"] = (
        f"Combined from {machine['runs']} run{'s' if machine['runs'] > 1 else ''} on machines "
        "of this kind, each with its own selection of workloads and methods"
    )
    return {**first, "options": options, "machine": machine, "workloads": workloads}


def seconds(value: float | None) -> str:
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


def describe(workload: dict) -> str:
    shape = f"n = {workload['n']:,}, p = {workload['p']:,}"
    if workload.get("design", "dense") != "dense":
        shape += f", {workload['nnz'] / workload['n']:.0f} nonzeros a row"
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
        "`peak MB`: rise of the resident set during the row's calls"
        + ("." if m["device"].startswith("cpu") else " (host memory; device memory not counted).")
    )


def _target_text(target: dict) -> str:
    verdict = VERDICTS[target["holds"]]
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
        lines += [f"## {describe(w)}", "", f"| {columns} |", "|" + "---|" * 11]
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
                f"| {row['library']} | {row['solver']} | {seconds(row['time_s'])} "
                f"| {seconds(row['compile_s'])} | {ratio} | {_gap(row)} | {accurate} "
                f"| {row['test_accuracy']:.4f} | {row['nonzeros']} | {peak} | {note} |"
            )
        if w["skipped"]:
            shown = "; ".join(f"{s['method']}: {s['reason']}" for s in w["skipped"])
            lines += ["", f"Not run: {shown}."]
        if "target" in w:
            lines += ["", f"Target {_target_text(w['target'])}."]
        lines.append("")
    return "\n".join(lines)


def _plotted(workload: dict) -> tuple[list[dict], np.ndarray, bool]:
    """A panel's rows (slowest first) and values: time / the fastest accurate peer's when the
    run has a peer (``True``), else seconds (``False``)."""
    rows = [r for r in _sorted_rows(workload) if r.get("ratio")]
    if rows:
        return rows[::-1], np.array([r["ratio"] for r in rows[::-1]]), True
    rows = [r for r in _sorted_rows(workload) if r.get("time_s") and r["status"] == "ok"]
    return rows[::-1], np.array([r["time_s"] for r in rows[::-1]]), False


def plot(results: dict[str, Any], path: Path) -> None:
    """One panel per workload (log scale): time relative to the fastest accurate peer, or the
    time in seconds where the run has no peer row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    panels = [(w, *_plotted(w)) for w in results["workloads"]]
    panels = [panel for panel in panels if panel[1]]
    if not panels:
        fig, ax = plt.subplots(figsize=(6, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no row ran", ha="center", va="center")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return
    heights = [len(rows) for _, rows, _, _ in panels]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(8, 0.28 * sum(heights) + 1.2 * len(panels) + 0.5),
        gridspec_kw={"height_ratios": heights}, squeeze=False,
    )  # fmt: skip
    for ax, (w, rows, values, relative) in zip(axes[:, 0], panels, strict=True):
        colors = ["tab:blue" if r["library"] == OURS else "tab:orange" for r in rows]
        bars = ax.barh(range(len(rows)), values, color=colors)
        for bar, row, value in zip(bars, rows, values, strict=True):
            if not row["accurate"]:
                bar.set_hatch("//")
                bar.set_alpha(0.4)
            ax.annotate(
                f"{value:.2g}",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(2, 0), textcoords="offset points", va="center", fontsize=6,
            )  # fmt: skip
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([f"{r['library']}/{r['solver']}" for r in rows], fontsize=7)
        ax.set_xscale("log")
        low, high = (0.8, 1.25) if relative else (values.min(), values.max())
        ax.set_xlim(min(low, values.min() / 1.5), max(high, values.max() * 2.0))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        if relative:
            ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_title(describe(w), fontsize=8, loc="left")
        ax.set_xlabel(
            "time / fastest accurate peer" if relative else "seconds (no peer row in this run)",
            fontsize=7,
        )
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(
        "log scale; blue: jaxlogreg, orange: peers, hatched: inaccurate", fontsize=8, y=0.995
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_all(
    results: dict[str, Any], directory: Path, *, write_json: bool = True, plots: bool = True
) -> Path:
    """Write ``<stem>.json`` (unless re-rendering), ``.md`` and (with ``plots``) ``.png`` into
    ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = result_name(results)
    if write_json:
        text = json.dumps(results, indent=1, allow_nan=False, default=_jsonable)
        (directory / f"{stem}.json").write_text(text + "\n")
    (directory / f"{stem}.md").write_text(markdown(results))
    if plots:
        plot(results, directory / f"{stem}.png")
    return directory / stem


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of ``rows`` (already formatted cells) under ``header``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_table(folder: Path | None, stem: str, rows: list[dict], markdown_text: str) -> None:
    """``rows`` as ``stem.json`` and ``markdown_text`` as ``stem.md`` in ``folder`` (if any)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json").write_text(json.dumps(rows, indent=1))
    (folder / f"{stem}.md").write_text(markdown_text)
