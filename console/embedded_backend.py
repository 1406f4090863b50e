"""The embedded default: the reference backend and its simulator as a child process on a free loopback port."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

from backend.server import READY_PREFIX, TOKEN_ENV

START_TIMEOUT = 20.0
STOP_GRACE = 1.5  # s: uvicorn's own graceful shutdown is 1 s


class EmbeddedBackendError(RuntimeError):
    pass


class EmbeddedBackend:
    """Started before the TUI, stopped after it. The child also exits on its own if we die (stdin EOF)."""

    def __init__(self, data_dir: Path, *, simulate: int = 6, pace: float = 1.0, agent_name: str = "Demo Agent"):
        self.workdir = Path(data_dir) / "embedded-backend"
        self.simulate, self.pace, self.agent_name = simulate, pace, agent_name
        self.token = secrets.token_urlsafe(24)
        self.url: str | None = None
        self._process: subprocess.Popen | None = None
        self._ready_lock = threading.Lock()

    def start(self) -> str:
        self.spawn()
        return self.wait_ready()

    def spawn(self) -> None:
        """Start the child without waiting, so the TUI can show cached chats while the backend boots."""
        # Its database and log hold customers' messages and numbers: the owner's alone, whatever the umask.
        self.workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o700)
        log_path = self.workdir / "backend.log"
        command = [
            sys.executable, "-m", "backend",
            "--host", "127.0.0.1", "--port", "0",
            "--db", str(self.workdir / "backend.sqlite3"),
            "--agent", self.agent_name,
            "--simulate", str(self.simulate), "--sim-pace", str(self.pace),
            "--exit-with-parent",
        ]
        # The token travels in the environment, not argv, so `ps` does not show it.
        env = {**os.environ, TOKEN_ENV: self.token}
        with open(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
            os.chmod(log_path, 0o600)  # a log an older version left readable
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, text=True
            )

    def wait_ready(self) -> str:
        """The backend's URL once it listens; safe to call from any thread, any number of times."""
        with self._ready_lock:
            if self.url is None:
                line = self._read_ready_line() if self._process else ""
                if not line.startswith(READY_PREFIX):
                    self.stop()
                    log_path = self.workdir / "backend.log"
                    tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
                    raise EmbeddedBackendError(f"the embedded backend did not start (log: {log_path}):\n{tail}")
                self.url = line[len(READY_PREFIX):].strip()
            return self.url

    def _read_ready_line(self) -> str:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        return result[0] if result else ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        # The agent is waiting for the shell prompt: a backend that does not finish within its graceful shutdown
        # (1 s) is killed, not waited for. SQLite keeps its data through a kill; SIGCONT first lets a stopped
        # (^Z'd, or debugged) backend take the SIGTERM and close cleanly.
        if hasattr(signal, "SIGCONT"):  # POSIX only
            process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> "EmbeddedBackend":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
