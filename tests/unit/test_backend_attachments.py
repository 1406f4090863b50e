"""Attachments in the reference API: what a channel may send, and the files the server serves itself."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from PIL import Image

from backend.change_feed import ChangeNotifier
from backend.simulated_files import SIMULATED_FILES, file_bytes
from backend.simulator import CustomerSimulator, Scenario, ScenarioError, load_scenarios
from backend.store import BackendStore
from tests.reference_backend import AGENT_TOKEN, CHANNEL_TOKEN, ReferenceBackend

PHOTO = {"name": "破损.jpg", "type": "image/jpeg", "size": 48213, "url": "https://cdn.example.com/u/1/破损.jpg"}


def channel_post(backend, chat_id, body):
    return httpx.post(f"{backend.url}/api/v1/channel/chats/{chat_id}/messages", json=body,
                      headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"}, timeout=10)


def test_a_customer_message_carries_its_attachments_to_the_agent(reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    sent = reference_backend.customer_says(chat_id, "照片已经拍好了", [PHOTO])
    assert [{k: v for k, v in a.items() if k != "id"} for a in sent["attachments"]] == [PHOTO]
    assert sent["attachments"][0]["id"].startswith("at_")
    stored = reference_backend.messages(chat_id)[0]
    assert stored["attachments"] == sent["attachments"]
    plain = reference_backend.customer_says(chat_id, "还在吗")
    assert plain["attachments"] == []


def test_a_bare_photo_is_a_message_and_an_empty_message_is_not(reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    assert reference_backend.customer_says(chat_id, "", [PHOTO])["text"] == ""
    assert channel_post(reference_backend, chat_id, {"text": "", "attachments": []}).status_code == 422
    assert channel_post(reference_backend, chat_id, {"text": "   ", "attachments": [PHOTO]}).status_code == 422


@pytest.mark.parametrize("change, field", [
    ({"name": ""}, "attachments[0].name"),
    ({"name": "x" * 256}, "attachments[0].name"),
    ({"type": "jpeg"}, "attachments[0].type"),
    ({"type": "image/" + "x" * 100}, "attachments[0].type"),
    ({"size": "48213"}, "attachments[0].size"),
    ({"size": -1}, "attachments[0].size"),
    ({"size": True}, "attachments[0].size"),
    ({"url": "javascript:alert(1)"}, "attachments[0].url"),
    ({"url": "file:///etc/passwd"}, "attachments[0].url"),
    ({"url": "data:image/png;base64,AAAA"}, "attachments[0].url"),
    ({"url": "https://example.com/" + "a" * 2000}, "attachments[0].url"),
    ({"url": "https://example.com/a\x1b]8;;x\x07"}, "attachments[0].url"),
])
def test_a_bad_attachment_is_422_naming_the_field(reference_backend, change, field):
    chat_id = reference_backend.open_chat("陈静")
    response = channel_post(reference_backend, chat_id, {"text": "看图", "attachments": [PHOTO | change]})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_attachment"
    assert response.json()["error"]["message"].startswith(field + " ")
    assert reference_backend.messages(chat_id) == []


def test_more_than_ten_attachments_or_not_a_list_is_422(reference_backend):
    chat_id = reference_backend.open_chat("陈静")
    for attachments in ([PHOTO] * 11, PHOTO, ["https://example.com/a.jpg"]):
        response = channel_post(reference_backend, chat_id, {"text": "看图", "attachments": attachments})
        assert response.status_code == 422, attachments
        assert response.json()["error"]["message"].startswith("attachments")
    assert len(reference_backend.customer_says(chat_id, "十张", [PHOTO] * 10)["attachments"]) == 10


def test_the_simulated_files_are_real_images():
    for name, (kind, _, image_format) in SIMULATED_FILES.items():
        with Image.open(io.BytesIO(file_bytes(name))) as image:
            assert image.format == image_format and image.get_format_mimetype() == kind
            assert 100 < image.width < 1000


def test_an_unknown_file_in_a_scenario_is_named(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[scenario]]\nkey="k"\ncustomer="c"\nchannel="web"\nlanguage="zh"\n'
                    '[[scenario.turn]]\nsay=["看"]\nattach=["nope.gif"]\n')
    with pytest.raises(ScenarioError, match="nope.gif"):
        load_scenarios(path)


def test_the_simulator_sends_photos_the_server_serves_without_a_token(tmp_path):
    """The bundled damaged-goods customer's photo: a link on the host the agent reached, a real JPEG behind it,
    with its type and length; the same link with another token is 404."""
    scenarios = tmp_path / "photo.toml"
    scenarios.write_text('[[scenario]]\nkey="photo"\ncustomer="陈静"\nchannel="app"\nlanguage="zh"\n'
                         '[[scenario.turn]]\nsay=["照片已经拍好了", ""]\nattach=["damaged-parcel.jpg"]\n',
                         encoding="utf-8")
    backend = ReferenceBackend(tmp_path / "b.sqlite3", "--simulate", "1", "--sim-pace", "0.001",
                               "--scenarios", str(scenarios)).start()
    try:
        for _ in range(500):
            chats = httpx.get(f"{backend.url}/api/v1/chats", headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
                              timeout=10).json()["chats"]
            messages = backend.messages(chats[0]["id"]) if chats else []
            if len(messages) == 2:
                break
            asyncio.run(asyncio.sleep(0.01))
        first, bare = messages
        assert first["attachments"] == [] and bare["text"] == ""
        (photo,) = bare["attachments"]
        assert photo["name"] == "damaged-parcel.jpg" and photo["type"] == "image/jpeg"
        assert photo["url"].startswith(f"{backend.url}/files/")
        response = httpx.get(photo["url"], timeout=10)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert int(response.headers["content-length"]) == photo["size"] == len(response.content)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert Image.open(io.BytesIO(response.content)).format == "JPEG"
        token = photo["url"].split("/")[-2]
        assert httpx.get(photo["url"].replace(token, "A" * len(token)), timeout=10).status_code == 404
    finally:
        backend.stop()


def test_an_old_database_gains_the_attachments_column(tmp_path):
    import sqlite3
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE messages (id TEXT PRIMARY KEY, chat_id TEXT NOT NULL, seq INTEGER NOT NULL,"
                       " author TEXT NOT NULL, text TEXT NOT NULL, created_at REAL NOT NULL, client_key TEXT);")
    conn.close()
    store = BackendStore(path)
    chat = store.open_chat("陈静", "web")
    assert store.add_message(chat["id"], "customer", "hi")["attachments"] == []
    store.close()


def test_a_scenario_turn_attaches_to_its_last_line(tmp_path):
    async def play() -> None:
        store = BackendStore(tmp_path / "b.sqlite3")
        script = Scenario(key="k", customer="陈静", channel="app", language="zh", turns=(("碎了", "看图"),),
                          attach=(("refund-error.png",),))
        task = asyncio.create_task(CustomerSimulator(store, ChangeNotifier(), [script], chats=1, pace=0.001).run())
        async with asyncio.timeout(10):
            while not (store.chats() and len(store.messages_after(store.chats()[0]["id"], 0, 10)) == 2):
                await asyncio.sleep(0.005)
        said = store.messages_after(store.chats()[0]["id"], 0, 10)
        assert [len(m["attachments"]) for m in said] == [0, 1]
        assert said[1]["attachments"][0]["url"].startswith("/files/")  # made absolute as it leaves the API
        task.cancel()
        store.close()

    asyncio.run(play())
