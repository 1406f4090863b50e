"""The transcript of one chat, drawn with the Line API: only lines in view are painted.

Each message is wrapped once per width (by terminal cells, so CJK text wraps correctly) and cached by
(key, delivery state), so a new message or a delivery update renders one message, not the whole chat.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Protocol, Sequence

from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.inert_text import inert_text

DELIVERY_MARKS = {
    "sending": ("… sending", "yellow"),
    "sent": ("✓ sent", "green"),
    "rejected": ("✗ rejected", "bold red"),
}


class TranscriptItem(Protocol):
    """What the transcript needs of a message (local_cache.models.TranscriptEntry fits)."""

    key: str
    author: str
    text: str
    created_at: float
    delivery: str | None
    error: str


def clock_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%H:%M")


class Transcript(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 1; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._entries: list[TranscriptItem] = []
        self._customer_name = ""
        self._agent_name = ""
        self._lines: list[Strip] = []
        self._cache: dict[tuple[str, str | None], list[Strip]] = {}
        self._cache_width = 0
        # Set by the app: personal data in customer messages -> its masked form. Shown in clear only while
        # `revealed` (the app logs each reveal).
        self.mask: Callable[[str], str] | None = None
        self.revealed = False

    def set_revealed(self, revealed: bool) -> None:
        if revealed != self.revealed:
            self.revealed = revealed
            self._cache.clear()
            self._layout_lines(follow=self.is_vertical_scroll_end)

    def show(self, entries: Sequence[TranscriptItem], customer_name: str, agent_name: str) -> None:
        if (customer_name, agent_name) != (self._customer_name, self._agent_name):
            self._cache.clear()
        self._customer_name, self._agent_name = customer_name, agent_name
        self._entries = list(entries)
        self._layout_lines(follow=self.is_vertical_scroll_end or not self._lines)

    def plain_lines(self) -> list[str]:
        """The transcript as text, as the agent sees it (for tests and copy)."""
        return [strip.text.rstrip() for strip in self._lines]

    def on_resize(self) -> None:
        self._layout_lines(follow=self.is_vertical_scroll_end)

    def _layout_lines(self, follow: bool) -> None:
        width = max(10, self.scrollable_content_region.width)
        if width != self._cache_width:
            self._cache.clear()
            self._cache_width = width
        lines: list[Strip] = []
        previous_day = None
        for entry in self._entries:
            day = datetime.fromtimestamp(entry.created_at).date()
            if day != previous_day:
                # A day rule before the first message of each day: message times show only HH:MM.
                lines.append(self._day_rule(day.isoformat(), width))
                previous_day = day
            key = (entry.key, entry.delivery)
            if key not in self._cache:
                self._cache[key] = self._render_entry(entry, width)
            lines.extend(self._cache[key])
        self._lines = lines
        self.virtual_size = Size(width, len(lines))
        self.refresh()
        if follow:
            self.scroll_end(animate=False, immediate=True)

    def _day_rule(self, day: str, width: int) -> Strip:
        key = (f"day:{day}", None)
        if key not in self._cache:
            label = f" {day} "
            side = max(0, (width - len(label)) // 2)
            rule = Text("─" * side + label + "─" * max(0, width - side - len(label)), style="dim")
            self._cache[key] = [self._strip(rule, self.app.console)]
        return self._cache[key][0]

    def _render_entry(self, entry: TranscriptItem, width: int) -> list[Strip]:
        console = self.app.console
        if entry.author == "system":
            body = inert_text(entry.text, "italic dim")
            body.append(f"  {clock_time(entry.created_at)}", style="dim")
            return [self._strip(line, console) for line in body.wrap(console, width)] + [Strip.blank(width)]
        header = Text()
        if entry.author == "customer":
            header.append_text(inert_text(self._customer_name or "Customer", "bold cyan"))
        else:
            header.append_text(inert_text(self._agent_name or "You", "bold green"))
        header.append(f"  {clock_time(entry.created_at)}", style="dim")
        if entry.delivery in DELIVERY_MARKS:
            label, style = DELIVERY_MARKS[entry.delivery]
            header.append(f"  {label}", style=style)
            if entry.delivery == "rejected" and entry.error:
                header.append_text(inert_text(f": {entry.error}", style))
        shown = entry.text
        if entry.author == "customer" and self.mask is not None and not self.revealed:
            shown = self.mask(entry.text)
        body = inert_text(shown)
        strips = [self._strip(line, console) for line in header.wrap(console, width)]
        strips += [self._strip(Text("  ") + line, console) for line in body.wrap(console, width - 2)]
        return strips + [Strip.blank(width)]

    @staticmethod
    def _strip(line: Text, console) -> Strip:
        line.end = ""
        return Strip(list(line.render(console)))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        # The widget's own style underlies every segment, so message lines and gaps share one background.
        return self._lines[index].crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_style(
            self.rich_style
        )
