"""The command line turns JAX's persistent compilation cache on (config ``[compilation]``). In
this test process that would make every later compilation of the suite write to disk, so the
in-process runs record the call instead; ``test_cli.py`` checks the real cache in a subprocess."""

import pytest

from jaxlogreg.cli import commands


@pytest.fixture(autouse=True)
def cache_calls(monkeypatch):
    """The folders ``enable_compilation_cache`` was called with (``None``: the default)."""
    calls = []
    monkeypatch.setattr(commands, "enable_compilation_cache", calls.append)
    return calls
