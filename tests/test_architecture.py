"""The layering the README's Architecture section promises, checked on the source itself.

The CLI layer (cli, output) is the only one that writes or knows Typer and Rich; below it,
imports only go downwards: commands -> runs -> dispatch -> transports -> tasks (and offline) ->
accounting -> the building blocks (errors, text, files, cache, documents, scales, process).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "adp_cli"

CLI_PACKAGES = ("adp_cli.cli", "adp_cli.output")

# Lower numbers sit lower; a module may import modules of its own layer or below.
LAYERS: list[tuple[int, str]] = [
    (8, "adp_cli.cli"),
    (8, "adp_cli.output"),
    (8, "adp_cli.__main__"),
    (7, "adp_cli.commands"),
    (7, "adp_cli.guide"),
    (6, "adp_cli.runs"),
    (5, "adp_cli.dispatch"),
    (4, "adp_cli.transports"),
    (3, "adp_cli.tasks"),
    (3, "adp_cli.offline"),
    (3, "adp_cli.captions"),
    (2, "adp_cli.accounting"),
    (2, "adp_cli.history"),
    (1, "adp_cli"),  # everything else: the building blocks
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _in_cli_layer(module: str) -> bool:
    return module == "adp_cli.__main__" or any(module == package or module.startswith(package + ".") for package in CLI_PACKAGES)


def _layer(module: str) -> int:
    return next(level for level, prefix in LAYERS if module == prefix or module.startswith(prefix + "."))


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level and TYPE_CHECKING imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


CORE = sorted((path for path in PACKAGE.rglob("*.py") if not _in_cli_layer(_module_name(path))), key=str)


@pytest.mark.parametrize("path", CORE, ids=lambda path: _module_name(path))
def test_nothing_below_the_cli_layer_imports_the_renderer_rich_or_typer(path: Path) -> None:
    forbidden = {
        name
        for name in _imports(path)
        if _in_cli_layer(name) or name.split(".")[0] in {"rich", "typer", "click"}
    }
    assert forbidden == set()


@pytest.mark.parametrize("path", CORE, ids=lambda path: _module_name(path))
def test_nothing_below_the_cli_layer_writes_to_the_terminal(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    writes = [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print")
        or (isinstance(node, ast.Attribute) and node.attr in {"stdout", "stderr"})
    ]
    assert writes == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py"), key=str), ids=lambda path: _module_name(path))
def test_imports_only_go_down_the_layers(path: Path) -> None:
    module = _module_name(path)
    own = {name for name in _imports(path) if name.startswith("adp_cli.") and _is_module(name)}
    upward = {name for name in own if _layer(name) > _layer(module)}
    assert upward == set()


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


def test_the_layer_table_covers_every_package() -> None:
    """A new subpackage must be placed in LAYERS deliberately, not fall into the bottom layer."""
    packages = {_module_name(path.parent / "__init__.py") for path in PACKAGE.rglob("__init__.py")}
    placed = {prefix for _, prefix in LAYERS}
    assert {package for package in packages if package.count(".") == 1} <= placed


def test_importing_the_package_loads_no_heavy_library() -> None:
    """The guide's names load lazily: ``import adp_cli`` (so ``adp --help``) stays cheap."""
    code = (
        "import sys, adp_cli; "
        "print(sorted(m for m in ('pydantic', 'groq', 'tiktoken', 'genai_prices', 'yaml', 'rich', 'httpx') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_every_exported_name_resolves() -> None:
    import adp_cli

    for name in adp_cli.__all__:
        assert getattr(adp_cli, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        adp_cli.nope  # noqa: B018


def test_every_package_ships_in_the_wheel() -> None:
    """setuptools lists packages explicitly here; a subpackage missing from the list installs in
    editable mode but is absent from a wheel (`pip install .`)."""
    import tomllib

    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {_module_name(path) for path in PACKAGE.rglob("__init__.py")}
    assert on_disk <= listed
