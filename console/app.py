"""The Textual application: wires the store, the sync engine and the widgets together."""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette
from textual.message import Message
from textual.widgets import Footer, TextArea

from console.background_sync import BackgroundSync
from console.command_palette import PaletteCommands
from console.customer_actions import CustomerActions
from console.draft_actions import DraftActions
from console.idle_collector import IdleCollector
from console.key_bindings import BINDINGS as MAIN_SCREEN_BINDINGS
from console.key_bindings import KEY_LINE_BINDINGS
from console.key_order import KeySequencer
from console.keymap import effective_keys, keymap_problems
from console.lint_actions import LintActions, masked_preview
from console.outbox_actions import OutboxActions
from console.reply_actions import ReplyActions
from console.sending import Question, check_before_sending, lint_draft
from console.split_actions import SplitActions
from console.transcript_reads import TranscriptReads
from local_cache.backend_client import BackendClient
from local_cache.database import StoreError
from local_cache.models import ChatSummary, LintOverride, SyncStatus
from local_cache.sla import SlaPolicy, nearest_deadline, urgency_order
from local_cache.store import LocalStore
from local_cache.sync_engine import SyncEngine
from quick_replies.library import STARTER_DIR
from quick_replies.linter import load_linter
from quick_replies.pii import mask_all
from quick_replies.reply_library import ReplyLibrary
from widgets.chat_list import ChatList
from widgets.chat_pane import ChatPane
from widgets.composer import Composer
from widgets.customer_panel import CustomerPanel
from widgets.i18n import set_language, tr, translate_bindings
from widgets.inert_text import inert, inert_text
from widgets.layout_containers import Pane, Row
from widgets.message_line import MessageLine, alert_text
from widgets.screens.alert_log import AlertLogScreen
from widgets.screens.help import HelpScreen
from widgets.screens.metrics import MetricsScreen
from widgets.status_bar import StatusBar

CATCH_UP_DELAY = 1 / 60  # s after a new message is painted: the list and header follow, unnoticed
WIDE_ENOUGH_FOR_PANEL = 140  # columns: below, the customer panel starts hidden (ctrl+b) to leave the transcript room


def editing_keys() -> set[str]:
    return {key for binding in TextArea.BINDINGS for key in binding.key.split(",")}


@dataclass
class StoreChanged(Message):
    chat_ids: set[str]


@dataclass
class SyncStatusChanged(Message):
    status: SyncStatus


@dataclass
class SyncCrashed(Message):
    error: Exception


class AgentConsoleApp(DraftActions, LintActions, ReplyActions, OutboxActions, CustomerActions, SplitActions, App):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere still find it
    TITLE = "agent-console"
    COMMANDS = {PaletteCommands}  # which lists Textual's own commands too, after the console's
    BINDINGS = MAIN_SCREEN_BINDINGS  # console/key_bindings.py: every key of the main screen, in one table

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
    ):
        set_language(language)  # before any widget is made: labels are translated as they are built
        super().__init__()
        self.key_problems = keymap_problems(
            [*self.BINDINGS, *Composer.BINDINGS], editing_keys(), keys or {})
        self.key_remaps = keys or {}  # the agent's remaps by action id (Textual keeps its copy private)
        self.set_keymap(self.key_remaps)
        self._ui_thread = threading.get_ident()  # where the app runs; on_mount makes sure
        translate_bindings(self)
        self.alerts = alerts  # a new chat or a message in a background chat: bell | notify | both | off
        self.sla = sla or SlaPolicy()
        self.linter, self.rule_problems = load_linter(rule_dirs or [], library_cache)  # bundled, then the team's
        # Starter, [team,] personal: the last directory is where the agent's own replies are saved.
        self.replies = ReplyLibrary(library_dirs or [STARTER_DIR, Path(store_path).parent / "library"],
                                    cache_dir=library_cache, linter=self.linter)
        self._store_path = Path(store_path)
        self._open_client = open_client
        self._clock = clock
        self._long_poll_wait = long_poll_wait
        self.store: LocalStore | None = None
        self.sync: BackgroundSync | None = None
        self.main_pane = ChatPane(id="conversation")  # the chat the list drives
        self.side_pane = ChatPane(id="side-pane")  # the split view's second chat (ctrl+\\)
        self.sync_status: SyncStatus | None = None
        self.chats: dict[str, ChatSummary] = {}  # by id, as last read from the store
        self._showing_rejected_keys = False
        self._status_bar: StatusBar | None = None  # set on mount
        self._message_line: MessageLine | None = None  # set on mount
        self._collector = IdleCollector()
        self._keys = KeySequencer(self, self._dispatch_input)
        self._order_when_opened: list[str] = []  # the chat list's order when the open chat was opened
        self._catching_up: set[str] = set()  # chats whose new messages are shown, the list and header not yet
        self.transcripts: TranscriptReads | None = None  # on mount, with the store

    # --- layout and lifecycle ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The chat list and the bars below sit in containers of their own size: Textual renders every widget
        # whose container overlaps a changed region, so a new message in the transcript would render them too.
        with Row(id="main"):
            with Pane(id="list-pane"):
                yield ChatList(self._clock, id="chat-list")
            yield self.main_pane
            yield self.side_pane
            yield CustomerPanel(id="customer-panel")
        with Pane(id="bars"):
            yield StatusBar(id="status-bar")
            # The chat actions' keys (the footer below has no room left for them), or the alerts while fresh.
            yield MessageLine(id="key-line")
            yield Footer(compact=True)  # every key the issue lists must fit on one line at 120 columns

    def on_mount(self) -> None:
        self._ui_thread = threading.get_ident()
        self.store = LocalStore(self._store_path, self._clock)
        self.transcripts = TranscriptReads(self.store)
        self.query_one(CustomerPanel).display = self.size.width >= WIDE_ENOUGH_FOR_PANEL
        self._status_bar = self.query_one(StatusBar)
        self._status_bar.show(None)
        for pane in self.panes:
            pane.transcript.mask = mask_all
            pane.composer.expand_shortcut = self.expand_shortcut_code
            pane.composer.lint = lambda text: lint_draft(self.linter, text)
        self.refresh_chats()
        self.check_incoming(list(self.chats))  # messages cached before the incoming rules saw them (a worker)
        engine = SyncEngine(
            lambda: LocalStore(self._store_path),
            self._open_client,
            on_change=lambda chat_ids: self.post_message(StoreChanged(chat_ids)),
            on_status=lambda status: self.post_message(SyncStatusChanged(status)),
            long_poll_wait=self._long_poll_wait,
        )
        self.sync = BackgroundSync(engine, on_crash=lambda error: self.post_message(SyncCrashed(error)))
        self.sync.start()
        self.main_pane.composer.focus()
        self.report_library_problems()
        self._message_line = self.query_one(MessageLine)
        self._message_line.show_hints(
            [(self.key_display(binding), tr(binding.description)) for binding in KEY_LINE_BINDINGS])
        for problem in self.key_problems:
            self.notify(problem, title=tr("Key remap"), severity="warning", timeout=20, markup=False)
        for problem in self.rule_problems[:3]:
            self.notify(str(problem), severity="warning", timeout=10, markup=False)
        self.set_interval(2.0, self.reload_library_if_changed)
        self._collector.start()
        self.set_interval(5.0, self._collector.tick)

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
            self.save_unsaved_drafts()
            self.store.close()

    # --- showing state -------------------------------------------------------------------------------------

    @property
    def agent_name(self) -> str:
        if self.sync_status and self.sync_status.agent_name:
            return self.sync_status.agent_name
        return (self.store.get_meta("agent_name") if self.store else None) or tr("You")

    def refresh_chats(self, chat_ids: set[str] | None = None) -> None:
        """Re-read the chat list from the store: every chat, or only `chat_ids` (what a change touched)."""
        if chat_ids is None:
            fresh = self.store.chats.summaries()
            merged = {}
        else:
            fresh = self.store.chats.summaries(sorted(chat_ids))
            merged = dict(self.chats)
        merged.update((chat.id, masked_preview(chat)) for chat in fresh)
        summaries = urgency_order(list(merged.values()), self.sla)
        self.chats = {chat.id: chat for chat in summaries}
        deadlines = {chat.id: nearest_deadline(chat, self.sla) for chat in summaries}
        self.query_one(ChatList).show(summaries, self.current_chat_id, deadlines)
        if self.current_chat_id is None:
            # The most urgent chat that is not closed: a closed one is opened only by the agent.
            first_open = next((chat.id for chat in summaries if chat.state != "closed"), None)
            if first_open is not None:
                self.show_chat(first_open)

    def action_toggle_closed_chats(self) -> None:
        """Closed chats in the list too (to read or find one), or not: the list is the work still to do."""
        chat_list = self.query_one(ChatList)
        chat_list.showing_closed = not chat_list.showing_closed
        self.refresh_chats()

    def alert_background_activity(self, before: dict[str, ChatSummary]) -> None:
        """A chat that is new, or has more unread messages than before, and is not the open one: ring or notify.
        Not on the first fill of an empty list (a cold start would ring once per chat)."""
        if not before or self.alerts == "off":
            return
        waking = [chat for chat_id, chat in self.chats.items() if chat_id != self.current_chat_id and
                  chat.state != "closed" and chat.unread > (before[chat_id].unread if chat_id in before else 0)]
        if not waking:
            return
        if self.alerts in ("bell", "both"):
            self.bell()
        if self.alerts in ("notify", "both"):
            for chat in waking:
                self._message_line.arrived(chat.customer_name,
                                           chat.unread - (before[chat.id].unread if chat.id in before else 0))

    @property
    def alert_history(self) -> list[str]:
        """Every alert shown so far (the newest last), as plain text."""
        return [alert.text.plain for alert in self._message_line.history] if self._message_line else []

    def notify(self, message: str, *, title: str = "", severity: str = "information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every alert, the console's and Textual's own, goes to the message line above the footer: never a
        toast over the composer, a dialog or the search panel (widgets/message_line.py)."""
        if threading.get_ident() != self._ui_thread:
            self.call_from_thread(self.notify, message, title=title, severity=severity, timeout=timeout, markup=markup)
            return
        text = inert_text(f"{title}: ", "bold") if title else Text()
        text.append_text(alert_text(message, markup))
        if self._message_line is None:  # before mount: shown once the line exists
            self.call_after_refresh(self.notify, message, title=title, severity=severity, timeout=timeout,
                                    markup=markup)
            return
        self._message_line.alert(text, severity, timeout)

    def show_chat(self, chat_id: str) -> None:
        """Open a chat in the main pane (the chat list's), with the customer panel beside it."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return
        main, side = self.main_pane, self.side_pane
        swapped_out = None
        if chat_id == side.chat_id and main.chat_id not in (None, chat_id):
            swapped_out = main.chat_id  # it goes to the right-hand pane in its place
            self.open_in_pane(side, None)
        if chat_id != main.chat_id:
            self._order_when_opened = list(self.query_one(ChatList).chat_ids)
            self.conceal_customer()  # a reveal lasts while its chat stays open (the pane masks itself again)
            self.open_in_pane(main, chat_id)
        self.query_one(ChatList).select(chat_id)
        if chat.unread:
            self.store.chats.mark_read(chat_id)
            self.refresh_chats({chat_id})
        rejected = self.show_pane(main)
        self.show_customer(chat_id)
        if swapped_out is not None:
            self.show_side_chat(swapped_out)
        if bool(rejected) != self._showing_rejected_keys:
            # Only then do the footer's keys change; refreshing them re-mounts the whole footer (~2 ms).
            self._showing_rejected_keys = bool(rejected)
            self.refresh_bindings()

    def show_open_chats(self, chat_ids: set[str] | None = None) -> None:
        """Repaint both panes' chats (or those of them among `chat_ids`) as the store has them now."""
        if self.current_chat_id is not None and (chat_ids is None or self.current_chat_id in chat_ids):
            self.show_chat(self.current_chat_id)
        if self.side_chat_id is not None and (chat_ids is None or self.side_chat_id in chat_ids):
            self.show_side_chat(self.side_chat_id)

    def show_pane(self, pane: ChatPane) -> list:
        """Paint the pane's chat as the store has it now; returns the chat's items the backend refused."""
        chat = self.chats.get(pane.chat_id)
        if chat is None:
            return []
        pane.show_chat(chat, self.transcripts.entries(chat.id), chat.customer_name, self.agent_name)
        return self.show_rejected(pane)

    def show_rejected(self, pane: ChatPane) -> list:
        """The oldest item of the chat the backend refused, above the chat's composer; returns them all."""
        rejected = self.store.outbox.rejected_items(pane.chat_id)
        if rejected:
            first = rejected[0]
            what = first.body.get("text") if first.kind == "message" else tr("[{action} action]",
                                                                             action=first.body.get("type"))
            pane.show_rejected(str(what), first.last_error or "", len(rejected))
        else:
            pane.show_rejected(None)
        return rejected

    @on(StoreChanged)
    def _store_changed(self, event: StoreChanged) -> None:
        if self._widgets_gone():
            return
        self._collector.activity()
        # What the agent is reading is painted first (a frame takes 2-4 ms). The list, header, read marks and
        # risk checks (about 2 ms of SQL and rendering, and a repaint of the list) follow a frame's time later.
        # Not call_after_refresh: the screen can go idle, and run it, before it learns the transcript changed.
        shown = [pane for pane in self.panes if pane.chat_id in event.chat_ids and pane.chat_id in self.chats]
        for pane in shown:
            chat = self.chats[pane.chat_id]
            pane.show_transcript(self.transcripts.entries(chat.id), chat.customer_name, self.agent_name)
        if not shown:
            self._catch_up_with_store(event.chat_ids)
            return
        if not self._catching_up:  # messages arriving together share one catch-up
            self.set_timer(CATCH_UP_DELAY, self._catch_up_pending, name="catch up with the store")
        self._catching_up |= event.chat_ids

    def _catch_up_pending(self) -> None:
        chat_ids, self._catching_up = self._catching_up, set()
        self._catch_up_with_store(chat_ids)

    def _catch_up_with_store(self, chat_ids: set[str]) -> None:
        if self._widgets_gone():
            return
        self.check_incoming(chat_ids)
        before = self.chats
        for shown in {self.current_chat_id, self.side_chat_id} & chat_ids:
            self.store.chats.mark_read(shown)  # read as it arrives: the agent is looking at it
        self.refresh_chats(chat_ids)
        self.alert_background_activity(before)
        self.show_open_chats(chat_ids)

    def _widgets_gone(self) -> bool:
        """The sync engine reports until it is stopped, which is after the app has begun to take its screen
        down: a report that arrives then has nothing to update."""
        # Walks up a few parents (a query walked the whole DOM: 0.1 ms per message).
        return self._status_bar is None or not self._status_bar.is_attached

    @on(SyncStatusChanged)
    def _sync_status_changed(self, event: SyncStatusChanged) -> None:
        if self._widgets_gone():
            return
        newly_refused = event.status.auth_required and not (self.sync_status and self.sync_status.auth_required)
        self.sync_status = event.status
        self._status_bar.show(event.status)
        if newly_refused:
            self.notify(tr("The backend refused the token. Nothing is lost: messages wait in the outbox."),
                        severity="error", timeout=15)
            self.action_sign_in()

    @on(SyncCrashed)
    def _sync_crashed(self, event: SyncCrashed) -> None:
        self.notify(
            tr("Sync stopped: {error}. Messages stay in the outbox.", error=event.error), severity="error", timeout=30,
            markup=False,
        )
        if self.sync_status is not None and not self._widgets_gone():  # never "online" with no engine behind it
            self._sync_status_changed(SyncStatusChanged(dataclasses.replace(
                self.sync_status, online=False, since=time.time(), detail="sync stopped")))

    @on(ChatList.Selected)
    def _chat_selected(self, event: ChatList.Selected) -> None:
        self.show_chat(event.chat_id)

    @on(ChatList.Opened)
    def _chat_opened(self, event: ChatList.Opened) -> None:
        self.show_chat(event.chat_id)
        self.main_pane.composer.focus()  # what comes next is the reply

    # --- sending -------------------------------------------------------------------------------------------

    @on(Composer.SendRequested)
    def _send(self, event: Composer.SendRequested) -> None:
        pane = ChatPane.of(event.composer)
        chat_id, text = pane.chat_id if pane else None, event.text
        if pane is None or chat_id is None:
            self.notify(tr("Pick a chat first (alt+1…9 or the chat list)."), severity="warning")
            return
        check = check_before_sending(self.linter, text)
        if check.refusal:
            self.notify(check.refusal, severity="error", markup=False)  # the text stays in the composer
        elif check.questions:
            self.run_worker(self._ask_then_send(chat_id, text, pane, check.questions), group="send")
        else:
            self.send_text(chat_id, text, pane)

    async def _ask_then_send(self, chat_id: str, text: str, pane: ChatPane, questions: list[Question]) -> None:
        """Each question in turn, as a dialog; the message is queued once every one is answered yes."""
        override = None
        for question in questions:
            answer = await self.push_screen_wait(question.screen)
            if not answer:
                return  # the text stays in the composer
            override = question.override(answer) or override
        self.send_text(chat_id, text, pane, override)

    def send_text(self, chat_id: str, text: str, pane: ChatPane, override: LintOverride | None = None) -> None:
        try:
            self.store.outbox.enqueue_message(chat_id, text, override)
        except (ValueError, StoreError) as error:
            self.notify(str(error), severity="error", markup=False)  # the text stays in the composer
            return
        self.forget_sent_text(chat_id, text, pane)
        self.refresh_chats()
        self.show_open_chats()
        if self.sync_status is not None:  # show the new depth now, not after the engine's next report
            self._sync_status_changed(
                SyncStatusChanged(dataclasses.replace(self.sync_status, outbox_depth=self.store.outbox.depth()))
            )
        self.sync.wake()

    # --- actions -------------------------------------------------------------------------------------------

    def action_next_chat(self) -> None:
        self._move_selection(+1)

    def action_previous_chat(self) -> None:
        self._move_selection(-1)

    def _move_selection(self, step: int) -> None:
        """Next and previous in the order the list had when this chat was opened: the agent's own reply sends it
        down the list, and alt+↓ still means the chat that was below it, not the top of the list."""
        listed = self.query_one(ChatList).chat_ids
        if listed:
            still = set(listed)
            order = [c for c in self._order_when_opened if c in still]
            order += [c for c in listed if c not in set(order)]
            current = order.index(self.current_chat_id) if self.current_chat_id in order else -step
            self.show_chat(order[(current + step) % len(order)])

    def action_jump_to_chat(self, position: int) -> None:
        chat_ids = self.query_one(ChatList).chat_ids
        if 0 < position <= len(chat_ids):
            self.show_chat(chat_ids[position - 1])

    def action_focus_composer(self) -> None:
        """To the left-hand composer; in split view, pressed again, to the right-hand one."""
        main = self.main_pane.composer
        if self.side_chat_id is not None and self.focused is main:
            self.side_pane.composer.focus()
        else:
            main.focus()

    def action_focus_chat_list(self) -> None:
        self.query_one(ChatList).focus()

    def action_show_metrics(self) -> None:
        midnight = datetime.fromtimestamp(self._clock()).replace(hour=0, minute=0, second=0, microsecond=0)
        figures = self.store.chats.day_metrics(midnight.timestamp(), self.sla, self.chats)
        self.push_screen(MetricsScreen(figures, self.sla.first_response))

    def action_command_palette(self) -> None:
        """Textual's palette, with its placeholder in the agent's language."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=tr("Search for commands…")))

    def action_recent_alerts(self) -> None:
        self.push_screen(AlertLogScreen(self._message_line.history))

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
        for binding in [*self.BINDINGS, *Composer.BINDINGS]:
            if binding.id and binding.id.startswith("jump_to_chat_") and binding.id != "jump_to_chat_1":
                continue
            keys = self.key_display(binding)
            rows.append((keys, tr(binding.description)))
        rows.insert(-1, (self.get_key_display(Binding(self.COMMAND_PALETTE_BINDING, "")), tr("Command palette")))
        rows.append(("tab, shift+tab", tr("Move focus between chat list, transcript and composer")))
        return rows
