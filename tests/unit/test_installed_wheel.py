"""What a user installs: the wheel built from this tree, in a fresh virtual environment, run from elsewhere.

A data file left out of the package data passes every test that imports the tree and fails every user, so the
wheel is built once per session, installed with its dependencies from the package index as `pip install` does
for a user, and its `agent-console` run from a directory outside the clone. The suite itself is checked too: it
imports the installed package, and a run that would import the tree is stopped.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.package_under_test import OUTSIDE_TREE, PACKAGES, REPO_ROOT, SOURCE_MODE, package_env, package_files

NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
                                    ".hypothesis")
TIMINGS: dict[str, float] = {}  # seconds, printed with -s or on failure


def timed(what: str, command: list[str], **options) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, **options)
    TIMINGS[what] = round(time.monotonic() - started, 1)
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def users_env() -> dict[str, str]:
    """A user's shell: none of this session's Python path, virtual environment or agent-console settings."""
    return {name: value for name, value in os.environ.items()
            if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not name.startswith("AGENT_CONSOLE_")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy: an in-tree build would write build/ into the clone, and a stale build/lib there could
    # put files in the wheel that the tree no longer has.
    work = tmp_path_factory.mktemp("wheel")
    shutil.copytree(REPO_ROOT, work / "source", ignore=NOT_SOURCE)
    timed("build the wheel", [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(work / "dist"),
                              str(work / "source")], cwd=work, env=users_env())
    [built] = (work / "dist").glob("agent_console-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The `bin` directory of a fresh virtual environment with the wheel and its dependencies installed."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    timed("create a virtual environment", [sys.executable, "-m", "venv", str(venv)], env=users_env())
    timed("install the wheel and its dependencies", [str(venv / "bin" / "python"), "-m", "pip", "install", str(wheel)],
          cwd=venv.parent, env=users_env())
    print(f"\ninstalled wheel timings (s): {TIMINGS}")
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A working directory outside the clone, with settings of its own."""
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    return directory


def agent_console(installed: Path, elsewhere: Path, *args: str) -> subprocess.CompletedProcess:
    settings = ["--data-dir", str(elsewhere / "data"), "--config", str(elsewhere / "absent.toml")]
    return subprocess.run([str(installed / "agent-console"), *args, *settings], capture_output=True, text=True,
                          cwd=elsewhere, env=users_env(), timeout=120)


def test_the_wheel_holds_every_file_of_the_packages(wheel):
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(set(package_files(REPO_ROOT)) - in_wheel)
    assert missing == [], f"files under the packages that `pip install` leaves out: {missing}"


def test_installed_lint_finds_the_warning_and_the_error(installed, elsewhere):
    result = agent_console(installed, elsewhere, "lint", "不可能，这不归我们管，电话13812345678")
    assert result.returncode == 1, result.stderr
    assert " warning blame-shifting " in result.stdout and " error pii-mobile " in result.stdout, result.stdout


def test_installed_search_finds_a_starter_reply(installed, elsewhere):
    result = agent_console(installed, elsewhere, "search", "tk")
    assert result.returncode == 0, result.stderr
    assert "退款申请 致歉" in result.stdout


def test_installed_data_files_are_where_the_code_opens_them(installed, elsewhere):
    probe = (
        "from backend.simulator import DEFAULT_SCENARIOS\n"
        "from console.app import AgentConsoleApp\n"
        "from quick_replies.library import STARTER_DIR\n"
        "from quick_replies.lint_rules import BUNDLED_RULES\n"
        "for path in (DEFAULT_SCENARIOS, AgentConsoleApp.CSS_PATH, STARTER_DIR, BUNDLED_RULES):\n"
        "    assert path.exists() and 'site-packages' in str(path), path\n"
        "    print(path)\n"
    )
    result = subprocess.run([str(installed / "python"), "-c", probe], capture_output=True, text=True,
                            cwd=elsewhere, env=users_env(), timeout=60)
    assert result.returncode == 0, result.stderr


def test_installed_serve_answers_on_loopback(installed, elsewhere):
    server = subprocess.Popen(
        [str(installed / "agent-console"), "serve", "--host", "127.0.0.1", "--port", "0", "--token", "wheel-token",
         "--db", str(elsewhere / "backend.sqlite3"), "--simulate", "1"],  # the simulator reads scenarios.toml
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=elsewhere, env=users_env(),
    )
    try:
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(server.stdout.readline()), daemon=True)
        reader.start()
        reader.join(30)
        assert ready and ready[0].startswith("listening on http://127.0.0.1:"), (ready, server.poll())
        url = ready[0].removeprefix("listening on ").strip()
        answer = httpx.get(f"{url}/api/v1/me", headers={"Authorization": "Bearer wheel-token"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["agent"]["name"], answer.text
    finally:
        server.kill()
        server.wait()


# --- the suite itself runs the installed package ----------------------------------------------------------------

@pytest.mark.skipif(SOURCE_MODE, reason="AGENT_CONSOLE_TEST_SOURCE=1 tests the tree on purpose")
def test_the_suite_and_its_processes_import_the_installed_package():
    for package in PACKAGES:
        location = Path(importlib.import_module(package).__file__).resolve().parent
        assert location != REPO_ROOT / package, f"this session imported {package} from the tree"
    probe = f"import importlib, json; print(json.dumps([importlib.import_module(p).__file__ for p in {PACKAGES!r}]))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=OUTSIDE_TREE,
                            env=package_env(), check=True)
    for package, path in zip(PACKAGES, json.loads(result.stdout)):
        assert Path(path).resolve().parent != REPO_ROOT / package, f"a test's process imported {package} from the tree"


def test_a_run_that_would_import_the_tree_is_stopped():
    # `python -m pytest` from the clone puts the tree first on sys.path: the session must refuse, not pass.
    env = {name: value for name, value in os.environ.items() if name not in ("AGENT_CONSOLE_TEST_SOURCE", "PYTHONPATH")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/unit/test_sla.py"],
                            capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=120)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "not from the installed package" in result.stdout + result.stderr
    assert "AGENT_CONSOLE_TEST_SOURCE=1" in result.stdout + result.stderr
