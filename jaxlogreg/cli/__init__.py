"""The ``jaxlogreg`` command line: one module per job, its configuration, datasets and report."""

from .commands import main

__all__ = ["main"]
