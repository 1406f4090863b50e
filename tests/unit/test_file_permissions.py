"""Customers' phone and ID numbers on disk: only the agent's own user may read the stores, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import contextmanager

import httpx

from local_cache.store import LocalStore, profile_path
from tests.reference_backend import ReferenceBackend


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextmanager
def umask(value: int):
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_profile_store_and_its_wal_are_private_under_a_permissive_umask(tmp_path):
    data = tmp_path / "data"
    with umask(0):  # what the most careless environment gives: files 0666, folders 0777
        store = LocalStore.for_profile(data, "agent")
        store.outbox.enqueue_message("ch_1", "手机13812345678")
    try:
        path = store.path
        wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
        assert wal.exists() and shm.exists(), "WAL is on while the store is open"
        assert {file.name: mode(file) for file in (path, wal, shm)} == {
            path.name: 0o600, wal.name: 0o600, shm.name: 0o600}
        assert mode(path.parent) == 0o700  # profiles/
        assert mode(data) == 0o700  # created for the store, so it is private too
    finally:
        store.close()


def test_an_existing_readable_store_is_tightened_when_opened(tmp_path):
    path = profile_path(tmp_path / "data", "agent")
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)  # as an older version left it: 0644 in a 0755 folder, WAL files beside it
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    sidecars = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    for file in (path, *sidecars):
        assert file.exists()
        os.chmod(file, 0o644)
    os.chmod(path.parent, 0o755)

    store = LocalStore(path)
    try:
        assert [mode(file) for file in (path, *sidecars)] == [0o600, 0o600, 0o600]
        assert mode(path.parent) == 0o700
    finally:
        store.close()
        conn.close()


def test_the_backend_database_is_private_under_a_permissive_umask(tmp_path):
    db = tmp_path / "new" / "folder" / "backend.sqlite3"
    with umask(0):  # the child inherits it
        backend = ReferenceBackend(db).start()
    try:
        backend.open_chat("陈静", phone="13812345678")  # something written: the WAL exists
        files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        assert [mode(file) for file in files] == [0o600, 0o600, 0o600]
        assert mode(db.parent) == mode(db.parent.parent) == 0o700
    finally:
        backend.stop()


def test_an_existing_readable_backend_database_is_tightened(tmp_path):
    db = tmp_path / "backend.sqlite3"
    sqlite3.connect(db).close()
    os.chmod(db, 0o644)
    backend = ReferenceBackend(db).start()
    try:
        assert mode(db) == 0o600
    finally:
        backend.stop()


def server_stderr(tmp_path, *args: str) -> str:
    backend = ReferenceBackend(tmp_path / "backend.sqlite3", *args).start()
    try:
        assert httpx.get(f"{backend.url}/api/v1/health", timeout=10).status_code == 200
    finally:
        backend.stop()
    return backend.process.stderr.read()


def test_serving_beyond_loopback_without_tls_warns(tmp_path):
    stderr = server_stderr(tmp_path, "--host", "0.0.0.0")
    assert "warning: serving on 0.0.0.0 over plain HTTP" in stderr, stderr
    assert stderr.count("\n") == 1, "one line"


def test_serving_on_loopback_does_not_warn(tmp_path):
    assert "warning" not in server_stderr(tmp_path)


def test_the_embedded_backends_folder_database_and_log_are_private(tmp_path):
    from console.embedded_backend import EmbeddedBackend

    with umask(0):
        backend = EmbeddedBackend(tmp_path / "data", simulate=0)
        backend.start()
    try:
        workdir = backend.workdir
        assert mode(workdir) == 0o700
        assert mode(workdir / "backend.log") == 0o600
        assert mode(workdir / "backend.sqlite3") == 0o600
    finally:
        backend.stop()
