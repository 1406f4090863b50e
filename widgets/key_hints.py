"""A line of key hints for the strips above the composer: bold key, then what it does."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from widgets.inert_text import inert


def key_hints(*hints: tuple[str, str], gap: int = 3) -> Text:
    line = Text()
    for number, (key, label) in enumerate(hints):
        line.append(inert(key), style="bold")  # a key's name can come from the agent's keymap file
        line.append(f" {inert(label)}" + (" " * gap if number < len(hints) - 1 else ""))
    return line


def fitted_key_hints(hints: list[tuple[str, str]], width: int) -> Text:
    """Wide gaps where they fit, one space where they do not (the bold keys still part the entries): at 100
    columns every chat action keeps its place rather than the last ones falling off the end."""
    for gap in (3, 2, 1):
        line = key_hints(*hints, gap=gap)
        if cell_len(line.plain) <= width:
            return line
    return line
