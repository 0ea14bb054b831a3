"""What every job writes and states: its output folder, CSV tables, JSON metrics, the convergence
warning it reports instead of printing, and the rows of a printed table."""

from __future__ import annotations

import csv
import json
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from sklearn.exceptions import ConvergenceWarning

from .config import Config

#: Rows of a printed table of a long sweep (a path, a tuning trajectory).
TABLE_ROWS = 10


def output_directory(option: Path | None, config: Config, dataset_name: str) -> Path:
    """--output, else output.dir from the config, else runs/<dataset>-<timestamp>."""
    if option is not None:
        return option
    if config["output"]["dir"]:
        return Path(config["output"]["dir"])
    return Path("runs") / f"{dataset_name}-{datetime.now():%Y%m%d-%H%M%S}"


def convergence_message(caught: list) -> str | None:
    """The text of the last ``ConvergenceWarning`` among ``caught`` (on one line), stated in the
    report instead; the other warnings are re-issued."""
    message = None
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            message = " ".join(str(warning.message).split())
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return message


def table_rows(rows: list, count: int = TABLE_ROWS) -> list:
    """About ``count`` evenly spaced rows of ``rows``, the first and the last included."""
    step = max(1, len(rows) // count)
    return rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else [])


def write_csv(file: Path, rows: list[dict[str, Any]]) -> None:
    """``rows`` (dicts with the same keys) as a CSV table with a header row."""
    with file.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_json(file: Path, summary: dict[str, Any]) -> None:
    """``summary`` as indented JSON."""
    file.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
