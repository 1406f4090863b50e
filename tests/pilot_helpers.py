"""Helpers for driving the app in Pilot tests."""

from __future__ import annotations

import time

from textual import events
from textual.keys import _character_to_key


async def wait_until(pilot, predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def type_text(pilot, text: str) -> None:
    """Send text as a terminal delivers IME-committed input: one Key per character, character attached.

    Pilot.press cannot do this for CJK punctuation (it drops the character of e.g. "，"), so we post the
    same events Textual's input parser produces.
    """
    for character in text:
        key = character if character.isalnum() else _character_to_key(character)
        pilot.app.post_message(events.Key(key, character))
        await pilot.pause()
