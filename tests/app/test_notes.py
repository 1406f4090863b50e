"""Internal notes, driven like an agent (Pilot, real backend on 127.0.0.1, real store): alt+p, what the screen
shows, Enter adds a note the customer never gets, personal data is refused in it and wording rules are not."""

from __future__ import annotations

from tests.app.test_app_quick_replies import make_app, open_chat
from tests.pilot_helpers import type_text, wait_until
from tests.screen_capture import ShownScreen
from widgets.composer import NOTE_TITLE, Composer
from widgets.screens.prompts import PromptScreen
from widgets.screens.reply_panel import ReplyPanel


def agent_messages(backend, chat_id) -> list[tuple[str, bool]]:
    return [(m["text"], m["private"]) for m in backend.messages(chat_id) if m["author"] == "agent"]


async def test_alt_p_makes_a_note_that_cannot_be_missed_and_enter_adds_it_as_a_note(
    tmp_path, reference_backend, terminal_writes
):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        composer = app.desk.main_pane.composer
        screen = await ShownScreen.of(pilot)
        rows = [screen.text(y) for y in range(screen.rows)]
        assert not any(NOTE_TITLE in row for row in rows) and any("⏎ Send" in row for row in rows)

        app.desk.main_pane.transcript.focus()
        await pilot.press("alt+p")  # from anywhere on the desk: into the composer, in note mode
        assert composer.note_mode and composer.has_focus and composer.has_class("note-mode")
        screen = await ShownScreen.of(pilot)
        rows = [screen.text(y) for y in range(screen.rows)]
        [title_row] = [y for y, row in enumerate(rows) if NOTE_TITLE in row]
        assert "━" in rows[title_row] and "┏" in rows[title_row], "a heavy border, not the reply's rounded one"
        assert any("⏎ Add note" in row for row in rows), "Enter's hint says what it does"
        assert not any("⏎ Send" in row for row in rows)
        colours = {screen.screen.buffer[title_row][x].fg for x in range(screen.cols)
                   if screen.screen.buffer[title_row][x].data == "━"}
        assert colours and "default" not in colours, "drawn in colour too"

        await type_text(pilot, "客户第二次来问，先查物流")
        await pilot.press("enter")
        sent = [("客户第二次来问，先查物流", True)]
        await wait_until(pilot, lambda: agent_messages(reference_backend, chat_id) == sent,
                         "the note on the backend, private")
        assert reference_backend.chat(chat_id)["state"] == "opened", "no answer to the customer yet"
        assert not composer.note_mode and composer.text == "", "back to reply after the note"
        assert app.desk.chats[chat_id].waiting_since is not None, "the customer still waits for a reply"
        lines = [line.strip() for line in app.desk.main_pane.transcript.plain_lines() if line.strip()]
        at = next(i for i, line in enumerate(lines) if line.startswith("✎ Internal note"))
        assert lines[at + 1] == "┃ 客户第二次来问，先查物流", "a label and a bar: a note even without colour"
        screen = await ShownScreen.of(pilot)
        assert not any(NOTE_TITLE in screen.text(y) for y in range(screen.rows))

        await type_text(pilot, "您好，马上为您查询")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(agent_messages(reference_backend, chat_id)) == 2, "the reply")
        assert agent_messages(reference_backend, chat_id)[1] == ("您好，马上为您查询", False)
        await wait_until(pilot, lambda: app.desk.chats[chat_id].waiting_since is None, "answered by the reply")


async def test_personal_data_in_a_note_is_refused_but_wording_rules_do_not_apply(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        composer = app.desk.main_pane.composer
        await type_text(pilot, "这绝对不可能")
        await wait_until(pilot, lambda: [f.rule for f in composer.findings] == ["absolutist"], "flagged in a reply")
        await pilot.press("alt+p")
        await wait_until(pilot, lambda: composer.findings == [], "not in a note: the customer never reads it")
        await pilot.press("enter")  # no question asked
        await wait_until(pilot, lambda: agent_messages(reference_backend, chat_id) == [("这绝对不可能", True)],
                         "the note added as it is")

        await pilot.press("alt+p")
        await type_text(pilot, "客户电话13812345678")
        await wait_until(pilot, lambda: [f.rule for f in composer.findings] == ["pii-mobile"], "the phone number")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "refused, as in a message")
        await pilot.press("escape")
        assert composer.note_mode and composer.text == "客户电话13812345678", "kept, still a note"
        assert len(app.store.outbox.items()) == 1
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: composer.text == "客户电话138****5678", "masked")
        await pilot.press("enter")
        await wait_until(pilot, lambda: ("客户电话138****5678", True) in agent_messages(reference_backend, chat_id),
                         "the masked note added")


async def test_note_mode_stays_with_its_chat_across_switches_and_a_restart(tmp_path, reference_backend):
    first = reference_backend.open_chat("林小雨", "app")
    second = reference_backend.open_chat("Emily Carter", "web")
    reference_backend.customer_says(first, "在吗")
    reference_backend.customer_says(second, "Hello?")
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: {first, second} <= set(app.desk.chats), "both chats")
        composer = app.desk.query_one(Composer)
        app.desk.show_chat(first)
        await pilot.press("alt+p")
        await type_text(pilot, "内部：等仓库回复")
        app.desk.show_chat(second)
        await pilot.pause()
        assert not composer.note_mode and composer.text == "", "the other chat is in reply mode"
        await pilot.press("alt+p")  # nothing typed yet: the mode is kept all the same
        app.desk.show_chat(first)
        await pilot.pause()
        assert composer.note_mode and composer.text == "内部：等仓库回复"
        await wait_until(pilot, lambda: app.store.drafts.draft(first) == ("内部：等仓库回复", True), "saved")
        assert app.store.drafts.draft(second) == ("", True)

    again = make_app(tmp_path, reference_backend)
    async with again.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: again.desk.current_chat_id is not None, "a chat open")
        composer = again.desk.query_one(Composer)
        again.desk.show_chat(second)
        await pilot.pause()
        assert composer.note_mode and composer.text == ""
        again.desk.show_chat(first)
        await pilot.pause()
        assert composer.note_mode and composer.text == "内部：等仓库回复", "a note after a restart, not a reply"


async def test_a_quick_reply_goes_into_a_note(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        composer = app.desk.main_pane.composer
        await pilot.press("alt+p")
        await pilot.press("f2")
        assert isinstance(app.screen, ReplyPanel)
        await type_text(pilot, "tk")
        await pilot.press("enter")
        assert composer.note_mode and composer.text.startswith("陈静好，非常抱歉给您带来不便。")
        await pilot.press("enter")
        await wait_until(pilot, lambda: [p for _, p in agent_messages(reference_backend, chat_id)] == [True],
                         "added as a note")


async def test_a_transfer_note_shows_as_a_note_under_its_line(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_chat(pilot, app, reference_backend)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the transfer prompt")
        await type_text(pilot, "refund-team: 客户要求回电")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.store.outbox.depth() == 0, "the transfer delivered")
        lines = [line.strip() for line in app.desk.main_pane.transcript.plain_lines() if line.strip()]
        at = next(i for i, line in enumerate(lines) if line.startswith("Transferred to refund-team"))
        assert "客户要求回电" not in lines[at], "the note is not run into the line"
        assert lines[at + 1].startswith("✎ Internal note") and lines[at + 2] == "┃ 客户要求回电"


async def test_a_transfer_made_from_another_console_shows_its_note_as_a_note(tmp_path, reference_backend, agent):
    """The outbox knows only this console's transfers; another's reaches the transcript through the feed alone."""
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        agent.post(f"/chats/{chat_id}/actions", json={"type": "transfer", "to": "refund-team", "note": "客户要求回电"},
                   headers={"Idempotency-Key": "elsewhere"}).raise_for_status()
        await wait_until(pilot, lambda: any(line.strip().startswith("Transferred to refund-team")
                                            for line in app.desk.main_pane.transcript.plain_lines()), "the line")
        lines = [line.strip() for line in app.desk.main_pane.transcript.plain_lines() if line.strip()]
        at = next(i for i, line in enumerate(lines) if line.startswith("Transferred to refund-team"))
        assert "客户要求回电" not in lines[at]
        assert lines[at + 1].startswith("✎ Internal note") and lines[at + 2] == "┃ 客户要求回电"


async def test_a_transfer_note_with_personal_data_is_refused_and_kept_for_editing(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the transfer prompt")
        await type_text(pilot, "team-x: 客户手机13812345678")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt back")
        field = app.screen.query_one("Input")
        assert field.value == "team-x: 客户手机13812345678", "nothing lost"
        assert app.store.outbox.depth() == 0 and reference_backend.chat(chat_id)["state"] != "transferred"
        field.value = "team-x: 客户要求回电"
        await pilot.press("enter")
        await wait_until(pilot, lambda: reference_backend.chat(chat_id)["state"] == "transferred", "transferred")
        assert reference_backend.messages(chat_id)[-1]["transfer"] == {"to": "team-x", "note": "客户要求回电"}
