"""Bad conditions for the local store: a full disk, a read-only data dir, a damaged file."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from local_cache.database import CorruptStore, StoreError
from local_cache.models import RemoteChat, RemoteMessage
from local_cache.store import LocalStore, profile_path
from tests.package_under_test import OUTSIDE_TREE, package_env


def run_cli(*args, prefix=(), stdin=None):
    return subprocess.run(
        [*prefix, sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=OUTSIDE_TREE,
        timeout=60, env=package_env(), input=stdin,
    )


def test_a_full_disk_is_a_clear_error_and_keeps_what_was_queued(tmp_path):
    path = tmp_path / "agent.sqlite3"
    store = LocalStore(path)
    kept = store.outbox.enqueue_message("ch_1", "queued before the disk filled up")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count={pages + 2}")  # SQLite's own SQLITE_FULL, as on a full disk
    with pytest.raises(StoreError) as error:
        for n in range(100):
            store.outbox.enqueue_message("ch_1", f"{n} " + "长" * 4000)
    assert "disk is full" in str(error.value) and str(path) in str(error.value)
    store.close()

    reopened = LocalStore(path)
    keys = [item.idempotency_key for item in reopened.outbox.items()]
    assert keys[0] == kept.idempotency_key and all(i.state == "queued" for i in reopened.outbox.items())
    reopened.close()


def read_only_prefix(directory) -> tuple[str, ...]:
    """Run a command with `directory` mounted read-only in a private mount namespace (root only)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to mount a read-only directory")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("mount namespaces are not available here")
    script = (
        f'mount --bind "{directory}" "{directory}" && mount -o remount,ro,bind "{directory}" "{directory}" '
        '&& exec "$@"'
    )
    return ("unshare", "-m", "sh", "-c", script, "sh")


def test_a_read_only_data_dir_is_a_clear_error(tmp_path):
    data = tmp_path / "data"
    store = LocalStore.for_profile(data, "demo")
    store.outbox.enqueue_message("ch_1", "queued while the folder was writable")
    store.close()

    result = run_cli("send", "--chat", "ch_1", "hello", "--data-dir", str(data), "--config", "/nonexistent",
                     prefix=read_only_prefix(data))
    assert result.returncode == 2
    assert "read-only" in result.stderr and "demo.sqlite3" in result.stderr, result.stderr

    after = LocalStore.for_profile(data, "demo")
    assert [i.body["text"] for i in after.outbox.items()] == ["queued while the folder was writable"]
    after.close()


def damaged_store_with_unsent_items(data) -> tuple[list[str], object]:
    """A store whose messages table is destroyed while its outbox pages are still readable."""
    path = profile_path(data, "demo")
    store = LocalStore(path)
    chat = RemoteChat("ch_1", "林小雨", "", False, "app", "opened", "normal", 1.0, 1.0)
    messages = [RemoteMessage(f"m{n}", "ch_1", n, "customer", "很长的消息" * 200, 1.0 + n) for n in range(1, 60)]
    store.chats.apply_changes([chat], messages)
    keys = [store.outbox.enqueue_message("ch_1", f"待发送 {n}").idempotency_key for n in range(3)]
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
    root = store.conn.execute("SELECT rootpage FROM sqlite_master WHERE name='messages'").fetchone()[0]
    store.close()
    with open(path, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xde\xad" * (page_size // 2))
    return keys, path


def test_a_damaged_store_is_moved_aside_only_with_consent_and_unsent_items_carry_over(tmp_path):
    data = tmp_path / "data"
    keys, path = damaged_store_with_unsent_items(data)
    base = ["--data-dir", str(data), "--config", "/nonexistent"]

    refused = run_cli("chats", "--offline", *base)
    assert refused.returncode == 2 and "damaged" in refused.stderr and str(path) in refused.stderr
    assert "--recover-store" in refused.stderr
    assert path.exists() and not list(data.glob("profiles/*.corrupt-*")), "nothing moved without consent"

    recovered = run_cli("chats", "--offline", "--recover-store", *base)
    assert recovered.returncode == 0, recovered.stderr
    assert "carried 3 unsent item(s) over" in recovered.stderr
    [aside] = [p for p in data.glob("profiles/demo.sqlite3.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    assert aside.stat().st_size > 0, "the damaged file is kept"

    store = LocalStore(path)
    assert [i.idempotency_key for i in store.outbox.items()] == keys, "same keys: no double delivery"
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


def test_a_store_that_is_not_a_database_at_all(tmp_path):
    path = tmp_path / "agent.sqlite3"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(CorruptStore) as error:
        LocalStore(path)
    assert str(path) in str(error.value)
    sqlite3.connect(path).close()


WRITER = """
import sys
from pathlib import Path
from local_cache.models import RemoteChat, RemoteMessage
from local_cache.store import LocalStore
store, name = LocalStore(Path(sys.argv[1])), sys.argv[2]
for n in range(150):
    if name == "feed":  # what the sync engine writes
        chat = RemoteChat("ch_1", "林小雨", "", False, "app", "opened", "normal", 1.0, 1.0)
        store.chats.apply_changes([chat], [RemoteMessage(f"m{n}", "ch_1", n + 1, "customer", "hi", 1.0 + n)], cursor=n)
    elif name == "reader":  # what the UI does when a chat is opened
        store.chats.mark_read("ch_1")
        store.chats.summaries()
    else:
        store.outbox.enqueue_message("ch_1", f"{name} {n}")
"""


def test_many_writers_at_once_never_see_database_is_locked(tmp_path):
    path = tmp_path / "agent.sqlite3"
    LocalStore(path).close()
    env = package_env()
    roles = ["send-a", "send-b", "send-c", "feed", "reader"]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), role], cwd=OUTSIDE_TREE, env=env,
                         stderr=subprocess.PIPE, text=True)
        for role in roles
    ]
    for writer in writers:
        assert writer.wait(120) == 0, writer.stderr.read()
    store = LocalStore(path)
    assert len(store.outbox.items()) == 450 and len(store.chats.transcript("ch_1")) == 150 + 450
    store.close()
