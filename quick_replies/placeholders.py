"""Placeholders in quick replies: `{customer.name}`, with a fallback `{customer.name|您}`, `{{`/`}}` for braces.

Filling never guesses: a placeholder with no value and no fallback stays in the text exactly as written and is
reported with its position, so the composer can mark it and refuse to send it unnoticed.

An empty fallback (`Thanks, {customer.name|}!`) leaves a gap, and the text around a gap is tidied so that it
reads as if the placeholder had never been written: `Thanks!`, `Hi, this is`, `订单号，收到后`. Only the
library's own text is tidied, never a value or another placeholder's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z]+(?:\.[a-z_]+)+)(?:\|([^{}]*))?\}")

SPACES = " \t\u3000"  # spaces within a line (the ideographic space too), never a line break
# Punctuation that belongs to the word before it: a space in front of it, or a sentence starting with it, is stray.
CLOSING = ",.!?;:)]…，。！？；：、）】》」』”’"
SEPARATORS = ",，、"  # a comma left before a gap that ends the clause (`Thanks, {name|}!`) goes with the gap
# An empty pair around a gap goes whole: `Order ({order.id|}) shipped` reads `Order shipped`.
BRACKETS = {"(": ")", "（": "）", "[": "]", "【": "】", "《": "》", "「": "」", "“": "”", "‘": "’"}


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
    text = ""  # the filled text so far
    settled = 0  # text[:settled] ends with a value or a placeholder's text: tidying a gap never cuts into it
    unfilled: list[Unfilled] = []
    matches = list(PLACEHOLDER.finditer(template))
    position = 0
    for number, match in enumerate(matches):
        text += template[position:match.start()]
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            replacement = token[0]
        else:
            name, fallback = match.group(1), match.group(2)
            value = (values.get(name) or "").strip()
            if value:
                replacement = value
            elif fallback:
                replacement = fallback
            elif fallback == "":
                next_start = matches[number + 1].start() if number + 1 < len(matches) else len(template)
                kept, skipped = tidy_gap(text, settled, template[position:next_start], next_start == len(template))
                text = text[:kept]
                position += skipped
                continue
            else:
                replacement = "{" + name + "}"
                unfilled.append(Unfilled(name, len(text), len(text) + len(replacement)))
        text += replacement
        settled = len(text)
    return Filled(text + template[position:], tuple(unfilled))


def tidy_gap(before: str, settled: int, after: str, at_end: bool) -> tuple[int, int]:
    """Where a placeholder filled with nothing sat between `before` and the library text `after` (the whole
    rest of the template if `at_end`): how much of `before` to keep, and how many characters of `after` to
    skip, so that no stray space or punctuation is left where it was."""
    kept, skipped = len(before), 0

    def trim_spaces() -> int:
        end = kept
        while end > settled and before[end - 1] in SPACES:
            end -= 1
        return end

    if kept > settled and before[kept - 1] in BRACKETS and after[:1] == BRACKETS[before[kept - 1]]:
        kept, skipped = kept - 1, 1  # an empty "()" goes, and the spaces around it are tidied below
    line_start = trim_spaces() == 0 or before[trim_spaces() - 1] == "\n"
    rest = after[skipped:]
    if rest[:1] and rest[0] in SPACES and (line_start or (kept > settled and before[kept - 1] in SPACES)):
        skipped += len(rest) - len(rest.lstrip(SPACES))  # `a {x|} b`: one space stays, not two
        rest = after[skipped:]
    ends_clause = (not rest and at_end) or rest[:1] == "\n"
    if (rest[:1] and rest[0] in CLOSING) or ends_clause:
        kept = trim_spaces()
        if kept > settled and before[kept - 1] in SEPARATORS:
            kept -= 1  # `Thanks, {name|}!` reads `Thanks!`, not `Thanks,!`
            kept = trim_spaces()
        if line_start and not ends_clause:
            # `{name|}，您好` at the start of a line: the comma has nothing left to follow
            while rest[:1] and (rest[0] in CLOSING or rest[0] in SPACES):
                skipped, rest = skipped + 1, rest[1:]
    return kept, skipped


def unfilled_in(text: str) -> list[Unfilled]:
    """Placeholders still present in text the agent is about to send (after any editing)."""
    return [
        Unfilled(match.group(1), match.start(), match.end())
        for match in PLACEHOLDER.finditer(text)
        if match.group(1)
    ]
