"""What the command line prints is text from customers, backends and files: shown, never obeyed.

`inert_output()` puts `inert` (widgets/inert_text.py) between every print and the terminal for the whole run of a
command, so no print path, present or future, can hand the agent's terminal an escape sequence from a customer's
name, a backend's error or a library file's title (OSC 52 writes the clipboard, OSC 0 the window title, CSI 2J
clears the screen, a bidi override reorders the line). Tabs and newlines pass; every other control shows as its
stand-in. JSON output escapes its controls itself, so it passes unchanged.
"""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import Iterator, TextIO

from widgets.inert_text import inert


class InertStream(io.TextIOBase):
    def __init__(self, terminal: TextIO):
        self.terminal = terminal  # for the console's own sequences only (a progress bar): see terminal_of

    def write(self, text: str) -> int:
        self.terminal.write("\t".join(inert(part) for part in text.split("\t")))
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()

    def isatty(self) -> bool:
        return self.terminal.isatty()

    def fileno(self) -> int:
        return self.terminal.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return self.terminal.encoding

    @property
    def errors(self) -> str | None:
        return self.terminal.errors


def terminal_of(stream: TextIO) -> TextIO:
    """The real stream behind `stream`, for output the console composes itself from its own sequences."""
    return stream.terminal if isinstance(stream, InertStream) else stream


@contextmanager
def inert_output(enabled: bool = True) -> Iterator[None]:
    if not enabled:
        yield
        return
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = InertStream(sys.stdout), InertStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
