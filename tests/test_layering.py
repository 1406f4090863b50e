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

ROOT = Path(__file__).resolve().parent.parent
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
