"""Older-generation garbage collections while the agent is not typing and no message is arriving, not in the
middle of a frame.

CPython collects its middle and old generations when enough objects have survived the younger ones, that
is in whichever frame allocated the last of them, so a keystroke or a new message stuttered at random. While
the console runs only the youngest generation is collected automatically; this runs a full collection when
the console has been quiet for a moment, and at the latest every `at_most` seconds. Objects that survive in
between wait in the middle generation; cyclic garbage among them is freed at the next full collection.

Measured by benchmarks/collector.py (30 chats x 2,000 messages, a 100,000-entry library reloaded while
typing; two runs of two interleaved rounds, on a shared, loaded machine): without this, CPython ran 12-13
full collections during the workload, the longest 115-374 ms; with it, none. The full collection run here
costs 2-11 ms thanks to the two gc.freeze() calls (console/transcript_reads.py, quick_replies/reply_library.py);
without them 140-320 ms.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Callable

NEVER = 2**31 - 1  # a generation-2 threshold that is never reached


class IdleCollector:
    def __init__(self, clock: Callable[[], float] = time.monotonic, quiet: float = 1.0, every: float = 30.0,
                 at_most: float = 120.0) -> None:
        self._clock = clock
        self.quiet, self.every, self.at_most = quiet, every, at_most
        self._last_activity = self._last_full = clock()
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        if sys.version_info >= (3, 14):
            return  # its incremental collector already spreads the old generation's work over small steps
        self._thresholds = gc.get_threshold()
        gc.set_threshold(self._thresholds[0], NEVER, NEVER)

    def stop(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def activity(self) -> None:
        """The agent pressed a key or a message arrived: not the moment for a pause."""
        self._last_activity = self._clock()

    def tick(self) -> bool:
        """Called every few seconds; runs a full collection if one is due. True if it ran."""
        now = self._clock()
        since_full = now - self._last_full
        if not (since_full >= self.at_most or (since_full >= self.every and now - self._last_activity >= self.quiet)):
            return False
        gc.collect()
        self._last_full = self._clock()
        return True
