"""The chat list: one two-line row per chat, with unread count and a live countdown to its nearest deadline."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.i18n import tr
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
    complaint_risk: str
    unchecked: int
    unread: int
    created_at: float


def format_waiting(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


def countdown_parts(chat: ChatRow, deadline: DeadlineRow | None, now: float) -> tuple[str, str]:
    """(text, style): `reply 0:12`: time left to answer; `urgent 4:31`: to handle at that priority; `late` once
    breached; the state of a chat with no running limit."""
    if deadline is None:
        return (tr(chat.state.replace("_", " ")) if chat.state != "in_progress" else ""), "dim"
    label = tr(deadline.label)
    status = deadline.status(now)
    left = deadline.due - now
    if status == "breached":
        return tr("{label} late {time}", label=label, time=format_waiting(-left)), DEADLINE_STYLES[status]
    return f"{label} {format_waiting(left)}", DEADLINE_STYLES[status]


def countdown(chat: ChatRow, deadline: DeadlineRow | None, now: float) -> Text:
    return Text(*countdown_parts(chat, deadline, now))


def started_label(started_at: float, now: float) -> str:
    """When the chat began: the time today, the date before (a chat's start tells two chats of one customer
    apart, and says how long it has run)."""
    started = datetime.fromtimestamp(started_at)
    return started.strftime("%H:%M" if started.date() == datetime.fromtimestamp(now).date() else "%m-%d")


def short_id(chat_id: str) -> str:
    return "#" + chat_id[-4:]


def chat_row_parts(position: int, chat: ChatRow, deadline: DeadlineRow | None, now: float, *, number_width: int = 1,
                   same_name_twice: bool = False) -> list[tuple[Text, Text]]:
    """The row's two lines, each as (left text, right-aligned text). Every row shows its position (alt+1…9
    reach the first nine; the others are there to be referred to), right-aligned so the names line up.
    `same_name_twice`: another row has this customer on this channel: the chat's short id tells them apart."""
    name = Text()
    name.append(f"{position:>{number_width}} ", style="dim")
    name.append_text(inert_text(chat.customer_name, "bold"))
    if chat.vip:
        name.append(" VIP", style="bold yellow")
    if chat.high_risk:  # the safety mark says it all: escalate now
        name.append(tr(" ⚠ high risk"), style="bold white on red")
    else:
        if chat.complaint_risk:  # answer with care, no escalation: less alarming than the safety mark
            name.append(tr(" ! complaint risk"), style="bold black on yellow")
        if chat.unchecked:
            name.append(tr(" ⚠ not checked"), style="bold black on yellow")
    name.append_text(inert_text(f" · {chat.channel}", "dim"))
    if same_name_twice:
        name.append_text(inert_text(f" {short_id(chat.id)}", "dim"))
    badge = Text(started_label(chat.created_at, now), style="dim")
    if chat.unread:
        badge.append(" ")
        badge.append(f" {chat.unread} ", style="bold reverse")

    preview = inert_text(chat.last_message_preview.replace("\n", " "), "dim" if chat.state == "closed" else "")
    return [(name, badge), (preview, countdown(chat, deadline, now))]


def fit_line(left: Text, right: Text, width: int) -> Text:
    """`left` cut with an ellipsis (by terminal cells: a Chinese character is two) so `right` fits at the end."""
    room = max(0, width - right.cell_len - (1 if right.cell_len else 0))
    line = left.copy()
    line.truncate(room, overflow="ellipsis", pad=True)
    if right.cell_len:
        line.append(" ")
        line.append_text(right)
    line.truncate(width, pad=True)
    return line


class ChatList(ScrollView, can_focus=True):
    """Two lines per chat, drawn with the Line API from rows rendered once per change: a new message or a
    countdown tick re-renders only the rows whose text changed, not the list. Closed chats are left out unless
    `showing_closed` (the list is the agent's work; a closed chat comes back when its customer writes again).

    Posts ChatList.Selected when the agent moves the highlight (up/down, home/end, click); programmatic changes
    (`select`) post nothing."""

    DEFAULT_CSS = """
    ChatList { width: 40; padding: 0 1; }
    ChatList > .chat-list--highlight { background: $block-cursor-blurred-background; }
    ChatList:focus > .chat-list--highlight { background: $block-cursor-background; }
    """
    COMPONENT_CLASSES = {"chat-list--highlight"}
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("home", "move_to(0)", show=False),
        Binding("end", "move_to(-1)", show=False),
        Binding("enter", "open", "Open chat", show=False),
    ]
    ROW_HEIGHT = 2

    @dataclass
    class Selected(Message):
        chat_id: str

    @dataclass
    class Opened(Message):
        """Enter on a row: the agent means to answer this chat (the app moves the focus to its composer)."""

        chat_id: str

    def __init__(self, clock: Callable[[], float], **kwargs):
        super().__init__(**kwargs)
        self._clock = clock
        self._chats: list[ChatRow] = []  # the rows shown, in order: what alt+1…9 and the positions count
        self.showing_closed = False
        self._deadlines: dict[str, DeadlineRow | None] = {}
        self._rows: dict[str, tuple[tuple, list[Strip]]] = {}  # chat id -> (what it shows, its rendered lines)
        self.highlighted: int | None = None

    def on_mount(self) -> None:
        # Waiting times are live countdowns; one repaint a second is what the agent perceives anyway.
        self.set_interval(1.0, self.refresh_countdowns)

    @property
    def chat_ids(self) -> list[str]:
        return [chat.id for chat in self._chats]

    def show(
        self, chats: Sequence[ChatRow], selected_id: str | None, deadlines: dict[str, DeadlineRow | None] | None = None
    ) -> None:
        """Redraw in the order given; the app owns which chat is selected, the list only mirrors it."""
        self._chats = [chat for chat in chats if self.showing_closed or chat.state != "closed"]
        self._deadlines = deadlines or {}
        self._rows = {chat_id: row for chat_id, row in self._rows.items() if chat_id in self._deadlines}
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._chats) * self.ROW_HEIGHT)
        self.select(selected_id)
        self.refresh_countdowns()

    def select(self, chat_id: str | None) -> None:
        index = self.chat_ids.index(chat_id) if chat_id in self.chat_ids else None
        if index != self.highlighted:
            # Only the rows losing and gaining the highlight change: repainting all of them cost 8 of a chat
            # switch's ~40 ms (benchmarks/ui_scale.py, 30 chats).
            for row in (self.highlighted, index):
                if row is not None:
                    self.refresh_lines(row * self.ROW_HEIGHT, self.ROW_HEIGHT)
            self.highlighted = index
        if index is not None:
            self.scroll_to_region(Region(0, index * self.ROW_HEIGHT, 1, self.ROW_HEIGHT), animate=False,
                                  immediate=True)

    def refresh_countdowns(self) -> None:
        """Re-render the rows whose text changed (each second, the ones with a running countdown)."""
        now = self._clock()
        width = max(10, self.scrollable_content_region.width)
        number_width = len(str(len(self._chats)))
        names = Counter((chat.customer_name, chat.channel) for chat in self._chats)
        for position, chat in enumerate(self._chats, 1):
            deadline = self._deadlines.get(chat.id)
            same_name_twice = names[chat.customer_name, chat.channel] > 1
            shown = (position, chat, width, countdown_parts(chat, deadline, now), number_width, same_name_twice,
                     started_label(chat.created_at, now))
            cached = self._rows.get(chat.id)
            if cached is None or cached[0] != shown:
                parts = chat_row_parts(position, chat, deadline, now, number_width=number_width,
                                       same_name_twice=same_name_twice)
                self._rows[chat.id] = (shown, self._render_row(parts, width))
                self.refresh_lines((position - 1) * self.ROW_HEIGHT, self.ROW_HEIGHT)

    def _render_row(self, parts: list[tuple[Text, Text]], width: int) -> list[Strip]:
        console = self.app.console
        strips = []
        for left, right in parts:
            line = fit_line(left, right, width)
            line.end = ""
            strips.append(Strip(list(line.render(console)), width))
        return strips

    def row_text(self, index: int) -> str:
        """A row as the agent reads it, its two lines joined by " | " (for tests)."""
        strips = self._rows[self._chats[index].id][1]
        return " | ".join(strip.text.rstrip() for strip in strips)

    def countdown_style(self, index: int) -> str:
        chat = self._chats[index]
        return str(countdown(chat, self._deadlines.get(chat.id), self._clock()).style)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        line = scroll_y + y
        index, row_line = divmod(line, self.ROW_HEIGHT)
        width = self.scrollable_content_region.width
        if index >= len(self._chats) or self._chats[index].id not in self._rows:
            return Strip.blank(width, self.rich_style)
        strip = self._rows[self._chats[index].id][1][row_line]
        style = self.rich_style
        if index == self.highlighted:
            style += self.get_component_rich_style("chat-list--highlight")
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(style)

    def on_resize(self) -> None:
        self._rows.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._chats) * self.ROW_HEIGHT)
        self.refresh_countdowns()

    def action_move(self, step: int) -> None:
        if self._chats:
            current = self.highlighted if self.highlighted is not None else (-1 if step > 0 else 0)
            self._choose(max(0, min(len(self._chats) - 1, current + step)))

    def action_move_to(self, index: int) -> None:
        if self._chats:
            self._choose(index % len(self._chats))

    def action_open(self) -> None:
        if self.highlighted is not None and self.highlighted < len(self._chats):
            self.post_message(self.Opened(self._chats[self.highlighted].id))

    def on_click(self, event) -> None:
        index = (event.y + self.scroll_offset.y) // self.ROW_HEIGHT
        if 0 <= index < len(self._chats):
            self._choose(index)

    def _choose(self, index: int) -> None:
        if index != self.highlighted:
            self.select(self._chats[index].id)
            self.post_message(self.Selected(self._chats[index].id))
