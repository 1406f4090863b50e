"""The customer simulator: scripted, human-paced (scaled down here), follows up, reacts to replies."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from backend.change_feed import ChangeNotifier
from backend.simulator import CustomerSimulator, Reaction, Scenario, ScenarioError, load_scenarios
from backend.store import BackendStore
from tests.reference_backend import ReferenceBackend

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


def test_the_bundled_scenarios_cover_the_seven_customers():
    scenarios = load_scenarios()
    assert [s.key for s in scenarios] == [
        "presale", "logistics", "refund", "complaint", "vip-merchant", "english-shopper", "damaged-goods"
    ]
    assert {s.language for s in scenarios} == {"zh", "en"}
    assert next(s for s in scenarios if s.key == "vip-merchant").vip


def test_the_embedded_defaults_six_customers_show_every_kind_of_object():
    """`agent-console` alone plays the first six scenarios (console/embedded_backend.py): among them a quoted order
    number, a photo and a screenshot, a returning customer, and an internal note in a previous chat."""
    from console.embedded_backend import EmbeddedBackend

    played = load_scenarios()[:EmbeddedBackend.__init__.__kwdefaults__["simulate"]]
    files = {name for scenario in played for turn in scenario.attach for name in turn}
    assert {"damaged-parcel.jpg", "refund-error.png"} <= files
    assert any("{order_no}" in line for scenario in played for turn in scenario.turns for line in turn)
    previous = [chat for scenario in played for chat in scenario.previous_chats]
    assert previous and any(author == "note" for chat in previous for author, _ in chat.lines)


def test_a_returning_customers_note_is_written_private(tmp_path):
    store = BackendStore(tmp_path / "backend.sqlite3")
    scenario = next(s for s in load_scenarios() if any(author == "note" for chat in s.previous_chats
                                                       for author, _ in chat.lines))
    from backend.returning_customers import write_previous_chats

    with store.transaction():
        chat_ids = write_previous_chats(store, scenario.previous_chats, customer_id="cu_test", customer="陈静",
                                        channel="web", language="zh", title="", vip=False)
    rows = [row for chat_id in chat_ids for row in store.conn.execute(
        "SELECT author, private FROM messages WHERE chat_id=? ORDER BY seq", (chat_id,))]
    assert ("agent", 1) in [(row["author"], row["private"]) for row in rows]
    assert all(row["author"] in ("customer", "agent") for row in rows)
    store.close()


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


def agent_says(store: BackendStore, notifier: ChangeNotifier, chat_id: str, text: str) -> None:
    store.add_message(chat_id, "agent", text)
    notifier.notify("message.created", chat_id, "agent")


def test_a_restarted_simulator_continues_its_customer_where_the_script_was(tmp_path):
    """Stopped after the first line of a turn, restarted on the same database: the same chat goes on with the
    second line; nothing is said twice, nothing is closed, no chat is added."""
    store = BackendStore(tmp_path / "b.sqlite3")

    async def first_run() -> str:
        simulator = CustomerSimulator(store, ChangeNotifier(), [SCRIPT], chats=1, pace=0.002, seed=1)
        task = asyncio.create_task(simulator.run())
        await wait_for(lambda: store.chats() and customer_lines(store, store.chats()[0]["id"]) == ["杯子碎了"])
        task.cancel()
        return store.chats()[0]["id"]

    async def second_run(chat_id: str) -> None:
        notifier = ChangeNotifier()
        simulator = CustomerSimulator(store, notifier, [SCRIPT], chats=1, pace=0.002, seed=2)
        task = asyncio.create_task(simulator.run())
        await wait_for(lambda: "还在吗？" in customer_lines(store, chat_id))
        agent_says(store, notifier, chat_id, "抱歉，马上为您办理退款")
        await wait_for(lambda: "多久到账？" in customer_lines(store, chat_id))
        task.cancel()

    chat_id = asyncio.run(first_run())
    asyncio.run(second_run(chat_id))
    assert [chat["id"] for chat in store.chats()] == [chat_id]
    assert store.chat(chat_id)["state"] != "closed"
    assert customer_lines(store, chat_id) == ["杯子碎了", "我要退款", "还在吗？", "嗯嗯", "多久到账？"]
    assert [m for m in store.messages_after(chat_id, 0, 100) if m["author"] == "system"] == []
    store.close()


def test_a_customer_waiting_for_an_answer_reads_one_given_while_the_simulator_was_down(tmp_path):
    store = BackendStore(tmp_path / "b.sqlite3")

    async def run_until(condition) -> None:
        simulator = CustomerSimulator(store, ChangeNotifier(), [SCRIPT], chats=1, pace=0.002, seed=1)
        task = asyncio.create_task(simulator.run())
        await wait_for(condition)
        task.cancel()

    asyncio.run(run_until(lambda: store.chats() and "还在吗？" in customer_lines(store, store.chats()[0]["id"])))
    chat_id = store.chats()[0]["id"]
    store.add_message(chat_id, "agent", "退款 1-3 个工作日到账")  # no simulator is listening
    asyncio.run(run_until(lambda: "多久到账？" in customer_lines(store, chat_id)))
    assert customer_lines(store, chat_id) == ["杯子碎了", "我要退款", "还在吗？", "嗯嗯", "多久到账？"]
    store.close()


def test_a_customer_whose_chat_the_agent_closed_says_no_more_in_it(tmp_path):
    store = BackendStore(tmp_path / "b.sqlite3")

    async def scenario() -> None:
        notifier = ChangeNotifier()
        simulator = CustomerSimulator(store, notifier, [SCRIPT], chats=1, pace=0.002, seed=1)
        task = asyncio.create_task(simulator.run())
        await wait_for(lambda: store.chats() and customer_lines(store, store.chats()[0]["id"]) == ["杯子碎了"])
        chat_id = store.chats()[0]["id"]
        store.update_chat(chat_id, state="closed")
        notifier.notify("chat.updated", chat_id, "agent")
        await asyncio.sleep(40 * 0.002 * 3)  # past a follow-up's time
        task.cancel()
        assert store.chat(chat_id)["state"] == "closed", "not reopened by the simulator"
        assert customer_lines(store, chat_id) == ["杯子碎了"]

    asyncio.run(scenario())
    store.close()


def test_chats_left_open_by_an_older_simulator_are_continued_not_duplicated(tmp_path):
    """A database from before progress was saved: the customer's open chat is taken up where its lines stop."""
    store = BackendStore(tmp_path / "b.sqlite3")
    old = store.open_chat("陈静", "web")
    for line in ("杯子碎了", "我要退款"):
        store.add_message(old["id"], "customer", line)
    store.add_message(old["id"], "agent", "抱歉，马上为您退款")
    unrelated = store.open_chat("王建国", "wechat")

    async def restart() -> None:
        simulator = CustomerSimulator(store, ChangeNotifier(), [SCRIPT], chats=1, pace=0.002, seed=1)
        task = asyncio.create_task(simulator.run())
        await wait_for(lambda: "多久到账？" in customer_lines(store, old["id"]))
        task.cancel()

    asyncio.run(restart())
    assert [chat["id"] for chat in store.chats()] == [old["id"], unrelated["id"]]
    assert customer_lines(store, old["id"]) == ["杯子碎了", "我要退款", "嗯嗯", "多久到账？"]
    assert store.chat(unrelated["id"])["state"] == "opened" and customer_lines(store, unrelated["id"]) == []
    store.close()


def chats_over_http(backend: ReferenceBackend) -> list[dict]:
    response = httpx.get(f"{backend.url}/api/v1/chats", headers={"Authorization": f"Bearer {backend.token}"})
    return response.json()["chats"]


def test_a_real_backend_restarted_on_its_database_keeps_its_customers_and_adds_nothing(tmp_path):
    """The embedded default's life: the process is killed and started again on the same file, three times."""
    simulate = ("--simulate", "2", "--sim-pace", "0.01", "--sim-seed", "7")
    backend = ReferenceBackend(tmp_path / "backend.sqlite3", *simulate).start()
    try:
        deadline = time.monotonic() + 20
        while not (len(chats := chats_over_http(backend)) == 2 and all(c["last_seq"] >= 2 for c in chats)):
            assert time.monotonic() < deadline, "two customers writing"
            time.sleep(0.05)
        first = {chat["id"] for chat in chats}
        for _ in range(3):
            backend.stop()
            backend = ReferenceBackend(tmp_path / "backend.sqlite3", *simulate).start()
            time.sleep(0.5)  # long enough for a restart to have closed or opened chats
            chats = chats_over_http(backend)
            assert {chat["id"] for chat in chats} == first, "the same chats, none added"
            assert all(chat["state"] != "closed" for chat in chats)
        for chat in chats:
            lines = [m["text"] for m in backend.messages(chat["id"]) if m["author"] != "agent"]
            assert len(lines) == len(set(lines)), f"nothing said twice: {lines}"
            assert not any("restarted" in line for line in lines)
    finally:
        backend.stop()


def test_made_up_customers_have_valid_id_numbers_and_mobiles():
    import random

    from backend.simulator import made_up_profile
    from quick_replies.pii import find_pii

    for seed in range(20):
        profile = made_up_profile(random.Random(seed))
        assert [match.kind for match in find_pii(profile["id_number"])] == ["id_card"]
        assert [match.kind for match in find_pii(profile["phone"])] == ["mobile"]
        assert "orders" not in profile, "orders are their own objects: made_up_orders()"
