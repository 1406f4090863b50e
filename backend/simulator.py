"""Scripted customers that chat at human pace (scenario format documented in scenarios.toml)."""

from __future__ import annotations

import asyncio
import random
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from stdnum.cn import ric

from backend.change_feed import ChangeNotifier
from backend.returning_customers import (
    PreviousChatScript,
    customer_id_for,
    is_new_customer,
    previous_chat_scripts,
    write_previous_chats,
)
from backend.simulated_files import SIMULATED_FILES, stored_attachment
from backend.simulated_orders import made_up_orders, newest_order_number, order_summaries
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
    previous_chats: tuple[PreviousChatScript, ...] = ()  # a returning customer's earlier chats ([[previous_chat]])
    attach: tuple[tuple[str, ...], ...] = ()  # per turn: files sent with its last line (simulated_files.py)


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
                    attach=tuple(tuple(turn.get("attach", ())) for turn in raw["turn"]),
                )
            )
            unknown = {name for names in scenarios[-1].attach for name in names} - SIMULATED_FILES.keys()
            if unknown:
                raise ScenarioError(f"{path}: scenario #{index} attaches unknown files {sorted(unknown)}; "
                                    f"known: {sorted(SIMULATED_FILES)}")
        except (KeyError, TypeError) as error:
            raise ScenarioError(f"{path}: scenario #{index} is missing or has a bad field: {error}") from None
    try:
        previous = previous_chat_scripts(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ScenarioError(f"{path}: a [[previous_chat]] is missing or has a bad field: {error}") from None
    scenarios = [replace(scenario, previous_chats=previous.get(scenario.key, ())) for scenario in scenarios]
    if not scenarios:
        raise ScenarioError(f"{path}: no [[scenario]] entries")
    return scenarios


ORDER_PLACEHOLDER = "{order_no}"  # in a scenario line: the customer's newest order number


def made_up_profile(rng: random.Random) -> dict:
    """A plausible customer for the demo: a mobile and an ID-card number with a valid GB 11643 check character
    (so the console's masking sees real-looking data). Their orders come from made_up_orders()."""
    body = f"110105{rng.randint(1960, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    check = ric.calc_check_digit(body + "0")  # it reads the first 17 characters
    return {"phone": f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}", "id_number": body + check}


@dataclass
class Progress:
    """Where one simulated customer is in the script. Saved with every line the customer says (in the same
    transaction), so a restarted server continues the same chat from there: nothing said twice, nothing new."""

    chat_id: str | None = None  # None between customers: the next one arrives at `next_chat_at`
    next_chat_at: float = 0.0
    turn: int = 0  # the turn being played; len(turns) once every turn is answered (the closing line is next)
    said: int = 0  # lines of that turn already said
    read_up_to: int = 0  # the chat's seq up to which the customer has read the agent's answers
    follow_ups: int = 0  # follow-ups sent while waiting for this turn's answer
    reactions: list[int] = field(default_factory=list)  # reactions already said (each fires once per chat)


class CustomerSimulator:
    """Plays scenarios against the backend store: customer slot i plays scenario i (cycling through the file),
    one asyncio task per slot. Each slot's progress is kept in the store, so a restart continues its chat."""

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
        self._woken: dict[str, asyncio.Event] = {}  # chat id -> set when the agent writes or acts there
        notifier.subscribe(self._on_change)

    async def run(self) -> None:
        saved = self.store.simulated_customers()
        claimed = {progress.get("chat_id") for _, progress in saved.values()}
        tasks = []
        for slot in range(self.chat_count):
            scenario = self.scenarios[slot % len(self.scenarios)]
            progress = self._resume(slot, scenario, saved.get(slot), claimed)
            tasks.append(asyncio.create_task(self._customer_loop(slot, scenario, progress)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    def _resume(self, slot: int, scenario: Scenario, saved: tuple[str, dict] | None, claimed: set) -> Progress:
        """The slot's saved progress; for a database from before progress was saved, the chat this customer
        left open; else a first customer, the slots a moment apart so the chats do not all open at once."""
        if saved is not None and saved[0] == scenario.key:
            progress = Progress(**saved[1])
        else:
            progress = (self._adopt_open_chat(scenario, claimed) if saved is None else None) or Progress(
                next_chat_at=self.store.clock() + slot * 1.5 * self.pace)
        if progress.chat_id is not None and self._closed(progress.chat_id):
            progress = self._next_customer()  # the agent closed it while the server was down: this one is done
        self._save(slot, scenario, progress)
        return progress

    def _adopt_open_chat(self, scenario: Scenario, claimed: set) -> Progress | None:
        """The newest open chat of this scenario's customer, resumed after the last script line it holds."""
        chats = [chat for chat in self.store.chats() if chat["state"] != "closed" and chat["id"] not in claimed
                 and chat["customer"]["name"] == scenario.customer and chat["channel"] == scenario.channel]
        if not chats:
            return None
        chat_id = chats[-1]["id"]
        claimed.add(chat_id)
        said = [m for m in self.store.messages_after(chat_id, 0, 100_000) if m["author"] == "customer"]
        lines = {m["text"] for m in said}
        if scenario.closing and self._filled(chat_id, scenario.closing) in lines:
            return self._next_customer()
        turns = tuple(tuple(self._filled(chat_id, line) for line in turn) for turn in scenario.turns)
        turn = next((i for i, turn in enumerate(turns) if not set(turn) <= lines), len(turns))
        lines_said = 0 if turn == len(turns) else next(i for i, line in enumerate(turns[turn]) if line not in lines)
        if lines_said == 0 and turn > 0:  # the turn before was said in full: the customer waits for its answer
            turn, lines_said = turn - 1, len(turns[turn - 1])
        return Progress(chat_id=chat_id, turn=turn, said=lines_said, read_up_to=said[-1]["seq"] if said else 0)

    def _on_change(self, event_type: str, chat_id: str, author: str) -> None:
        if author == "agent" and chat_id in self._woken:
            self._woken[chat_id].set()

    async def _customer_loop(self, slot: int, scenario: Scenario, progress: Progress) -> None:
        while True:
            if progress.chat_id is None:
                await asyncio.sleep(max(0.0, progress.next_chat_at - self.store.clock()))
                progress = self._open_chat(slot, scenario)
            progress = await self._play(slot, scenario, progress)

    def _open_chat(self, slot: int, scenario: Scenario) -> Progress:
        profile = made_up_profile(self.random)
        orders = made_up_orders(self.random, scenario.customer, profile["phone"], scenario.language, self.store.clock(),
                                taken=lambda order_no: self.store.orders.get(order_no) is not None)
        customer_id = customer_id_for(scenario.key, slot)
        with self.store.transaction():  # the chat, its orders and the slot's claim: a crash leaves all or none
            if scenario.previous_chats and is_new_customer(self.store, customer_id):
                write_previous_chats(self.store, scenario.previous_chats, customer_id=customer_id,
                                     customer=scenario.customer, channel=scenario.channel,
                                     language=scenario.language, title=scenario.title, vip=scenario.vip)
            chat = self.store.open_chat(
                scenario.customer,
                scenario.channel,
                customer_title=scenario.title,
                vip=scenario.vip,
                language=scenario.language,
                priority=scenario.priority,
                profile=profile | {"orders": order_summaries(orders)},
                customer_id=customer_id,
            )
            for order in orders:
                self.store.orders.add(chat["id"], order, at=order["created_at"])
            progress = Progress(chat_id=chat["id"])
            self._save(slot, scenario, progress)
        self.notifier.notify("chat.created", chat["id"], "customer")
        return progress

    async def _play(self, slot: int, scenario: Scenario, progress: Progress) -> Progress:
        """The script from where `progress` stands, to its closing line or until the agent closes the chat.
        Returns the slot's next progress: waiting for the next customer."""
        chat_id = progress.chat_id
        try:
            while progress.turn < len(scenario.turns):
                for line in scenario.turns[progress.turn][progress.said:]:
                    await self._typing_pause(line)
                    progress.said += 1
                    last = progress.said == len(scenario.turns[progress.turn])
                    files = scenario.attach[progress.turn] if last and scenario.attach else ()
                    if not self._say(slot, scenario, chat_id, line, progress, files):
                        return self._leave(slot, scenario)
                reply = await self._wait_for_reply(slot, scenario, progress)
                if reply is None:
                    return self._leave(slot, scenario)
                progress.turn, progress.said, progress.follow_ups = progress.turn + 1, 0, 0
                reaction = next((index for index, reaction in enumerate(scenario.reactions)
                                 if index not in progress.reactions
                                 and any(word.lower() in reply.lower() for word in reaction.when)), None)
                if reaction is None:
                    self._save(slot, scenario, progress)
                    continue
                progress.reactions.append(reaction)
                await self._typing_pause(scenario.reactions[reaction].say)
                if not self._say(slot, scenario, chat_id, scenario.reactions[reaction].say, progress):
                    return self._leave(slot, scenario)
            if not scenario.closing:
                return self._leave(slot, scenario)
            await self._typing_pause(scenario.closing)
            following = self._next_customer()
            if not self._say(slot, scenario, chat_id, scenario.closing, following):
                return self._leave(slot, scenario)
            return following
        finally:
            self._woken.pop(chat_id, None)

    async def _wait_for_reply(self, slot: int, scenario: Scenario, progress: Progress) -> str | None:
        """The agent's answer (every message since the customer last read), or None once the chat is closed.
        An answer given while the server was down counts: it is read from the chat, not from a notification."""
        loop = asyncio.get_running_loop()
        follow_up_at = loop.time() + scenario.follow_up_after * self.pace
        while not self._answers(progress):
            if self._closed(progress.chat_id):
                return None
            woken = self._woken[progress.chat_id] = asyncio.Event()
            try:
                await asyncio.wait_for(woken.wait(), max(0.0, follow_up_at - loop.time()))
            except asyncio.TimeoutError:
                follow_up_at = loop.time() + scenario.follow_up_after * self.pace
                if progress.follow_ups < len(scenario.follow_ups):
                    progress.follow_ups += 1
                    text = scenario.follow_ups[progress.follow_ups - 1]
                    if not self._say(slot, scenario, progress.chat_id, text, progress):
                        return None
        # Agents often answer in several messages; read them all before typing back.
        await self._sleep(self.random.uniform(1.0, 3.0))
        answers = self._answers(progress)
        progress.read_up_to = answers[-1]["seq"]
        return "\n".join(message["text"] for message in answers)

    def _answers(self, progress: Progress) -> list[dict]:
        # The customer's view: an agent's internal note is neither seen nor an answer.
        messages = self.store.customer_visible_after(progress.chat_id, progress.read_up_to, 1000)
        return [message for message in messages if message["author"] == "agent"]

    def _say(self, slot: int, scenario: Scenario, chat_id: str, text: str, then: Progress,
             files: tuple[str, ...] = ()) -> bool:
        """The customer's line and where it leaves the script, in one transaction: a restart neither repeats
        nor skips it. Says nothing (False) once the agent has closed the chat: that customer is done."""
        if self._closed(chat_id):
            return False
        with self.store.transaction():
            attachments = [stored_attachment(self.store, name) for name in files]
            self.store.add_message(chat_id, "customer", self._filled(chat_id, text), attachments=attachments)
            self._save(slot, scenario, then)
        self.notifier.notify("message.created", chat_id, "customer")
        return True

    def _filled(self, chat_id: str, line: str) -> str:
        """The line with the customer's own newest order number in it."""
        if ORDER_PLACEHOLDER not in line:
            return line
        return line.replace(ORDER_PLACEHOLDER, newest_order_number(self.store, self.random, chat_id))

    def _leave(self, slot: int, scenario: Scenario) -> Progress:
        following = self._next_customer()
        self._save(slot, scenario, following)
        return following

    def _next_customer(self) -> Progress:
        return Progress(next_chat_at=self.store.clock() + (60 + self.random.uniform(0, 60)) * self.pace)

    def _save(self, slot: int, scenario: Scenario, progress: Progress) -> None:
        self.store.save_simulated_customer(slot, scenario.key, asdict(progress))

    def _closed(self, chat_id: str) -> bool:
        chat = self.store.chat(chat_id)
        return chat is None or chat["state"] == "closed"

    async def _typing_pause(self, line: str) -> None:
        chars_per_second = 3.0 if any(ord(ch) > 0x2E80 for ch in line) else 5.0
        await self._sleep(self.random.uniform(1.0, 4.0) + len(line) / chars_per_second)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.pace)
