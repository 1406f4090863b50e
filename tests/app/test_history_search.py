"""History search (alt+h) and a customer's previous chats (alt+v), against the real reference backend (Pilot).

Searching as the agent types, in Chinese and English, with the match marked; Enter on an open chat's old message
opens the chat there; Enter on a closed chat opens it read-only, where nothing can be sent; a slow search never
puts its list over a newer query's; customer text stays inert; the customer panel lists previous chats.
"""

from __future__ import annotations

import threading
import time
import uuid

import httpx
from textual.widgets import OptionList

from console.app import AgentConsoleApp
from local_cache.database import StoreError
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import type_text, wait_until
from widgets.screens.history_search import MATCH_STYLE, HistorySearchScreen, hit_prompt
from widgets.screens.prompts import ChoiceScreen
from widgets.screens.read_only_chat import ReadOnlyChatScreen

OLD_LINE = "保温杯盖子漏水，订单 DD20261120553"
HOSTILE = "refund \x1b[31mred\x1b[0m [bold]not markup[/bold] \x1b]52;c;ZXZpbA==\x07"


def close_chat(backend, chat_id: str) -> None:
    response = httpx.post(f"{backend.url}/api/v1/chats/{chat_id}/actions", json={"type": "close"},
                          headers={"Authorization": f"Bearer {backend.token}", "Idempotency-Key": uuid.uuid4().hex},
                          timeout=10)
    response.raise_for_status()


def seed(backend) -> dict[str, str]:
    """A returning customer (陈静: a closed chat about a refund, and an open one whose first message is far up)
    and another customer writing in English, one line of it hostile."""
    closed = backend.open_chat("陈静", "web", id="cu_chen")
    backend.customer_says(closed, "上次的退款还没到账")
    close_chat(backend, closed)
    open_chat = backend.open_chat("陈静", "web", id="cu_chen")
    backend.customer_says(open_chat, OLD_LINE)
    for number in range(80):
        backend.customer_says(open_chat, f"补充说明第 {number} 条")
    english = backend.open_chat("Emily Carter", "web")
    backend.customer_says(english, "I would like a refund for the mug")
    backend.customer_says(english, HOSTILE)
    return {"closed": closed, "open": open_chat, "english": english}


def make_app(tmp_path, backend) -> AgentConsoleApp:
    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token))


async def open_search(pilot, app) -> HistorySearchScreen:
    await pilot.press("alt+h")
    await wait_until(pilot, lambda: isinstance(app.screen, HistorySearchScreen), "the history search")
    return app.screen


async def search_for(pilot, screen: HistorySearchScreen, query: str) -> None:
    screen.query_one("Input").value = ""
    await type_text(pilot, query)
    await wait_until(pilot, lambda: screen.answered_query == query, f"the results for {query}")


async def synced(pilot, app, chats: dict[str, str]) -> None:
    await wait_until(pilot, lambda: set(chats.values()) <= set(app.desk.chats) and len(
        app.store.chats.transcript(chats["open"])) == 81, "every chat cached")


async def test_typing_searches_chinese_and_english_and_enter_opens_the_chat_at_the_message(tmp_path,
                                                                                     reference_backend):
    chats = seed(reference_backend)
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(140, 40)) as pilot:
        await synced(pilot, app, chats)
        screen = await open_search(pilot, app)
        await search_for(pilot, screen, "退款")
        assert [hit.chat_id for hit in screen.hits] == [chats["closed"]]
        row = hit_prompt(screen.hits[0])
        assert "陈静" in row.plain and "closed" in row.plain and "上次的退款还没到账" in row.plain
        marked = [row.plain[span.start:span.end] for span in row.spans if span.style == MATCH_STYLE]
        assert marked == ["退款"]

        await search_for(pilot, screen, "REFUND")
        assert {hit.chat_id for hit in screen.hits} == {chats["english"]}
        assert len(screen.hits) == 2, "any case"
        await search_for(pilot, screen, "zzz-nothing")
        assert screen.hits == [] and "No messages contain" in screen.status

        await search_for(pilot, screen, "漏水")
        assert [hit.chat_id for hit in screen.hits] == [chats["open"]]
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.screen.is_modal, "the search closed")
        transcript = app.desk.main_pane.transcript
        assert app.desk.current_chat_id == chats["open"]
        await wait_until(pilot, lambda: transcript.found_key() == screen.hits[0].message_id, "the message marked")
        await pilot.pause(0.1)
        in_view = transcript.plain_lines()[transcript.scroll_offset.y:][:transcript.size.height]
        assert any("漏水" in line for line in in_view), "scrolled up to the old message"


async def test_enter_on_a_closed_chat_opens_it_read_only_and_nothing_can_be_sent(tmp_path, reference_backend):
    chats = seed(reference_backend)
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(140, 40)) as pilot:
        await synced(pilot, app, chats)
        was_open = app.desk.current_chat_id
        screen = await open_search(pilot, app)
        await search_for(pilot, screen, "到账")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReadOnlyChatScreen), "the read-only chat")
        read_only = app.screen
        assert read_only.title_text.startswith("Read-only · closed chat of ")
        assert read_only.composer.disabled
        assert any("上次的退款还没到账" in line for line in read_only.transcript.plain_lines())
        await type_text(pilot, "hello")
        await pilot.press("enter")
        assert read_only.composer.text == "" and app.store.outbox.depth() == 0, "the composer refuses"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.is_modal, "back at the desk")
        assert app.desk.current_chat_id == was_open


async def test_a_slow_query_never_shows_over_a_newer_one(tmp_path, reference_backend):
    chats = seed(reference_backend)
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(140, 40)) as pilot:
        await synced(pilot, app, chats)
        search = app.desk.history_actions.search
        slow_done = threading.Event()

        def slow_for_chinese(query):
            if query == "退款":
                time.sleep(1.0)
                hits = search(query)
                slow_done.set()
                return hits
            return search(query)

        app.desk.history_actions.search = slow_for_chinese
        screen = await open_search(pilot, app)
        screen.query_one("Input").value = "退款"  # at once, as an input method commits a phrase
        await pilot.pause(0.4)  # past the debounce: the slow search is running
        results = screen.query_one(OptionList)
        assert screen.answered_query is None and screen.status == "Searching…"
        screen.query_one("Input").value = "refund"
        await wait_until(pilot, lambda: screen.answered_query == "refund", "the newer query's results")
        assert not results.has_class("-stale")
        await wait_until(pilot, lambda: slow_done.is_set(), "the slow search finished")
        await pilot.pause(0.2)
        assert screen.answered_query == "refund"
        assert {hit.chat_id for hit in screen.hits} == {chats["english"]}


async def test_customer_text_in_results_is_inert_and_a_store_error_is_said(tmp_path, reference_backend):
    chats = seed(reference_backend)
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(140, 40)) as pilot:
        await synced(pilot, app, chats)
        screen = await open_search(pilot, app)
        await search_for(pilot, screen, "not markup")
        row = hit_prompt(screen.hits[0])
        assert "\x1b" not in row.plain and "\x07" not in row.plain
        assert "␛[31mred" in row.plain and "[bold]not markup[/bold]" in row.plain
        assert [row.plain[span.start:span.end] for span in row.spans if span.style == MATCH_STYLE] == ["not markup"]

        def broken(query):
            raise StoreError("cannot read the local store agent.sqlite3: disk I/O error")

        screen._search = broken
        await type_text(pilot, "x")
        await wait_until(pilot, lambda: "Search failed" in screen.status, "the error")
        assert "disk I/O error" in screen.status and screen.query_one("Input").value == "not markupx"
        assert screen.hits == []


async def test_previous_chats_are_listed_and_open_read_only(tmp_path, reference_backend):
    chats = seed(reference_backend)
    chats["empty"] = reference_backend.open_chat("陈静", "web", id="cu_chen")  # the newest: no messages at all
    close_chat(reference_backend, chats["empty"])
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(160, 44)) as pilot:
        await synced(pilot, app, chats)
        app.desk.show_chat(chats["open"])
        await pilot.pause()
        card = str(app.desk.customer.panel.render())
        assert "Previous chats" in card and "alt+v" in card and "上次的退款" in card
        app.desk.show_chat(chats["english"])
        await pilot.pause()
        assert "Previous chats" not in str(app.desk.customer.panel.render()), "another customer"

        app.desk.show_chat(chats["open"])
        await pilot.press("alt+v")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the previous chats")
        await pilot.press("1")
        await wait_until(pilot, lambda: isinstance(app.screen, ReadOnlyChatScreen), "the read-only chat")
        assert app.screen.chat.id == chats["empty"]
        missing = app.screen.query("#read-only-missing")
        assert missing and "not in the local store" in str(missing.first().render()), "said, not fetched"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.is_modal, "back at the desk")

        await pilot.press("alt+v")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the previous chats")
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, ReadOnlyChatScreen), "the read-only chat")
        assert app.screen.chat.id == chats["closed"] and app.screen.composer.disabled
        assert not app.screen.query("#read-only-missing")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.screen.is_modal, "back at the desk")
        assert app.desk.current_chat_id == chats["open"]


async def test_enter_lands_on_an_old_message_among_long_ones(tmp_path, reference_backend):
    """Long messages fill screens: bringing an old one into view lays out older ones above it as the view nears
    the top, which moves it down. A hostile tester saw a different message on screen the first time."""
    chat_id = reference_backend.open_chat("Evil", "web")
    reference_backend.customer_says(chat_id, "长" * 2500)
    reference_backend.customer_says(chat_id, "独一无二的退款 " + "A" * 4000)
    for _ in range(12):
        reference_backend.customer_says(chat_id, "长" * 2500)
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: len(app.store.chats.transcript(chat_id)) == 14, "the chat cached")
        screen = await open_search(pilot, app)
        await search_for(pilot, screen, "独一无二")
        await pilot.press("enter")
        transcript = app.desk.main_pane.transcript
        await wait_until(pilot, lambda: transcript.found_key() == screen.hits[0].message_id, "the message marked")
        await pilot.pause(0.5)
        in_view = transcript.plain_lines()[transcript.scroll_offset.y:][:transcript.size.height]
        assert any("独一无二的退款" in line for line in in_view), in_view[:3]
