"""The app's quick-reply actions: the search panel, shortcut expansion, placeholders, library reloads.

A mixin of AgentConsoleApp; it relies on the app's `replies`, `store`, `chats`, `current_chat_id`, `agent_name`.
"""

from __future__ import annotations

from textual.binding import Binding

from quick_replies.library import QuickReply
from quick_replies.library_editing import LibraryEditError
from quick_replies.pinyin_readings import is_cjk
from quick_replies.placeholders import unfilled_in
from widgets.composer import Composer
from widgets.i18n import tr
from widgets.prompt_screen import ConfirmScreen
from widgets.reply_form import ReplyDraft, ReplyForm
from widgets.reply_panel import ReplyPanel

REPLY_BINDINGS = [
    Binding("f2,ctrl+o", "quick_replies", "Replies", id="quick_replies", priority=True),
    Binding("ctrl+s", "save_as_reply", "Save as reply", id="save_as_reply", show=False),
]
PERSONAL_FOLDER = "我的 Mine"


def guess_language(text: str) -> str:
    return "zh" if any(is_cjk(character) for character in text) else "en"


class ReplyActions:
    _reply_target = None  # the composer the open quick-reply panel will insert into

    def placeholder_values(self) -> dict[str, str]:
        target = self.chat_of_composer(self._reply_target) if self._reply_target else self.active_chat_id
        chat = self.chats.get(target) if target else None
        values = {"agent.name": self.agent_name if self.agent_name != tr("You") else ""}
        if chat is not None:
            values.update({
                "customer.name": chat.customer_name,
                "customer.title": chat.customer_title,
                "chat.channel": chat.channel,
            })
        return values

    def action_quick_replies(self, query: str = "") -> None:
        def chosen(choice: tuple[str, str] | None) -> None:
            if choice is None:
                return
            action, key = choice
            if action == "insert":
                self.insert_reply(key)
            elif action == "edit":
                self.edit_reply(key)
            else:
                self.delete_reply(key)

        usage = self.store.reply_usage()
        self._reply_target = self.active_composer()
        self.push_screen(ReplyPanel(lambda text: self.replies.search(text, usage), query), chosen)

    # --- power users: the personal library, from the keyboard -------------------------------------------------

    def action_save_as_reply(self) -> None:
        body = self.query_one("#composer", Composer).text.strip()
        if not body:
            self.notify(tr("Write the reply in the composer first, then save it (ctrl+s)."), severity="warning")
            return
        draft = ReplyDraft(title=" ".join(body.split())[:20], shortcut="", folder=PERSONAL_FOLDER, tags=(),
                           body=body)
        self.push_screen(ReplyForm(tr("Save as a quick reply"), draft, lambda d: self._save_reply("", d)))

    def edit_reply(self, key: str) -> None:
        reply = self.replies.library.replies.get(key)
        if reply is None:
            self.notify(tr("FAQ entries are edited in their library files."), severity="warning")
            return
        draft = ReplyDraft(reply.title, reply.shortcut, reply.folder, reply.tags, reply.body)
        self.push_screen(ReplyForm(tr("Edit “{title}”", title=reply.title), draft, lambda d: self._save_reply(key, d)))

    def _save_reply(self, key: str, draft: ReplyDraft) -> str | None:
        if not draft.title or not draft.body:
            return "A reply needs a title and a text."
        previous = self.replies.library.replies.get(key)
        reply = QuickReply(key, draft.title, draft.body, draft.folder or PERSONAL_FOLDER,
                           previous.language if previous else guess_language(draft.body), draft.shortcut,
                           draft.tags)
        try:
            saved = self.replies.personal.save_reply(self.replies.library, reply)
        except (LibraryEditError, OSError) as error:
            return str(error)
        self.replies.reload()
        code = tr(" as /{code}", code=saved.shortcut) if saved.shortcut else ""
        self.notify(tr("Saved “{title}”{code}.", title=saved.title, code=code), markup=False)
        return None

    def delete_reply(self, key: str) -> None:
        reply = self.replies.library.replies.get(key)
        if reply is None:
            return

        def decided(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.replies.personal.delete_reply(self.replies.library, key)
            except (LibraryEditError, OSError) as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.replies.reload()
            self.notify(tr("Deleted “{title}”.", title=reply.title), markup=False)

        self.push_screen(ConfirmScreen(tr("Delete the quick reply “{title}”?", title=reply.title)), decided)

    # Named, not @on: Textual collects @on handlers only from classes it creates, not from mixins.
    def on_composer_replies_requested(self, event: Composer.RepliesRequested) -> None:
        self.action_quick_replies(event.query)

    def insert_reply(self, key: str) -> None:
        filled = self.replies.expand(key, self.placeholder_values())
        if filled is None:
            return
        composer = self._reply_target or self.query_one("#composer", Composer)
        composer.insert_reply(filled.text, [(u.start, u.end) for u in filled.unfilled])
        self.store.record_reply_use(key)
        if filled.unfilled:
            names = ", ".join("{" + u.name + "}" for u in filled.unfilled)
            self.notify(tr("Fill in {names} before sending (selected in the composer).", names=names),
                        severity="warning", markup=False)

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
            ConfirmScreen(tr("The message still contains {names}. Send it as it is?", names=names)),
            lambda yes: send() if yes else None,
        )
        return True

    def reload_library_if_changed(self) -> None:
        if self.replies.reload_if_changed():
            self.report_library_problems(prefix=tr("Quick replies reloaded. "))

    def report_library_problems(self, prefix: str = "") -> None:
        flagged = self.replies.flagged()
        if flagged:
            title, level, message = flagged[0]
            more = tr(" (+{count} more)", count=len(flagged) - 1) if len(flagged) > 1 else ""
            self.notify(tr("Quick reply “{title}” breaks a phrase rule ({level}): {message}", title=title,
                           level=tr(level), message=message) + more,
                        severity="warning", timeout=10, markup=False)
        problems = self.replies.library.problems
        if problems:
            more = tr(" (+{count} more)", count=len(problems) - 1) if len(problems) > 1 else ""
            self.notify(f"{prefix}{problems[0]}{more}", severity="warning", timeout=10, markup=False)
        elif prefix:
            self.notify(prefix.strip())
