"""Keys are handled one at a time, in the order they were typed, by the widget that has the focus when each
one's turn comes.

Textual hands every key to the focused widget's message queue and moves on. A printable character is inserted
there at once, but a key bound to an action (backspace, arrows, Tab, Enter in the chat list) bubbles up through
every ancestor's queue and runs at the App. In a burst — a fast typist, an input method committing a phrase, a
macro — the characters behind a backspace are inserted before it runs (`refnd⌫⌫⌫⌫⌫tuik` became `refn`), and
the characters after a Tab are delivered to the field it leaves (Textual issue #6605). Pilot never shows this:
it waits for the app to go idle after every key.

So the App passes each key here instead of forwarding it. A key is dispatched exactly as Textual would (priority
bindings, then the focused widget), and the next one waits until this one has settled: a callback has followed
it up the focused widget's ancestors to the App, twice over each queue so that it also trails the messages the
key caused (TextArea.Changed, ChatList.Selected, a shortcut's RepliesRequested); a second pass follows a key that
reached the App's bindings, whose action posts its messages only then; and a screen pushed or popped by the key
has composed and taken its focus. Typing stays as fast as before: a single key is dispatched at once, only the
keys of a burst queue behind each other (about ten callbacks, ~0.3 ms, each).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Awaitable, Callable

from textual import events
from textual.app import App
from textual.message_pump import MessagePump

SETTLE_TIMEOUT = 2.0  # s: a key that never settles (a widget torn down mid-way) must not hold up the next ones


class KeySequencer:
    def __init__(self, app: App, dispatch: Callable[[events.Event], Awaitable[None]]):
        self._app = app
        self._dispatch = dispatch  # Textual's own handling of one unforwarded key or paste
        self._waiting: deque[events.Event] = deque()
        self._busy = False
        self._turn = 0  # which key is in flight; a late settle or timeout for an earlier one is ignored
        self._finished = 0  # the last turn whose next key was let go
        self.dispatched = 0  # keys handed to Textual so far (benchmarks wait on it)

    @property
    def waiting(self) -> int:
        return len(self._waiting) + self._busy

    async def receive(self, event: events.Event) -> None:
        self._waiting.append(event)
        if not self._busy:
            await self._deliver_next()

    async def _deliver_next(self) -> None:
        if not self._waiting:
            self._busy = False
            return
        self._busy = True
        self._turn += 1
        turn, event = self._turn, self._waiting.popleft()
        screen = self._app.screen
        try:
            await self._dispatch(event)
            self.dispatched += 1
        except BaseException:
            self._app.call_later(self._deliver_next)  # the next keys must not wait on a key that failed
            raise
        target = (self._app.focused or self._app.screen) if event.is_forwarded else None
        asyncio.get_running_loop().call_later(SETTLE_TIMEOUT, self._give_up, turn)
        self._follow(turn, event, target, screen)

    def _follow(self, turn: int, event: events.Event, target: MessagePump | None, screen) -> None:
        """Trail the key up from the widget that got it (or the focused one, for a key the App's priority
        bindings took), then again if it reached the App's own bindings, then settle a new screen."""

        def after_first_pass(bubbled: bool) -> None:
            if bubbled and target is not None:
                self._trail(self._path(target), lambda _: after_second_pass())
            else:
                after_second_pass()

        def after_second_pass() -> None:
            current = self._app.screen
            if current is not screen:
                # A dialog opened or closed: its compose, mount and focus run in its own queue, then the App's.
                self._trail([current, self._app], lambda _: self._settled(turn))
            else:
                self._settled(turn)

        start = target or self._app.focused or self._app.screen
        self._trail(self._path(start), after_first_pass, event)

    def _path(self, node: MessagePump) -> list[MessagePump]:
        path = [node]
        while path[-1] is not self._app and path[-1]._parent is not None:
            path.append(path[-1]._parent)
        if path[-1] is not self._app:
            path.append(self._app)
        return path

    def _trail(self, path: list[MessagePump], then: Callable[[bool], None], event: events.Event | None = None):
        """Visit each node's queue twice, bottom up: the first visit comes after the message being handled there,
        the second after whatever that message posted. `then(bubbled)` says whether `event` went on past the
        first node (a widget's own handler stopped it, or it went on to the bindings)."""
        bubbled = False

        def arrive(index: int) -> None:
            if index == len(path):
                then(bubbled)
            elif not path[index].call_later(first_visit, index):  # a closed queue: nothing more happens there
                arrive(index + 1)

        def first_visit(index: int) -> None:
            nonlocal bubbled
            if index == 0 and event is not None:
                # The screen stops a key it passes to the App (its sender), so a key there always went on.
                bubbled = not event._stop_propagation or path[0]._parent is self._app
            if not path[index].call_later(arrive, index + 1):
                arrive(index + 1)

        arrive(0)

    def _settled(self, turn: int) -> None:
        self._finish(turn)

    def _give_up(self, turn: int) -> None:
        if self._finish(turn):
            self._app.log.warning(f"key {turn} did not settle within {SETTLE_TIMEOUT} s; delivering the next one")

    def _finish(self, turn: int) -> bool:
        """Let the next key go, once per key: a settle and a time-out for the same key must not both do it."""
        if turn != self._turn or self._finished == turn or not self._busy:
            return False
        self._finished = turn
        self._app.call_later(self._deliver_next)
        return True
