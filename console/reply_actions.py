"""The desk's quick-reply actions: the search panel, shortcut expansion, placeholders, the personal library's
edits, and library reloads that never stop the interface.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.message import Message
from textual.worker import get_current_worker

from quick_replies.library import QuickReply
from quick_replies.library_editing import LibraryEditError
from quick_replies.pinyin_readings import is_cjk
from quick_replies.reply_library import LibrarySnapshot, ReloadTicket, ReplyLibrary
from widgets.chat_pane import ChatPane
from widgets.i18n import tr
from widgets.screens.prompts import ConfirmScreen
from widgets.screens.reply_form import ReplyDraft, ReplyForm
from widgets.screens.reply_panel import ReplyPanel

if TYPE_CHECKING:
    from console.chat_desk import ChatDesk

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
    def __init__(self, desk: ChatDesk, replies: ReplyLibrary) -> None:
        self._desk = desk
        self._replies = replies
        self._target = None  # the composer the open quick-reply panel will insert into
        # (reload generation, what to do once it is in)
        self._after_reload: tuple[tuple[int, Callable[[], None]], ...] = ()
        self._notes_seen: frozenset[str] | None = None  # shadowed shortcuts already known: said once

    def _ask(self, dialog, then=None) -> None:
        self._desk.app.push_screen(dialog, then)

    def placeholder_values(self) -> dict[str, str]:
        desk = self._desk
        target = ChatPane.of(self._target).chat_id if self._target else desk.active_chat_id
        chat = desk.chats.get(target) if target else None
        values = {"agent.name": desk.agent_name if desk.agent_name != tr("You") else ""}
        if chat is not None:
            values.update({
                "customer.name": chat.customer_name,
                "customer.title": chat.customer_title,
                "chat.channel": chat.channel,
            })
        values.update(desk.order_actions.placeholder_values(target))  # the order picked for it (alt+o)
        return values

    def open_panel(self, query: str = "") -> None:
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

        usage = self._desk.store.reply_usage.counts()
        self._target = self._desk.active_pane.composer
        values = self.placeholder_values()  # of the chat inserting goes to: the preview shows what it would get
        self._ask(ReplyPanel(lambda text: self._replies.search(text, usage), query,
                             browse=lambda folder: self._replies.browse(folder, usage),
                             preview=lambda key: self._replies.preview(key, values)), chosen)

    # --- power users: the personal library, from the keyboard -------------------------------------------------

    def save_composer_text(self) -> None:
        body = self._desk.active_pane.composer.text.strip()  # in the split view, the pane the agent is typing in
        if not body:
            self._desk.notify(tr("Write the reply in the composer first, then save it (ctrl+s)."), severity="warning")
            return
        draft = ReplyDraft(title=" ".join(body.split())[:20], shortcut="", folder=PERSONAL_FOLDER, tags=(),
                           body=body)
        self._ask(ReplyForm(tr("Save as a quick reply"), draft, lambda d: self.save_reply("", d)))

    def edit_reply(self, key: str) -> None:
        reply = self._replies.library.replies.get(key)
        if reply is None:
            self._desk.notify(tr("FAQ entries are edited in their library files."), severity="warning")
            return
        draft = ReplyDraft(reply.title, reply.shortcut, reply.folder, reply.tags, reply.body)
        self._ask(ReplyForm(tr("Edit “{title}”", title=reply.title), draft, lambda d: self.save_reply(key, d)))

    def save_reply(self, key: str, draft: ReplyDraft) -> str | None:
        if not draft.title or not draft.body:
            return "A reply needs a title and a text."
        if self._replies.reloading:  # checked against an older library, a save could reuse an id or shortcut
            return tr("The quick replies are being reloaded: try again in a moment.")
        previous = self._replies.library.replies.get(key)
        reply = QuickReply(key, draft.title, draft.body, draft.folder or PERSONAL_FOLDER,
                           previous.language if previous else guess_language(draft.body), draft.shortcut,
                           draft.tags)
        try:
            saved = self._replies.personal.save_reply(self._replies.library, reply)
        except (LibraryEditError, OSError) as error:
            return str(error)
        code = tr(" as /{code}", code=saved.shortcut) if saved.shortcut else ""
        self.reload_library(lambda: self._desk.notify(tr("Saved “{title}”{code}.", title=saved.title, code=code),
                                                markup=False), inline=self._small_library())
        return None

    def delete_reply(self, key: str) -> None:
        reply = self._replies.library.replies.get(key)
        if reply is None:
            return

        def decided(yes: bool | None) -> None:
            if not yes:
                return
            if self._replies.reloading:
                self._desk.notify(tr("The quick replies are being reloaded: try again in a moment."),
                                  severity="warning")
                return
            try:
                self._replies.personal.delete_reply(self._replies.library, key)
            except (LibraryEditError, OSError) as error:
                self._desk.notify(str(error), severity="error", markup=False)
                return
            self.reload_library(lambda: self._desk.notify(tr("Deleted “{title}”.", title=reply.title), markup=False),
                                inline=self._small_library())

        self._ask(ConfirmScreen(tr("Delete the quick reply “{title}”?", title=reply.title)), decided)

    def insert_reply(self, key: str) -> None:
        filled = self._replies.expand(key, self.placeholder_values())
        if filled is None:
            return
        composer = self._target or self._desk.main_pane.composer
        composer.insert_reply(filled.text, [(u.start, u.end) for u in filled.unfilled])
        self._desk.store.reply_usage.record(key)
        if filled.unfilled:
            names = ", ".join("{" + u.name + "}" for u in filled.unfilled)
            self._desk.notify(tr("Fill in {names} before sending (selected in the composer).", names=names),
                        severity="warning", markup=False)

    def expand_shortcut_code(self, code: str) -> tuple[str, list[tuple[int, int]]] | None:
        doc = self._replies.by_shortcut(code)
        if doc is None:
            return None
        filled = self._replies.expand(doc.key, self.placeholder_values())
        self._desk.store.reply_usage.record(doc.key)
        return filled.text, [(u.start, u.end) for u in filled.unfilled]

    def reload_if_changed(self) -> None:
        if self._replies.changed():
            self.reload_library(lambda: self.report_library_problems(prefix=tr("Quick replies reloaded. ")))

    # --- reloading the library without stopping the UI ---------------------------------------------------------

    def reload_library(self, then: Callable[[], None] | None = None, inline: bool = False) -> None:
        """Reads the library's files again, swaps the new library in on the UI thread, then calls `then`.
        Built in a thread worker unless `inline`: until it is swapped in the panel answers from the old one
        (~14 s at 100,000 entries on a slow machine, most of it parsing TOML). A reload asked for later wins:
        an earlier one still building is cancelled (its thread runs on, its result is dropped), and `then` runs
        when the later one is in."""
        ticket = self._replies.begin_reload()
        if then is not None:
            self._after_reload = (*self._after_reload, (ticket.generation, then))
        if inline:
            self._install_library(self._replies.build(ticket))
        else:
            self._desk.run_worker(partial(self._build_library, ticket), name="reload quick replies", group=RELOAD_GROUP,
                            thread=True, exclusive=True)

    def _build_library(self, ticket: ReloadTicket) -> None:
        snapshot = self._replies.build(ticket)
        if not get_current_worker().is_cancelled:
            self._desk.post_message(LibraryBuilt(snapshot))

    def install(self, message: LibraryBuilt) -> None:
        self._install_library(message.snapshot)

    def _install_library(self, snapshot: LibrarySnapshot) -> None:
        if not self._replies.install(snapshot):
            return  # a reload asked for later is in already
        self.report_new_notes()
        due = [then for generation, then in self._after_reload if generation <= snapshot.generation]
        self._after_reload = tuple(item for item in self._after_reload if item[0] > snapshot.generation)
        for then in due:
            then()

    def _small_library(self) -> bool:
        return len(self._replies.docs) <= RELOAD_INLINE_ENTRIES

    def report_new_notes(self) -> None:
        """Shortcuts a save, an import or an edit gave to a higher layer, said once; those known when the
        console started are not repeated at every start."""
        notes = self._replies.library.notes
        fresh = [note for note in notes if note not in self._notes_seen] if self._notes_seen is not None else []
        self._notes_seen = frozenset(notes)
        if fresh:
            more = tr(" (+{count} more)", count=len(fresh) - 1) if len(fresh) > 1 else ""
            self._desk.notify(f"{fresh[0]}{more}", timeout=10, markup=False)

    def report_library_problems(self, prefix: str = "") -> None:
        self.report_new_notes()
        flagged = self._replies.flagged()
        if flagged:
            title, level, message = flagged[0]
            more = tr(" (+{count} more)", count=len(flagged) - 1) if len(flagged) > 1 else ""
            self._desk.notify(tr("Quick reply “{title}” breaks a phrase rule ({level}): {message}", title=title,
                           level=tr(level), message=message) + more,
                        severity="warning", timeout=10, markup=False)
        problems = self._replies.library.problems
        if problems:
            more = tr(" (+{count} more)", count=len(problems) - 1) if len(problems) > 1 else ""
            self._desk.notify(f"{prefix}{problems[0]}{more}", severity="warning", timeout=10, markup=False)
        elif prefix:
            self._desk.notify(prefix.strip())
