"""What attachments cost the transcript's read: opening a 2,000-message chat from the local store.

Two chats of the same length in one store, read in turns: one where every 20th customer message carries one or
two attachments (the JSON column decoded into Attachment objects), the baseline with none (the column NULL).
Figures: p50/p99 of `store.chats.transcript(chat)` in ms for each, and the store's size.

Usage: python benchmarks/transcript_read.py [--messages 2000] [--rounds 200]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import statistics  # noqa: E402

from benchmarks.percentiles import p99  # noqa: E402
from local_cache.models import Attachment, RemoteChat, RemoteMessage  # noqa: E402
from local_cache.store import LocalStore  # noqa: E402


def chat(chat_id: str) -> RemoteChat:
    return RemoteChat(id=chat_id, customer_name="陈静", customer_title="", vip=False, channel="app", state="opened",
                      priority="normal", created_at=1.0, updated_at=1.0)


def messages(chat_id: str, count: int, with_files: bool) -> list[RemoteMessage]:
    made = []
    for seq in range(1, count + 1):
        files = ()
        if with_files and seq % 20 == 0:
            files = tuple(Attachment(f"at_{seq}_{n}", f"照片{seq}-{n}.jpg", "image/jpeg", 48_213 + seq,
                                     f"https://cdn.example.com/u/{seq}/{n}.jpg?sig=0123456789abcdef")
                          for n in range(1 + seq % 2))
        made.append(RemoteMessage(id=f"{chat_id}-{seq}", chat_id=chat_id, seq=seq,
                                  author="customer" if seq % 2 else "agent",
                                  text=f"第{seq}条消息：快递到哪了？order {seq:08d}", created_at=1.0 + seq,
                                  attachments=files))
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agent.sqlite3"
        store = LocalStore(path)
        store.chats.apply_changes([chat("files"), chat("plain")],
                                  messages("files", args.messages, True) + messages("plain", args.messages, False))
        timings: dict[str, list[float]] = {"files": [], "plain": []}
        for round_number in range(args.rounds):
            for chat_id in ("files", "plain")[::1 if round_number % 2 else -1]:  # turns, so neither reads first
                start = time.perf_counter()
                entries = store.chats.transcript(chat_id)
                timings[chat_id].append((time.perf_counter() - start) * 1000)
        carried = sum(len(entry.attachments) for entry in store.chats.transcript("files"))
        store.close()
        size_mb = os.path.getsize(path) / 2**20
    figures = {
        "messages": args.messages, "attachments": carried, "entries": len(entries),
        "with_attachments_p50_ms": round(statistics.median(timings["files"]), 2),
        "with_attachments_p99_ms": round(p99(timings["files"]), 2),
        "baseline_p50_ms": round(statistics.median(timings["plain"]), 2),
        "baseline_p99_ms": round(p99(timings["plain"]), 2),
        "store_mb": round(size_mb, 2),
    }
    print(f"transcript of {args.messages} messages, {carried} attachments: "
          f"p50 {figures['with_attachments_p50_ms']} ms, p99 {figures['with_attachments_p99_ms']} ms")
    print(f"baseline, no attachments (same run): p50 {figures['baseline_p50_ms']} ms, "
          f"p99 {figures['baseline_p99_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
