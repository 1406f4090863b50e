"""Layout containers whose painted lines are kept until they change.

Textual renders every widget whose parent's region overlaps a changed region, so each frame that shows a
new message also rendered the containers around the transcript. Their lines come from Textual's line
cache, but are filtered and listed again each time: about 75 µs per container at 160x50, four per frame.
"""

from __future__ import annotations

from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.strip import Strip


class KeptPaint:
    """Keeps the last lines painted until the widget is refreshed or restyled, or the region asked for, its
    size or the app's line filters change. For containers only: content of their own would need refreshes
    that Textual does not promise."""

    _kept: tuple | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        key = (crop, self.size, tuple(map(id, self.get_line_filters())))
        if self._kept is not None and self._kept[0] == key:
            return self._kept[1]
        lines = super().render_lines(crop)
        self._kept = (key, lines)
        return lines

    def refresh(self, *regions, **options):
        self._kept = None
        return super().refresh(*regions, **options)

    def notify_style_update(self) -> None:
        self._kept = None
        super().notify_style_update()


class Pane(KeptPaint, Vertical):
    """A Vertical that keeps its painted lines."""


class Row(KeptPaint, Horizontal):
    """A Horizontal that keeps its painted lines."""
