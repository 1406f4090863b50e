"""The composer: a multi-line editor where Enter sends and Ctrl+J (or Alt/Shift+Enter) starts a new line.

It is in reply mode (to the customer) or note mode (an internal note only agents see, alt+p on the desk). Note
mode must be impossible to miss: the pane draws the composer with a heavy yellow border, its title says the
customer will not see this, and Enter's hint reads "Add note".
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from widgets.i18n import tr, translate_bindings
from widgets.inert_text import InertLines

# What may stand right before a shortcut code: whitespace, a Chinese (or other CJK) character, CJK and full-width
# punctuation, or ASCII punctuation that ends a phrase. Chinese has no spaces, so "王先生您好，/wl" must expand; a
# letter, digit or any of / . : ~ - _ = ? & # @ does not, so "a/b", "http://x/wl", "../wl" and "C:/wl" stay text.
CODE_MAY_FOLLOW = (
    r"\s"
    r"\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"  # CJK punctuation, kana, ideographs (3000-303f included)
    r"\uff00-\uffef\u2018-\u201f\u2026"  # full-width forms (，！？：), curly quotes, ellipsis
    r",;!?)\]}\"'"
)
# A shortcut code right before the cursor: "/tk", "好的 /tk", "您好，/tk", "收到。/dd".
SHORTCUT_BEFORE_CURSOR = re.compile(rf"(?:^|(?<=[{CODE_MAY_FOLLOW}]))/([A-Za-z0-9_-]{{1,20}})$")

NEWLINE_KEYS = ("ctrl+j", "alt+enter", "shift+enter")

# Textual parses ESC+digit (what terminals send for alt+1…9) as the character macOS types for Option+digit
# (textual._ansi_sequences), so alt+N arrives as a key named after that character. The app binds these
# names too, and the composer must not swallow them as text.
ALT_DIGIT_KEY_NAMES = (
    "inverted_exclamation_mark", "trade_mark_sign", "pound_sign", "cent_sign", "infinity",
    "section_sign", "pilcrow_sign", "bullet", "ª",
)


NOTE_TITLE = "Internal note — the customer will not see this"
NOTE_SUBTITLE = "enter adds the note · alt+p back to reply"

# How the phrase linter's findings are marked as the agent types.
FINDING_STYLES = {
    "error": Style(color="red", bold=True, underline=True),
    "warning": Style(color="yellow", underline=True),
    "suggestion": Style(color="cyan", underline=True),
}


class Composer(InertLines, TextArea):
    DEFAULT_CSS = """
    Composer { height: 5; }
    """
    BINDINGS = [
        Binding("enter", "send", "Send", id="send"),
        Binding(",".join(NEWLINE_KEYS), "newline", "Newline", id="newline"),
        # Shown in the findings bar when there is something to apply, not in the crowded footer.
        Binding("ctrl+t", "apply_suggestion", "Use suggestion", id="apply_suggestion", show=False),
        Binding("ctrl+g", "mask_personal_data", "Mask personal data", id="mask_personal_data", show=False),
        # Every ctrl+letter is taken (TextArea, the app, the terminal), and so is alt+c; alt+x (✗) is free in
        # TextArea, the app and terminals. ctrl+z brings the text back.
        Binding("alt+x", "clear_composer", "Clear (ctrl+z undoes)", id="clear_composer", show=False),
    ]

    @dataclass
    class SendRequested(Message):
        composer: "Composer"
        text: str
        note: bool = False  # the mode at Enter: an internal note, not a message to the customer

    @dataclass
    class NoteModeChanged(Message):
        """Reply mode or note mode: the chat's draft keeps it."""

        composer: "Composer"
        note: bool

    @dataclass
    class RepliesRequested(Message):
        """'/' typed into an empty composer: open the quick-reply panel with this query."""

        query: str

    @dataclass
    class FindingsChanged(Message):
        """The linter's findings for the text changed (objects with start, end, level, message, suggestions,
        masked: character offsets into the whole text)."""

        composer: "Composer"
        findings: list

    def __init__(self, **kwargs):
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        translate_bindings(self)
        # Set by the app: the text a shortcut code expands to (placeholders filled), or None if unknown.
        self.expand_shortcut: Callable[[str], tuple[str, list[tuple[int, int]]] | None] | None = None
        # Set by the app: the phrase linter's findings for a text.
        self.lint: Callable[[str], list] | None = None
        self.findings: list = []
        self.note_mode = False

    def set_note_mode(self, note: bool) -> None:
        """Switch between a reply to the customer and an internal note; the look, the hint and the linting
        follow (a note is checked for personal data only)."""
        if note == self.note_mode:
            return
        self.note_mode = note
        self.set_class(note, "note-mode")
        self.border_title = tr(NOTE_TITLE) if note else None
        self.border_subtitle = tr(NOTE_SUBTITLE) if note else None
        self._name_send_key(tr("Add note") if note else tr("Send"))
        self.relint(force=True)  # linted again under the mode's rules
        self.post_message(self.NoteModeChanged(self, note))

    def _name_send_key(self, description: str) -> None:
        """Enter's hint in the footer. Like translate_bindings, this edits the private DOMNode._bindings: Textual
        has no public way to change a binding's description once BINDINGS is read."""
        for key, bindings in self._bindings.key_to_bindings.items():
            self._bindings.key_to_bindings[key] = [
                dataclasses.replace(binding, description=description) if binding.id == "send" else binding
                for binding in bindings
            ]
        self.refresh_bindings()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.relint()

    def relint(self, force: bool = False) -> None:
        findings = self.lint(self.text) if self.lint is not None and self.text else []
        if force or findings != self.findings:
            self.findings = findings
            self.notify_style_update()  # drop lines rendered with the old marks
            self.post_message(self.FindingsChanged(self, findings))

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if self.findings:
            first = self.document.get_index_from_location((line_index, 0))
            last = first + len(line.plain)
            for finding in self.findings:
                if finding.start < last and finding.end > first:
                    line.stylize(FINDING_STYLES.get(finding.level, ""), max(0, finding.start - first),
                                 min(len(line.plain), finding.end - first))
        return line

    def action_apply_suggestion(self) -> None:
        """Put the approved wording in place of the finding under the cursor, or else the first one with any: the
        finding says what to replace (its words, or the whole clause they are in) and with what."""
        usable = [finding for finding in self.findings if finding.has_fix]
        if not usable:
            return
        cursor = self.document.get_index_from_location(self.cursor_location)
        chosen = next((f for f in usable if f.fix_start <= cursor <= f.fix_end), usable[0])
        self._replace_span(chosen.fix_start, chosen.fix_end, chosen.fix_text)

    def action_mask_personal_data(self) -> None:
        for finding in sorted((f for f in self.findings if f.masked), key=lambda f: -f.start):
            self._replace_span(finding.start, finding.end, finding.masked)  # last first: earlier offsets hold

    def _replace_span(self, start: int, end: int, text: str) -> None:
        location = self.document.get_location_from_index
        self.replace(text, location(start), location(end))

    def insert_reply(self, text: str, unfilled: list[tuple[int, int]]) -> None:
        """Insert at the cursor; select the first placeholder still to fill, so typing replaces it."""
        start = self.document.get_index_from_location(self.selection.start)
        self.replace(text, self.selection.start, self.selection.end)
        self.focus()
        if unfilled:
            first_start, first_end = unfilled[0]
            self.selection = Selection(
                self.document.get_location_from_index(start + first_start),
                self.document.get_location_from_index(start + first_end),
            )

    def _expand_code_before_cursor(self) -> bool:
        if self.expand_shortcut is None or self.selection.start != self.selection.end:
            return False
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        code = SHORTCUT_BEFORE_CURSOR.search(before)
        if code is None:
            return False
        expansion = self.expand_shortcut(code.group(1))
        if expansion is None:
            return False
        self.selection = Selection((row, column - len(code.group(0))), (row, column))
        self.insert_reply(*expansion)
        return True

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key not in ALT_DIGIT_KEY_NAMES and super().check_consume_key(key, character)

    def on_key(self, event: events.Key) -> None:
        # TextArea inserts a newline for Enter before bindings are consulted, so route these keys here. Textual
        # calls this before TextArea's own key handler (a base class's), which prevent_default() skips.
        if event.key in ("space", "tab") and self._expand_code_before_cursor():
            event.stop()
            event.prevent_default()
        elif event.character == "/" and not self.text:
            event.stop()
            event.prevent_default()
            self.post_message(self.RepliesRequested("/"))
        elif event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_send()
        elif event.key in ALT_DIGIT_KEY_NAMES:
            return  # an app binding (jump to chat) handles it
        elif event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.action_newline()
        elif event.key.startswith("alt+") and event.key in self.screen.active_bindings:
            # A terminal sends alt+x as ESC x, with "x" as its character: bound, it is a command, not text. Not
            # stopped: it bubbles up to the bindings.
            event.prevent_default()

    def action_clear_composer(self) -> None:
        """Empty the composer as one undoable edit: ctrl+z restores the text, and the draft follows (the app
        saves drafts on TextArea.Changed)."""
        self.history.checkpoint()  # not merged with the typing before it: one undo brings back exactly this
        self.clear()
        self.history.checkpoint()

    def action_send(self) -> None:
        if self.text.strip():
            self.post_message(self.SendRequested(self, self.text, self.note_mode))

    def action_newline(self) -> None:
        self.insert("\n")
