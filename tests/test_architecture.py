"""The shape of the package (docs/architecture.md): small modules and functions, layers that
are not crossed, private modules kept private, and a rule map whose modules exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "trachea_login"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 50

MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


def _own_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function, not counting the functions defined inside it (routes nested in a
    router factory count for themselves)."""
    nested = sum(
        child.end_lineno - child.lineno + 1  # type: ignore[operator]
        for child in function.body
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
    )
    return function.end_lineno - function.lineno + 1 - nested  # type: ignore[operator]


def _imports(path: Path) -> list[str]:
    """Absolute names of the trachea_login modules ``path`` imports."""
    tree = ast.parse(path.read_text())
    package = ["trachea_login", *path.relative_to(PACKAGE).parent.parts]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append(module)
            found.extend(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name.startswith("trachea_login")]


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_is_over_450_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_function_is_over_50_lines_of_its_own(path):
    tree = ast.parse(path.read_text())
    long = [
        (node.name, _own_lines(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and _own_lines(node) > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_routes_import_nothing_from_the_store():
    offenders = {
        _name(path): [name for name in _imports(path) if name.startswith("trachea_login.store")]
        for path in (PACKAGE / "routes").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_private_modules_are_imported_only_inside_their_package():
    offenders = []
    for path in MODULES:
        for name in _imports(path):
            parts = name.split(".")
            for index, part in enumerate(parts):
                if part.startswith("_") and part not in ("__init__", "__version__"):
                    owner = PACKAGE.joinpath(*parts[1:index])
                    if not path.is_relative_to(owner):
                        offenders.append((_name(path), name))
                    break
    # The package root's private helpers (_mongo, _routing, _version) are the whole package's.
    assert [(path, name) for path, name in offenders if not _is_root_private(name)] == []


def _is_root_private(name: str) -> bool:
    return len(name.split(".")) >= 2 and name.split(".")[1] in ("_mongo", "_routing", "_version")


def test_records_not_documents_leave_the_store():
    """Nothing outside store/ builds a record from a document or reads a document field,
    except migrate/, which translates 0.1.x's documents into ours (docs/architecture.md)."""
    for path in MODULES:
        if {"store", "migrate"} & set(path.relative_to(PACKAGE).parts):
            continue
        text = path.read_text()
        assert '["_id"]' not in text, _name(path)


def test_every_module_the_architecture_names_exists():
    text = ARCHITECTURE.read_text()
    named = {
        name
        for name in re.findall(r"`((?:[a-z_]+/)*[a-z_]+\.py)`", text)
        if not name.startswith("tests/")
    }
    assert len(named) >= 40
    missing = sorted(name for name in named if not (PACKAGE / name).exists())
    assert missing == []


def test_every_module_appears_in_the_architecture():
    text = ARCHITECTURE.read_text()
    unnamed = [
        _name(path)
        for path in MODULES
        if path.name not in ("__init__.py", "__main__.py", "_version.py")
        and f"`{_name(path)}`" not in text
    ]
    assert unnamed == []
