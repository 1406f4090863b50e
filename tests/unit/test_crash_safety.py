"""kill -9 of a running `agent-console sync`, again and again, while senders keep adding messages."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from local_cache.store import profile_path
from tests.package_under_test import OUTSIDE_TREE, package_env

CHATS = 5
FAST_MESSAGES = 150  # the backlog already waiting when the first sync starts
SLOW_MESSAGES = 100  # added while syncs are being killed
KILLS = 22
NOTE = " (note)"  # how agent_texts marks an internal note: every tenth item of a chat is one (n % 10 == 3)

SENDER = """
import sys, time
from pathlib import Path
from local_cache.store import LocalStore
chat_ids = sys.argv[2].split(",")
store = LocalStore(Path(sys.argv[1]))
counters = [0] * len(chat_ids)
for n in range({total}):
    index = n % len(chat_ids)
    store.outbox.enqueue_message(chat_ids[index], f"{{index}}:{{counters[index]:04d}}",
                                 private=counters[index] % 10 == 3)
    counters[index] += 1
    if n >= {fast}:
        time.sleep(0.12)
"""


def run_cli(*args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=OUTSIDE_TREE, timeout=120,
        env=package_env(), check=check,
    )


def test_kill_9_at_random_moments_loses_nothing_and_duplicates_nothing(tmp_path, reference_backend, fault_proxy):
    chat_ids = [reference_backend.open_chat(f"客户{n}") for n in range(CHATS)]

    def agent_texts(chat_id: str) -> list[str]:
        return [m["text"] + NOTE * m["private"] for m in reference_backend.messages(chat_id) if m["author"] == "agent"]

    kill_9_again_and_again(tmp_path, fault_proxy, fault_proxy.url, reference_backend.token, chat_ids, agent_texts)
    for chat_id in chat_ids:
        keys = [m["client_key"] for m in reference_backend.messages(chat_id) if m["author"] == "agent"]
        assert len(keys) == len(set(keys))


def test_kill_9_loses_nothing_and_duplicates_nothing_on_chatwoot_too(tmp_path):
    from tests.fake_chatwoot.control import FakeChatwoot
    from tests.fault_proxy import FaultProxy

    with FakeChatwoot() as chatwoot:
        proxy = FaultProxy(chatwoot.url).start()
        try:
            chat_ids = [str(chatwoot.add_conversation(chatwoot.add_contact(f"客户{n}"))) for n in range(CHATS)]

            def agent_texts(chat_id: str) -> list[str]:
                return [m["content"] + NOTE * m["private"] for m in chatwoot.messages(int(chat_id))
                        if m["message_type"] == 1]

            kill_9_again_and_again(tmp_path, proxy, f"chatwoot+{proxy.url}/1", chatwoot.token, chat_ids,
                                   agent_texts)
        finally:
            proxy.stop()


def kill_9_again_and_again(tmp_path, fault_proxy, backend_url, token, chat_ids, agent_texts) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    # Through the proxy, which holds back the answer to every third push after forwarding it: a kill then
    # lands in the widest dangerous window, the server having applied what the client has not heard of.
    connection = ["--backend", backend_url, "--token", token,
                  "--data-dir", str(tmp_path), "--config", str(tmp_path / "none.toml")]
    run_cli("sync", "--once", *connection)
    fault_proxy.plan(*["pass", "pass", "stall"] * 100)
    store_path = profile_path(tmp_path, "default")
    env = package_env()

    sender = subprocess.Popen(
        [sys.executable, "-c", SENDER.format(total=FAST_MESSAGES + SLOW_MESSAGES, fast=FAST_MESSAGES),
         str(store_path), ",".join(chat_ids)],
        cwd=OUTSIDE_TREE, env=env,
    )
    cli_senders = []
    for kill in range(KILLS):
        if kill in (5, 12):  # `send` processes share the data dir with the sender and the sync
            cli_senders.append(subprocess.Popen(
                [sys.executable, "-m", "cli", "send", "--chat", chat_ids[0], f"cli-{kill}", *connection],
                cwd=OUTSIDE_TREE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
        sync = subprocess.Popen([sys.executable, "-m", "cli", "sync", *connection], cwd=OUTSIDE_TREE, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.4))
        os.kill(sync.pid, signal.SIGKILL)
        sync.wait()
    delivered_before_drain = sum(len(agent_texts(chat_id)) for chat_id in chat_ids)
    print(f"seed {seed}: {delivered_before_drain} messages delivered by the killed syncs")
    assert sender.wait(120) == 0, f"sender failed (seed {seed})"
    assert all(p.wait(60) == 0 for p in cli_senders)

    stalled = sum(1 for _, _, fault in fault_proxy.requests_seen if fault == "stall")
    print(f"{stalled} pushes were applied by the server and then held back from the client")
    fault_proxy.plan()
    for _ in range(10):  # restart until drained
        if run_cli("sync", "--once", *connection, check=False).returncode == 0:
            break
    else:
        raise AssertionError(f"the outbox never drained (seed {seed}): {run_cli('outbox', *connection).stdout}")

    for index, chat_id in enumerate(chat_ids):
        texts = agent_texts(chat_id)
        expected = [f"{index}:{n:04d}" + NOTE * (n % 10 == 3)
                    for n in range((FAST_MESSAGES + SLOW_MESSAGES) // CHATS)]
        if index == 0:
            assert sorted(t for t in texts if t.startswith("cli-")) == ["cli-12", "cli-5"], f"seed {seed}"
            texts = [t for t in texts if not t.startswith("cli-")]
        assert texts == expected, f"chat {index}: each message once, in order (seed {seed})"

    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    states = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
    assert states == {"sent": FAST_MESSAGES + SLOW_MESSAGES + 2}
    conn.close()


# --- --recover-store on a file with damaged pages -------------------------------------------------------------

PAGE = 4096
QUEUED_ITEMS = 400


def outbox_store(folder):
    """A real store of 400 queued items (about 10 to a page: ~40 outbox pages), checkpointed into the main file,
    and a few items already sent (those are never carried over). Returns its path and {key: (chat, body)}."""
    from local_cache.store import LocalStore

    path = folder / "profiles" / "agent.sqlite3"
    store = LocalStore(path)
    for n in range(QUEUED_ITEMS + 5):
        store.outbox.enqueue_message(f"ch_{n % 5}", f"{n:04d} " + "内容" * 55)
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE
    conn.execute("UPDATE outbox SET state='sent' WHERE id > ?", (QUEUED_ITEMS,))
    conn.commit()
    queued = {key: (chat, body) for key, chat, body in
              conn.execute("SELECT idempotency_key, chat_id, body FROM outbox WHERE state='queued'")}
    conn.close()
    return path, queued


def pages_holding(path, keys, page_type):
    """Page numbers (1-based) of b-tree pages of the given type (13 table leaf, 10 index leaf) holding keys."""
    data = path.read_bytes()
    found = {}
    for index in range(len(data) // PAGE):
        page = data[index * PAGE:(index + 1) * PAGE]
        if page[100 if index == 0 else 0] == page_type:
            on_page = {key for key in keys if key.encode() in page}
            if on_page:
                found[index + 1] = on_page
    return found


def damage(path, page_number, how):
    with open(path, "r+b") as file:
        if how == "garbage":  # the whole page overwritten
            file.seek((page_number - 1) * PAGE)
            file.write(random.Random(page_number).randbytes(PAGE))
        else:  # only its b-tree header: the page type and cell pointers become nonsense
            file.seek((page_number - 1) * PAGE)
            file.write(b"\xff" * 24)


def intact(path):
    try:
        return sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False


def test_one_damaged_outbox_page_loses_only_the_items_on_it(tmp_path):
    from local_cache.recovery import move_aside_and_salvage

    original, queued = outbox_store(tmp_path / "original")
    table_pages = pages_holding(original, queued, 13)
    assert len(table_pages) >= 35, "the outbox should span dozens of pages"
    index_pages = pages_holding(original, queued, 10)
    numbers = sorted(table_pages)
    cases = [(numbers[0], "garbage"), (numbers[len(numbers) // 2], "garbage"), (numbers[-1], "garbage"),
             (numbers[len(numbers) // 3], "header"), (min(index_pages), "garbage")]
    for page_number, how in cases:
        path = tmp_path / f"case-{page_number}-{how}" / "agent.sqlite3"
        path.parent.mkdir()
        path.write_bytes(original.read_bytes())
        damage(path, page_number, how)
        assert not intact(path), f"page {page_number} ({how}) should be damaged"

        aside, carried = move_aside_and_salvage(path)

        lost = table_pages.get(page_number, set())
        conn = sqlite3.connect(path)
        recovered = {key: (chat, body) for key, chat, body, state in
                     conn.execute("SELECT idempotency_key, chat_id, body, state FROM outbox") if state == "queued"}
        conn.close()
        expected = {key: value for key, value in queued.items() if key not in lost}
        assert recovered == expected, f"page {page_number} ({how}): {len(recovered)} of {len(expected)} carried"
        assert carried == len(expected) >= QUEUED_ITEMS - 12
        assert aside.exists()


def test_recovery_works_in_a_folder_whose_name_has_uri_characters(tmp_path):
    folder = tmp_path / "data #1 ?x=%41 100%"
    path, queued = outbox_store(folder)
    numbers = sorted(pages_holding(path, queued, 13))
    damage(path, numbers[len(numbers) // 2], "garbage")
    result = run_cli("outbox", "--json", "--recover-store", "--agent", "agent", "--data-dir", str(folder),
                     "--config", str(tmp_path / "none.toml"), check=False)
    assert "carried" in result.stderr, result.stderr
    carried = int(result.stderr.split("carried ")[1].split()[0])
    assert carried >= QUEUED_ITEMS - 12
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM outbox WHERE state='queued'").fetchone()[0] == carried
    conn.close()
