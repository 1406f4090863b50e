"""The transcript lays out only the newest screens of a long chat, and older ones as the agent scrolls up."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App, ComposeResult

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


async def test_a_long_chat_lays_out_only_its_newest_screens_then_older_ones_on_scrolling_up():
    app = TranscriptApp()
    async with app.run_test(size=(60, 20)) as pilot:
        transcript = app.query_one(Transcript)
        entries = history(2000)
        transcript.show(entries, "林小雨", "Agent")
        await pilot.pause()
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
    app = TranscriptApp()
    async with app.run_test(size=(60, 20)) as pilot:
        transcript = app.query_one(Transcript)
        entries = history(300)
        transcript.show(entries, "林小雨", "Agent")
        await pilot.pause()
        kept = list(transcript._blocks)
        transcript.show(entries + [Entry("new", "customer", "a new one", T0 + 400)], "林小雨", "Agent")
        await pilot.pause()
        assert all(a is b for a, b in zip(transcript._blocks, kept)), "the laid-out blocks are reused"
        assert "a new one" in transcript.plain_lines()[-2], "and the view follows the newest message"
