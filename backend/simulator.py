"""Scripted customers that chat at human pace (scenario format documented in scenarios.toml)."""

from __future__ import annotations

import asyncio
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from backend.change_feed import ChangeNotifier
from backend.store import BackendStore

DEFAULT_SCENARIOS = Path(__file__).with_name("scenarios.toml")


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Reaction:
    when: tuple[str, ...]
    say: str


@dataclass(frozen=True)
class Scenario:
    key: str
    customer: str
    channel: str
    language: str
    turns: tuple[tuple[str, ...], ...]
    title: str = ""
    vip: bool = False
    priority: str = "normal"
    follow_up_after: float = 40.0
    follow_ups: tuple[str, ...] = ()
    closing: str = ""
    reactions: tuple[Reaction, ...] = field(default=())


def load_scenarios(path: Path = DEFAULT_SCENARIOS) -> list[Scenario]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"{path}: {error}") from None
    scenarios = []
    for index, raw in enumerate(data.get("scenario", []), start=1):
        try:
            scenarios.append(
                Scenario(
                    key=raw["key"],
                    customer=raw["customer"],
                    channel=raw["channel"],
                    language=raw["language"],
                    turns=tuple(tuple(turn["say"]) for turn in raw["turn"]),
                    title=raw.get("title", ""),
                    vip=bool(raw.get("vip", False)),
                    priority=raw.get("priority", "normal"),
                    follow_up_after=float(raw.get("follow_up_after", 40)),
                    follow_ups=tuple(raw.get("follow_ups", ())),
                    closing=raw.get("closing", ""),
                    reactions=tuple(Reaction(tuple(r["when"]), r["say"]) for r in raw.get("reaction", ())),
                )
            )
        except (KeyError, TypeError) as error:
            raise ScenarioError(f"{path}: scenario #{index} is missing or has a bad field: {error}") from None
    if not scenarios:
        raise ScenarioError(f"{path}: no [[scenario]] entries")
    return scenarios


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ORDER_ITEMS = ("羽绒服 M", "保温杯 500ml", "Wireless earbuds", "儿童书包", "Running shoes 42", "蓝牙音箱")
ORDER_STATES = ("paid", "shipped", "delivered", "refund requested")


def made_up_profile(rng: random.Random) -> dict:
    """A plausible customer for the demo: a mobile, an ID-card number with a valid GB 11643 check character
    (so the console's masking sees real-looking data), and a few recent orders."""
    body = f"110105{rng.randint(1960, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    check = ID_CHECK[sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS)) % 11]
    orders = [
        {"id": f"DD{rng.randint(10**11, 10**12 - 1)}", "item": rng.choice(ORDER_ITEMS),
         "status": rng.choice(ORDER_STATES), "amount": f"¥{rng.randint(19, 1999)}"}
        for _ in range(rng.randint(1, 3))
    ]
    return {"phone": f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}", "id_number": body + check,
            "orders": orders}


class CustomerSimulator:
    """Plays scenarios against the backend store, one asyncio task per open chat."""

    def __init__(
        self,
        store: BackendStore,
        notifier: ChangeNotifier,
        scenarios: list[Scenario],
        *,
        chats: int,
        pace: float = 1.0,
        seed: int | None = None,
    ):
        self.store, self.notifier, self.scenarios = store, notifier, scenarios
        self.chat_count, self.pace = chats, pace
        self.random = random.Random(seed)
        self._replies: dict[str, asyncio.Queue[str]] = {}
        notifier.subscribe(self._on_change)

    async def run(self) -> None:
        self._close_chats_left_from_last_run()
        tasks = [
            asyncio.create_task(self._customer_loop(self.scenarios[i % len(self.scenarios)], delay=i * 1.5))
            for i in range(self.chat_count)
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    def _close_chats_left_from_last_run(self) -> None:
        for chat in self.store.chats():
            if chat["state"] != "closed":
                self.store.add_message(chat["id"], "system", "Customer left: the simulator restarted.")
                self.store.update_chat(chat["id"], state="closed")
        self.notifier.notify("chat.updated")

    def _on_change(self, event_type: str, chat_id: str, author: str) -> None:
        if event_type == "message.created" and author == "agent" and chat_id in self._replies:
            chat = self.store.chat(chat_id)
            last = self.store.messages_after(chat_id, chat["last_seq"] - 1, 1)
            self._replies[chat_id].put_nowait(last[0]["text"] if last else "")

    async def _customer_loop(self, scenario: Scenario, delay: float) -> None:
        await self._sleep(delay)
        while True:
            await self._play(scenario)
            await self._sleep(60 + self.random.uniform(0, 60))

    async def _play(self, scenario: Scenario) -> None:
        chat = self.store.open_chat(
            scenario.customer,
            scenario.channel,
            customer_title=scenario.title,
            vip=scenario.vip,
            language=scenario.language,
            priority=scenario.priority,
            profile=made_up_profile(self.random),
        )
        chat_id = chat["id"]
        self._replies[chat_id] = asyncio.Queue()
        self.notifier.notify("chat.created", chat_id, "customer")
        unused_reactions = list(scenario.reactions)
        try:
            for turn in scenario.turns:
                for line in turn:
                    await self._type_and_send(chat_id, line)
                reply = await self._wait_for_reply(chat_id, scenario)
                for reaction in list(unused_reactions):
                    if any(word.lower() in reply.lower() for word in reaction.when):
                        unused_reactions.remove(reaction)
                        await self._type_and_send(chat_id, reaction.say)
                        break
            if scenario.closing:
                await self._type_and_send(chat_id, scenario.closing)
        finally:
            del self._replies[chat_id]

    async def _wait_for_reply(self, chat_id: str, scenario: Scenario) -> str:
        replies = self._replies[chat_id]
        follow_ups = list(scenario.follow_ups)
        while True:
            try:
                reply = await asyncio.wait_for(replies.get(), scenario.follow_up_after * self.pace)
                break
            except asyncio.TimeoutError:
                if follow_ups:
                    self._send(chat_id, follow_ups.pop(0))
        # Agents often answer in several messages; read them all before typing back.
        await self._sleep(self.random.uniform(1.0, 3.0))
        while not replies.empty():
            reply += "\n" + replies.get_nowait()
        return reply

    async def _type_and_send(self, chat_id: str, line: str) -> None:
        chars_per_second = 3.0 if any(ord(ch) > 0x2E80 for ch in line) else 5.0
        await self._sleep(self.random.uniform(1.0, 4.0) + len(line) / chars_per_second)
        self._send(chat_id, line)

    def _send(self, chat_id: str, text: str) -> None:
        self.store.add_message(chat_id, "customer", text)
        self.notifier.notify("message.created", chat_id, "customer")

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.pace)
