"""History search (store.history): every message, open and closed chats, Chinese of any length, any case,
newest first, with the index kept right through updates and deletes, and the agent's text never taken as query
syntax. Results are checked against a plain substring search over the same messages."""

from __future__ import annotations

import random
import sqlite3
import time

import pytest

from local_cache.database import MIGRATIONS, SCHEMA_VERSION
from local_cache.models import RemoteChat, RemoteMessage
from local_cache.store import LocalStore

T0 = 1_790_000_000.0


def chat(chat_id="ch_1", state="opened", name="林小雨") -> RemoteChat:
    return RemoteChat(chat_id, name, "", False, "app", state, "normal", T0, T0)


def message(number, text, chat_id="ch_1", at=None, author="customer") -> RemoteMessage:
    return RemoteMessage(f"m{number}", chat_id, number, author, text, T0 + (number if at is None else at))


@pytest.fixture
def store(tmp_path):
    store = LocalStore(tmp_path / "agent.sqlite3", clock=lambda: T0 + 1000)
    yield store
    store.close()


def found(store, query, limit=50):
    return [hit.message_id for hit in store.history.search(query, limit=limit)]


def expected(store, query, limit=1000):
    """A plain substring search, ignoring case, newest first: what the index must agree with."""
    needle = query.strip().lower()
    rows = store.conn.execute("SELECT id, text, created_at, rowid FROM messages").fetchall()
    rows = sorted((r for r in rows if needle in r["text"].lower()), key=lambda r: (-r["created_at"], -r["rowid"]))
    return [r["id"] for r in rows[:limit]] if needle else []


def test_chinese_words_of_two_and_of_three_or_more_characters(store):
    store.chats.apply_changes([chat("ch_1"), chat("ch_2", "closed", "赵先生")], [
        message(1, "我要退款"),  # 退款 at the very end: no trigram starts there without the end mark
        message(2, "退款"),
        message(3, "申请退款以后多久到账？", "ch_2"),
        message(4, "退货地址在哪里"),
    ])
    assert found(store, "退款") == ["m3", "m2", "m1"]
    assert found(store, "款") == ["m3", "m2", "m1"]
    assert found(store, "申请退款") == ["m3"]
    assert found(store, "退款以后多久") == ["m3"]
    assert found(store, "退货地址在哪里") == ["m4"]
    hit = store.history.search("退款以后")[0]
    assert (hit.chat_id, hit.customer_name, hit.chat_state, hit.seq, hit.author) == ("ch_2", "赵先生", "closed", 3,
                                                                                     "customer")
    assert hit.text[slice(*hit.spans[0])] == "退款以后" and hit.created_at == T0 + 3


def test_english_ignores_case_and_marks_every_match(store):
    store.chats.apply_changes([chat()], [message(1, "Refund policy: a REFUND takes 3 days"), message(2, "ok")])
    for query in ("refund", "REFUND", "ReFuNd", "re", "O", "ok"):
        assert found(store, query) == expected(store, query), query
    hit = store.history.search("refund")[0]
    assert [hit.text[start:end] for start, end in hit.spans] == ["Refund", "REFUND"]


def test_newest_first_by_time_even_when_older_history_arrives_later(store):
    store.chats.apply_changes([chat()], [message(n, f"订单DD2026{n:04d}", at=1000 + n) for n in range(1, 30)])
    store.chats.apply_changes([chat()], [message(n, f"订单DD2026{n:04d}", at=n) for n in range(30, 60)])
    for limit in (1, 5, 29, 30, 59, 100):  # few matches are sorted; many walk the time index
        for query in ("DD2026", "订单", "单", "DD20260"):
            assert found(store, query, limit) == expected(store, query, limit), (query, limit)


def test_updated_deleted_and_upserted_again_messages_keep_the_index_right(store):
    store.chats.apply_changes([chat()], [message(1, "包裹破损了"), message(2, "谢谢")])
    store.chats.apply_changes([chat()], [message(1, "包裹破损了")])  # the feed replays it unchanged
    assert found(store, "破损") == ["m1"]
    store.chats.apply_changes([chat()], [message(1, "已经收到换货")])  # edited on the server
    assert found(store, "破损") == [] and found(store, "包裹破") == []
    assert found(store, "换货") == ["m1"] and found(store, "收到换货") == ["m1"]
    store.forget_server_data()
    assert found(store, "换货") == [] and found(store, "谢谢") == []
    store.chats.apply_changes([chat()], [message(1, "已经收到换货"), message(2, "谢谢")])
    assert found(store, "收到换货") == ["m1"] and found(store, "谢") == ["m2"]
    store.conn.execute("INSERT INTO message_search (message_search, rank) VALUES ('integrity-check', 0)")


@pytest.mark.parametrize("query", ['"', '""', '"退款', "*", "退*", "NEAR(", "NEAR(a b)", "OR", "a OR b", "AND",
                                   "NOT", "-退款", "^ok", "text:退", "{text}: a", "(", ")", "+", ":", "'", "\\",
                                   "a\"b", "%", "_", "\x00", "\U0010ffff"])
def test_what_the_agent_types_is_searched_as_text_never_as_query_syntax(store, query):
    store.chats.apply_changes([chat()], [
        message(1, 'he said "退款" OR NEAR(a b) AND NOT -退款 ^ok text:退 {text}: a (+) \'\\ a"b 50% x_y'),
        message(2, "a OR b"),
        message(3, "plain words"),
    ])
    assert found(store, query) == expected(store, query)


@pytest.mark.parametrize("limit", [5, 1000])  # 5: common 1-2 characters are scanned, rare ones looked up
def test_random_texts_and_queries_agree_with_a_substring_search(store, limit):
    rng = random.Random(17)
    alphabet = "退款订单物流包裹破损谢谢您好abAB12 ，。"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(400)]
    store.chats.apply_changes([chat()], [message(n, text, at=rng.random() * 1000) for n, text in enumerate(texts)])
    queries = {text[i:i + rng.randint(1, 5)] for text in texts[:150] for i in range(0, len(text), 7)}
    for query in sorted(queries) + ["Z", "退退退退"]:
        assert found(store, query, limit) == expected(store, query, limit), query


def test_personal_data_is_masked_unless_revealed_and_a_reveal_is_logged(store):
    store.chats.apply_changes([chat("ch_1"), chat("ch_2")], [
        message(1, "我的手机13812345678，退款到卡上", "ch_1"), message(2, "退款多久到", "ch_2"),
    ])
    masked = store.history.search("13812345678")[0]
    assert masked.text == "我的手机138****5678，退款到卡上"
    assert [masked.text[start:end] for start, end in masked.spans] == ["138****5678"]
    assert store.history.search("8")[0].spans == ((4, 15),)  # two 8s inside one masked number: one mark
    after = store.history.search("退款")[1]
    assert after.text[slice(*after.spans[0])] == "退款"
    assert store.audit.pii_reveals() == []
    clear = store.history.search("退款", reveal=True)
    assert clear[1].text == "我的手机13812345678，退款到卡上"
    assert sorted(chat_id for chat_id, _ in store.audit.pii_reveals()) == ["ch_1", "ch_2"]


def test_an_empty_query_or_limit_finds_nothing(store):
    store.chats.apply_changes([chat()], [message(1, "您好")])
    assert found(store, "") == [] and found(store, "   ") == [] and found(store, "您好", limit=0) == []
    assert found(store, "  您好 ") == ["m1"]


def test_the_migration_indexes_a_store_written_before_it(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:10]):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version={number + 1}")
    conn.execute("INSERT INTO chats (id, customer_name, channel, state, priority, created_at, updated_at) "
                 "VALUES ('ch_1', '陈静', 'app', 'closed', 'normal', 0, 0)")
    conn.executemany("INSERT INTO messages (id, chat_id, seq, author, text, created_at) VALUES (?,?,?,?,?,?)",
                     [("m1", "ch_1", 1, "customer", "我要退款", T0), ("m2", "ch_1", 2, "agent", "Refund done", T0 + 1)])
    conn.close()
    store = LocalStore(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert found(store, "退款") == ["m1"] and found(store, "我要退款") == ["m1"]
        assert found(store, "refund") == ["m2"]
        assert store.history.search("退款")[0].customer_name == "陈静"
    finally:
        store.close()


def test_a_large_store_finds_rare_and_common_short_words_exactly(store):
    """Past RECENT_ROWS messages, a 1-2 character word missing from the newest ones is looked up by its trigrams,
    or scanned for when it starts too many of them; either way exactly as a substring search finds it."""
    rng = random.Random(3)
    older = [message(n, text, at=n) for n, text in enumerate(
        ["我要退款", "退款", "Refund", "x退款y"] + [f"的{chr(0x4E00 + n)}" for n in range(500)], start=1)]
    newer = [message(n, rng.choice(["您好", "谢谢", "hello there", "好的"]), at=10_000 + n) for n in range(1000, 4200)]
    store.chats.apply_changes([chat()], older + newer)
    for query in ("退款", "退", "款", "re", "R", "的", "您好", "您", "o", "x退", "ZZ"):
        for limit in (3, 50, 600):
            assert found(store, query, limit) == expected(store, query, limit), (query, limit)


def pending(store) -> int:
    return store.conn.execute("SELECT COUNT(*) FROM message_search_pending").fetchone()[0]


def test_a_write_only_notes_the_message_and_the_search_indexes_it_first(store):
    """Tokenizing on insert weighed on the slowest catch-up writes; a search still finds every message stored."""
    store.chats.apply_changes([chat()], [message(n, f"第{n}个包裹破损") for n in range(1, 8)])
    assert pending(store) == 7
    assert store.history.index_pending(most=3) == 3 and pending(store) == 4, "the oldest three, as the engine asks"
    assert found(store, "包裹破损") == [f"m{n}" for n in range(7, 0, -1)], "the four not yet indexed are found too"
    assert pending(store) == 0 and store.history.index_pending() == 0


def test_edits_and_deletes_before_and_after_indexing_agree_with_a_substring_search(store):
    """Random writes (new, edited, replayed, everything forgotten: rowids then start again) between random partial
    indexing: every search agrees with a plain scan, and the index stays consistent."""
    rng = random.Random(29)
    words = ["退款", "包裹", "破损", "refund", "Order", "谢谢", "快递"]
    texts: dict[int, str] = {}
    for step in range(300):
        roll = rng.random()
        if roll < 0.55:
            number = rng.randint(1, 40)
            texts[number] = "".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
            store.chats.apply_changes([chat()], [message(number, texts[number])])
        elif roll < 0.65 and texts:
            number = rng.choice(sorted(texts))
            store.chats.apply_changes([chat()], [message(number, texts[number])])  # replayed unchanged
        elif roll < 0.68:
            store.forget_server_data()
            texts.clear()
        elif roll < 0.85:
            store.history.index_pending(most=rng.choice([1, 3, 10, -1]))
        else:
            query = rng.choice(words + ["款", "包裹破", "refundOrder", "谢"])
            assert found(store, query, 1000) == expected(store, query), (step, query)
    store.history.index_pending()
    store.conn.execute("INSERT INTO message_search (message_search, rank) VALUES ('integrity-check', 0)")
    for query in words:
        assert found(store, query, 1000) == expected(store, query), query


def test_the_running_engine_indexes_what_it_stored_once_the_feed_is_quiet(tmp_path, reference_backend):
    """Messages arrive through the real feed; once a long poll comes back empty, the engine indexes them, so the
    agent's next search has nothing left to do."""
    from local_cache.reference_client import ReferenceApiClient
    from local_cache.sync_engine import SyncEngine
    from tests.engine_thread import RunningEngine

    chat_id = reference_backend.open_chat("陈静", "web")
    for number in range(12):
        reference_backend.customer_says(chat_id, f"第{number}次问退款")
    path = tmp_path / "agent.sqlite3"
    engine = SyncEngine(lambda: LocalStore(path),
                        lambda: ReferenceApiClient(reference_backend.url, reference_backend.token),
                        long_poll_wait=0.3)
    reader = LocalStore(path)
    try:
        with RunningEngine(engine):
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                stored = reader.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
                indexed = reader.conn.execute("SELECT COUNT(*) FROM message_search").fetchone()[0]
                if stored == 12 and indexed == 12 and pending(reader) == 0:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"{stored} stored, {indexed} indexed, {pending(reader)} pending")
        assert len(found(reader, "问退款")) == 12
    finally:
        reader.close()


def test_a_note_found_says_it_is_one_in_the_store_and_the_screen(store):
    from dataclasses import replace

    from widgets.screens.history_search import hit_prompt

    store.chats.apply_changes([chat()], [message(1, "客户要退款"),
                                         replace(message(2, "内部：退款先别批", author="agent"), private=True)])
    hits = {hit.message_id: hit for hit in store.history.search("退款")}
    assert (hits["m1"].private, hits["m2"].private) == (False, True)
    assert "Internal note" in hit_prompt(hits["m2"]).plain and "Internal note" not in hit_prompt(hits["m1"]).plain
