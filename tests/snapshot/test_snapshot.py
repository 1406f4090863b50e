"""One picture of the main screen: fixed scenario, terminal size, clock and time zone.

At T0 + 95 s the list holds two breached chats (the urgent VIP first: 35 s late), one warning (5 s left to
reply), one calm (25 s left) and a closed one, in that order."""

from __future__ import annotations

import time

import pytest

from backend.store import BackendStore
from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from tests.pilot_helpers import wait_until
from tests.reference_backend import ReferenceBackend
from widgets.composer import Composer

T0 = 1_795_000_000.0  # fixed scenario time; the app's clock is T0 + 95 s


def seed_scenario(path) -> None:
    store = BackendStore(path, clock=lambda: T0)
    presale = store.open_chat("林小雨", "app", at=T0)
    store.add_message(presale["id"], "customer", "你好，请问这款羽绒服还有M码吗？", at=T0 + 5)
    store.add_message(presale["id"], "agent", "您好，有的，M码有货。", at=T0 + 20)
    store.add_message(presale["id"], "customer", "今天下单什么时候能发货？", at=T0 + 60)
    vip = store.open_chat("周海峰", "email", customer_title="周总", vip=True, priority="urgent", at=T0 + 1)
    store.add_message(vip["id"], "customer", "上周那批 200 件的批发订单什么时候发？", at=T0 + 30)
    english = store.open_chat("Emily Carter", "web", language="en", at=T0 + 2)
    store.add_message(english["id"], "customer", "Hi! Do you ship to Canada?", at=T0 + 70)
    calm = store.open_chat("欧阳娜娜", "wechat", at=T0 + 4)
    store.add_message(calm["id"], "customer", "请问可以开发票吗？", at=T0 + 90)
    closed = store.open_chat("陈静", "web", at=T0 + 3)
    store.add_message(closed["id"], "customer", "好的，谢谢", at=T0 + 40)
    store.update_chat(closed["id"], state="closed")
    store.close()


@pytest.fixture
def seeded_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    seed_scenario(tmp_path / "backend.sqlite3")
    backend = ReferenceBackend(tmp_path / "backend.sqlite3").start()
    yield backend
    backend.stop()
    monkeypatch.undo()
    time.tzset()


def test_main_screen(snap_compare, seeded_backend, tmp_path):
    app = AgentConsoleApp(
        tmp_path / "agent.sqlite3",
        lambda: ReferenceApiClient(seeded_backend.url, seeded_backend.token),
        clock=lambda: T0 + 95,
    )

    async def settle(pilot) -> None:
        await wait_until(
            pilot, lambda: len(app.desk.chats) == 5 and app.desk.sync_status is not None
            and app.desk.sync_status.online,
            "the scenario to sync",
        )
        # The composer has the focus, and its cursor shows steadily: not a blink caught on or off.
        composer = app.desk.query_one(Composer)
        composer.focus()
        await wait_until(pilot, lambda: composer.has_focus, "the composer's focus")
        composer.cursor_blink = False
        composer.refresh()  # stopping the blink does not repaint: else the frame shows whichever phase was last
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=settle)
