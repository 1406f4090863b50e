"""Helpers for driving the app in Pilot tests."""

from __future__ import annotations

import time
import unicodedata

from textual import events
from textual.keys import KEY_NAME_REPLACEMENTS


async def wait_until(pilot, predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def key_for(character: str) -> str:
    """The key name Textual's input parser gives a typed character ("?" is question_mark, "，" fullwidth_comma).
    Textual's own function for it is private (textual.keys._character_to_key); this matches it for every
    character up to U+2FFFF."""
    if character.isalnum():
        return character
    name = unicodedata.name(character, "").lower().replace("-", "_").replace(" ", "_")
    return KEY_NAME_REPLACEMENTS.get(name, name) if name else {"\t": "tab"}.get(character, character)


async def type_text(pilot, text: str) -> None:
    """Send text as a terminal delivers IME-committed input: one Key per character, character attached.

    Pilot.press cannot do this for CJK punctuation (it drops the character of e.g. "，"), so we post the
    same events Textual's input parser produces.
    """
    for character in text:
        pilot.app.post_message(events.Key(key_for(character), character))
        await pilot.pause()
