"""A server process for the tests that prints a ready line with its URL once it listens (the reference backend,
the fake Chatwoot): started, and its URL read, or stopped with what it said on stderr."""

from __future__ import annotations

import subprocess
import threading


def start_until_ready(command: list[str], ready_prefix: str, what: str, **popen) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(20)
    if not line or not line[0].startswith(ready_prefix):
        if process.poll() is None:
            process.kill()
        process.wait()
        raise RuntimeError(f"{what} did not start: {line} {process.stderr.read()}")
    return process, line[0][len(ready_prefix):].strip()
