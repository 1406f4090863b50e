"""The transcript of one chat, drawn with the Line API: only lines in view are painted.

Each message is wrapped once per width (by terminal cells, so CJK text wraps correctly) and cached by
(key, delivery state), so a new message or a delivery update renders one message, not the whole chat.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol, Sequence

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from quick_replies.order_numbers import find_order_numbers
from widgets.i18n import tr
from widgets.inert_text import inert_text
from widgets.transcript_attachments import AttachmentCursor, AttachmentItem, AttachmentLines, attachment_line
from widgets.transcript_notes import note_body, note_label, transfer_note
from widgets.transcript_paint import TranscriptPaint

DELIVERY_MARKS = {
    "sending": ("… sending", "yellow"),
    "sent": ("✓ sent", "green"),
    "rejected": ("✗ rejected", "bold red"),
}
ORDER_NUMBER_STYLE = "bold underline"
FOUND_STYLE = Style(bgcolor="grey30")  # a message scroll_to_message brought into view, for a moment
FOUND_SECONDS = 2.5


class TranscriptItem(Protocol):
    """What the transcript needs of a message (local_cache.models.TranscriptEntry fits)."""

    key: str
    author: str
    text: str
    created_at: float
    delivery: str | None
    error: str
    system_event: tuple[str, ...]  # ("transfer", to, note) or ("override", rules, reason): worded here
    private: bool  # an internal note: shown apart (widgets/transcript_notes.py)
    attachments: Sequence[AttachmentItem]  # one line each under the message (transcript_attachments.py)


def mark_order_numbers(body: Text) -> None:
    """Order numbers a customer wrote stand out (alt+o lists them first). Found in the text as shown, so a number
    the masking hid is not marked, and the marks fall where the inert stand-ins put the characters."""
    for mention in find_order_numbers(body.plain):
        body.stylize(ORDER_NUMBER_STYLE, mention.start, mention.end)


def clock_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%H:%M")


def system_line(entry: TranscriptItem) -> str:
    """A system line the console words itself, in the interface language; any other as the server wrote it."""
    kind, *values = entry.system_event or ("",)
    if kind == "transfer":
        to, note = values
        return tr("Transferred to {to}: {note}", to=to, note=note) if note else tr("Transferred to {to}", to=to)
    if kind == "override":
        rules, reason = values
        return tr("Sent despite {rules}: {reason}", rules=rules, reason=reason)
    return entry.text


class Transcript(AttachmentLines, TranscriptPaint, ScrollView, can_focus=True):
    """Only the newest messages are laid out at first (a few screens' worth); scrolling near the top lays out
    older ones, the way chat apps load earlier history. A new message or a delivery change lays out only the
    messages from the first one that differs, so cost follows what changed, not the length of the chat."""

    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 0 0 1; overflow-y: hidden; }
    Transcript > .transcript--thumb { color: $accent; }
    Transcript > .transcript--track { color: $panel-lighten-2; }
    """
    COMPONENT_CLASSES = {"transcript--thumb", "transcript--track"}  # the scroll indicator (transcript_paint.py)
    SCREENS_AHEAD = 2  # the viewport and one more: a page up is ready, and more is laid out as it is reached
    CACHE_ENTRIES = 20_000  # rendered messages kept across chats (switching back costs nothing)
    # While an attachment has the cursor (alt+a): ↑/↓ move it, Enter opens, p/space previews, Esc leaves. Without
    # one, ↑/↓ scroll as before.
    BINDINGS = [
        Binding("up", "attachment_cursor(-1)", "Previous attachment", show=False),
        Binding("down", "attachment_cursor(1)", "Next attachment", show=False),
        Binding("enter", "use_attachment(False)", "Open attachment", show=False),
        Binding("p,space", "use_attachment(True)", "Preview attachment", show=False),
        Binding("escape", "leave_attachments", "Back to the reply", show=False),
    ]

    @dataclass
    class AttachmentChosen(Message):
        """The agent asked to open (or preview) the attachment under the cursor."""

        transcript: Transcript
        attachment: AttachmentItem
        preview: bool

    @dataclass
    class LeaveRequested(Message):
        """Esc on the transcript: back to the composer; or a character typed there, for the composer."""

        transcript: Transcript
        typed: str = ""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._entries: list[TranscriptItem] = []
        self._customer_name = ""
        self._agent_name = ""
        self._first = 0  # index of the oldest entry laid out; entries before it are not rendered yet
        self._blocks: list[list[Strip]] = []  # per laid-out entry: its day rule (if any) and its lines
        self._lines: list[Strip] = []
        self._cache: dict[tuple, list[Strip]] = {}
        self._cache_width = 0
        # Set by the app: personal data in customer messages -> its masked form. Shown in clear only while
        # `revealed` (the app logs each reveal).
        self.mask: Callable[[str], str] | None = None
        self.revealed = False
        self._found_key: str | None = None  # the message scroll_to_message marked, until the mark fades
        self._attachment_cursor = AttachmentCursor()
        self._cursor_line: tuple[int, Strip, Strip] | None = None  # line shown highlighted: (index, own, shown)
        self.init_paint()

    def set_revealed(self, revealed: bool) -> None:
        if revealed != self.revealed:
            self.revealed = revealed
            self._relayout(follow=self.is_vertical_scroll_end)

    def show(self, entries: Sequence[TranscriptItem], customer_name: str, agent_name: str) -> None:
        entries = list(entries)
        same_chat = (customer_name, agent_name) == (self._customer_name, self._agent_name) and self._entries
        follow = self.is_vertical_scroll_end or not self._lines
        if not same_chat:
            self._customer_name, self._agent_name = customer_name, agent_name
            self._entries = entries
            self._relayout(follow=True)
            return
        # Keep the laid-out entries up to the first one that changed (usually: all of them).
        keep = self._unchanged_prefix(entries)
        if keep == len(entries) == len(self._entries):
            return  # nothing changed (the list and header catching up show the open chat again): no repaint
        if keep == 0 or keep < self._first:  # another chat, or history rewritten above what is laid out
            self._entries = entries
            self._relayout(follow=follow)
            return
        self._entries = entries
        width = self._width()
        kept_blocks = keep - self._first
        del self._lines[sum(len(block) for block in self._blocks[:kept_blocks]):]
        del self._blocks[kept_blocks:]
        fresh = [self._block(index, width) for index in range(keep, len(entries))]
        self._blocks.extend(fresh)
        self._lines.extend(strip for block in fresh for strip in block)
        self._publish(follow=follow, lines_added_above=0, lines_ready=True)

    def _unchanged_prefix(self, entries: list[TranscriptItem]) -> int:
        """How many leading entries are the ones already laid out. The caller passes the same objects for
        messages it has not re-read, so most are settled by identity in one C-speed pass; past them, compare."""
        old = self._entries
        identical = list(map(operator.is_, entries, old))
        keep = identical.index(False) if False in identical else len(identical)
        while keep < min(len(entries), len(old)) and self._same(entries[keep], old[keep]):
            keep += 1
        return keep

    @staticmethod
    def _same(a: TranscriptItem, b: TranscriptItem) -> bool:
        return a.key == b.key and a.delivery == b.delivery and a.text == b.text and (
            getattr(a, "attachments", ()) == getattr(b, "attachments", ()))

    def scroll_to_message(self, key: str) -> bool:
        """Bring the message `key` into view, laying out the older entries down to it, and mark it for a moment
        (history search opens a chat there). False if the transcript has no such message."""
        index = next((number for number, entry in enumerate(self._entries) if entry.key == key), None)
        if index is None:
            return False
        if self._first > index:
            self._lay_out_older(down_to=index)
        self._found_key = key
        self._repaint_entry(index)
        self._scroll_to_entry(key)
        # Again after the next layout if the range is not known yet. Its line is looked up again then: scrolling
        # near the top lays out older messages above it (watch_scroll_y), which moves it down.
        self.call_after_refresh(self._scroll_to_entry, key)
        self.set_timer(FOUND_SECONDS, lambda: self._unmark(key))
        return True

    def _scroll_to_entry(self, key: str) -> None:
        index = next((number for number, entry in enumerate(self._entries) if entry.key == key), None)
        if index is None or index < self._first:
            return
        top = sum(len(block) for block in self._blocks[:index - self._first])
        # A line or two of what came before, for context.
        self.scroll_to(y=max(0, top - 2), animate=False, immediate=True, force=True)

    def found_key(self) -> str | None:
        """The message marked by scroll_to_message, while its mark lasts (for tests)."""
        return self._found_key

    def _unmark(self, key: str) -> None:
        if self._found_key != key:
            return
        self._found_key = None
        index = next((number for number, entry in enumerate(self._entries) if entry.key == key), None)
        if index is not None and index >= self._first:
            self._repaint_entry(index)

    def _repaint_entry(self, index: int) -> None:
        """One laid-out entry rendered again (its mark changed); its line count stays."""
        position = index - self._first
        self._blocks[position] = self._block(index, self._width())
        self._publish(follow=False, lines_added_above=0)

    def plain_lines(self) -> list[str]:
        """The laid-out transcript as text, as the agent sees it (for tests and copy)."""
        return [strip.text.rstrip() for strip in self._lines]

    def on_resize(self) -> None:
        self._relayout(follow=self.is_vertical_scroll_end)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._first > 0 and new_value < self.scrollable_content_region.height:
            self.call_later(self._lay_out_older)

    def _width(self) -> int:
        width = max(10, self.scrollable_content_region.width - 2)  # a gap, then the scroll indicator
        if width != self._cache_width:
            self._cache.clear()
            self._cache_width = width
        return width

    def _relayout(self, follow: bool) -> None:
        """Start again from the newest entries (a new chat, width, or reveal)."""
        self._first = len(self._entries)
        self._blocks = []
        self._lay_out_older(follow=follow)

    def _lay_out_older(self, follow: bool = False, down_to: int | None = None) -> None:
        """A few screens more of older entries; with `down_to`, at least down to that entry (in one layout)."""
        width = self._width()
        wanted = max(1, self.scrollable_content_region.height) * self.SCREENS_AHEAD
        older: list[list[Strip]] = []
        added = 0
        while self._first > 0 and (added < wanted or not older or (down_to is not None and self._first > down_to)):
            self._first -= 1
            block = self._block(self._first, width)
            older.append(block)
            added += len(block)
        if older:
            self._blocks[:0] = older[::-1]
        self._publish(follow=follow, lines_added_above=0 if follow else added)

    def _publish(self, follow: bool, lines_added_above: int, lines_ready: bool = False) -> None:
        if not lines_ready:
            self._lines = [strip for block in self._blocks for strip in block]
        self._set_virtual_size(Size(self._cache_width, len(self._lines)))
        self.refresh()
        # force: the message that first overflows the view arrives before Textual has decided the transcript
        # scrolls at all, and an unforced scroll is then ignored: the view stayed at the top from then on.
        if follow:
            if self.max_scroll_y >= len(self._lines) - self.scrollable_content_region.height > 0:
                self.scroll_end(animate=False, immediate=True, force=True)
            else:
                # The scroll range is not known yet (first show, or a resize lays the screen out again):
                # Textual scrolls after that refresh.
                self.scroll_end(animate=False, force=True)
        elif lines_added_above:  # the lines in view stay where they were
            self.scroll_to(y=self.scroll_y + lines_added_above, animate=False, immediate=True, force=True)
        if len(self._cache) > self.CACHE_ENTRIES:
            self._cache.clear()
        self._paint_attachment_cursor()

    def _set_virtual_size(self, size: Size) -> None:
        """Setting virtual_size re-lays out the whole screen (every widget repainted: ~10 ms at 160x50). A longer
        transcript only needs that when its scrollbar appears or goes; otherwise update the scroll range and
        the scrollbar in place: with the private Widget._scroll_update, as Textual has no public way to change
        a scroll range without a layout of the whole screen."""
        if size == self.virtual_size:
            return
        viewport = self.scrollable_content_region.height
        same_bars = viewport and (size.height > viewport) == (self.virtual_size.height > viewport) and (
            size.width == self.virtual_size.width)
        if same_bars:
            self.set_reactive(Transcript.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def _block(self, index: int, width: int) -> list[Strip]:
        entry = self._entries[index]
        day = datetime.fromtimestamp(entry.created_at).date()
        block = []
        if index == 0 or datetime.fromtimestamp(self._entries[index - 1].created_at).date() != day:
            # A day rule before the first message of each day: message times show only HH:MM.
            block.append(self._day_rule(day.isoformat(), width))
        masked = entry.author == "customer" and self.mask is not None and not self.revealed
        name = self._customer_name if entry.author == "customer" else self._agent_name
        found = entry.key == self._found_key
        key = (entry.key, entry.delivery, entry.text, name, masked, found, tuple(getattr(entry, "attachments", ())))
        if key not in self._cache:
            strips = self._render_entry(entry, width)
            self._cache[key] = [strip.apply_style(FOUND_STYLE) for strip in strips] if found else strips
        return block + self._cache[key]

    def _day_rule(self, day: str, width: int) -> Strip:
        key = ("day", day)
        if key not in self._cache:
            label = f" {day} "
            side = max(0, (width - len(label)) // 2)
            rule = Text("─" * side + label + "─" * max(0, width - side - len(label)), style="dim")
            self._cache[key] = [self._strip(rule, self.app.console)]
        return self._cache[key][0]

    def _render_entry(self, entry: TranscriptItem, width: int) -> list[Strip]:
        console = self.app.console
        if entry.author == "system":
            # A transfer's note is a note: under the line, in the note's look.
            kind, *values = entry.system_event or ("",)
            note = values[1] if kind == "transfer" else ""
            # Inert as a whole: the note, the reason and the server's text are all typed by someone.
            body = inert_text(tr("Transferred to {to}", to=values[0]) if note else system_line(entry), "italic dim")
            body.append(f"  {clock_time(entry.created_at)}", style="dim")
            if entry.delivery == "sending":  # a transfer still in the outbox
                label, style = DELIVERY_MARKS["sending"]
                body.append(f"  {tr(label)}", style=style)
            lines = [*body.wrap(console, width), *(transfer_note(note, console, width) if note else ())]
            return [self._strip(line, console) for line in lines] + [Strip.blank(width)]
        # An item type of its own (a test's, another screen's) may predate notes: none of its entries is one.
        private = getattr(entry, "private", False)
        header = note_label() if private else Text()
        if entry.author == "customer":
            header.append_text(inert_text(self._customer_name or tr("Customer"), "bold cyan"))
        else:
            header.append_text(inert_text(self._agent_name or tr("You"), "bold green"))
        header.append(f"  {clock_time(entry.created_at)}", style="dim")
        if entry.delivery in DELIVERY_MARKS:
            label, style = DELIVERY_MARKS[entry.delivery]
            header.append(f"  {tr(label)}", style=style)
            if entry.delivery == "rejected" and entry.error:
                header.append_text(inert_text(f": {entry.error}", style))
        shown = entry.text
        if entry.author == "customer" and self.mask is not None and not self.revealed:
            shown = self.mask(entry.text)
        strips = [self._strip(line, console) for line in header.wrap(console, width)]
        attachments = getattr(entry, "attachments", ())
        if private:
            strips += [self._strip(line, console) for line in note_body(shown, console, width)]
        elif shown or not attachments:  # a bare photo has no text: its attachment line is the body
            body = inert_text(shown)
            if entry.author == "customer":
                mark_order_numbers(body)
            strips += [self._strip(Text("  ") + line, console) for line in body.wrap(console, width - 2)]
        masked = entry.author == "customer" and self.mask is not None and not self.revealed
        strips += [self._strip(attachment_line(attachment, width, self.mask if masked else None), console)
                   for attachment in attachments]
        return strips + [Strip.blank(width)]

    @staticmethod
    def _strip(line: Text, console) -> Strip:
        line.end = ""
        return Strip(list(line.render(console)))
