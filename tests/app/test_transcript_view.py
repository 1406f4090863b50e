"""The transcript lays out only the newest screens of a long chat, and older ones as the agent scrolls up."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.scroll_view import ScrollView

from widgets.scroll_indicator import THUMB, line_at_pointer, thumb_rows
from widgets.transcript import Transcript

T0 = 1_795_000_000.0


@dataclass
class Entry:
    key: str
    author: str
    text: str
    created_at: float
    delivery: str | None = None
    error: str = ""


def history(count: int) -> list[Entry]:
    return [Entry(f"m{n}", "customer" if n % 2 else "agent", f"message number {n}", T0 + n) for n in range(count)]


class TranscriptApp(App):
    def compose(self) -> ComposeResult:
        yield Transcript()


@asynccontextmanager
async def showing(entries: list[Entry], size: tuple[int, int] = (60, 20)):
    """An app whose transcript shows `entries`, laid out and painted."""
    app = TranscriptApp()
    async with app.run_test(size=size) as pilot:
        transcript = app.query_one(Transcript)
        transcript.show(entries, "林小雨", "Agent")
        await pilot.pause()
        yield pilot, transcript


async def test_a_long_chat_lays_out_only_its_newest_screens_then_older_ones_on_scrolling_up():
    async with showing(history(2000)) as (pilot, transcript):
        laid_out = transcript.plain_lines()
        assert "message number 1999" in laid_out[-2], "it opens at the newest message"
        assert len(laid_out) < 200, "not 2,000 messages' worth of lines"
        before = len(laid_out)
        transcript.scroll_home(animate=False)
        await pilot.pause()
        assert len(transcript.plain_lines()) > before, "scrolling up lays out older messages"
        for _ in range(200):
            if "message number 0" in "\n".join(transcript.plain_lines()):
                break
            transcript.scroll_home(animate=False)
            await pilot.pause()
        lines = transcript.plain_lines()
        assert any(line.strip() == "message number 0" for line in lines), "the whole history is reachable"
        assert sum(line.strip().startswith("message number") for line in lines) == 2000


async def test_a_new_message_is_appended_without_laying_out_the_rest_again():
    entries = history(300)
    async with showing(entries) as (pilot, transcript):
        kept = list(transcript._blocks)
        transcript.show(entries + [Entry("new", "customer", "a new one", T0 + 400)], "林小雨", "Agent")
        await pilot.pause()
        assert all(a is b for a, b in zip(transcript._blocks, kept)), "the laid-out blocks are reused"
        assert "a new one" in transcript.plain_lines()[-2], "and the view follows the newest message"


async def test_a_chat_that_grows_past_the_view_keeps_following_the_newest_message():
    # Regression: the message that first overflowed the view came before Textual allowed the transcript to
    # scroll, the follow was ignored, and the view stayed at the top for every later message.
    entries = history(2)
    async with showing(entries) as (pilot, transcript):
        for n in range(12):
            entries = entries + [Entry(f"new{n}", "customer", f"new message {n}", T0 + 400 + n)]
            transcript.show(entries, "林小雨", "Agent")
            await pilot.pause()
            assert transcript.is_vertical_scroll_end, f"following after message {n}"
        assert transcript.max_scroll_y > 0


class TwoTranscriptsApp(App):
    CSS = "Transcript { width: 1fr; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Transcript(id="grown")
            yield Transcript(id="fresh")


def painted_rows(transcript: Transcript) -> list[list]:
    return [list(strip) for strip in transcript.render_lines(Region(0, 0, *transcript.region.size))]


async def test_rows_kept_from_earlier_paints_are_what_a_fresh_paint_draws():
    app = TwoTranscriptsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        grown, fresh = app.query_one("#grown", Transcript), app.query_one("#fresh", Transcript)
        entries = history(10)  # with the appends, short enough for both to lay out all of it
        grown.show(entries, "林小雨", "Agent")
        await pilot.pause()
        for n in range(6):  # each append scrolls: most rows are kept, not styled again
            entries = entries + [Entry(f"new{n}", "customer", f"新消息 {n} " * (n + 1), T0 + 400 + n)]
            grown.show(entries, "林小雨", "Agent")
            await pilot.pause()
        grown.scroll_to(y=grown.scroll_y - 5, animate=False)
        await pilot.pause()
        fresh.show(entries, "林小雨", "Agent")
        await pilot.pause()
        fresh.scroll_to(y=grown.scroll_y, animate=False)
        await pilot.pause()
        assert fresh.scroll_y == grown.scroll_y > 0 and fresh.plain_lines() == grown.plain_lines()
        dark = painted_rows(grown)
        assert dark == painted_rows(fresh)
        app.theme = "textual-light"  # a new look is painted anew, not taken from the kept rows
        await pilot.pause()
        assert painted_rows(grown) != dark and painted_rows(grown) == painted_rows(fresh)
        assert THUMB in "".join(strip.text for strip in grown.render_lines(Region(0, 0, *grown.region.size)))


async def test_rows_put_together_by_the_transcript_are_the_ones_textual_paints():
    entries = history(40) + [Entry("zh", "customer", "您好，请问这款羽绒服还有M码吗？" * 3, T0 + 99)]
    async with showing(entries) as (pilot, transcript):
        app = pilot.app
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            region = Region(0, 0, *transcript.outer_size)
            transcript._styled = {}  # nothing kept: every row is put together now
            ours = [list(strip) for strip in transcript.render_lines(region)]
            textuals = [list(strip) for strip in ScrollView.render_lines(transcript, region)]
            assert ours == textuals, theme


def test_the_thumb_shows_the_place_in_the_whole_chat_not_only_in_what_is_laid_out():
    assert thumb_rows(viewport=20, above=0, laid_out=15, top=0) is None, "everything fits: no indicator"
    assert thumb_rows(viewport=20, above=0, laid_out=40, top=20) == range(10, 20), "at the end: the last rows"
    assert thumb_rows(viewport=20, above=0, laid_out=40, top=0) == range(0, 10)
    # 60 lines laid out of a chat estimated at 4,000: the top of the laid-out lines is near the bottom.
    assert thumb_rows(viewport=20, above=3940, laid_out=60, top=0) == range(19, 20)
    assert line_at_pointer(row=0, viewport=20, above=3940, laid_out=60) == -3940, "older than what is laid out"
    assert line_at_pointer(row=19, viewport=20, above=3940, laid_out=60) == 40, "the end"


async def test_dragging_the_indicator_scrolls_through_the_whole_chat():
    async with showing(history(2000)) as (pilot, transcript):
        laid_out = len(transcript.plain_lines())
        right_edge = transcript.region.width - 1
        await pilot.mouse_down(Transcript, offset=(right_edge, 0))
        await pilot.pause()
        assert len(transcript.plain_lines()) > laid_out, "the top of the indicator reaches for older messages"
        await pilot.hover(Transcript, offset=(right_edge, 19))
        await pilot.mouse_up(Transcript, offset=(right_edge, 19))
        await pilot.pause()
        assert transcript.is_vertical_scroll_end, "dragged to the bottom: the newest message"


async def test_keys_and_the_wheel_scroll_it_without_a_scrollbar_widget():
    async with showing(history(300)) as (pilot, transcript):
        transcript.focus()
        await pilot.pause()

        def lines_below() -> float:  # older lines laid out above change scroll_y, not this
            return transcript.max_scroll_y - transcript.scroll_y

        assert lines_below() == 0
        await pilot.press("pageup")
        assert lines_below() > 0
        paged_up = lines_below()
        transcript.post_message(events.MouseScrollDown(transcript, 1, 1, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert lines_below() < paged_up, "the wheel scrolls"
        await pilot.press("end")
        assert transcript.is_vertical_scroll_end
