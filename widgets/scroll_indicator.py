"""Where the view is in a long transcript, drawn as one column of the transcript's own rows.

Textual's ScrollBar is a widget of its own: whenever a chat grows by a message, every one of its rows was
rendered again (about 1.5 ms of a 5 ms append at 160x50). Drawn inside the transcript's rows, it costs a
segment per row, and rows whose mark did not change keep their painted form.
"""

from __future__ import annotations

THUMB, TRACK = "┃", "│"


def thumb_rows(viewport: int, above: float, laid_out: int, top: float) -> range | None:
    """Rows of the viewport that show the thumb, or None when everything fits.

    `above` estimates the lines of older messages not laid out yet (the transcript lays out a chat's newest
    screens first), so the thumb shows the place in the whole chat, not only in what is laid out."""
    total = above + laid_out
    if viewport <= 0 or total <= viewport:
        return None
    size = max(1, min(viewport, round(viewport * viewport / total)))
    position = min(1.0, max(0.0, (above + top) / (total - viewport)))
    start = round(position * (viewport - size))
    return range(start, start + size)


def line_at_pointer(row: int, viewport: int, above: float, laid_out: int) -> float:
    """The laid-out line to put at the top of the view when the pointer is at `row` of the indicator;
    negative when that place is among the older messages not laid out yet."""
    total = above + laid_out
    fraction = min(1.0, max(0.0, row / max(1, viewport - 1)))
    return fraction * max(0.0, total - viewport) - above
