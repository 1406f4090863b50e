"""How the transcript's laid-out lines become rows on screen, and its scroll indicator.

The transcript (widgets/transcript.py) lays messages out into `_lines`; this paints them. A new message
scrolls the view, so every row in view changes; Textual would style each again. Here rows are kept by
transcript line, and new ones are put together from segments (see `_paint_rows`).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.geometry import Region
from textual.strip import Strip

from widgets.scroll_indicator import THUMB, TRACK, line_at_pointer, thumb_rows


class TranscriptPaint:
    """Mixin for the Transcript (a ScrollView): painting and the scroll indicator. It reads the transcript's
    `_lines` (laid out), `_entries` (all) and `_first` (the oldest laid out)."""

    def init_paint(self) -> None:
        # Transcript line -> (its strip, the scroll mark beside it, the row as painted).
        self._styled: dict[int, tuple[Strip, str, Strip]] = {}
        self._styled_state: tuple = ()
        self._thumb: range | None = None
        self._marks: dict[str, Segment] = {}
        self._marks_style: tuple = ()
        self._dragging_thumb = False

    @property
    def allow_vertical_scroll(self) -> bool:
        """overflow-y is hidden, so Textual keeps no scrollbar widget for the transcript (a hidden one was still
        updated on every message, and that re-arranged the whole screen's map each frame); the wheel and the
        keys still scroll it."""
        return self.max_scroll_y > 0 and not self.disabled

    def render_lines(self, crop: Region) -> list[Strip]:
        """Textual keeps a widget's styled rows by screen row, so scrolling by one line styles every row in view
        again: most of what showing a new message cost. Styled rows are kept here by transcript line instead,
        and only rows showing a line not styled yet go through Textual (one span: usually the new lines)."""
        self._base_style = self.rich_style  # walks the ancestors: once per paint, not once per line
        self._thumb = self._thumb_rows()
        if self._marks_style != (self._base_style, self.app.theme):  # component styles walk ancestors too
            self._marks_style = (self._base_style, self.app.theme)
            self._marks = {" ": Segment(" ", self._base_style),
                           THUMB: Segment(THUMB, self._base_style + self.get_component_rich_style("transcript--thumb")),
                           TRACK: Segment(TRACK, self._base_style + self.get_component_rich_style("transcript--track"))}
        styles = self.styles
        if crop.column_span != (0, self.outer_size.width) or styles.gutter.top or styles.gutter.bottom:
            return super().render_lines(crop)  # rows would differ by position, not only by line
        state = (self.size, self.scroll_offset.x, self._base_style, self.background_colors, self.opacity,
                 tuple(map(id, self.get_line_filters())), tuple(self._marks.values()), styles.padding, styles.border,
                 styles.outline, styles.tint, styles.text_opacity)
        if state != self._styled_state:
            self._styled_state, self._styled = state, {}
        top = self.scroll_offset.y
        rows = [self._styled_row(top + y, self._mark(y)) for y in crop.line_range]
        missing = [y for y, row in zip(crop.line_range, rows) if row is None]
        if missing:
            span = Region(0, missing[0], crop.width, missing[-1] - missing[0] + 1)
            for y, row in zip(span.line_range, self._paint_rows(span)):
                rows[y - crop.y] = row
                if top + y < len(self._lines):
                    self._styled[top + y] = (self._lines[top + y], self._mark(y), row)
            if len(self._styled) > 4 * self.size.height:
                self._styled = {index: kept for index, kept in self._styled.items() if top <= index < top + crop.height}
        return rows

    def _paint_rows(self, span: Region) -> list[Strip]:
        """The rows of `span` as Textual paints them. While the CSS gives the transcript only colours and side
        padding (as it ships), they are put together here: through Textual each cost ~0.1 ms, the largest
        part of showing a new message. Anything more (a border, a tint, opacity, hatching) goes through Textual.
        tests/test_transcript_view.py checks that both give the same rows."""
        styles = self.styles
        plain = (self.opacity == 1 and styles.text_opacity == 1 and not styles.tint.a
                 and not any(edge for edge, _ in styles.border) and not any(edge for edge, _ in styles.outline)
                 and not (styles.has_rule("hatch") and styles.hatch != "none"))
        if not plain:
            return super().render_lines(span)
        base_background, background = self.background_colors
        blank = RichStyle(bgcolor=(base_background + background).rich_color)
        pad_left, pad_right = styles.padding.left, styles.padding.right
        width = self.outer_size.width
        filters = self.get_line_filters()
        rows = []
        for y in span.line_range:
            segments = self._row_segments(y)
            if pad_left:
                segments.insert(0, Segment(" " * pad_left, blank))
            if pad_right:
                segments.append(Segment(" " * pad_right, blank))
            row = Strip(segments, width)
            for line_filter in filters:
                row = row.apply_filter(line_filter, background)
            rows.append(row)
        return rows

    def _styled_row(self, index: int, mark: str) -> Strip | None:
        kept = self._styled.get(index)
        if kept is not None and index < len(self._lines) and kept[0] is self._lines[index] and kept[1] == mark:
            return kept[2]
        return None

    def render_line(self, y: int) -> Strip:
        return Strip(self._row_segments(y), self.size.width)

    def _row_segments(self, y: int) -> list[Segment]:
        """Row y of the content: its transcript line on the widget's own style (so message lines and the gaps
        between them share one background), then the scroll mark. Segments, not Strips: each Strip made costs
        about 10 µs (it sets up its caches), and a new row made three."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width - 1  # the text and its gap; the scroll mark is the last column
        style = getattr(self, "_base_style", None) or self.rich_style
        mark = self._marks.get(self._mark(y)) or Segment(" ", style)
        if index >= len(self._lines):
            return [Segment(" " * width, style), mark]
        line = self._lines[index]
        if scroll_x or line.cell_length > width:
            line = line.crop_extend(scroll_x, scroll_x + width, style)
        segments = list(Segment.apply_style(line, style))
        if line.cell_length < width:
            segments.append(Segment(" " * (width - line.cell_length), style))
        segments.append(mark)
        return segments

    # --- the scroll indicator ------------------------------------------------------------------------------

    def _thumb_rows(self) -> range | None:
        return thumb_rows(self.size.height, self._lines_above(), len(self._lines), self.scroll_offset.y)

    def _lines_above(self) -> float:
        """Older messages not laid out yet, in lines, estimated from the ones that are."""
        laid_out_entries = len(self._entries) - self._first
        return self._first * len(self._lines) / laid_out_entries if laid_out_entries > 0 else 0.0

    def _mark(self, y: int) -> str:
        if self._thumb is None:
            return " "
        return THUMB if y in self._thumb else TRACK

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if self._thumb is not None and event.x >= self.outer_size.width - 1:
            self._dragging_thumb = True
            self.capture_mouse()
            self._scroll_to_pointer(event.y)
            event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging_thumb:
            self._scroll_to_pointer(event.y)
            event.stop()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging_thumb:
            self._dragging_thumb = False
            self.release_mouse()
            event.stop()

    def _scroll_to_pointer(self, row: int) -> None:
        # A place among messages not laid out yet scrolls to the top, which lays out older ones (see watch_scroll_y).
        line = line_at_pointer(row, self.size.height, self._lines_above(), len(self._lines))
        self.scroll_to(y=max(0, round(line)), animate=False)
