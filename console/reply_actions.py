"""The app's quick-reply actions: the search panel, shortcut expansion, placeholders, library reloads.

A mixin of AgentConsoleApp; it relies on the app's `replies`, `store`, `chats`, `current_chat_id`, `agent_name`.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from textual.message import Message
from textual.worker import get_current_worker

from quick_replies.library import QuickReply
from quick_replies.library_editing import LibraryEditError
from quick_replies.pinyin_readings import is_cjk
from quick_replies.reply_library import LibrarySnapshot, ReloadTicket
from widgets.chat_pane import ChatPane
from widgets.composer import Composer
from widgets.i18n import tr
from widgets.screens.prompts import ConfirmScreen
from widgets.screens.reply_form import ReplyDraft, ReplyForm
from widgets.screens.reply_panel import ReplyPanel

PERSONAL_FOLDER = "我的 Mine"
# Entries up to which a save or delete reloads the library at once (~0.2 ms an entry, linting included), so the
# next search, edit or shortcut sees it. A larger library is rebuilt in the worker and "Saved" is shown once it
# is swapped in; until then another save or delete is refused (it would be checked against the old library).
RELOAD_INLINE_ENTRIES = 300
RELOAD_GROUP = "library-reload"


class LibraryBuilt(Message):
    """Posted by the reload worker: a new library, ready to be swapped in on the UI thread."""

    def __init__(self, snapshot: LibrarySnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


def guess_language(text: str) -> str:
    return "zh" if any(is_cjk(character) for character in text) else "en"


class ReplyActions:
    _reply_target = None  # the composer the open quick-reply panel will insert into

    def placeholder_values(self) -> dict[str, str]:
        target = ChatPane.of(self._reply_target).chat_id if self._reply_target else self.active_chat_id
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

        usage = self.store.reply_usage.counts()
        self._reply_target = self.active_pane.composer
        values = self.placeholder_values()  # of the chat inserting goes to: the preview shows what it would get
        self.push_screen(ReplyPanel(lambda text: self.replies.search(text, usage), query,
                                    browse=lambda folder: self.replies.browse(folder, usage),
                                    preview=lambda key: self.replies.preview(key, values)), chosen)

    # --- power users: the personal library, from the keyboard -------------------------------------------------

    def action_save_as_reply(self) -> None:
        body = self.active_pane.composer.text.strip()  # in the split view, the pane the agent is typing in
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
        if self.replies.reloading:  # checked against an older library, a save could reuse an id or shortcut
            return tr("The quick replies are being reloaded: try again in a moment.")
        previous = self.replies.library.replies.get(key)
        reply = QuickReply(key, draft.title, draft.body, draft.folder or PERSONAL_FOLDER,
                           previous.language if previous else guess_language(draft.body), draft.shortcut,
                           draft.tags)
        try:
            saved = self.replies.personal.save_reply(self.replies.library, reply)
        except (LibraryEditError, OSError) as error:
            return str(error)
        code = tr(" as /{code}", code=saved.shortcut) if saved.shortcut else ""
        self.reload_library(lambda: self.notify(tr("Saved “{title}”{code}.", title=saved.title, code=code),
                                                markup=False), inline=self._small_library())
        return None

    def delete_reply(self, key: str) -> None:
        reply = self.replies.library.replies.get(key)
        if reply is None:
            return

        def decided(yes: bool | None) -> None:
            if not yes:
                return
            if self.replies.reloading:
                self.notify(tr("The quick replies are being reloaded: try again in a moment."), severity="warning")
                return
            try:
                self.replies.personal.delete_reply(self.replies.library, key)
            except (LibraryEditError, OSError) as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.reload_library(lambda: self.notify(tr("Deleted “{title}”.", title=reply.title), markup=False),
                                inline=self._small_library())

        self.push_screen(ConfirmScreen(tr("Delete the quick reply “{title}”?", title=reply.title)), decided)

    # Named, not @on: Textual collects @on handlers only from classes it creates, not from mixins.
    def on_composer_replies_requested(self, event: Composer.RepliesRequested) -> None:
        self.action_quick_replies(event.query)

    def insert_reply(self, key: str) -> None:
        filled = self.replies.expand(key, self.placeholder_values())
        if filled is None:
            return
        composer = self._reply_target or self.main_pane.composer
        composer.insert_reply(filled.text, [(u.start, u.end) for u in filled.unfilled])
        self.store.reply_usage.record(key)
        if filled.unfilled:
            names = ", ".join("{" + u.name + "}" for u in filled.unfilled)
            self.notify(tr("Fill in {names} before sending (selected in the composer).", names=names),
                        severity="warning", markup=False)

    def expand_shortcut_code(self, code: str) -> tuple[str, list[tuple[int, int]]] | None:
        doc = self.replies.by_shortcut(code)
        if doc is None:
            return None
        filled = self.replies.expand(doc.key, self.placeholder_values())
        self.store.reply_usage.record(doc.key)
        return filled.text, [(u.start, u.end) for u in filled.unfilled]

    def reload_library_if_changed(self) -> None:
        if self.replies.changed():
            self.reload_library(lambda: self.report_library_problems(prefix=tr("Quick replies reloaded. ")))

    # --- reloading the library without stopping the UI ---------------------------------------------------------

    _after_reload: tuple[tuple[int, Callable[[], None]], ...] = ()  # (reload generation, what to do once it is in)

    def reload_library(self, then: Callable[[], None] | None = None, inline: bool = False) -> None:
        """Reads the library's files again, swaps the new library in on the UI thread, then calls `then`.
        Built in a thread worker unless `inline`: until it is swapped in the panel answers from the old one
        (~14 s at 100,000 entries on a slow machine, most of it parsing TOML). A reload asked for later wins:
        an earlier one still building is cancelled (its thread runs on, its result is dropped), and `then` runs
        when the later one is in."""
        ticket = self.replies.begin_reload()
        if then is not None:
            self._after_reload = (*self._after_reload, (ticket.generation, then))
        if inline:
            self._install_library(self.replies.build(ticket))
        else:
            self.run_worker(partial(self._build_library, ticket), name="reload quick replies", group=RELOAD_GROUP,
                            thread=True, exclusive=True)

    def _build_library(self, ticket: ReloadTicket) -> None:
        snapshot = self.replies.build(ticket)
        if not get_current_worker().is_cancelled:
            self.post_message(LibraryBuilt(snapshot))

    def on_library_built(self, message: LibraryBuilt) -> None:
        self._install_library(message.snapshot)

    def _install_library(self, snapshot: LibrarySnapshot) -> None:
        if not self.replies.install(snapshot):
            return  # a reload asked for later is in already
        self.report_new_notes()
        due = [then for generation, then in self._after_reload if generation <= snapshot.generation]
        self._after_reload = tuple(item for item in self._after_reload if item[0] > snapshot.generation)
        for then in due:
            then()

    def _small_library(self) -> bool:
        return len(self.replies.docs) <= RELOAD_INLINE_ENTRIES

    _notes_seen: frozenset[str] | None = None  # shadowed shortcuts already known: said once, not at every load

    def report_new_notes(self) -> None:
        """Shortcuts a save, an import or an edit gave to a higher layer, said once; those known when the
        console started are not repeated at every start."""
        notes = self.replies.library.notes
        fresh = [note for note in notes if note not in self._notes_seen] if self._notes_seen is not None else []
        self._notes_seen = frozenset(notes)
        if fresh:
            more = tr(" (+{count} more)", count=len(fresh) - 1) if len(fresh) > 1 else ""
            self.notify(f"{fresh[0]}{more}", timeout=10, markup=False)

    def report_library_problems(self, prefix: str = "") -> None:
        self.report_new_notes()
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
