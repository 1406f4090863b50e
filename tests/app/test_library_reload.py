"""A team lead drops a large library into the team folder while agents are typing: the reload is built in a
thread, searches keep answering from the library already loaded, and the new one is swapped in whole."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import console.reply_actions
from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from quick_replies.library import QuickReply
from quick_replies.library_files import library_file_text
from quick_replies.reply_library import ReplyLibrary
from tests.pilot_helpers import type_text, wait_until
from widgets.composer import Composer
from widgets.screens.reply_form import ReplyDraft

LARGE = 20_000


def write_library(directory: Path, folder: str, replies: list[QuickReply]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{folder}.toml").write_text(library_file_text(folder, replies, []), encoding="utf-8")


def generated(count: int) -> list[QuickReply]:
    replies = [QuickReply(f"gen-{n}", f"Generated entry {n}", f"Parcel update number {n} for the customer.",
                          "generated", "en") for n in range(count)]
    replies.append(QuickReply("zebra", "Zebra crossing notice", "Please cross at the zebra.", "generated", "en",
                              "zebra"))
    return replies


@pytest.fixture
def library_dirs(tmp_path) -> tuple[Path, Path]:
    team, personal = tmp_path / "team", tmp_path / "mine"
    write_library(personal, "mine", [QuickReply("old-greeting", "Old greeting", "Hello again!", "mine", "en", "og")])
    team.mkdir()
    return team, personal


def keys(replies: ReplyLibrary, query: str) -> list[str]:
    return [result.key for result in replies.search(query, {})]


def test_searches_answer_from_the_old_library_while_a_large_one_is_built_in_a_thread(library_dirs):
    team, personal = library_dirs
    replies = ReplyLibrary([team, personal])
    before = {query: keys(replies, query) for query in ("old greeting", "zebra", "generated entry")}
    assert before["old greeting"][0] == "old-greeting" and not before["zebra"]
    write_library(team, "generated", generated(LARGE))
    assert replies.changed()

    ticket = replies.begin_reload()
    built = []
    builder = threading.Thread(target=lambda: built.append(replies.build(ticket)))
    builder.start()
    searched = 0
    while builder.is_alive():
        # Every search in the meantime answers from the old library, whole: never a mix of old and new.
        assert {query: keys(replies, query) for query in before} == before
        assert len(replies.docs) == 1 and replies.reloading and not replies.changed()
        searched += 1
    builder.join()
    assert searched > 3, "the searches ran while the library was being built"
    assert keys(replies, "zebra") == [], "built, not yet installed"

    assert replies.install(built[0])
    assert keys(replies, "zebra")[0] == "zebra"
    assert keys(replies, "old greeting")[0] == "old-greeting"
    assert len(replies.docs) == LARGE + 2 and not replies.reloading and not replies.changed()


def test_of_two_overlapping_reloads_the_one_asked_for_later_wins_whichever_finishes_first(library_dirs):
    team, personal = library_dirs
    replies = ReplyLibrary([team, personal])
    write_library(team, "generated", generated(10))
    first = replies.build(replies.begin_reload())  # sees 10 generated entries...
    write_library(team, "generated", generated(20))
    second = replies.build(replies.begin_reload())  # ...this one, asked for later, 20

    assert replies.install(second)
    assert not replies.install(first), "finished last, but older: dropped"
    assert len(replies.docs) == 22 and keys(replies, "generated entry 15")[0] == "gen-15"

    write_library(team, "generated", generated(30))
    third, fourth = replies.begin_reload(), replies.begin_reload()
    assert replies.reloading
    third_built, fourth_built = replies.build(third), replies.build(fourth)
    assert replies.install(third_built) and replies.reloading, "the newer reload is still to come"
    assert replies.install(fourth_built) and not replies.reloading
    assert replies.snapshot is fourth_built


def make_app(tmp_path, backend, library_dirs) -> AgentConsoleApp:
    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token),
                           long_poll_wait=1.0, library_dirs=list(library_dirs))


async def test_the_console_takes_keys_while_a_large_library_reloads(tmp_path, reference_backend, library_dirs):
    team, _ = library_dirs
    app = make_app(tmp_path, reference_backend, library_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        # The build waits for the test's word, however fast the machine, so the keys surely come during it.
        go_on, build = threading.Event(), app.replies.build
        app.replies.build = lambda ticket: go_on.wait(60) and build(ticket)
        write_library(team, "generated", generated(LARGE))
        app.desk.reply_actions.reload_if_changed()  # what the app's timer calls every 2 s
        assert app.replies.reloading
        await type_text(pilot, "ok")
        assert app.desk.query_one(Composer).text == "ok", "typed while the library was being built"
        assert app.replies.reloading and app.replies.by_shortcut("zebra") is None, "the old library answers"
        go_on.set()
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: app.replies.by_shortcut("zebra") is not None, "the new library")
        assert not app.replies.reloading


async def test_saved_appears_only_once_the_saved_reply_can_be_found(tmp_path, reference_backend, library_dirs,
                                                                     monkeypatch):
    monkeypatch.setattr(console.reply_actions, "RELOAD_INLINE_ENTRIES", 0)  # as a large library is reloaded
    app = make_app(tmp_path, reference_backend, library_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        seen = []
        app.notify = lambda text, **_: seen.append((text, app.replies.by_shortcut("yz") is not None))
        assert app.desk.reply_actions.save_reply("", ReplyDraft("驿站取件", "yz", "", (), "您的包裹已到驿站。")) is None
        refused = app.desk.reply_actions.save_reply("", ReplyDraft("Another", "yz", "", (), "Another text."))
        assert refused and "try again" in refused, "a second save waits for the first one's library"
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: seen, "the notice")
        assert seen == [("Saved “驿站取件” as /yz.", True)]
