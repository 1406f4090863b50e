"""Which agent-console the tests run: the package as `pip install` put it in site-packages, never the tree.

`python -m cli` and `python -c` put the working directory first on sys.path, so every process a test starts
runs in OUTSIDE_TREE with package_env(). With AGENT_CONSOLE_TEST_SOURCE=1 (a developer's quick loop, no
reinstall) the tests and their processes import the source tree instead, on purpose.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sysconfig
import tempfile
from importlib.util import find_spec
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cli", "console", "widgets", "quick_replies", "local_cache", "backend")
SOURCE_MODE = os.environ.get("AGENT_CONSOLE_TEST_SOURCE") == "1"
REINSTALL = ".venv/bin/pip install --no-deps --force-reinstall ."

# An empty directory of its own, so that nothing in the working directory can shadow a package either.
OUTSIDE_TREE = Path(tempfile.mkdtemp(prefix="agent-console-tests-"))
atexit.register(shutil.rmtree, OUTSIDE_TREE, True)


def package_env(**extra: str) -> dict[str, str]:
    """The environment for a process that runs agent-console: it imports the same copy as this process does
    (the installed package; the tree in source mode, or for a benchmark that put the tree on sys.path)."""
    env = {**os.environ, **extra}
    if SOURCE_MODE or imported_from_tree("backend"):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def imported_from_tree(package: str) -> bool:
    spec = find_spec(package)
    return spec is not None and spec.origin is not None and Path(spec.origin).resolve().parent.parent == REPO_ROOT


def package_files(root: Path) -> dict[str, Path]:
    """Every file of the packages under `root`, by its path relative to `root` (no bytecode)."""
    return {
        path.relative_to(root).as_posix(): path
        for package in PACKAGES
        for path in sorted((root / package).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".")  # editor files
    }


def installed_package_problem() -> str | None:
    """Why this interpreter would not test the installed packages as the tree has them, or None."""
    site_packages = {Path(sysconfig.get_path(name)).resolve() for name in ("purelib", "platlib")}
    for package in PACKAGES:
        spec = find_spec(package)
        location = Path(spec.origin).resolve().parent if spec and spec.origin else None
        if location is None or location.parent not in site_packages:
            return (f"`{package}` would be imported from {location or 'nowhere'}, not from the installed package "
                    f"in {' or '.join(map(str, sorted(site_packages)))}")
    stale = [name for name, path in package_files(REPO_ROOT).items()
             if installed_copy(name, site_packages) not in (None, path.read_bytes())]
    if stale:
        return f"the installed package differs from the tree ({', '.join(stale[:5])}{' ...' if stale[5:] else ''})"
    tree = package_files(REPO_ROOT)
    # Only .py files: setuptools installs just the data files pyproject names, which the wheel test checks.
    leftovers = sorted(name for directory in site_packages for name, path in package_files(directory).items()
                       if name.endswith(".py") and name not in tree)
    if leftovers:  # pip builds in the clone's build/, which keeps files deleted from the tree since
        return (f"the installed package has modules the tree no longer has ({', '.join(leftovers[:5])}"
                f"{' ...' if leftovers[5:] else ''}): delete the build/ folder, then reinstall")
    return None


def installed_copy(name: str, site_packages: set[Path]) -> bytes | None:
    """The installed bytes of the tree's file `name`; None if it was not installed (tests name what is missing)."""
    for directory in site_packages:
        if (directory / name).is_file():
            return (directory / name).read_bytes()
    return None
