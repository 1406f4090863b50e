"""Small modal dialogs: ask for one line of text, or for a yes/no."""

from __future__ import annotations

from typing import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label

from widgets.i18n import tr, translate_bindings
from widgets.inert_text import InertHighlighter, inert

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 70; max-width: 100%; height: auto; max-height: 100%; border: round $accent; background: $surface;
    padding: 1 2;
}}
{name} Label {{ width: 100%; margin-bottom: 1; }}
{name} Label:last-child {{ margin-bottom: 0; }}
"""
MAX_LISTED = 12  # known answers listed under a question; more are still completed as the agent types
# A Label is as wide as its text by default, and the dialog crops it: a long question (a resolution list, a
# linter finding, a Chinese sentence) must wrap to the dialog's width instead, or the agent answers half of it.


class PromptScreen(ModalScreen[str | None]):
    """Dismisses with the entered text, or None on escape."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PromptScreen")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, question: str, *, placeholder: str = "", password: bool = False, default: str | None = None,
                 value: str = "", suggestions: Sequence[str] = ()):
        """`value`: text already in the field, for the agent to edit or accept with Enter. `suggestions`: known
        answers, listed under the question and completed as the agent types (→ takes the completion)."""
        super().__init__()
        translate_bindings(self)
        self._question, self._placeholder, self._password = question, placeholder, password
        self._default = default  # what an empty Enter means
        self._value = value
        self._suggestions = list(dict.fromkeys(suggestions))

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(inert(self._question), markup=False)
            if self._suggestions:
                yield Label(inert(tr("Known: {names}", names=", ".join(self._suggestions[:MAX_LISTED]))
                                  + ("…" if len(self._suggestions) > MAX_LISTED else "")), markup=False)
            # Typing adds to the prefilled text rather than replacing it (ctrl+u clears it for a new one).
            yield Input(self._value, placeholder=inert(self._placeholder), password=self._password,
                        select_on_focus=False, highlighter=InertHighlighter(),
                        suggester=SuggestFromList(self._suggestions, case_sensitive=False) if self._suggestions
                        else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or self._default)


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses True on y, False on n or escape."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes"),
        Binding("n,escape", "dismiss(False)", "No"),
    ]

    def __init__(self, question: str):
        super().__init__()
        translate_bindings(self)
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(inert(self._question), markup=False)
            yield Label(tr("y = yes   n / Esc = no"))


class ChoiceScreen(ModalScreen[str | None]):
    """One key picks one of a few choices: dismisses with the choice's value, or None on escape."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ChoiceScreen")
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, question: str, choices: list[tuple[str, str, str]], *, stacked: bool = False):
        """`choices`: (key, value, label) each; `stacked`: one to a line (long labels, like orders)."""
        super().__init__()
        translate_bindings(self)
        self._question, self._choices, self._stacked = question, choices, stacked

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(inert(self._question), markup=False)
            choices = ("\n" if self._stacked else "   ").join(f"{key} = {label}" for key, _, label in self._choices)
            yield Label(inert(choices) + tr("   Esc = cancel"), markup=False)

    def on_key(self, event) -> None:
        for key, value, _ in self._choices:
            if event.key == key:
                event.stop()
                self.dismiss(value)
