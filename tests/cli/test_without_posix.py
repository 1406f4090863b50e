"""The console is meant to run on Windows as well as Linux and macOS. CI runs Linux, so here the parts of the
standard library that Windows does not have are taken away from every process a test starts (a sitecustomize on
PYTHONPATH, which the processes those start inherit too): POSIX-only modules (termios, pty, resource, grp),
os.fork/killpg/setsid and the like, and every signal Windows lacks (SIGCONT, SIGKILL, SIGHUP, ...). Then every
product module is imported, the headless commands run against a real backend, and the embedded backend starts
and stops. A static check finds every POSIX-only name in the product's own code and asks that it be guarded.
What this cannot show: Textual's Windows driver, the libraries' Windows code paths, and Windows' own file and
process semantics; those need a Windows machine.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.package_under_test import OUTSIDE_TREE, package_env

# Not fcntl: filelock (the push lock) picks its lock by platform when it is imported, flock here and
# LockFileEx on Windows; without fcntl on Linux it would pick a third kind no platform of ours uses.
POSIX_ONLY_MODULES = ["termios", "tty", "pty", "resource", "grp"]
# Not getuid and the like: the libraries take their POSIX code paths on this Linux machine (platformdirs reads
# geteuid there) and their Windows ones on Windows; the static check below covers the product's own uses.
POSIX_ONLY_OS = ["fork", "forkpty", "killpg", "setsid", "getpgid", "setpgid", "openpty", "mkfifo", "sync",
                 "getloadavg", "sched_getaffinity", "nice"]
POSIX_ONLY_SIGNALS = ["SIGCONT", "SIGKILL", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGSTOP", "SIGTSTP",
                      "SIGALRM", "SIGPIPE", "SIGCHLD", "SIGWINCH", "SIGTTIN", "SIGTTOU"]

SITECUSTOMIZE = textwrap.dedent(f"""
    import os, signal, sys
    for name in {POSIX_ONLY_MODULES!r}:
        sys.modules[name] = None  # `import fcntl` now fails as on Windows
    for name in {POSIX_ONLY_OS!r}:
        if hasattr(os, name):
            delattr(os, name)
    for name in {POSIX_ONLY_SIGNALS!r}:
        if hasattr(signal, name):
            delattr(signal, name)
    os.environ["AGENT_CONSOLE_NO_POSIX"] = "1"
""")

PRODUCT = ["cli", "console", "widgets", "quick_replies", "local_cache", "backend"]


@pytest.fixture
def windows_shaped_env(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = package_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return env


def run(env, *args, check=True, timeout=60) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=OUTSIDE_TREE, env=env,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def test_the_stand_in_really_takes_posix_away(windows_shaped_env):
    probe = run(windows_shaped_env, "-c", "import os, signal\ntry:\n    import termios\nexcept ImportError:\n"
                "    print('no termios')\nprint(hasattr(signal, 'SIGCONT'), hasattr(os, 'fork'))")
    assert probe.stdout.split("\n")[:2] == ["no termios", "False False"]


def test_every_product_module_imports_without_posix(windows_shaped_env):
    script = textwrap.dedent(f"""
        import importlib, pkgutil
        failed = []
        for package in {PRODUCT!r}:
            root = importlib.import_module(package)
            for module in pkgutil.walk_packages(root.__path__, package + "."):
                if module.name.endswith("__main__"):
                    continue  # runs the command on import
                try:
                    importlib.import_module(module.name)
                except Exception as error:
                    failed.append(f"{{module.name}}: {{type(error).__name__}}: {{error}}")
        print("\\n".join(failed))
    """)
    assert run(windows_shaped_env, "-c", script).stdout.strip() == ""


def test_the_headless_commands_work_without_posix(windows_shaped_env, reference_backend, tmp_path):
    chat_id = reference_backend.open_chat("陈静", "web")
    reference_backend.customer_says(chat_id, "快递到哪了？")
    connection = ["--backend", reference_backend.url, "--token", reference_backend.token,
                  "--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "absent.toml")]
    env = windows_shaped_env

    def console(*args):
        return run(env, "-m", "cli", *args, *connection)

    assert chat_id in console("chats").stdout
    console("send", "--chat", chat_id, "您好，正在为您查询")
    report = json.loads(console("sync", "--once", "--json").stdout)  # takes the outbox's file lock
    assert report["sent"] == 1 and report["waiting"] == 0
    assert [m["text"] for m in reference_backend.messages(chat_id)].count("您好，正在为您查询") == 1
    assert "快递到哪了" in console("history", "--chat", chat_id).stdout
    console("outbox")
    assert console("search", "退款").stdout.strip()
    refused = run(env, "-m", "cli", "lint", "您的验证码发给我一下", *connection, check=False)
    assert refused.returncode != 0 and "验证码" in refused.stdout + refused.stderr


def test_the_embedded_backend_starts_and_stops_without_posix(windows_shaped_env, tmp_path):
    script = textwrap.dedent(f"""
        import httpx
        from console.embedded_backend import EmbeddedBackend
        backend = EmbeddedBackend({str(tmp_path / "data")!r}, simulate=1, pace=1.0)
        backend.spawn()
        url = backend.wait_ready()
        print(httpx.get(url + "/api/v1/health", headers={{"Authorization": "Bearer " + backend.token}},
                        timeout=5).status_code)
        backend.stop()
        print("stopped")
    """)
    assert run(windows_shaped_env, "-c", script).stdout.split() == ["200", "stopped"]


POSIX_ONLY_NAMES = {("os", name) for name in [*POSIX_ONLY_OS, "getuid", "geteuid", "getgid", "getegid", "chown",
                                              "lchown", "getpgrp", "wait3", "wait4", "WNOHANG"]} | \
                   {("signal", name) for name in POSIX_ONLY_SIGNALS} | {("signal", "pause"), ("signal", "alarm")}
POSIX_ONLY_IMPORTS = {"fcntl", *POSIX_ONLY_MODULES, "pwd"}


def guarded(node: ast.AST, parents: dict[ast.AST, ast.AST], module: str, name: str) -> bool:
    """Inside `if hasattr(module, name)`, or an `if` on sys.platform or os.name, or a try that catches the
    AttributeError or ImportError its absence raises."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If):
            if "sys.platform" in ast.unparse(node.test) or "os.name" in ast.unparse(node.test):
                return True
            if any(isinstance(call, ast.Call) and ast.unparse(call.func) == "hasattr" and len(call.args) == 2
                   and ast.unparse(call.args[0]) == module and getattr(call.args[1], "value", None) == name
                   for call in ast.walk(node.test)):
                return True
        if isinstance(node, ast.Try):
            caught = " ".join(ast.unparse(handler.type) for handler in node.handlers if handler.type is not None)
            if "AttributeError" in caught or "ImportError" in caught:
                return True
    return False


def test_the_products_own_posix_only_calls_are_guarded():
    root = Path(__file__).resolve().parents[2]
    unguarded = []
    for package in PRODUCT:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
            for node in ast.walk(tree):
                where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    key = (node.value.id, node.attr)
                    if key in POSIX_ONLY_NAMES and not guarded(node, parents, *key):
                        unguarded.append(f"{where}: {key[0]}.{key[1]}")
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
                    for name in names:
                        if name and name.split(".")[0] in POSIX_ONLY_IMPORTS and not guarded(node, parents, "", ""):
                            unguarded.append(f"{where}: import {name}")
    assert unguarded == [], "POSIX-only, unguarded: " + "; ".join(unguarded)


def test_the_static_check_finds_an_unguarded_call(tmp_path):
    tree = ast.parse("import os, signal\nos.killpg(1, signal.SIGKILL)\nif hasattr(signal, \"SIGCONT\"):\n"
                     "    os.kill(1, signal.SIGCONT)\n")
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found = [(node.value.id, node.attr) for node in ast.walk(tree) if isinstance(node, ast.Attribute)
             and (node.value.id, node.attr) in POSIX_ONLY_NAMES and not guarded(node, parents, node.value.id,
                                                                                node.attr)]
    assert found == [("os", "killpg"), ("signal", "SIGKILL")]
