"""History search in chats the agent has revealed already (f9): their hits in clear, nobody else's, no new log."""

from __future__ import annotations

from local_cache.models import RemoteChat, RemoteMessage
from local_cache.store import LocalStore


def test_only_the_revealed_chats_hits_come_in_clear_and_nothing_more_is_logged(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3")
    chats = [RemoteChat(id=chat_id, customer_name="陈静", customer_title="", vip=False, channel="web",
                        state="opened", priority="normal", created_at=1.0, updated_at=1.0)
             for chat_id in ("ch_1", "ch_2")]
    messages = [RemoteMessage(f"m_{chat_id}", chat_id, 1, "customer", "退款到 13812345678 这个号", 2.0)
                for chat_id in ("ch_1", "ch_2")]
    store.chats.apply_changes(chats, messages)
    hits = {hit.chat_id: hit.text for hit in store.history.search("退款", revealed_chats=frozenset({"ch_2"}))}
    assert "13812345678" in hits["ch_2"] and "138****5678" in hits["ch_1"]
    assert store.audit.pii_reveals() == [], "the reveal was logged when the agent made it (f9)"
