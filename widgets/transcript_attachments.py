"""Attachment lines in the transcript, and the cursor that moves among them.

Under a message, one line per file: a label, the name, the type, the size and the URL, all inert (a customer's
name or link may carry escapes or markup) and cut to one line, so line j of a message's n attachments is always
the message's (n - j)th line from its end, before the gap. The full link is in the attachment dialog.

alt+a puts the cursor on the newest attachment of the open chat; ↑/↓ move it; Enter opens, p or space previews,
Esc goes back to the composer. The cursor is kept by (message key, index), so a new message or a relayout keeps it
on the same file.
"""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip

from widgets.i18n import tr
from widgets.inert_text import inert

CURSOR_STYLE = "reverse"


class AttachmentItem(Protocol):
    """What the transcript needs of an attachment (local_cache.models.Attachment fits)."""

    name: str
    type: str
    size: int
    url: str


def human_size(size: int) -> str:
    if size <= 0:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return "?"


def kind_label(kind: str) -> str:
    main = kind.split("/", 1)[0].lower()
    return {"image": tr("Image"), "video": tr("Video"), "audio": tr("Audio")}.get(main, tr("File"))


def attachment_line(attachment: AttachmentItem, width: int, mask: Callable[[str], str] | None = None) -> Text:
    """One line: `  ▣ Image  name · type · size · url`, cut with … to `width` cells. `mask`: personal data in a
    customer's file name or link (a phone number as the name) is masked like the message text until f9."""
    name, url = (mask(attachment.name), mask(attachment.url)) if mask else (attachment.name, attachment.url)
    line = Text("  ")
    line.append(f"▣ {kind_label(attachment.type)} ", style="bold magenta")
    line.append(inert(name), style="bold")
    details = " · ".join(part for part in (inert(attachment.type), human_size(attachment.size)) if part)
    line.append(f" · {details}", style="dim")
    line.append(" · ")
    line.append(inert(url), style="underline dim")  # plain text: not a terminal hyperlink
    if cell_len(line.plain) > width:
        line.truncate(width, overflow="ellipsis")
    line.no_wrap = True
    return line


class Entry(Protocol):
    key: str
    attachments: Sequence[AttachmentItem]


class AttachmentCursor:
    """Which attachment line has the cursor, by (message key, index among its attachments)."""

    def __init__(self) -> None:
        self.at: tuple[str, int] | None = None

    @staticmethod
    def positions(entries: Sequence[Entry]) -> list[tuple[int, int]]:
        """(entry index, attachment index) of every attachment, oldest first."""
        return [(index, number) for index, entry in enumerate(entries)
                for number in range(len(getattr(entry, "attachments", ()) or ()))]

    def newest(self, entries: Sequence[Entry]) -> bool:
        positions = self.positions(entries)
        if not positions:
            self.at = None
            return False
        index, number = positions[-1]
        self.at = (entries[index].key, number)
        return True

    def move(self, entries: Sequence[Entry], step: int) -> bool:
        """One attachment older (-1) or newer (+1); False at either end (the cursor stays)."""
        positions = self.positions(entries)
        current = self.position(entries)
        if current is None or current not in positions:
            return self.newest(entries)
        target = positions.index(current) + step
        if not 0 <= target < len(positions):
            return False
        index, number = positions[target]
        self.at = (entries[index].key, number)
        return True

    def position(self, entries: Sequence[Entry]) -> tuple[int, int] | None:
        """(entry index, attachment index) of the cursor, or None (no cursor, or its message is gone)."""
        if self.at is None:
            return None
        key, number = self.at
        for index in range(len(entries) - 1, -1, -1):
            if entries[index].key == key:
                return (index, number) if number < len(getattr(entries[index], "attachments", ()) or ()) else None
        return None

    def selected(self, entries: Sequence[Entry]) -> AttachmentItem | None:
        found = self.position(entries)
        return None if found is None else entries[found[0]].attachments[found[1]]

    def clear(self) -> None:
        self.at = None


class AttachmentLines:
    """Mixin for the Transcript: the attachment cursor on its laid-out lines. It reads the transcript's `_entries`,
    `_first`, `_blocks` and `_lines` and keeps `_attachment_cursor` and `_cursor_line`."""

    def focus_newest_attachment(self) -> bool:
        """The cursor on the chat's newest attachment, in view; False when the chat has none."""
        if not self._attachment_cursor.newest(self._entries):
            return False
        self._show_attachment_cursor()
        return True

    def selected_attachment(self) -> AttachmentItem | None:
        return self._attachment_cursor.selected(self._entries)

    def action_attachment_cursor(self, step: int) -> None:
        if self._attachment_cursor.at is None:
            self.scroll_up() if step < 0 else self.scroll_down()
        elif self._attachment_cursor.move(self._entries, step):
            self._show_attachment_cursor()

    def action_use_attachment(self, preview: bool) -> None:
        attachment = self.selected_attachment()
        if attachment is not None:
            self.post_message(self.AttachmentChosen(self, attachment, preview))

    def action_leave_attachments(self) -> None:
        self.post_message(self.LeaveRequested(self))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Enter, p, space and Esc are the cursor's only while it is on an attachment: otherwise they go on to the
        screen (Esc closes a read-only chat)."""
        if action in ("use_attachment", "leave_attachments"):
            return self._attachment_cursor.at is not None
        return super().check_action(action, parameters)

    def on_key(self, event) -> None:
        """Any other character typed on an attachment is meant for the reply: the composer takes it, not lost."""
        if self._attachment_cursor.at is not None and event.is_printable and event.character not in ("p", " "):
            event.stop()
            event.prevent_default()
            self.post_message(self.LeaveRequested(self, event.character))

    def on_blur(self) -> None:
        if self._attachment_cursor.at is not None:
            self._attachment_cursor.clear()
            self._paint_attachment_cursor()

    def _show_attachment_cursor(self) -> None:
        position = self._attachment_cursor.position(self._entries)
        while position is not None and position[0] < self._first:  # an older message: lay out up to it
            self._lay_out_older()
        self._paint_attachment_cursor()
        line = self._attachment_line_index()
        if line is not None:
            self.scroll_to_region(Region(0, line, 1, 1), animate=False, immediate=True, force=True)

    def _attachment_line_index(self) -> int | None:
        position = self._attachment_cursor.position(self._entries)
        if position is None or position[0] < self._first:
            return None
        index, number = position
        block = index - self._first
        start = sum(len(lines) for lines in self._blocks[:block])
        count = len(self._entries[index].attachments)
        return start + len(self._blocks[block]) - 1 - count + number

    def _paint_attachment_cursor(self) -> None:
        """The cursor's line drawn highlighted: its strip in `_lines` is swapped for a highlighted copy (painting
        keeps rows by strip identity, so only that row is painted again), and the old one put back."""
        if self._cursor_line is None and self._attachment_cursor.at is None:
            return  # nearly always: no cursor, nothing to paint
        if self._cursor_line is not None:
            index, original, shown = self._cursor_line
            if index < len(self._lines) and self._lines[index] is shown:  # not laid out again since
                self._lines[index] = original
            self._cursor_line = None
        line = self._attachment_line_index()
        if line is not None and line < len(self._lines):
            original = self._lines[line]
            shown = Strip(list(Segment.apply_style(original, RichStyle.parse(CURSOR_STYLE))), original.cell_length)
            self._lines[line] = shown
            self._cursor_line = (line, original, shown)
        self.refresh()

