"""The installed console in a real pseudo-terminal, read back through a terminal emulator.

pexpect gives the console a pty of a chosen size, exactly as a terminal window would; pyte (a VT100/xterm
emulator, CJK-width aware) keeps the screen that the console's output draws, so a test reads what an agent
would see. Input is written to the pty in whole chunks, as a terminal delivers a fast typist's or an input
method's burst. Both are pip packages: nothing outside pip, and every POSIX machine has ptys.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pexpect
import pyte
from ptyprocess import PtyProcessError
from wcwidth import wcwidth

KEYS = {"enter": "\r", "tab": "\t", "backspace": "\x7f", "escape": "\x1b", "ctrl+s": "\x13", "ctrl+q": "\x11",
        "ctrl+l": "\x0c", "ctrl+r": "\x12", "ctrl+t": "\x14", "down": "\x1b[B", "f2": "\x1bOQ", "f6": "\x1b[17~",
        "alt+down": "\x1b[1;3B", "alt+up": "\x1b[1;3A", "alt+o": "\x1bo", "f9": "\x1b[20~"}


def installed_console() -> str:
    """The `agent-console` that `pip install` put beside this interpreter (never the source tree)."""
    path = Path(sys.executable).parent / "agent-console"
    found = str(path) if path.exists() else shutil.which("agent-console")
    if found is None:
        raise RuntimeError("agent-console is not installed in this environment: pip install '.[test]' first")
    return found


def console(tmp_path: Path, backend, cols: int = 100, rows: int = 30) -> TerminalSession:
    """The installed console in a pty, on `backend` (tests.reference_backend.ReferenceBackend)."""
    return TerminalSession(["--backend", backend.url, "--data-dir", str(tmp_path / "data")], cols=cols, rows=rows,
                           home=tmp_path / "home", env={"AGENT_CONSOLE_TOKEN": backend.token})


def composer_text(session: "TerminalSession") -> str:
    """What the main composer's box holds, by screen columns: its rounded border, or the heavy one of note mode."""
    cells = session.cells(range(session.cols))
    top = max(y for y, row in enumerate(cells) if any(character in {"╭", "┏"} for character, _ in row))
    left, right = (next(x for x, (character, _) in enumerate(cells[top]) if character in corners)
                   for corners in ({"╭", "┏"}, {"╮", "┓"}))
    bottom = next(y for y in range(top, len(cells)) if cells[y][left][0] in {"╰", "┗"})
    return "".join(character for row in cells[top + 1:bottom] for character, _ in row[left + 1:right])


class TerminalSession:
    def __init__(self, args: list[str], *, cols: int, rows: int, home: Path, env: dict[str, str] | None = None):
        self.cols, self.rows = cols, rows
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)
        self._lock = threading.Lock()
        self.raw = bytearray()  # every byte the console wrote to its terminal, as the terminal got it
        home.mkdir(parents=True, exist_ok=True)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TERM": "xterm-256color",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"), "AGENT_CONSOLE_CONFIG": str(home / "no-config.toml"),
            **(env or {}),
        }
        self.child = pexpect.spawn(installed_console(), args, dimensions=(rows, cols), env=environment,
                                   cwd=str(home))
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        while True:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.05)
            except pexpect.TIMEOUT:
                continue
            except (pexpect.EOF, OSError, ValueError, PtyProcessError):  # the console has exited
                return
            with self._lock:
                self.raw += data
                self._stream.feed(data)

    # --- reading what the agent sees ------------------------------------------------------------------

    def lines(self) -> list[str]:
        # Read from the cells, not pyte's `display`: that raises IndexError on the empty cell a wide character
        # leaves behind once a narrow one overwrites it, a state the console's redraws do reach. A terminal
        # shows that cell blank.
        with self._lock:
            return [_row_text(self.screen.buffer[y], self.cols).rstrip() for y in range(self.rows)]

    def cells(self, columns: range) -> list[list[tuple[str, str]]]:
        """Each screen row cell by cell over `columns`: (character, background colour). The cell after a wide
        character holds ""."""
        with self._lock:
            return [[(self.screen.buffer[y][x].data, self.screen.buffer[y][x].bg) for x in columns]
                    for y in range(self.rows)]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> float:
        start = time.monotonic()
        while not predicate():
            if time.monotonic() - start > timeout:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; the screen:\n{self.text()}")
            time.sleep(0.02)
        return time.monotonic() - start

    def wait_for_text(self, text: str, timeout: float = 20.0) -> float:
        return self.wait_for(lambda: text in self.text(), repr(text), timeout)

    # --- typing -----------------------------------------------------------------------------------------

    def send(self, *parts: str) -> None:
        """One write to the pty: text, or key names from KEYS, in one burst."""
        self.child.send("".join(KEYS.get(part, part) for part in parts).encode())

    def quit(self, timeout: float = 10.0) -> float:
        start = time.monotonic()
        if self.child.isalive():
            self.send("ctrl+q")
            try:
                self.child.expect(pexpect.EOF, timeout=timeout)
            except pexpect.TIMEOUT:
                pass
        took = time.monotonic() - start
        self.close()
        return took

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)


def _row_text(row, columns: int) -> str:
    text, after_wide = [], False
    for x in range(columns):
        data = row[x].data
        if not data and not after_wide:
            data = " "  # the right half of a wide character a narrow one overwrote
        after_wide = bool(data) and wcwidth(data[0]) == 2
        text.append(data)
    return "".join(text)
