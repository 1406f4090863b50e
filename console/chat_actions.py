"""What the desk writes to the outbox besides messages: chat actions (close, transfer, tag, priority, escalate)
and the items the backend refused (resend, edit, discard).

Each acts on the chat of the pane with the focus, fixed when its key is pressed (a dialog takes the focus after).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.sending import applicable, summary
from local_cache.models import OutboxItem
from widgets.i18n import tr
from widgets.screens.prompts import ChoiceScreen, ConfirmScreen, PromptScreen
from widgets.screens.reply_form import split_tags

if TYPE_CHECKING:
    from console.chat_desk import ChatDesk

MAX_TAGS, MAX_TAG_CHARS = 20, 50  # the reference API's limits on a chat's tags (docs/api.md)
SAFETY_QUEUE = "safety-team"  # where high-risk chats go (domain.md: abuse, threats, self-harm)
PRIORITY_CHOICES = [("u", "urgent", "urgent"), ("i", "important", "important"), ("n", "normal", "normal")]
RESOLUTIONS = "resolved, refunded, replaced, no-reply, duplicate, out-of-scope"


class ChatActions:
    def __init__(self, desk: ChatDesk) -> None:
        self._desk = desk

    def _ask(self, dialog, then) -> None:
        self._desk.app.push_screen(dialog, then)

    def oldest_rejected(self) -> OutboxItem | None:
        """In the chat of the pane with the focus (the bar above its composer shows the same item)."""
        chat_id = self._desk.active_chat_id
        rejected = self._desk.store.outbox.rejected_items(chat_id) if chat_id is not None else []
        return rejected[0] if rejected else None

    # --- rejected items ---------------------------------------------------------------------------------------

    def resend_rejected(self) -> None:
        item = self.oldest_rejected()
        if item is not None:
            self._desk.store.outbox.resend(item.id)
            self._desk.outbox_changed()

    def edit_rejected(self) -> None:
        item = self.oldest_rejected()
        if item is None or item.kind != "message":
            return
        composer = self._desk.active_pane.composer
        if composer.text.strip():
            self._desk.notify(tr("The composer has text: send or clear it first, then edit."), severity="warning")
            return
        composer.set_note_mode(item.body.get("private") is True)  # a refused note comes back as a note
        composer.text = item.body["text"]
        composer.move_cursor(composer.document.end)  # ready to add to it
        # The text now lives in the composer; sending it queues a new item.
        self._desk.store.outbox.discard(item.id)
        composer.focus()
        self._desk.outbox_changed()

    def discard_rejected(self) -> None:
        item = self.oldest_rejected()
        if item is None:
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self._desk.store.outbox.discard(item.id)
                self._desk.outbox_changed()

        what = item.body.get("text") if item.kind == "message" else tr("the {action} action",
                                                                          action=item.body.get("type"))
        self._ask(ConfirmScreen(tr("Discard “{what}” for good?", what=" ".join(str(what).split())[:60])), decided)

    # --- chat actions through the outbox ----------------------------------------------------------------------

    def _queue_action(self, action: dict, chat_id: str | None = None) -> None:
        chat_id = chat_id or self._desk.active_chat_id
        if chat_id is None:
            self._desk.notify(tr("Pick a chat first."), severity="warning")
            return
        self._desk.store.outbox.enqueue_action(chat_id, action)
        self._desk.outbox_changed()

    def _with_tags(self, chat_id: str, *tags: str) -> dict:
        """A tag action adding `tags` to the chat's own (the backend's tag action replaces the list)."""
        chat = self._desk.chats.get(chat_id)
        current = list(chat.tags) if chat else []
        return {"type": "tag", "tags": current + [tag for tag in tags if tag not in current]}

    def _target_chat(self) -> str | None:
        """The chat an action applies to, fixed when its key is pressed (a dialog takes the focus after)."""
        if self._desk.active_chat_id is None:
            self._desk.notify(tr("Pick a chat first."), severity="warning")
        return self._desk.active_chat_id

    def close_chat(self) -> None:
        """Close with a resolution tag (Enter alone: resolved). The closed chat leaves the list, and the chat
        that took its place there opens, so what the agent types next goes to a chat still waiting, not into
        the closed one."""
        if (chat_id := self._target_chat()) is None:
            return

        def chosen(resolution: str | None) -> None:
            if resolution:
                listed = self._desk.chat_list.chat_ids
                position = listed.index(chat_id) if chat_id in listed else 0
                invite = self._desk.services.satisfaction_invite
                if invite:  # before the close: a closed chat takes no more messages
                    self._desk.store.outbox.enqueue_message(chat_id, invite)
                self._queue_action(self._with_tags(chat_id, resolution), chat_id)
                self._queue_action({"type": "close"}, chat_id)
                still_listed = self._desk.chat_list.chat_ids
                if chat_id == self._desk.current_chat_id and chat_id not in still_listed and still_listed:
                    self._desk.show_chat(still_listed[min(position, len(still_listed) - 1)])
                if chat_id == self._desk.side_chat_id and chat_id not in still_listed:
                    self._desk.action_toggle_split()  # the right-hand pane closes with its chat: no typing into it

        self._ask(PromptScreen(tr("Close this chat. Resolution tag ({choices}):", choices=RESOLUTIONS),
                               placeholder="resolved", default="resolved"), chosen)

    def choose_priority(self) -> None:
        if (chat_id := self._target_chat()) is None:
            return

        def chosen(priority: str | None) -> None:
            if priority:
                self._queue_action({"type": "priority", "priority": priority}, chat_id)

        choices = [(key, value, tr(label)) for key, value, label in PRIORITY_CHOICES]
        self._ask(ChoiceScreen(tr("Priority of this chat:"), choices), chosen)

    def set_priority(self, priority: str) -> None:
        self._queue_action({"type": "priority", "priority": priority})

    def transfer_chat(self) -> None:
        if (chat_id := self._target_chat()) is None:
            return

        def chosen(target: str | None) -> None:
            if not target:
                return
            to, _, note = target.partition(":")
            # The note is an internal note (agents only, kept with the chat): personal data is refused in it as
            # in a note typed in the composer; the prompt comes back with the text, so nothing is lost.
            errors = [finding for finding in applicable(self._desk.services.linter.lint(note), note=True)
                      if finding.level == "error"]
            if errors:
                self._desk.notify(tr("Not transferred: the note holds {summary}. Leave it out or mask it.",
                                     summary=summary(note, errors)), severity="error", markup=False)
                ask(target)
                return
            self._queue_action({"type": "transfer", "to": to.strip(), "note": note.strip()}, chat_id)

        def ask(value: str = "") -> None:
            self._ask(PromptScreen(tr("Transfer to (agent or team), optionally ': note'"),
                                   placeholder=tr("refund-team: customer wants a callback"), value=value,
                                   suggestions=self._desk.transfer_targets), chosen)

        ask()

    def escalate_chat(self) -> None:
        """The chat goes to the safety team as urgent, with why; the transcript stays with it. It asks once (f12
        sits next to f10 and f11): the reason is prefilled from the rule the customer's message matched, Enter
        escalates with it as edited, Esc queues nothing."""
        chat = self._desk.chats.get(self._desk.active_chat_id) if self._desk.active_chat_id else None
        if chat is None:
            self._desk.notify(tr("Pick a chat first."), severity="warning")
            return
        suggested = (tr("high risk ({rule})", rule=chat.high_risk) if chat.high_risk
                     else tr("high risk (agent's judgement)"))

        def chosen(reason: str | None) -> None:
            if reason:
                self._queue_action({"type": "priority", "priority": "urgent"}, chat.id)
                self._queue_action(self._with_tags(chat.id, "high-risk"), chat.id)
                self._queue_action({"type": "transfer", "to": SAFETY_QUEUE, "note": reason}, chat.id)
                self._desk.notify(tr("Escalated to {queue}: {reason}.", queue=SAFETY_QUEUE, reason=reason),
                                  markup=False)

        self._ask(PromptScreen(tr("Escalate to {queue}: urgent, tagged high-risk, transferred with this reason."
                                  " Enter escalates, Esc cancels.", queue=SAFETY_QUEUE),
                               value=suggested, default=suggested), chosen)

    def tag_chat(self) -> None:
        if (chat_id := self._target_chat()) is None:
            return

        def chosen(tags: str | None) -> None:
            if not tags:
                return
            action = self._with_tags(chat_id, *split_tags(tags))
            if len(action["tags"]) > MAX_TAGS or any(len(tag) > MAX_TAG_CHARS for tag in action["tags"]):
                # Said now, not minutes later as a rejected action once the outbox reaches the backend.
                self._desk.notify(tr("Not tagged: a chat takes up to {count} tags of up to {chars} characters each",
                                     count=MAX_TAGS, chars=MAX_TAG_CHARS), severity="error", markup=False)
                return
            self._queue_action(action, chat_id)

        self._ask(PromptScreen(tr("Add tags, comma-separated"), placeholder="refund, vip"), chosen)
