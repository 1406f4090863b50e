"""The transcripts the console has read, kept so that a new message costs one row, not the whole chat.

A chat's messages are read whole the first time (2,000 messages take ~5 ms), then only what came after the last
one read. Server messages do not change once stored, so what was read stays true; the outbox's few pending ones
are read every time. The most recently used chats are kept.
"""

from __future__ import annotations

import gc

from local_cache.models import TranscriptEntry
from local_cache.store import LocalStore

TRANSCRIPTS_KEPT = 40  # chats whose messages stay in memory (30 x 2,000 messages: ~20 MB)
FREEZE_FROM = 500  # messages read at once from which they are moved out of the collector's sight


class TranscriptReads:
    def __init__(self, store: LocalStore) -> None:
        self._store = store
        self._server_entries: dict[str, list[TranscriptEntry]] = {}  # chat id -> its server messages, in order

    def entries(self, chat_id: str) -> list[TranscriptEntry]:
        """The chat's messages as the store has them now, the pending ones last."""
        server_entries = self._server_entries.pop(chat_id, [])
        last_seq = server_entries[-1].seq if server_entries else 0
        fresh = self._store.chats.transcript(chat_id, last_seq)
        server_entries = server_entries + [entry for entry in fresh if entry.seq]
        if not last_seq and len(server_entries) > FREEZE_FROM:
            # Thousands of long-lived objects just arrived: move them (and what start-up loaded) out of the
            # collector's sight. benchmarks/collector.py: the idle collector's full collection takes 8-11 ms with
            # this, 64-70 ms without.
            gc.freeze()
        self._server_entries[chat_id] = server_entries  # most recently used last
        while len(self._server_entries) > TRANSCRIPTS_KEPT:
            del self._server_entries[next(iter(self._server_entries))]
        return server_entries + [entry for entry in fresh if not entry.seq]
