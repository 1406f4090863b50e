"""Tags typed in the tag dialog (f6) and in the save-reply form are split the same way: ASCII and full-width
commas, the enumeration comma 、 and semicolons (real backend on 127.0.0.1 for the dialog)."""

from __future__ import annotations

from tests.app.test_app_quick_replies import make_app, open_chat
from tests.pilot_helpers import type_text
from widgets.screens.reply_form import split_tags


def test_tags_split_on_every_comma_an_agent_types():
    assert split_tags("退款，vip、催件, logistics；投诉;  ") == ("退款", "vip", "催件", "logistics", "投诉")
    assert split_tags(" 退款 ，，退款 ") == ("退款",), "trimmed, empty and repeated ones dropped"
    assert split_tags("") == ()


async def test_the_tag_dialog_splits_on_full_width_commas(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        await pilot.press("f6")
        await type_text(pilot, "退款，催件、vip")
        await pilot.press("enter")
        assert [item.body for item in app.store.outbox.items()] == [{"type": "tag", "tags": ["退款", "催件", "vip"]}]
        assert app.desk.chats[chat_id].tags == ("退款", "催件", "vip")


async def test_tags_beyond_the_apis_limits_are_refused_in_the_dialog_not_later_by_the_backend(tmp_path,
                                                                                            reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        for typed in ["x" * 51, "，".join(f"t{number}" for number in range(21))]:
            await pilot.press("f6")
            await type_text(pilot, typed)
            await pilot.press("enter")
            await pilot.pause()
            assert app.store.outbox.items() == [] and app.desk.chats[chat_id].tags == ()
            assert app.alert_history[-1].startswith("Not tagged: a chat takes up to 20 tags of up to 50 characters")
        await pilot.press("f6")
        await type_text(pilot, "，".join(f"t{number}" for number in range(20)))
        await pilot.press("enter")
        await pilot.pause()
        assert len(app.desk.chats[chat_id].tags) == 20  # exactly at the limit is fine
