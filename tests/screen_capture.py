"""What a Pilot-driven app sends the terminal, and what the terminal would then show.

Every frame leaves the app through its driver's `write`; the `terminal_writes` fixture (tests/app/conftest.py)
keeps what is written, and `full_frame` asks for a whole repaint, so a test reads the exact bytes a terminal
would get. `ShownScreen` feeds them to the same terminal emulator as the real-pty tests (pyte), so a test reads
what is on screen by rows and columns: the public way in, where reading Textual's compositor was not.
"""

from __future__ import annotations

import pyte

_writes: list[list[str]] = []  # the capture of the running test (set by the fixture)


def capture_into(written: list[str]) -> None:
    _writes[:] = [written]


async def full_frame(pilot) -> str:
    """The whole screen repainted, as the terminal is sent it: the screen in front and those it covers."""
    if not _writes:
        raise RuntimeError("ask for the terminal_writes fixture: nothing captures what the app writes")
    written = _writes[0]
    written.clear()
    pilot.app.screen.refresh()
    await pilot.pause()
    return "".join(written)


class ShownScreen:
    def __init__(self, frame: str, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.screen = pyte.Screen(cols, rows)
        pyte.Stream(self.screen).feed(frame)

    def text(self, y: int, start: int = 0, end: int | None = None) -> str:
        """Row `y` over columns start..end, as the terminal shows it (a wide character once)."""
        row = self.screen.buffer[y]
        return "".join(row[x].data for x in range(start, self.cols if end is None else end))

    @classmethod
    async def of(cls, pilot) -> ShownScreen:
        width, height = pilot.app.size
        return cls(await full_frame(pilot), width, height)
