"""The chat list: one two-line row per chat, with unread count and time waiting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from rich.table import Table
from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from widgets.inert_text import inert_text

FIRST_RESPONSE_SECONDS = 30  # domain standard: answer within 30 s


class ChatRow(Protocol):
    """What the list needs to know about a chat (local_cache.models.ChatSummary fits)."""

    id: str
    customer_name: str
    customer_title: str
    vip: bool
    channel: str
    state: str
    last_message_preview: str
    high_risk: str
    unread: int
    waiting_since: float | None


def format_waiting(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


def chat_row_renderable(position: int, chat: ChatRow, now: float) -> Table:
    name = Text()
    name.append(f"{position} " if position <= 9 else "  ", style="dim")
    name.append_text(inert_text(chat.customer_name, "bold"))
    if chat.vip:
        name.append(" VIP", style="bold yellow")
    if chat.high_risk:
        name.append(" ⚠ high risk", style="bold white on red")
    name.append_text(inert_text(f" · {chat.channel}", "dim"))
    badge = Text(f" {chat.unread} ", style="bold reverse") if chat.unread else Text("")

    preview = inert_text(chat.last_message_preview.replace("\n", " "), "dim" if chat.state == "closed" else "")
    if chat.waiting_since is not None:
        waited = now - chat.waiting_since
        style = "bold red" if waited > FIRST_RESPONSE_SECONDS else "yellow"
        waiting = Text(format_waiting(waited), style=style)
    else:
        waiting = Text("closed" if chat.state == "closed" else "", style="dim")

    grid = Table.grid(expand=True, padding=(0, 1))
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(name, badge)
    grid.add_row(preview, waiting)
    return grid


class ChatList(OptionList):
    """Posts ChatList.Selected when the agent moves the highlight; programmatic changes post nothing."""

    DEFAULT_CSS = """
    ChatList { width: 40; }
    ChatList > .option-list--option { padding: 0 1; }
    """

    @dataclass
    class Selected(Message):
        chat_id: str

    def __init__(self, clock: Callable[[], float], **kwargs):
        super().__init__(**kwargs)
        self._clock = clock
        self._chats: list[ChatRow] = []

    def on_mount(self) -> None:
        # Waiting times are live countdowns; one repaint a second is what the agent perceives anyway.
        self.set_interval(1.0, self._refresh_rows)

    @property
    def chat_ids(self) -> list[str]:
        return [chat.id for chat in self._chats]

    def show(self, chats: Sequence[ChatRow], selected_id: str | None) -> None:
        """Redraw the rows; the app owns which chat is selected, the list only mirrors it."""
        same_order = [c.id for c in chats] == self.chat_ids
        self._chats = list(chats)
        if same_order:
            self._refresh_rows()
        else:
            now = self._clock()
            with self.prevent(OptionList.OptionHighlighted):
                self.set_options(
                    Option(chat_row_renderable(i, chat, now), id=chat.id) for i, chat in enumerate(self._chats, 1)
                )
        self.select(selected_id)

    def select(self, chat_id: str | None) -> None:
        if chat_id in self.chat_ids:
            index = self.chat_ids.index(chat_id)
            if self.highlighted != index:
                with self.prevent(OptionList.OptionHighlighted):
                    self.highlighted = index

    def _refresh_rows(self) -> None:
        now = self._clock()
        for index, chat in enumerate(self._chats):
            self.replace_option_prompt_at_index(index, chat_row_renderable(index + 1, chat, now))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Selected(event.option.id))
