"""Containers that keep their painted lines paint what Textual would, after every kind of change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.geometry import Region
from textual.widgets import Static

from widgets.layout_containers import Pane


class PaneApp(App):
    CSS = "#pane { border-left: solid $accent; background: $panel; } #pane Static { height: 3; }"

    def compose(self) -> ComposeResult:
        with Pane(id="pane"):
            yield Static("inside")


def lines(pane: Pane, painter) -> list[list]:
    return [list(strip) for strip in painter(pane, Region(0, 0, *pane.outer_size))]


async def test_a_kept_paint_follows_theme_style_and_size_changes():
    app = PaneApp()
    async with app.run_test(size=(40, 12)) as pilot:
        pane = app.query_one(Pane)
        await pilot.pause()
        first = lines(pane, Pane.render_lines)
        assert lines(pane, Pane.render_lines) == first == lines(pane, Vertical.render_lines)

        app.theme = "textual-light"
        await pilot.pause()
        assert lines(pane, Pane.render_lines) != first
        assert lines(pane, Pane.render_lines) == lines(pane, Vertical.render_lines), "theme"

        pane.styles.background = "red"
        await pilot.pause()
        assert lines(pane, Pane.render_lines) == lines(pane, Vertical.render_lines), "inline style"

        await pilot.resize_terminal(30, 8)
        await pilot.pause()
        assert len(lines(pane, Pane.render_lines)) == 8
        assert lines(pane, Pane.render_lines) == lines(pane, Vertical.render_lines), "size"
