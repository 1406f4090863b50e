"""The sync engine's online/offline status tells the truth: a quiet healthy backend stays online, a frozen or
killed one reads offline within seconds, and it reads online again within about a second of coming back.

Real backend processes on 127.0.0.1: frozen with SIGSTOP (the kernel still accepts connections, nothing
answers), killed with SIGKILL, restarted on the same port and database.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from local_cache.reference_client import ReferenceApiClient
from local_cache.store import LocalStore
from local_cache.sync_engine import RECONNECT_PROBE_CAP, SyncEngine, reconnect_delay
from tests.engine_thread import RunningEngine
from tests.reference_backend import ReferenceBackend


def EngineThread(store_path, url, token, *, deadline: float, long_poll_wait: float) -> RunningEngine:  # noqa: N802
    """The engine against the reference backend, on its own thread as the console runs it."""
    return RunningEngine(SyncEngine(lambda: LocalStore(store_path),
                                    lambda: ReferenceApiClient(url, token, deadline=deadline),
                                    long_poll_wait=long_poll_wait))


@pytest.fixture
def backend_on_fixed_port(tmp_path):
    first = ReferenceBackend(tmp_path / "backend.sqlite3").start()
    port = first.url.rsplit(":", 1)[1]
    first.stop()
    backend = ReferenceBackend(tmp_path / "backend.sqlite3", "--port", port).start()
    yield backend
    if backend.process.poll() is None:
        os.kill(backend.process.pid, signal.SIGCONT)
    backend.stop()


def test_a_quiet_feed_stays_online_longer_than_any_request_deadline(tmp_path, backend_on_fixed_port):
    # Before heartbeats, a long poll longer than the request deadline read as a timeout: "offline" every wait.
    backend = backend_on_fixed_port
    with EngineThread(tmp_path / "agent.sqlite3", backend.url, backend.token, deadline=1.5,
                      long_poll_wait=4.0) as engine:
        engine.wait_for(True, 10)
        time.sleep(9)  # two long polls, each over twice the deadline, with nothing to report
        assert [online for _, online in engine.statuses if online is not None] == [True]


def test_a_frozen_backend_reads_offline_within_seconds_and_online_when_it_thaws(tmp_path, backend_on_fixed_port):
    backend = backend_on_fixed_port
    with EngineThread(tmp_path / "agent.sqlite3", backend.url, backend.token, deadline=15.0,
                      long_poll_wait=20.0) as engine:
        engine.wait_for(True, 10)
        time.sleep(1)  # into a long poll
        os.kill(backend.process.pid, signal.SIGSTOP)
        assert engine.wait_for(False, 5) < 5
        time.sleep(2)
        os.kill(backend.process.pid, signal.SIGCONT)
        assert engine.wait_for(True, 2) < 2


def test_a_killed_backend_reads_offline_at_once_and_online_soon_after_it_restarts(tmp_path, backend_on_fixed_port):
    backend = backend_on_fixed_port
    with EngineThread(tmp_path / "agent.sqlite3", backend.url, backend.token, deadline=15.0,
                      long_poll_wait=20.0) as engine:
        engine.wait_for(True, 10)
        time.sleep(1)
        backend.stop()  # SIGKILL
        assert engine.wait_for(False, 5) < 5
        time.sleep(6)  # long enough for the old backoff to have grown past several seconds
        backend.start()
        assert engine.wait_for(True, 2 + 1) < 2 + 1  # +1: the backend's own start-up


def test_reconnect_probes_stay_close_together_however_long_the_outage():
    assert max(reconnect_delay(failures, rng=lambda: 1.0) for failures in range(1, 60)) <= RECONNECT_PROBE_CAP
    assert reconnect_delay(5, retry_after=7.0, rng=lambda: 0.0) == 7.0  # a server asking for time gets it


def test_the_feed_sends_heartbeats_while_it_waits_and_then_one_json_document(reference_backend):
    import httpx

    headers = {"Authorization": f"Bearer {reference_backend.token}"}
    with httpx.stream("GET", f"{reference_backend.url}/api/v1/events", params={"after": 0, "wait": 2.2,
                      "heartbeat": 0.5}, headers=headers, timeout=10) as response:
        assert response.status_code == 200
        chunks = list(response.iter_raw())
    body = b"".join(chunks)
    assert body.startswith(b"    ") and len(chunks) >= 4  # a space about every 0.5 s, each on its own
    assert httpx.Response(200, content=body).json() == {"events": [], "cursor": 0}
    refused = httpx.get(f"{reference_backend.url}/api/v1/events", params={"wait": 1, "heartbeat": 0.01},
                        headers=headers, timeout=10)
    assert refused.status_code == 400 and "heartbeat" in refused.json()["error"]["message"]
