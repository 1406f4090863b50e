"""The customer simulator: scripted, human-paced (scaled down here), follows up, reacts to replies."""

from __future__ import annotations

import asyncio

import pytest

from backend.change_feed import ChangeNotifier
from backend.simulator import CustomerSimulator, Reaction, Scenario, ScenarioError, load_scenarios
from backend.store import BackendStore

SCRIPT = Scenario(
    key="refund",
    customer="陈静",
    channel="web",
    language="zh",
    turns=(("杯子碎了", "我要退款"), ("多久到账？",)),
    follow_up_after=40,
    follow_ups=("还在吗？",),
    closing="好的，谢谢",
    reactions=(Reaction(("退款",), "嗯嗯"),),
)


def customer_lines(store: BackendStore, chat_id: str) -> list[str]:
    return [m["text"] for m in store.messages_after(chat_id, 0, 100) if m["author"] == "customer"]


async def wait_for(condition, timeout=10.0):
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


def test_the_bundled_scenarios_cover_the_six_customers():
    scenarios = load_scenarios()
    assert [s.key for s in scenarios] == [
        "presale", "logistics", "refund", "complaint", "vip-merchant", "english-shopper"
    ]
    assert {s.language for s in scenarios} == {"zh", "en"}
    assert next(s for s in scenarios if s.key == "vip-merchant").vip


def test_a_bad_scenario_file_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[[scenario]]\nkey = "x"\n')
    with pytest.raises(ScenarioError, match="broken.toml"):
        load_scenarios(path)
    path.write_text("[[scenario]\n")
    with pytest.raises(ScenarioError, match="broken.toml"):
        load_scenarios(path)


def test_customer_follows_up_then_reacts_and_moves_on(tmp_path):
    async def scenario() -> None:
        store = BackendStore(tmp_path / "b.sqlite3")
        notifier = ChangeNotifier()
        simulator = CustomerSimulator(store, notifier, [SCRIPT], chats=1, pace=0.002, seed=1)
        task = asyncio.create_task(simulator.run())
        await wait_for(lambda: store.chats() and len(customer_lines(store, store.chats()[0]["id"])) >= 3)
        chat_id = store.chats()[0]["id"]
        assert customer_lines(store, chat_id) == ["杯子碎了", "我要退款", "还在吗？"], "one follow-up while ignored"

        store.add_message(chat_id, "agent", "非常抱歉，马上为您办理退款")
        notifier.notify("message.created", chat_id, "agent")
        await wait_for(lambda: "多久到账？" in customer_lines(store, chat_id))
        assert customer_lines(store, chat_id)[3:] == ["嗯嗯", "多久到账？"]

        store.add_message(chat_id, "agent", "1-3 个工作日")
        notifier.notify("message.created", chat_id, "agent")
        await wait_for(lambda: "好的，谢谢" in customer_lines(store, chat_id))
        task.cancel()
        store.close()

    asyncio.run(scenario())


def test_restart_closes_chats_left_open_by_the_last_run(tmp_path):
    store = BackendStore(tmp_path / "b.sqlite3")
    left_over = store.open_chat("王建国", "wechat")

    async def one_start() -> None:
        simulator = CustomerSimulator(store, ChangeNotifier(), [SCRIPT], chats=2, pace=0.001)
        task = asyncio.create_task(simulator.run())
        await wait_for(lambda: len(store.chats()) == 3)
        task.cancel()

    asyncio.run(one_start())
    states = {chat["id"]: chat["state"] for chat in store.chats()}
    assert states.pop(left_over["id"]) == "closed"
    assert list(states.values()) == ["opened", "opened"]
    store.close()


def test_made_up_customers_have_valid_id_numbers_and_recent_orders():
    import random

    from backend.simulator import made_up_profile
    from quick_replies.pii import find_pii

    for seed in range(20):
        profile = made_up_profile(random.Random(seed))
        assert [match.kind for match in find_pii(profile["id_number"])] == ["id_card"]
        assert [match.kind for match in find_pii(profile["phone"])] == ["mobile"]
        assert 1 <= len(profile["orders"]) <= 3
