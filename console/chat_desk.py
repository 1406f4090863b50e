"""The chat desk: the screen the agent works in. The chat list, one or two ChatPanes, the customer panel, the
status bar, the key line and the footer; what is shown comes from the store, and what the agent does goes to it.

Its keys are console/key_bindings.py's DESK_BINDINGS. Each action that concerns "this chat" acts on the pane with
the focus (`active_pane`); the work is done by the parts it owns, each given what it needs when it is made:
DraftKeeper (drafts), CustomerDetails (the customer panel and its reveal), IncomingChecks (the linter on
customers' messages), ChatActions (close, transfer, tag, priority, escalate, refused items) and ReplyActions
(quick replies). None of them knows another; what they share, they ask of the desk.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, TextArea

from console.attachment_actions import AttachmentActions
from console.chat_actions import ChatActions
from console.customer_details import CustomerDetails
from console.draft_keeper import DraftKeeper
from console.history_actions import HistoryActions
from console.incoming_checks import IncomingChecked, IncomingChecks
from console.key_bindings import DESK_BINDINGS, KEY_LINE_BINDINGS, REJECTED_ITEM_ACTIONS
from console.order_actions import OrderActions
from console.reply_actions import LibraryBuilt, ReplyActions
from console.sending import Sender, lint_draft
from console.transcript_reads import TranscriptReads
from local_cache.backend_client import BackendClient
from local_cache.models import ChatSummary, SyncStatus
from local_cache.sla import ACTIVE_STATES, SlaPolicy, nearest_deadline, urgency_order
from local_cache.store import LocalStore
from quick_replies.linter import Linter
from quick_replies.pii import mask_all
from quick_replies.reply_library import ReplyLibrary
from widgets.chat_list import ChatList
from widgets.chat_pane import ChatPane
from widgets.composer import Composer
from widgets.customer_panel import CustomerPanel
from widgets.i18n import tr, translate_bindings
from widgets.layout_containers import Pane, Row
from widgets.message_line import MessageLine
from widgets.screens.metrics import MetricsScreen
from widgets.status_bar import StatusBar
from widgets.transcript import Transcript

IDLE_CHECK_SECONDS = 60.0
CATCH_UP_DELAY = 1 / 60  # s after a new message is painted: the list and header follow, unnoticed
WIDE_ENOUGH_FOR_ORDER = 100  # columns: below, opening the panel for an order would leave the transcript a sliver
WIDE_ENOUGH_FOR_PANEL = 140  # columns: below, the customer panel starts hidden (ctrl+b) to leave the transcript room


def binding_of(binding_id: str) -> Binding:
    return next(binding for binding in DESK_BINDINGS if binding.id == binding_id)


CUT_NUMBER = re.compile(r"(?<![0-9])[0-9]{7,}$")


@dataclass
class StoreChanged(Message):
    chat_ids: set[str]


@dataclass
class SyncStatusChanged(Message):
    status: SyncStatus


@dataclass
class DeskServices:
    """What the App made for the desk: the store and what reads it, the libraries, the way to the backend."""
    store: LocalStore
    transcripts: TranscriptReads
    linter: Linter
    replies: ReplyLibrary
    open_client: Callable[[], BackendClient]
    wake_sync: Callable[[], None]
    clock: Callable[[], float]
    sla: SlaPolicy
    alerts: str  # a new chat or a message in a background chat: bell | notify | both | off
    satisfaction_invite: str = ""  # sent as a chat is closed; empty: none
    idle_close_minutes: float = 0.0  # a chat this quiet after the agent's reply is offered for closing; 0: never
    image_protocol: str = ""  # how attachments are previewed inline (console/image_support.py); "": not at all


def masked_preview(chat: ChatSummary) -> ChatSummary:
    """The chat list shows the last message too: never its personal data in clear. The preview is cut short,
    so a number cut off at its end is masked too (it may be the start of a card number)."""
    preview = mask_all(chat.last_message_preview)
    preview = CUT_NUMBER.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), preview)
    return dataclasses.replace(chat, last_message_preview=preview)


class ChatDesk(Screen):
    BINDINGS = DESK_BINDINGS

    def __init__(self, services: DeskServices) -> None:
        super().__init__(id="chat-desk")
        translate_bindings(self)
        self.services = services
        self.store = services.store
        self.chats: dict[str, ChatSummary] = {}  # by id, as last read from the store
        self.sync_status: SyncStatus | None = None
        self.transfer_targets: list[str] = []  # the backend's teams and agents, when it lists them (Chatwoot)
        self.main_pane = ChatPane(id="conversation")  # the chat the list drives
        self.side_pane = ChatPane(id="side-pane")  # the split view's second chat (ctrl+\\)
        self.panes = (self.main_pane, self.side_pane)
        self.chat_list = ChatList(services.clock, id="chat-list")
        self.status_bar = StatusBar(id="status-bar")
        self.message_line = MessageLine(id="key-line")
        self.drafts = DraftKeeper(self.store, self.panes, self.set_timer)
        self.order_actions = OrderActions(self, services.open_client)
        self.customer = CustomerDetails(CustomerPanel(id="customer-panel"), self.store, services.open_client,
                                        self.order_actions.chosen.get)
        self.incoming = IncomingChecks(self, services.linter)
        self.chat_actions = ChatActions(self)
        self.reply_actions = ReplyActions(self, services.replies)
        self.history_actions = HistoryActions(self)
        self.attachment_actions = AttachmentActions(self, services.image_protocol)
        self.sender = Sender(self, services.linter)
        self._order_when_opened: list[str] = []  # the chat list's order when the open chat was opened
        self._catching_up: set[str] = set()  # chats whose new messages are shown, the list and header not yet
        self._showing_rejected_keys: tuple[str | None, bool] = (None, False)
        self._offered_idle: dict[str, str] = {}  # chat id -> the last message it was offered for closing after

    def compose(self) -> ComposeResult:
        # The chat list and the bars below sit in containers of their own size: Textual renders every widget
        # whose container overlaps a changed region, so a new message in the transcript would render them too.
        with Row(id="main"):
            with Pane(id="list-pane"):
                yield self.chat_list
            yield self.main_pane
            yield self.side_pane
            yield self.customer.panel
        with Pane(id="bars"):
            yield self.status_bar
            # The chat actions' keys (the footer below has no room left for them), or the alerts while fresh.
            yield self.message_line
            yield Footer(compact=True)  # every key the issue lists must fit on one line at 120 columns

    def on_mount(self) -> None:
        self.customer.panel.display = self.app.size.width >= WIDE_ENOUGH_FOR_PANEL
        self.status_bar.show(None)
        self.customer.previous_key = self.app.key_display(binding_of("choose_previous_chat"))
        for pane in self.panes:
            pane.transcript.mask = mask_all
            pane.composer.expand_shortcut = self.reply_actions.expand_shortcut_code
            pane.composer.lint = lambda text, composer=pane.composer: lint_draft(self.services.linter, text,
                                                                                 composer.note_mode)
        self.refresh_chats()
        self.incoming.check(list(self.chats))  # messages cached before the incoming rules saw them (a worker)
        self.main_pane.composer.focus()
        self.message_line.show_hints(
            [(self.app.key_display(binding), tr(binding.description)) for binding in KEY_LINE_BINDINGS])
        self.reply_actions.report_library_problems()
        self.set_interval(IDLE_CHECK_SECONDS, self.offer_idle_chats)

    def on_unmount(self) -> None:
        self.history_actions.close()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in REJECTED_ITEM_ACTIONS:
            return self.chat_actions.oldest_rejected() is not None
        return True

    def widgets_gone(self) -> bool:
        """The sync engine reports until it is stopped, which is after the app has begun to take its screen
        down: a report that arrives then has nothing to update."""
        # Walks up a few parents (a query walked the whole DOM: 0.1 ms per message).
        return not self.status_bar.is_attached

    # --- which chat -------------------------------------------------------------------------------------------

    @property
    def current_chat_id(self) -> str | None:
        """The chat in the main (left-hand) pane: the one the chat list drives."""
        return self.main_pane.chat_id

    @property
    def side_chat_id(self) -> str | None:
        """The chat in the split view's right-hand pane; None while the view is not split."""
        return self.side_pane.chat_id

    @property
    def active_pane(self) -> ChatPane:
        """The pane the agent is working in: the right-hand one while the focus is in it."""
        focused = ChatPane.of(self.focused)
        return focused if focused is self.side_pane and self.side_chat_id is not None else self.main_pane

    @property
    def active_chat_id(self) -> str | None:
        return self.active_pane.chat_id

    @property
    def agent_name(self) -> str:
        if self.sync_status and self.sync_status.agent_name:
            return self.sync_status.agent_name
        return self.store.get_meta("agent_name") or tr("You")

    # --- showing what the store has ---------------------------------------------------------------------------

    def refresh_chats(self, chat_ids: set[str] | None = None) -> None:
        """Re-read the chat list from the store: every chat, or only `chat_ids` (what a change touched)."""
        if chat_ids is None:
            fresh, merged = self.store.chats.summaries(), {}
        else:
            fresh, merged = self.store.chats.summaries(sorted(chat_ids)), dict(self.chats)
        merged.update((chat.id, masked_preview(chat)) for chat in fresh)
        summaries = urgency_order(list(merged.values()), self.services.sla)
        self.chats = {chat.id: chat for chat in summaries}
        deadlines = {chat.id: nearest_deadline(chat, self.services.sla) for chat in summaries}
        self.chat_list.show(summaries, self.current_chat_id, deadlines)
        if self.current_chat_id is None:
            # The most urgent chat that is not closed: a closed one is opened only by the agent.
            first_open = next((chat.id for chat in summaries if chat.state != "closed"), None)
            if first_open is not None:
                self.show_chat(first_open)

    def show_chat(self, chat_id: str) -> None:
        """Open a chat in the main pane (the chat list's), with the customer panel beside it."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return
        main, side = self.main_pane, self.side_pane
        swapped_out = None
        if chat_id == side.chat_id and main.chat_id not in (None, chat_id):
            swapped_out = main.chat_id  # it goes to the right-hand pane in its place
            self.drafts.open_in_pane(side, None)
        if chat_id != main.chat_id:
            self._order_when_opened = list(self.chat_list.chat_ids)
            self.customer.conceal()  # a reveal lasts while its chat stays open (the pane masks itself again)
            self.drafts.open_in_pane(main, chat_id)
        self.chat_list.select(chat_id)
        if chat.unread:
            self.store.chats.mark_read(chat_id)
            self.refresh_chats({chat_id})
        self.show_pane(main)
        self.customer.show(self.chats.get(chat_id))
        if swapped_out is not None:
            self.show_side_chat(swapped_out)
        self._offer_rejected_keys()

    def show_side_chat(self, chat_id: str) -> None:
        if chat_id in self.chats:
            self.drafts.open_in_pane(self.side_pane, chat_id)
            self.show_pane(self.side_pane)
            self._offer_rejected_keys()

    def _offer_rejected_keys(self) -> None:
        """f5/f4/f8 in the footer while the chat of the pane with the focus has a refused item (the right-hand
        one's too). Only when that changes: refreshing the keys re-mounts the whole footer (~2 ms)."""
        # By the chat too: a focus move between the panes refreshes the footer without us.
        showing = (self.active_chat_id, self.chat_actions.oldest_rejected() is not None)
        if showing != self._showing_rejected_keys:
            self._showing_rejected_keys = showing
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
        pane.show_chat(chat, self.services.transcripts.entries(chat.id), chat.customer_name, self.agent_name)
        rejected = self.store.outbox.rejected_items(pane.chat_id)
        if rejected:
            first = rejected[0]
            what = first.body.get("text") if first.kind == "message" else tr("[{action} action]",
                                                                             action=first.body.get("type"))
            if first.body.get("private") is True:
                what = tr("[note] {text}", text=what)
            pane.show_rejected(str(what), first.last_error or "", len(rejected))
        else:
            pane.show_rejected(None)
        return rejected

    def show_marks(self, chat_ids: set[str]) -> None:
        """The risk checks marked these chats: their rows, and the header of a pane showing one."""
        self.refresh_chats(chat_ids)
        for pane in self.panes:
            if pane.chat_id in chat_ids:
                self.show_pane(pane)

    def offer_idle_chats(self) -> None:
        """A chat quiet for idle_close_minutes since the agent's reply is offered for closing, once per quiet
        spell: never closed without the agent (a customer may still be reading, or typing)."""
        minutes = self.services.idle_close_minutes
        if not minutes or self.widgets_gone():
            return
        now = self.services.clock()
        for chat in list(self.chats.values()):
            if chat.state not in ACTIVE_STATES:
                continue
            entries = self.services.transcripts.entries(chat.id)
            last = next((entry for entry in reversed(entries) if not entry.private), None)  # a note is no reply
            if (last is None or last.author != "agent" or last.delivery != "sent"
                    or now - last.created_at < minutes * 60 or self._offered_idle.get(chat.id) == last.key):
                continue
            self._offered_idle[chat.id] = last.key
            self.notify(tr("{name} has not written for {minutes} min since your reply: f7 closes the chat.",
                           name=chat.customer_name, minutes=f"{minutes:g}"), timeout=30, markup=False)

    def outbox_changed(self) -> None:
        self.refresh_chats()
        self.show_open_chats()
        self.refresh_bindings()
        self.show_outbox_depth()
        self.services.wake_sync()

    def show_outbox_depth(self) -> None:
        """The new depth at once: the engine reports it only when it next gets through (a hung backend: never)."""
        if self.sync_status is not None:
            self.show_sync_status(dataclasses.replace(self.sync_status, outbox_depth=self.store.outbox.depth()))

    # --- what the sync engine reports -------------------------------------------------------------------------

    @on(StoreChanged)
    def _store_changed(self, event: StoreChanged) -> None:
        if self.widgets_gone():
            return
        # What the agent is reading is painted first (a frame takes 2-4 ms). The list, header, read marks and
        # risk checks (about 2 ms of SQL and rendering, and a repaint of the list) follow a frame's time later.
        # Not call_after_refresh: the screen can go idle, and run it, before it learns the transcript changed.
        shown = [pane for pane in self.panes if pane.chat_id in event.chat_ids and pane.chat_id in self.chats]
        for pane in shown:
            chat = self.chats[pane.chat_id]
            pane.show_transcript(self.services.transcripts.entries(chat.id), chat.customer_name, self.agent_name)
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
        if self.widgets_gone():
            return
        self.incoming.check(chat_ids)
        before = self.chats
        for shown in {self.current_chat_id, self.side_chat_id} & chat_ids:
            self.store.chats.mark_read(shown)  # read as it arrives: the agent is looking at it
        self.refresh_chats(chat_ids)
        self._alert_background_activity(before)
        self.show_open_chats(chat_ids)

    def _alert_background_activity(self, before: dict[str, ChatSummary]) -> None:
        """A chat that is new, or has more unread messages than before, and is not the open one: ring or notify.
        Not on the first fill of an empty list (a cold start would ring once per chat)."""
        alerts = self.services.alerts
        if not before or alerts == "off":
            return
        waking = [chat for chat_id, chat in self.chats.items() if chat_id != self.current_chat_id and
                  chat.state != "closed" and chat.unread > (before[chat_id].unread if chat_id in before else 0)]
        if waking and alerts in ("bell", "both"):
            self.app.bell()
        if waking and alerts in ("notify", "both"):
            for chat in waking:
                self.message_line.arrived(chat.customer_name,
                                          chat.unread - (before[chat.id].unread if chat.id in before else 0))

    @on(SyncStatusChanged)
    def _sync_status_changed(self, event: SyncStatusChanged) -> None:
        self.show_sync_status(event.status)

    def show_sync_status(self, status: SyncStatus) -> None:
        if self.widgets_gone():
            return
        newly_refused = status.auth_required and not (self.sync_status and self.sync_status.auth_required)
        self.sync_status = status
        self.status_bar.show(status)
        if newly_refused:
            self.notify(tr("The backend refused the token. Nothing is lost: messages wait in the outbox."),
                        severity="error", timeout=15)
            self.app.action_sign_in()

    def sync_stopped(self) -> None:
        """Never "online" with no engine behind it."""
        if self.sync_status is not None:
            self.show_sync_status(dataclasses.replace(self.sync_status, online=False, since=time.time(),
                                                      detail="sync stopped"))

    def on_incoming_checked(self, event: IncomingChecked) -> None:
        self.incoming.record(event)

    def on_library_built(self, message: LibraryBuilt) -> None:
        self.reply_actions.install(message)

    # --- what the agent does ----------------------------------------------------------------------------------

    @on(ChatList.Selected)
    def _chat_selected(self, event: ChatList.Selected) -> None:
        self.show_chat(event.chat_id)

    @on(ChatList.Opened)
    def _chat_opened(self, event: ChatList.Opened) -> None:
        self.show_chat(event.chat_id)
        self.main_pane.composer.focus()  # what comes next is the reply

    @on(TextArea.Changed)
    def _composer_edited(self, event: TextArea.Changed) -> None:
        pane = ChatPane.of(event.text_area) if isinstance(event.text_area, Composer) else None
        if pane is not None and pane.chat_id is not None:
            self.drafts.edited(pane.chat_id, event.text_area.text, event.text_area.note_mode)

    @on(Composer.NoteModeChanged)
    def _note_mode_changed(self, event: Composer.NoteModeChanged) -> None:
        pane = ChatPane.of(event.composer)
        if pane is not None and pane.chat_id is not None:
            self.drafts.edited(pane.chat_id, event.composer.text, event.composer.note_mode)

    @on(Composer.RepliesRequested)
    def _replies_requested(self, event: Composer.RepliesRequested) -> None:
        self.reply_actions.open_panel(event.query)

    @on(Composer.SendRequested)
    def _send(self, event: Composer.SendRequested) -> None:
        self.sender.send(ChatPane.of(event.composer), event.text, event.note)

    @on(Transcript.AttachmentChosen)
    def _attachment_chosen(self, event: Transcript.AttachmentChosen) -> None:
        if event.preview:
            self.attachment_actions.preview(event.attachment)
        else:
            self.attachment_actions.open(event.attachment)

    @on(Transcript.LeaveRequested)
    def _leave_transcript(self, event: Transcript.LeaveRequested) -> None:
        pane = ChatPane.of(event.transcript)
        if pane is not None:
            pane.composer.focus()
            if event.typed:
                pane.composer.insert(event.typed)

    # --- the desk's keys (console/key_bindings.py) ---------------------------------------------------------

    def action_next_chat(self) -> None:
        self._move_selection(+1)

    def action_previous_chat(self) -> None:
        self._move_selection(-1)

    def _move_selection(self, step: int) -> None:
        """Next and previous in the order the list had when this chat was opened: the agent's own reply sends it
        down the list, and alt+↓ still means the chat that was below it, not the top of the list."""
        listed = self.chat_list.chat_ids
        if listed:
            still = set(listed)
            order = [c for c in self._order_when_opened if c in still]
            order += [c for c in listed if c not in set(order)]
            current = order.index(self.current_chat_id) if self.current_chat_id in order else -step
            self.show_chat(order[(current + step) % len(order)])

    def action_jump_to_chat(self, position: int) -> None:
        chat_ids = self.chat_list.chat_ids
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
        self.chat_list.focus()

    def action_toggle_closed_chats(self) -> None:
        """Closed chats in the list too (to read or find one), or not: the list is the work still to do."""
        self.chat_list.showing_closed = not self.chat_list.showing_closed
        self.refresh_chats()

    def action_toggle_split(self) -> None:
        """A second chat beside the first: the open chat moves to the right-hand pane and the next one opens on
        the left, which the list keeps driving. Pressed again, back to one pane."""
        side = self.side_pane
        if side.chat_id is not None:
            self.drafts.open_in_pane(side, None)
            side.display = False
            self.main_pane.composer.focus()
            return
        chat_ids = self.chat_list.chat_ids
        if self.current_chat_id is None or len(chat_ids) < 2:
            self.notify(tr("Split view needs two chats."), severity="warning")
            return
        pinned = self.current_chat_id
        self.show_chat(chat_ids[(chat_ids.index(pinned) + 1) % len(chat_ids)])
        side.display = True
        self.show_side_chat(pinned)
        side.composer.focus()

    def action_toggle_customer_panel(self) -> None:
        self.customer.panel.display = not self.customer.panel.display
        self.customer.show(self.chats.get(self.current_chat_id))

    def action_reveal_personal_data(self) -> None:
        """Show the personal data of the chat being worked on (the pane with the focus) in clear until another
        chat is opened in that pane; every reveal is logged. The customer panel follows the main pane's chat."""
        pane = self.active_pane
        if pane.chat_id is None or pane.transcript.revealed:
            pane.transcript.set_revealed(False)
            if pane is self.main_pane:
                self.customer.conceal()
                self.customer.show(self.chats.get(pane.chat_id))
            return
        self.store.audit.record_pii_reveal(pane.chat_id)
        pane.transcript.set_revealed(True)
        if pane is self.main_pane:
            self.run_worker(self.customer.fetch_clear_profile(pane.chat_id, self._still_revealed(pane.chat_id)),
                            group="reveal", exclusive=True)
        self.notify(tr("Personal data shown in clear for this chat (logged). f9 hides it again."), timeout=8)

    def _still_revealed(self, chat_id: str) -> Callable[[], ChatSummary | None]:
        def chat_if_still_revealed() -> ChatSummary | None:
            if chat_id == self.current_chat_id and self.main_pane.transcript.revealed:
                return self.chats.get(chat_id)
            return None
        return chat_if_still_revealed

    def action_show_metrics(self) -> None:
        clock, sla = self.services.clock, self.services.sla
        midnight = datetime.fromtimestamp(clock()).replace(hour=0, minute=0, second=0, microsecond=0)
        self.app.push_screen(MetricsScreen(self.store.chats.day_metrics(midnight.timestamp(), sla, self.chats),
                                           sla.first_response))

    # The chat's own actions: each acts on the pane with the focus.

    def action_quick_replies(self, query: str = "") -> None:
        self.reply_actions.open_panel(query)

    def action_choose_order(self) -> None:
        self.order_actions.choose()

    def show_picked_order(self, chat_id: str) -> None:
        """The agent asked to see an order: the panel opens if it was hidden, and follows an active reveal."""
        if chat_id != self.current_chat_id:
            return  # picked in the right-hand pane: the panel shows it when that chat is opened on the left
        if not self.customer.panel.display and self.app.size.width < WIDE_ENOUGH_FOR_ORDER:
            self.notify(tr("{key} shows the order in the customer panel.",
                           key=self.app.key_display(binding_of("toggle_customer_panel"))), markup=False)
        self.customer.panel.display = self.customer.panel.display or self.app.size.width >= WIDE_ENOUGH_FOR_ORDER
        if self.main_pane.transcript.revealed:
            self.run_worker(self.customer.fetch_clear_profile(chat_id, self._still_revealed(chat_id)),
                            group="reveal", exclusive=True)
        self.customer.show(self.chats.get(chat_id))

    def action_toggle_note_mode(self) -> None:
        composer = self.active_pane.composer
        composer.set_note_mode(not composer.note_mode)
        composer.focus()

    def action_search_history(self) -> None:
        self.history_actions.open_search()

    def action_choose_previous_chat(self) -> None:
        self.history_actions.choose_previous_chat()

    def action_show_attachments(self) -> None:
        self.attachment_actions.show_newest()

    def action_save_as_reply(self) -> None:
        self.reply_actions.save_composer_text()

    def action_resend_rejected(self) -> None:
        self.chat_actions.resend_rejected()

    def action_edit_rejected(self) -> None:
        self.chat_actions.edit_rejected()

    def action_discard_rejected(self) -> None:
        self.chat_actions.discard_rejected()

    def action_close_chat(self) -> None:
        self.chat_actions.close_chat()

    def action_transfer_chat(self) -> None:
        self.chat_actions.transfer_chat()

    def action_tag_chat(self) -> None:
        self.chat_actions.tag_chat()

    def action_choose_priority(self) -> None:
        self.chat_actions.choose_priority()

    def action_set_priority(self, priority: str) -> None:
        self.chat_actions.set_priority(priority)

    def action_escalate_chat(self) -> None:
        self.chat_actions.escalate_chat()
