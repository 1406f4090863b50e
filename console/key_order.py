"""Keys are handled one at a time, in the order they were typed, by the widget that has the focus when each
one's turn comes.

Textual hands every key to the focused widget's message queue and moves on. A printable character is inserted
there at once, but a key bound to an action (backspace, arrows, Tab, Enter in the chat list) bubbles up through
every ancestor's queue and runs at the App. In a burst — a fast typist, an input method committing a phrase, a
macro — the characters behind a backspace are inserted before it runs (`refnd⌫⌫⌫⌫⌫tuik` became `refn`), and
the characters after a Tab are delivered to the field it leaves (Textual issue #6605). Pilot never shows this:
it waits for the app to go idle after every key.

So the App passes each key here instead of forwarding it. A key is dispatched exactly as Textual would (priority
bindings, then the focused widget), and the next one waits until the app is quiet: no widget, screen or the App
has a message waiting or in hand. By then everything the key set off has run, wherever it went — its bubbling
to the bindings, a TextArea.Changed, a list's selection travelling through a dialog's widgets until the dialog
closes and the App runs the chosen command, a deferred focus — so the next key goes where the agent expects.
Only the keys of a burst wait (about half a millisecond each); a single key is dispatched at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Awaitable, Callable

from textual import events
from textual.app import App

SETTLE_TIMEOUT = 2.0  # s: a key that never settles (a widget torn down mid-way) must not hold up the next ones


class KeySequencer:
    def __init__(self, app: App, dispatch: Callable[[events.Event], Awaitable[None]]):
        self._app = app
        self._dispatch = dispatch  # Textual's own handling of one unforwarded key or paste
        self._waiting: deque[events.Event] = deque()
        self._busy = False
        self._turn = 0  # which key is in flight; a late settle or timeout for an earlier one is ignored
        self._finished = 0  # the last turn whose next key was let go
        self._paused = 0  # the turn whose settling is not watched while no key waits behind it
        self.dispatched = 0  # keys handed to Textual so far (benchmarks wait on it)

    @property
    def waiting(self) -> int:
        """Keys not yet handed to Textual, or whose turn to settle another key is still being watched for."""
        return len(self._waiting) + (self._busy and self._paused != self._turn)

    async def receive(self, event: events.Event) -> None:
        self._waiting.append(event)
        if not self._busy:
            await self._deliver_next()
        elif self._paused == self._turn:  # the last key was dispatched with nothing behind it: watch it now
            self._paused = 0
            loop = asyncio.get_running_loop()
            loop.call_soon(self._when_quiet, self._turn, loop.time())

    async def _deliver_next(self) -> None:
        if not self._waiting:
            self._busy = False
            return
        self._busy = True
        self._turn += 1
        turn, event = self._turn, self._waiting.popleft()
        try:
            await self._dispatch(event)
            self.dispatched += 1
        except BaseException:
            self._app.call_later(self._deliver_next)  # the next keys must not wait on a key that failed
            raise
        loop = asyncio.get_running_loop()
        loop.call_later(SETTLE_TIMEOUT, self._give_up, turn)
        loop.call_soon(self._when_quiet, turn, loop.time())

    def _when_quiet(self, turn: int, since: float, quiet_before: bool = False) -> None:
        """Let the next key go once no widget, screen or the App has had a message waiting at two looks one turn
        of the event loop apart: whatever this key set off (its bubbling, the messages its action posted to
        other widgets — a list's selection, a dialog closing, a deferred focus) has run. Looked at right away
        for a frame's time, then every millisecond, so a handler that waits on something slow is not spun on."""
        if turn != self._turn or self._finished == turn:
            return
        if not self._waiting:
            # Nothing to let go: stop looking (a key typed at a human pace costs no polling) until one arrives.
            self._paused = turn
            return
        quiet = self._quiet()
        if quiet and quiet_before:  # two looks: a handler between two of its awaits is not taken for quiet
            self._finish(turn)
            return
        loop = asyncio.get_running_loop()
        if loop.time() - since < 0.02:
            loop.call_soon(self._when_quiet, turn, since, quiet)
        else:
            loop.call_later(0.001, self._when_quiet, turn, since, quiet)

    def _quiet(self) -> bool:
        app = self._app
        # Keys still coming to the App only join this line, so the App's queue is looked into, which needs the
        # private App._message_queue (a deque in textual._queue.Queue.values): Textual has no public way to see
        # what is waiting, only how much (message_queue_size, used for every other node).
        if any(not isinstance(message, (events.Key, events.Paste)) or message.is_forwarded
               for message in app._message_queue.values):
            return False
        return not any(node.message_queue_size
                       for screen in app.screen_stack for node in screen.walk_children(with_self=True))

    def _give_up(self, turn: int) -> None:
        if self._finish(turn):
            self._app.log.warning(f"key {turn} did not settle within {SETTLE_TIMEOUT} s; delivering the next one")

    def _finish(self, turn: int) -> bool:
        """Let the next key go, once per key: the quiet check and the time-out for the same key must not both."""
        if turn != self._turn or self._finished == turn or not self._busy:
            return False
        self._finished = turn
        self._app.call_later(self._deliver_next)
        return True
