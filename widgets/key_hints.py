"""A line of key hints for the strips above the composer: bold key, then what it does."""

from __future__ import annotations

from rich.text import Text


def key_hints(*hints: tuple[str, str]) -> Text:
    line = Text()
    for number, (key, label) in enumerate(hints):
        line.append(key, style="bold")
        line.append(f" {label}" + ("   " if number < len(hints) - 1 else ""))
    return line
