"""How an internal note reads in the transcript: apart from the conversation, even without colour.

A note's header starts with a label ("✎ Internal note"), and each line of its body with a bar, in italic yellow;
the label and the bar say it where colour is not seen (a monochrome terminal, a copy of the text). A transfer's
note is shown the same way, under the "Transferred to …" line it belongs to.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from widgets.i18n import tr
from widgets.inert_text import inert_text

NOTE_STYLE = "italic yellow"
NOTE_BAR = "  ┃ "  # in place of a message body's two-space indent


def note_label() -> Text:
    return Text(f"✎ {tr('Internal note')}  ", style="bold yellow")


def note_body(text: str, console: Console, width: int) -> list[Text]:
    """The note's lines, wrapped to `width` cells with the bar before each. Inert: an agent typed it."""
    body = inert_text(text, NOTE_STYLE)
    return [Text(NOTE_BAR, style="yellow") + line for line in body.wrap(console, max(1, width - len(NOTE_BAR)))]


def transfer_note(note: str, console: Console, width: int) -> list[Text]:
    """A transfer's note as a note block: the label, then the note."""
    header = note_label()
    header.append(tr("for the team the chat goes to"), style="dim")
    return [*header.wrap(console, width), *note_body(note, console, width)]
