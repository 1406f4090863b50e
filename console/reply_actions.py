"""The app's quick-reply actions: the search panel, shortcut expansion, placeholders, library reloads.

A mixin of AgentConsoleApp; it relies on the app's `replies`, `store`, `chats`, `current_chat_id`, `agent_name`.
"""

from __future__ import annotations

from textual.binding import Binding

from quick_replies.placeholders import unfilled_in
from widgets.composer import Composer
from widgets.prompt_screen import ConfirmScreen
from widgets.reply_panel import ReplyPanel

REPLY_BINDINGS = [Binding("f2,ctrl+o", "quick_replies", "Replies", id="quick_replies", priority=True)]


class ReplyActions:
    def placeholder_values(self) -> dict[str, str]:
        chat = self.chats.get(self.current_chat_id) if self.current_chat_id else None
        values = {"agent.name": self.agent_name if self.agent_name != "You" else ""}
        if chat is not None:
            values.update({
                "customer.name": chat.customer_name,
                "customer.title": chat.customer_title,
                "chat.channel": chat.channel,
            })
        return values

    def action_quick_replies(self, query: str = "") -> None:
        def chosen(key: str | None) -> None:
            if key is not None:
                self.insert_reply(key)

        usage = self.store.reply_usage()
        self.push_screen(ReplyPanel(lambda text: self.replies.search(text, usage), query), chosen)

    # Named, not @on: Textual collects @on handlers only from classes it creates, not from mixins.
    def on_composer_replies_requested(self, event: Composer.RepliesRequested) -> None:
        self.action_quick_replies(event.query)

    def insert_reply(self, key: str) -> None:
        filled = self.replies.expand(key, self.placeholder_values())
        if filled is None:
            return
        self.query_one(Composer).insert_reply(filled.text, [(u.start, u.end) for u in filled.unfilled])
        self.store.record_reply_use(key)
        if filled.unfilled:
            names = ", ".join("{" + u.name + "}" for u in filled.unfilled)
            self.notify(f"Fill in {names} before sending (selected in the composer).", severity="warning",
                        markup=False)

    def expand_shortcut_code(self, code: str) -> tuple[str, list[tuple[int, int]]] | None:
        doc = self.replies.by_shortcut(code)
        if doc is None:
            return None
        filled = self.replies.expand(doc.key, self.placeholder_values())
        self.store.record_reply_use(doc.key)
        return filled.text, [(u.start, u.end) for u in filled.unfilled]

    def confirm_unfilled_then(self, text: str, send) -> bool:
        """A message with a placeholder still in it is sent only after the agent says so. True if held back."""
        unfilled = unfilled_in(text)
        if not unfilled:
            return False
        names = ", ".join(text[u.start:u.end] for u in unfilled)
        self.push_screen(
            ConfirmScreen(f"The message still contains {names}. Send it as it is?"),
            lambda yes: send() if yes else None,
        )
        return True

    def reload_library_if_changed(self) -> None:
        if self.replies.reload_if_changed():
            self.report_library_problems(prefix="Quick replies reloaded. ")

    def report_library_problems(self, prefix: str = "") -> None:
        problems = self.replies.library.problems
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            self.notify(f"{prefix}{problems[0]}{more}", severity="warning", timeout=10, markup=False)
        elif prefix:
            self.notify(prefix.strip())
