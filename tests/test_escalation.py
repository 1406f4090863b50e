"""One key sends a high-risk chat to the safety queue, through the outbox (real backend on 127.0.0.1)."""

from __future__ import annotations

import httpx

from tests.pilot_helpers import wait_until
from tests.test_app_quick_replies import make_app, open_chat


def server_chat(backend, chat_id):
    response = httpx.get(f"{backend.url}/api/v1/chats", headers={"Authorization": f"Bearer {backend.token}"})
    return next(chat for chat in response.json()["chats"] if chat["id"] == chat_id)


async def test_f12_escalates_with_the_reason_and_keeps_the_transcript(tmp_path, reference_backend):
    app = make_app(tmp_path, reference_backend)
    async with app.run_test(size=(120, 36)) as pilot:
        chat_id = await open_chat(pilot, app, reference_backend)
        reference_backend.customer_says(chat_id, "我不想活了")
        await wait_until(pilot, lambda: app.chats[chat_id].high_risk == "high-risk-self-harm", "the mark")
        await pilot.press("f12")
        [priority, tag, transfer] = [item.body for item in app.store.outbox_items()]
        assert priority == {"type": "priority", "priority": "urgent"} and tag == {"type": "tag", "tags": ["high-risk"]}
        assert transfer["to"] == "safety-team" and "high-risk-self-harm" in transfer["note"]
        await wait_until(pilot, lambda: all(item.state == "sent" for item in app.store.outbox_items()), "delivery")
        chat = server_chat(reference_backend, chat_id)
        assert (chat["state"], chat["priority"]) == ("transferred", "urgent")
        assert [m["text"] for m in reference_backend.messages(chat_id)][-2:] == ["杯子碎了，我要退款", "我不想活了"]
