"""Alt+letter arrives as one key, however fast the next keys follow.

A terminal sends alt+p as ESC p. Textual (8.2) takes ESC p for alt+p only once ESCDELAY (100 ms) passes with
nothing more; characters arriving sooner (a fast typist, a paste, the next key of a burst) join the sequence,
which is then replayed with the ESC shown as "^": "^p" plus the text went into the composer and the note mode
stayed off, so a note went to the customer as a reply. Textual's table of known sequences is consulted after
every character, so listing ESC+letter there ends the sequence at once, as it already does for ESC+digit. The
table is private (textual._ansi_sequences): tests/terminal/test_notes_terminal.py sends ESC p and text in one
write, and fails if a Textual upgrade changes this.
"""

from __future__ import annotations

import string
from typing import NamedTuple

from textual import _ansi_sequences


class _KeyName(NamedTuple):
    value: str  # what the parser reads of a table entry (Keys members have the same attribute)


def recognise_alt_letters() -> None:
    """Idempotent. ESC b and ESC f keep Textual's meaning (iTerm's natural text editing: a word left or right);
    capitals are left alone, since ESC O, ESC P and ESC N begin longer sequences. ESC+digit, which Textual reads
    as the character macOS types for Option+digit (™ for alt+2), becomes alt+digit: a field with the focus
    then types nothing for it (the history search box took "1™" for a query)."""
    for letter in string.ascii_lowercase:
        _ansi_sequences.ANSI_SEQUENCES_KEYS.setdefault("\x1b" + letter, (_KeyName(f"alt+{letter}"),))
    for digit in string.digits:
        _ansi_sequences.ANSI_SEQUENCES_KEYS["\x1b" + digit] = (_KeyName(f"alt+{digit}"),)
