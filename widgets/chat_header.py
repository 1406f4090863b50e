"""One line above a transcript: who the customer is and where the chat stands."""

from __future__ import annotations

from typing import Protocol

from rich.text import Text
from textual.widgets import Static

from widgets.i18n import tr
from widgets.inert_text import inert_text


class HeaderChat(Protocol):
    """local_cache.models.ChatSummary fits."""

    customer_name: str
    customer_title: str
    vip: bool
    channel: str
    state: str
    priority: str


def header_text(chat: HeaderChat) -> Text:
    header = inert_text(chat.customer_name, "bold")
    if chat.customer_title:
        header.append_text(inert_text(f" ({chat.customer_title})"))
    if chat.vip:
        header.append(" VIP", style="bold yellow")
    details = f"  ·  {chat.channel}  ·  {tr(chat.state.replace('_', ' '))}  ·  {tr(chat.priority)}"
    header.append_text(inert_text(details, "dim"))  # server-provided strings are data too
    return header


class ChatHeader(Static):
    DEFAULT_CSS = """
    ChatHeader { height: 1; padding: 0 1; background: $boost; }
    """
    _shown: Text | None = None

    def show(self, chat: HeaderChat) -> None:
        header = header_text(chat)
        if header != self._shown:
            self._shown = header
            self.update(header, layout=False)  # one line, always: no need to re-lay out the screen
