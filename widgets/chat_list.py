"""The chat list: one two-line row per chat, with unread count and a live countdown to its nearest deadline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from rich.table import Table
from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from widgets.inert_text import inert_text

DEADLINE_STYLES = {"calm": "green", "warning": "bold black on yellow", "breached": "bold white on red"}


class DeadlineRow(Protocol):
    """A chat's nearest running limit (local_cache.sla.Deadline fits)."""

    kind: str  # reply | handle
    label: str  # "reply" or the priority
    due: float
    warn_at: float

    def status(self, now: float) -> str: ...


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


def format_waiting(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


def countdown(chat: ChatRow, deadline: DeadlineRow | None, now: float) -> Text:
    """`reply 0:12`: time left to answer; `urgent 4:31`: to handle at that priority; `late` once breached."""
    if deadline is None:
        return Text(chat.state.replace("_", " ") if chat.state != "in_progress" else "", style="dim")
    label = deadline.label
    status = deadline.status(now)
    left = deadline.due - now
    shown = f"{label} late {format_waiting(-left)}" if status == "breached" else f"{label} {format_waiting(left)}"
    return Text(shown, style=DEADLINE_STYLES[status])


def chat_row_renderable(position: int, chat: ChatRow, deadline: DeadlineRow | None, now: float) -> Table:
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
    waiting = countdown(chat, deadline, now)

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
        self._deadlines: dict[str, DeadlineRow | None] = {}

    def on_mount(self) -> None:
        # Waiting times are live countdowns; one repaint a second is what the agent perceives anyway.
        self.set_interval(1.0, self.refresh_countdowns)

    @property
    def chat_ids(self) -> list[str]:
        return [chat.id for chat in self._chats]

    def show(
        self, chats: Sequence[ChatRow], selected_id: str | None, deadlines: dict[str, DeadlineRow | None] | None = None
    ) -> None:
        """Redraw the rows in the order given; the app owns which chat is selected, the list only mirrors it."""
        same_order = [c.id for c in chats] == self.chat_ids
        self._chats = list(chats)
        self._deadlines = deadlines or {}
        if same_order:
            self.refresh_countdowns()
        else:
            now = self._clock()
            with self.prevent(OptionList.OptionHighlighted):
                self.set_options(
                    Option(self._row(i, chat, now), id=chat.id) for i, chat in enumerate(self._chats, 1)
                )
        self.select(selected_id)

    def select(self, chat_id: str | None) -> None:
        if chat_id in self.chat_ids:
            index = self.chat_ids.index(chat_id)
            if self.highlighted != index:
                with self.prevent(OptionList.OptionHighlighted):
                    self.highlighted = index

    def refresh_countdowns(self) -> None:
        now = self._clock()
        for index, chat in enumerate(self._chats):
            self.replace_option_prompt_at_index(index, self._row(index + 1, chat, now))

    def _row(self, position: int, chat: ChatRow, now: float) -> Table:
        return chat_row_renderable(position, chat, self._deadlines.get(chat.id), now)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Selected(event.option.id))
