"""The package's shape: the layering contract (and that it catches an upward import), module and
function sizes, public import paths, tests that mirror the package's folders."""

import ast
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "jaxlogreg"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60  # body lines, the docstring not counted


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with the project's contract on the package found under ``root``."""
    script = (
        "import sys; from importlinter.cli import lint_imports; "
        f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}, "
        "no_cache=True, no_logo=True))"
    )
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_layering_contract_holds():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_layering_contract_catches_an_upward_import(tmp_path):
    copy = tmp_path / "jaxlogreg"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    losses = copy / "core" / "losses.py"
    losses.write_text(losses.read_text() + "\nfrom ..estimators import logistic  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "jaxlogreg.core is not allowed to import jaxlogreg.estimators" in result.stdout


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_are_short(path):
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if len(body) > 1 and isinstance(body[0], ast.Expr):
                if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                    body = body[1:]
            length = node.end_lineno - body[0].lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{node.name} (line {node.lineno}): {length}"


def test_public_module_paths_import_in_a_fresh_process():
    script = textwrap.dedent(
        """
        import jaxlogreg.losses, jaxlogreg.penalties, jaxlogreg.solvers, jaxlogreg.inference
        from jaxlogreg.bootstrap import bootstrap
        from jaxlogreg.sharding import make_mesh
        from jaxlogreg.out_of_core import fit_out_of_core, logistic_regression
        from jaxlogreg.cli import main
        import jaxlogreg
        assert jaxlogreg.losses.BINARY.name == "binary"
        assert all(hasattr(jaxlogreg, name) for name in jaxlogreg.__all__)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_tests_mirror_the_package_folders():
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir()} - {"fixtures"}
    folders -= {"__pycache__"}
    assert folders <= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
