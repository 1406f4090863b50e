"""Returning customers for the simulator: chats a scripted customer had before, written in, already closed, the
first time that customer arrives ([[previous_chat]] in scenarios.toml). All of a customer's chats share one
customer id, so the console links them (customer.id, docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.store import BackendStore

DAY = 86_400.0
LINE_GAP = 70.0  # seconds between the lines of a previous chat


@dataclass(frozen=True)
class PreviousChatScript:
    days_ago: float
    lines: tuple[tuple[str, str], ...]  # (author, text): author is customer, agent or note (an agent's, private)


def previous_chat_scripts(data: dict) -> dict[str, tuple[PreviousChatScript, ...]]:
    """Scenario key -> its customer's previous chats, oldest first. KeyError/TypeError/ValueError on a bad entry
    (the caller names the file)."""
    scripts: dict[str, list[PreviousChatScript]] = {}
    for raw in data.get("previous_chat", []):
        lines = tuple((str(author), str(text)) for author, text in raw["lines"])
        if not lines or any(author not in ("customer", "agent", "note") for author, _ in lines):
            raise ValueError(f"previous_chat of {raw['scenario']!r}: lines are [customer|agent|note, text] pairs")
        scripts.setdefault(raw["scenario"], []).append(PreviousChatScript(float(raw["days_ago"]), lines))
    return {key: tuple(sorted(found, key=lambda script: -script.days_ago)) for key, found in scripts.items()}


def customer_id_for(scenario_key: str, slot: int) -> str:
    """The same customer every time this slot plays this scenario: their chats link up."""
    return f"cu_sim_{scenario_key}_{slot}"


def is_new_customer(store: BackendStore, customer_id: str) -> bool:
    return store.conn.execute("SELECT 1 FROM chats WHERE customer_id=? LIMIT 1", (customer_id,)).fetchone() is None


def write_previous_chats(store: BackendStore, scripts: tuple[PreviousChatScript, ...], *, customer_id: str,
                         customer: str, channel: str, language: str, title: str, vip: bool) -> list[str]:
    """Inside the caller's transaction: each script as a closed chat of this customer. Returns the chat ids."""
    now, chat_ids = store.clock(), []
    for script in scripts:
        started = now - script.days_ago * DAY
        chat = store.open_chat(customer, channel, customer_title=title, vip=vip, language=language, at=started,
                               customer_id=customer_id)
        for number, (author, text) in enumerate(script.lines):
            store.add_message(chat["id"], "agent" if author == "note" else author, text,
                              at=started + number * LINE_GAP, private=author == "note")
        store.close_chat_at(chat["id"], started + len(script.lines) * LINE_GAP)
        chat_ids.append(chat["id"])
    return chat_ids
