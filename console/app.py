"""The Textual application: wires the store, the sync engine and the widgets together."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette
from textual.message import Message
from textual.widgets import TextArea

from console.alt_keys import recognise_alt_letters
from console.background_sync import BackgroundSync
from console.chat_desk import ChatDesk, DeskServices, StoreChanged, SyncStatusChanged
from console.command_palette import PaletteCommands
from console.idle_collector import IdleCollector
from console.image_support import detect_image_protocol
from console.key_bindings import ALL_BINDINGS, APP_BINDINGS
from console.key_order import KeySequencer
from console.keymap import effective_keys, keymap_problems
from console.transcript_reads import TranscriptReads
from local_cache.backend_client import BackendClient, BackendError
from local_cache.sla import SlaPolicy
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine
from quick_replies.library import STARTER_DIR
from quick_replies.linter import load_linter
from quick_replies.reply_library import ReplyLibrary
from widgets.composer import Composer
from widgets.i18n import set_language, tr, translate_bindings
from widgets.inert_text import inert, inert_text
from widgets.message_line import alert_text
from widgets.screens.alert_log import AlertLogScreen
from widgets.screens.help import HelpScreen
from widgets.screens.prompts import PromptScreen

TEAM_LISTS_REFRESH = 300.0  # s between two reads of the backend's canned responses, teams and agents
log = logging.getLogger(__name__)


def editing_keys() -> set[str]:
    return {key for binding in TextArea.BINDINGS for key in binding.key.split(",")}


@dataclass
class SyncCrashed(Message):
    error: Exception


class AgentConsoleApp(App):
    """Reads the configuration, makes the store, the sync engine and the libraries, and puts the chat desk
    (console/chat_desk.py) on screen; the desk does the work. The app keeps what is the same on every screen:
    alerts, the keymap and how keys are shown, help, the palette, signing in again, and key order."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "agent-console"
    COMMANDS = {PaletteCommands}  # which lists Textual's own commands too, after the console's
    BINDINGS = APP_BINDINGS  # the desk's keys are the desk's: console/key_bindings.py

    def __init__(
        self,
        store_path: Path,
        open_client: Callable[[], BackendClient],
        *,
        clock: Callable[[], float] = time.time,
        long_poll_wait: float = 20.0,
        library_dirs: list[Path] | None = None,
        library_cache: Path | None = None,
        rule_dirs: list[Path] | None = None,
        alerts: str = "both",
        sla: SlaPolicy | None = None,
        keys: dict[str, str] | None = None,
        language: str = "en",
        refresh_team_lists: Callable[[], Awaitable[list[str]]] | None = None,
        satisfaction_invite: str = "",
        idle_close_minutes: float = 0.0,
        image_protocol: str | None = None,
    ):
        set_language(language)  # before any widget is made: labels are translated as they are built
        super().__init__()
        recognise_alt_letters()  # before the driver parses a key (console/alt_keys.py)
        self.key_problems = keymap_problems([*ALL_BINDINGS, *Composer.BINDINGS], editing_keys(), keys or {})
        self.key_remaps = keys or {}  # the agent's remaps by action id (Textual keeps its copy private)
        self.set_keymap(self.key_remaps)
        self._ui_thread = threading.get_ident()  # where the app runs; on_mount makes sure
        translate_bindings(self)
        self.alerts = alerts
        self.sla = sla or SlaPolicy()
        self.linter, self.rule_problems = load_linter(rule_dirs or [], library_cache)  # bundled, then the team's
        # Starter, [team,] personal: the last directory is where the agent's own replies are saved.
        self.replies = ReplyLibrary(library_dirs or [STARTER_DIR, Path(store_path).parent / "library"],
                                    cache_dir=library_cache, linter=self.linter)
        self._store_path = Path(store_path)
        self._open_client = open_client
        self._clock = clock
        self._long_poll_wait = long_poll_wait
        self._close_settings = (satisfaction_invite, idle_close_minutes)  # the desk offers and sends them
        # Asked now, before Textual reads stdin (the terminal answers on it); None: find out.
        self.image_protocol = detect_image_protocol() if image_protocol is None else image_protocol
        # Rewrites a library layer from the backend (Chatwoot's canned responses; the library sees the file change)
        # and returns the names a transfer can go to (its teams and agents).
        self._refresh_team_lists = refresh_team_lists
        self.store: LocalStore | None = None  # on mount, as the desk and the sync engine
        self.desk: ChatDesk | None = None
        self.sync: BackgroundSync | None = None
        self._collector = IdleCollector()
        self._keys = KeySequencer(self, self._dispatch_input)

    def compose(self) -> ComposeResult:
        return []  # the chat desk is pushed on mount, once the store is open

    async def on_mount(self) -> None:
        self._ui_thread = threading.get_ident()
        self.store = LocalStore(self._store_path, self._clock)
        self.desk = ChatDesk(DeskServices(
            self.store, TranscriptReads(self.store), self.linter, self.replies, self._open_client,
            wake_sync=lambda: self.sync.wake(), clock=self._clock, sla=self.sla, alerts=self.alerts,
            satisfaction_invite=self._close_settings[0], idle_close_minutes=self._close_settings[1],
            image_protocol=self.image_protocol))
        desk = self.desk
        engine = SyncEngine(
            lambda: LocalStore(self._store_path),
            self._open_client,
            on_change=lambda chat_ids: desk.post_message(StoreChanged(chat_ids)),
            on_status=lambda status: desk.post_message(SyncStatusChanged(status)),
            long_poll_wait=self._long_poll_wait,
        )
        self.sync = BackgroundSync(engine, on_crash=lambda error: self.post_message(SyncCrashed(error)))
        await self.push_screen(desk)
        self.sync.start()
        for problem in self.key_problems:
            self.notify(problem, title=tr("Key remap"), severity="warning", timeout=20, markup=False)
        for problem in self.rule_problems[:3]:
            self.notify(str(problem), severity="warning", timeout=10, markup=False)
        self.set_interval(2.0, desk.reply_actions.reload_if_changed)
        if self._refresh_team_lists is not None:
            self.fetch_team_lists()
            self.set_interval(TEAM_LISTS_REFRESH, self.fetch_team_lists)
        self._collector.start()
        self.set_interval(5.0, self._collector.tick)

    def fetch_team_lists(self) -> None:
        self.run_worker(self._fetch_team_lists(), group="team-lists", exclusive=True)

    async def _fetch_team_lists(self) -> None:
        try:
            targets = await self._refresh_team_lists()
        except (BackendError, OSError) as error:  # the last copies stay; the next refresh tries again
            log.info("team lists not refreshed: %s", error)
            return
        if self.desk is not None:
            self.desk.transfer_targets = list(targets)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self._collector.activity()
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            await self._keys.receive(event)  # one at a time, in order: see console/key_order.py
            return
        await super().on_event(event)

    async def _dispatch_input(self, event: events.Event) -> None:
        await super().on_event(event)

    def on_unmount(self) -> None:
        self._collector.stop()
        if self.sync is not None:
            self.sync.stop()
        if self.store is not None:
            if self.desk is not None:
                self.desk.drafts.save_unsaved()
            self.store.close()

    @on(StoreChanged)
    def _store_changed(self, event: StoreChanged) -> None:
        self._collector.activity()

    @on(SyncCrashed)
    def _sync_crashed(self, event: SyncCrashed) -> None:
        self.notify(
            tr("Sync stopped: {error}. Messages stay in the outbox.", error=event.error), severity="error", timeout=30,
            markup=False,
        )
        if self.desk is not None:
            self.desk.sync_stopped()

    # --- alerts ----------------------------------------------------------------------------------------------

    @property
    def alert_history(self) -> list[str]:
        """Every alert shown so far (the newest last), as plain text."""
        return [alert.text.plain for alert in self.desk.message_line.history] if self.desk else []

    def notify(self, message: str, *, title: str = "", severity: str = "information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every alert, the console's and Textual's own, goes to the message line above the footer: never a
        toast over the composer, a dialog or the search panel (widgets/message_line.py)."""
        if threading.get_ident() != self._ui_thread:
            self.call_from_thread(self.notify, message, title=title, severity=severity, timeout=timeout, markup=markup)
            return
        text = inert_text(f"{title}: ", "bold") if title else Text()
        text.append_text(alert_text(message, markup))
        if self.desk is None or not self.desk.message_line.is_attached:  # shown once the line exists
            self.call_after_refresh(self.notify, message, title=title, severity=severity, timeout=timeout,
                                    markup=markup)
            return
        self.desk.message_line.alert(text, severity, timeout)

    def action_recent_alerts(self) -> None:
        self.push_screen(AlertLogScreen(self.desk.message_line.history))

    # --- keys, help and the palette ---------------------------------------------------------------------------

    def action_command_palette(self) -> None:
        """Textual's palette, with its placeholder in the agent's language."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=tr("Search for commands…")))

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_help_rows()))

    def get_key_display(self, binding: Binding) -> str:
        """Textual's, made inert: a key's name can come from the agent's config file ([keys]), and the footer
        draws it as it is."""
        return inert(super().get_key_display(binding))

    def key_display(self, binding: Binding) -> str:
        """The keys an action answers to after the agent's remaps, as the footer writes them."""
        if binding.key_display and binding.id not in self.key_remaps:
            return binding.key_display
        return ", ".join(self.get_key_display(Binding(key, binding.action)) for key in
                         effective_keys(binding, self.key_remaps))

    def key_help_rows(self) -> list[tuple[str, str]]:
        rows = []
        for binding in [*ALL_BINDINGS, *Composer.BINDINGS]:
            if binding.id and binding.id.startswith("jump_to_chat_") and binding.id != "jump_to_chat_1":
                continue
            rows.append((self.key_display(binding), tr(binding.description)))
        rows.insert(-1, (self.get_key_display(Binding(self.COMMAND_PALETTE_BINDING, "")), tr("Command palette")))
        rows.append(("tab, shift+tab", tr("Move focus between chat list, transcript and composer")))
        return rows

    # --- signing in again ------------------------------------------------------------------------------------

    def action_sign_in(self) -> None:
        """Also opened by the desk when the backend first refuses the token; the key (ctrl+f) brings it back."""
        def chosen(token: str | None) -> None:
            if token:
                self.sync.engine.replace_token(token)
                self.notify(tr("New token in use; sync resumes."))

        self.push_screen(PromptScreen(tr("The backend refused the token. Paste a new one:"), password=True), chosen)
