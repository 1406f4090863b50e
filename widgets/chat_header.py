"""One line above a transcript: who the customer is and where the chat stands.

At the width of a split-view pane the whole line does not fit. The chat's state and priority always stay (they
decide what the agent does next); the customer's title goes first, then the name is shortened, then the channel.
Widths are terminal cells: a Chinese character takes two.
"""

from __future__ import annotations

from typing import Protocol

from rich.text import Text
from textual import events
from textual.widgets import Static

from widgets.i18n import tr
from widgets.inert_text import inert_text

WIDE_SEPARATOR = "  ·  "
NARROW_SEPARATOR = " · "
SHORTEST_NAME = 5  # cells: two Chinese characters and "…", or four letters and "…"


class HeaderChat(Protocol):
    """local_cache.models.ChatSummary fits."""

    customer_name: str
    customer_title: str
    vip: bool
    channel: str
    state: str
    priority: str


def header_text(chat: HeaderChat, width: int | None = None) -> Text:
    """The header, fitted to `width` cells (None: the whole header)."""
    whole = _header(chat, _name(chat, with_title=True), WIDE_SEPARATOR, with_channel=True)
    if width is None or whole.cell_len <= width:
        return whole
    name = _name(chat, with_title=False)
    for with_channel, shortest in ((True, SHORTEST_NAME), (False, 2)):
        rest = _header(chat, Text(), NARROW_SEPARATOR, with_channel)
        room = width - rest.cell_len
        if room >= min(shortest, name.cell_len):
            return _header(chat, _shortened(name, room), NARROW_SEPARATOR, with_channel)
    status = _details(chat, NARROW_SEPARATOR, with_channel=False)[len(NARROW_SEPARATOR):]
    status.truncate(width, overflow="ellipsis")
    return status


def _name(chat: HeaderChat, with_title: bool) -> Text:
    name = inert_text(chat.customer_name, "bold")
    if with_title and chat.customer_title:
        name.append_text(inert_text(f" ({chat.customer_title})"))
    return name


def _shortened(name: Text, cells: int) -> Text:
    """Cut to `cells` with an ellipsis, by cells; no space before the ellipsis (a cut between words, or half a
    Chinese character, leaves one)."""
    if name.cell_len <= cells:
        return name
    shortened = name.copy()
    shortened.truncate(cells - 1)
    shortened.rstrip()
    shortened.append("…")
    return shortened


def _header(chat: HeaderChat, name: Text, separator: str, with_channel: bool) -> Text:
    header = name.copy()
    if chat.vip:
        header.append(" VIP", style="bold yellow")
    header.append_text(_details(chat, separator, with_channel))
    return header


def _details(chat: HeaderChat, separator: str, with_channel: bool) -> Text:
    parts = [chat.channel] if with_channel else []
    parts += [tr(chat.state.replace("_", " ")), tr(chat.priority)]
    return inert_text("".join(separator + part for part in parts), "dim")  # server-provided strings are data too


class ChatHeader(Static):
    DEFAULT_CSS = """
    ChatHeader { height: 1; padding: 0 1; background: $boost; }
    """
    _chat: HeaderChat | None = None
    _shown: Text | None = None

    def show(self, chat: HeaderChat) -> None:
        self._chat = chat
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()  # the split view opened or closed, or the terminal changed size

    def _fit(self) -> None:
        if self._chat is None:
            return
        width = self.content_size.width or None  # not laid out yet: whole for now, fitted on the first resize
        header = header_text(self._chat, width)
        if header != self._shown:
            self._shown = header
            self.update(header, layout=False)  # one line, always: no need to re-lay out the screen
