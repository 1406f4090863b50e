"""The customer panel's "Previous chats": the same customer's other chats, newest first (date, state, the last
message), with how many more there are. Inert: the last message is the customer's text; the console masks it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence

from rich.text import Text

from widgets.i18n import tr
from widgets.inert_text import inert_text

PREVIEW_CELLS = 40  # the panel wraps it; two lines at most


class PreviousChatRow(Protocol):
    """local_cache.previous_chats.PreviousChat fits."""

    id: str
    state: str
    created_at: float
    last_message_preview: str


def previous_chat_rows(chats: Sequence[PreviousChatRow], total: int, key: str) -> list[tuple[str, Text]]:
    """(label, value) rows for the customer card; none for a customer with no other chats."""
    if not chats:
        return []
    # The title in the values' column: as a label it would widen the labels of the whole card.
    title = Text(tr("Previous chats"), style="bold")
    title.append(f"  {tr('{key} opens one', key=key)}" if key else "", style="dim")
    rows = [("", Text()), ("", title)]
    for number, chat in enumerate(chats, start=1):
        line = Text(f"{number} ", style="bold")
        line.append(datetime.fromtimestamp(chat.created_at).strftime("%Y-%m-%d"))
        line.append_text(inert_text(f" {tr(chat.state.replace('_', ' '))}", "cyan"))
        if chat.last_message_preview:
            preview = chat.last_message_preview
            line.append("\n")
            line.append_text(inert_text(preview[:PREVIEW_CELLS] + ("…" if len(preview) > PREVIEW_CELLS else ""),
                                        "dim"))
        rows.append(("", line))
    if total > len(chats):
        rows.append(("", Text(tr("and {count} more", count=total - len(chats)), style="dim italic")))
    return rows
