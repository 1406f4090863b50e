"""The app's actions that write to the outbox besides sending: chat actions, rejected items, signing in again.

A mixin of AgentConsoleApp; it relies on the app's `store`, `sync`, `current_chat_id` and `show_chat`.
"""

from __future__ import annotations

from console.key_bindings import REJECTED_ITEM_ACTIONS, WAIT_FOR_DIALOGS
from widgets.chat_list import ChatList
from widgets.i18n import tr
from widgets.screens.prompts import ChoiceScreen, ConfirmScreen, PromptScreen
from widgets.screens.reply_form import split_tags

MAX_TAGS, MAX_TAG_CHARS = 20, 50  # the reference API's limits on a chat's tags (docs/api.md)


SAFETY_QUEUE = "safety-team"  # where high-risk chats go (domain.md: abuse, threats, self-harm)


PRIORITY_CHOICES = [("u", "urgent", "urgent"), ("i", "important", "important"), ("n", "normal", "normal")]
RESOLUTIONS = "resolved, refunded, replaced, no-reply, duplicate, out-of-scope"



class OutboxActions:
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in WAIT_FOR_DIALOGS and self.screen.is_modal:
            return False
        if action in REJECTED_ITEM_ACTIONS:
            return self._oldest_rejected() is not None
        return True

    def _oldest_rejected(self):
        """In the chat of the pane with the focus (the bar above its composer shows the same item)."""
        if self.store is None or self.active_chat_id is None:
            return None
        rejected = self.store.outbox.rejected_items(self.active_chat_id)
        return rejected[0] if rejected else None

    def _after_outbox_change(self) -> None:
        self.refresh_chats()
        self.show_open_chats()
        self.refresh_bindings()
        self.sync.wake()

    # --- rejected items ---------------------------------------------------------------------------------------

    def action_resend_rejected(self) -> None:
        item = self._oldest_rejected()
        if item is not None:
            self.store.outbox.resend(item.id)
            self._after_outbox_change()

    def action_edit_rejected(self) -> None:
        item = self._oldest_rejected()
        if item is None or item.kind != "message":
            return
        composer = self.active_pane.composer
        if composer.text.strip():
            self.notify(tr("The composer has text: send or clear it first, then edit."), severity="warning")
            return
        composer.text = item.body["text"]
        composer.move_cursor(composer.document.end)  # ready to add to it
        self.store.outbox.discard(item.id)  # the text now lives in the composer; sending it queues a new item
        composer.focus()
        self._after_outbox_change()

    def action_discard_rejected(self) -> None:
        item = self._oldest_rejected()
        if item is None:
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self.store.outbox.discard(item.id)
                self._after_outbox_change()

        what = item.body.get("text") if item.kind == "message" else tr("the {action} action",
                                                                          action=item.body.get("type"))
        self.push_screen(ConfirmScreen(tr("Discard “{what}” for good?", what=" ".join(str(what).split())[:60])),
                         decided)

    # --- chat actions through the outbox ----------------------------------------------------------------------

    def _queue_action(self, action: dict, chat_id: str | None = None) -> None:
        chat_id = chat_id or self.active_chat_id
        if chat_id is None:
            self.notify(tr("Pick a chat first."), severity="warning")
            return
        self.store.outbox.enqueue_action(chat_id, action)
        self._after_outbox_change()

    def _with_tags(self, chat_id: str, *tags: str) -> dict:
        """A tag action adding `tags` to the chat's own (the backend's tag action replaces the list)."""
        chat = self.chats.get(chat_id)
        current = list(chat.tags) if chat else []
        return {"type": "tag", "tags": current + [tag for tag in tags if tag not in current]}

    def _target_chat(self) -> str | None:
        """The chat an action applies to, fixed when its key is pressed (a dialog takes the focus after)."""
        if self.active_chat_id is None:
            self.notify(tr("Pick a chat first."), severity="warning")
        return self.active_chat_id

    def action_close_chat(self) -> None:
        """Close with a resolution tag (Enter alone: resolved). The closed chat leaves the list, and the chat
        that took its place there opens, so what the agent types next goes to a chat still waiting, not into
        the closed one."""
        if (chat_id := self._target_chat()) is None:
            return

        def chosen(resolution: str | None) -> None:
            if resolution:
                listed = self.query_one(ChatList).chat_ids
                position = listed.index(chat_id) if chat_id in listed else 0
                self._queue_action(self._with_tags(chat_id, resolution), chat_id)
                self._queue_action({"type": "close"}, chat_id)
                still_listed = self.query_one(ChatList).chat_ids
                if chat_id == self.current_chat_id and chat_id not in still_listed and still_listed:
                    self.show_chat(still_listed[min(position, len(still_listed) - 1)])
                if chat_id == self.side_chat_id and chat_id not in still_listed:
                    self.action_toggle_split()  # the right-hand pane closes with its chat: no typing into it

        self.push_screen(PromptScreen(tr("Close this chat. Resolution tag ({choices}):", choices=RESOLUTIONS),
                                      placeholder="resolved",
                                      default="resolved"), chosen)

    def action_choose_priority(self) -> None:
        if (chat_id := self._target_chat()) is None:
            return

        def chosen(priority: str | None) -> None:
            if priority:
                self._queue_action({"type": "priority", "priority": priority}, chat_id)

        choices = [(key, value, tr(label)) for key, value, label in PRIORITY_CHOICES]
        self.push_screen(ChoiceScreen(tr("Priority of this chat:"), choices), chosen)

    def action_set_priority(self, priority: str) -> None:
        self._queue_action({"type": "priority", "priority": priority})

    def action_transfer_chat(self) -> None:
        if (chat_id := self._target_chat()) is None:
            return

        def chosen(target: str | None) -> None:
            if target:
                to, _, note = target.partition(":")
                self._queue_action({"type": "transfer", "to": to.strip(), "note": note.strip()}, chat_id)

        self.push_screen(PromptScreen(tr("Transfer to (agent or team), optionally ': note'"),
                                      placeholder=tr("refund-team: customer wants a callback")), chosen)

    def action_escalate_chat(self) -> None:
        """The chat goes to the safety team as urgent, with why; the transcript stays with it. It asks once (f12
        sits next to f10 and f11): the reason is prefilled from the rule the customer's message matched, Enter
        escalates with it as edited, Esc queues nothing."""
        chat = self.chats.get(self.active_chat_id) if self.active_chat_id else None
        if chat is None:
            self.notify(tr("Pick a chat first."), severity="warning")
            return
        suggested = (tr("high risk ({rule})", rule=chat.high_risk) if chat.high_risk
                     else tr("high risk (agent's judgement)"))

        def chosen(reason: str | None) -> None:
            if reason:
                self._queue_action({"type": "priority", "priority": "urgent"}, chat.id)
                self._queue_action(self._with_tags(chat.id, "high-risk"), chat.id)
                self._queue_action({"type": "transfer", "to": SAFETY_QUEUE, "note": reason}, chat.id)
                self.notify(tr("Escalated to {queue}: {reason}.", queue=SAFETY_QUEUE, reason=reason), markup=False)

        self.push_screen(PromptScreen(tr("Escalate to {queue}: urgent, tagged high-risk, transferred with this reason."
                                         " Enter escalates, Esc cancels.", queue=SAFETY_QUEUE),
                                      value=suggested, default=suggested), chosen)

    def action_tag_chat(self) -> None:
        if (chat_id := self._target_chat()) is None:
            return

        def chosen(tags: str | None) -> None:
            if not tags:
                return
            action = self._with_tags(chat_id, *split_tags(tags))
            if len(action["tags"]) > MAX_TAGS or any(len(tag) > MAX_TAG_CHARS for tag in action["tags"]):
                # Said now, not minutes later as a rejected action once the outbox reaches the backend.
                self.notify(tr("Not tagged: a chat takes up to {count} tags of up to {chars} characters each",
                               count=MAX_TAGS, chars=MAX_TAG_CHARS), severity="error", markup=False)
                return
            self._queue_action(action, chat_id)

        self.push_screen(PromptScreen(tr("Add tags, comma-separated"), placeholder="refund, vip"), chosen)

    # --- signing in again ----------------------------------------------------------------------------------------

    def action_sign_in(self) -> None:
        def chosen(token: str | None) -> None:
            if token:
                self.sync.engine.replace_token(token)
                self.notify(tr("New token in use; sync resumes."))

        self.push_screen(PromptScreen(tr("The backend refused the token. Paste a new one:"), password=True), chosen)
