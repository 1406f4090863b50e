"""Placeholders in quick replies: `{customer.name}`, with a fallback `{customer.name|您}`, `{{`/`}}` for braces.

Filling never guesses: a placeholder with no value and no fallback stays in the text exactly as written and is
reported with its position, so the composer can mark it and refuse to send it unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z]+(?:\.[a-z_]+)+)(?:\|([^{}]*))?\}")


@dataclass(frozen=True)
class Unfilled:
    name: str
    start: int  # character offsets in the filled text
    end: int


@dataclass(frozen=True)
class Filled:
    text: str
    unfilled: tuple[Unfilled, ...]


def fill(template: str, values: dict[str, str]) -> Filled:
    parts: list[str] = []
    unfilled: list[Unfilled] = []
    length = 0
    position = 0
    for match in PLACEHOLDER.finditer(template):
        parts.append(template[position:match.start()])
        length += match.start() - position
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            replacement = token[0]
        else:
            name, fallback = match.group(1), match.group(2)
            value = (values.get(name) or "").strip()
            if value:
                replacement = value
            elif fallback is not None:
                replacement = fallback
            else:
                replacement = "{" + name + "}"
                unfilled.append(Unfilled(name, length, length + len(replacement)))
        parts.append(replacement)
        length += len(replacement)
    parts.append(template[position:])
    return Filled("".join(parts), tuple(unfilled))


def unfilled_in(text: str) -> list[Unfilled]:
    """Placeholders still present in text the agent is about to send (after any editing)."""
    return [
        Unfilled(match.group(1), match.start(), match.end())
        for match in PLACEHOLDER.finditer(text)
        if match.group(1)
    ]

