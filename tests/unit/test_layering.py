"""The house plan's arrows (README's Layout section), enforced."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.package_under_test import OUTSIDE_TREE, package_env

ROOT = Path(__file__).resolve().parents[2]
HEADLESS_PACKAGES = ["quick_replies", "local_cache", "backend"]


def modules_of(package: str) -> list[str]:
    return [package] + [
        f"{package}.{info.name}" for info in pkgutil.iter_modules([str(ROOT / package)]) if info.name != "__main__"
    ]


@pytest.mark.parametrize("package", HEADLESS_PACKAGES)
def test_headless_packages_never_load_textual_widgets_or_console(package):
    modules = modules_of(package)
    probe = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'widgets', 'console'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=OUTSIDE_TREE,
                            env=package_env(), check=True)
    assert json.loads(result.stdout) == [], f"{package} pulls in UI modules"
    assert len(modules) > 1 or package == "quick_replies"


def test_commands_without_the_tui_never_load_textual():
    """`agent-console search`, `lint`, `send`... start quickly: Textual is imported only to run the TUI."""
    modules = modules_of("cli")
    probe = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=OUTSIDE_TREE,
                            env=package_env(), check=True)
    assert json.loads(result.stdout) == []
    assert len(modules) > 5


def imported_top_levels(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("widgets", {"sqlite3", "sqlite_utils", "httpx", "local_cache", "backend", "console", "cli"}),
        ("backend", {"local_cache", "console", "widgets", "textual", "quick_replies", "cli"}),
        ("local_cache", {"backend", "console", "widgets", "textual", "cli"}),
        ("quick_replies", {"local_cache", "backend", "console", "widgets", "textual", "cli"}),
        # The command line sits on top: it starts the console, nothing but the tests imports it.
        ("console", {"cli"}),
    ],
)
def test_import_arrows_point_one_way(package, forbidden):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_levels(path) & forbidden)
        for path in (ROOT / package).rglob("*.py")
        if imported_top_levels(path) & forbidden
    }
    assert offenders == {}


def lint_imports(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """import-linter's contracts from pyproject.toml, over the packages as `env` and `cwd` find them."""
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(command), "--no-cache", str(ROOT / "pyproject.toml")], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_import_linter_contracts_hold_for_the_installed_package():
    result = lint_imports(OUTSIDE_TREE, package_env())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "broken" in result.stdout and " 0 broken" in result.stdout


def test_import_linter_contracts_catch_a_widget_that_opens_sqlite_and_a_console_module_that_imports_the_backend(
    tmp_path
):
    """The same contracts over a copy of the house plan with two arrows drawn the wrong way."""
    for package in ("cli", "console", "widgets", "quick_replies", "local_cache", "backend"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "backend" / "server.py").write_text("")
    for allowed in ("main", "parser"):  # `agent-console serve` runs the backend itself
        (tmp_path / "cli" / f"{allowed}.py").write_text("import backend.server\n")
    (tmp_path / "console" / "embedded_backend.py").write_text("import backend.server\n")
    (tmp_path / "console" / "app.py").write_text("import widgets.chat_list\nimport backend.server\n")
    (tmp_path / "widgets" / "chat_list.py").write_text("import sqlite3\nimport quick_replies\n")
    result = lint_imports(tmp_path, package_env(PYTHONPATH=str(tmp_path)))
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert "widgets.chat_list -> sqlite3" in result.stdout
    assert "console.app -> backend.server" in result.stdout
    assert "console.embedded_backend -> backend" not in result.stdout
