"""Parse a library and build its search index in a process of its own, leaving both in the caches.

A console reloading a large library in a thread shares one interpreter lock with the screen: parsing 100,000
entries of TOML (pure Python) and building their index take seconds of it, and keystrokes wait. Run here
instead, the work costs the console nothing; the console then reads the two caches (library_cache.py,
search_index_cache.py), which takes a fraction of the time.

    python -m quick_replies.prepare_library CACHE_DIR SOURCE DIRECTORY...

SOURCE is the fingerprint the console names the library's files by (search_index_cache.fingerprint). Exit
status 0 when both caches were written; anything else, and the console does the work itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from quick_replies.library_cache import load_library_cached
from quick_replies.search import documents
from quick_replies.search_index_cache import load_or_build

SEPARATE_FROM_BYTES = 2 * 1024 * 1024  # library files this large are prepared in a process of their own


def prepare(cache_dir: Path, source: str, directories: list[Path]) -> None:
    library = load_library_cached(directories, cache_dir)
    load_or_build(documents(library), cache_dir, source=source)


def prepare_in_subprocess(cache_dir: Path, source: str, directories: list[Path], timeout: float = 600) -> bool:
    """True if a separate process left both caches ready for these files."""
    # -P: the package as installed, never a quick_replies/ that happens to be in the working directory
    command = [sys.executable, "-P", "-m", "quick_replies.prepare_library", str(cache_dir), source,
               *map(str, directories)]
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def main(arguments: list[str]) -> int:
    if len(arguments) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    prepare(Path(arguments[0]), arguments[1], [Path(directory) for directory in arguments[2:]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
