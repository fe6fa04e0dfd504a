"""The layout keeps the README's picture true: layers import downward only, no import dodges a cycle.

The layers are declared once, in pyproject.toml ([tool.importlinter]); the README's Layout section
draws them. These tests fail when a module imports across them, when an import hides inside a
function, or when a package is added to crm/ without a place in the picture.
"""

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crm"
# The app factory registers blueprints, hooks and commands inside its register_* steps, as flaskr
# does: importing the feature packages when crm itself is imported would import crm from itself.
FACTORY = PACKAGE / "__init__.py"


def _layers() -> list[set[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [{name.strip() for name in layer.split("|")} for layer in contract["layers"]]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys, importlinter.cli as c; sys.exit(c.lint_imports_command())"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_every_module_imports_only_from_the_layers_below_it_and_no_package_has_a_cycle():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_layer_check_refuses_an_upward_import(tmp_path):
    """The guard itself works: a core module that imports a report breaks the contract."""
    shutil.copytree(PACKAGE, tmp_path / "crm", ignore=shutil.ignore_patterns("templates", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    history = tmp_path / "crm" / "core" / "history.py"
    history.write_text(history.read_text(encoding="utf-8") + "\nfrom crm.reports import weekly  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "crm.core is not allowed to import crm.reports" in result.stdout


def test_the_cycle_check_refuses_two_modules_of_a_package_importing_each_other(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "crm", ignore=shutil.ignore_patterns("templates", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    rules = tmp_path / "crm" / "stall" / "rules.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\nfrom crm.stall import badges  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "No cycles are allowed in crm.stall" in result.stdout


def test_every_package_and_module_of_crm_has_a_layer():
    declared = set().union(*_layers())
    present = {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    present |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert present == declared


def test_no_module_imports_the_crm_package_inside_a_function():
    """An import inside a function is for startup cost or an optional dependency, never for a cycle."""
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == FACTORY:
            continue
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                if any(n == "crm" or n.startswith("crm.") for n in names) or getattr(node, "level", 0):
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} in {function.name}()")
    assert hidden == []


def test_the_readme_draws_every_layer():
    """Each layer of the contract is a line of the README's picture, top to bottom, in the same order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    picture = readme.split("## Layout", 1)[1].split("```")[1]
    drawn = []
    for line in picture.splitlines():
        names = re.findall(r"(?<![\w/.])([a-z_]+)(?:/|\.py)", line.split("#")[0])
        layer = {n for n in names if n in set().union(*_layers())}
        if layer:
            drawn.append(layer)
    assert drawn == _layers()
