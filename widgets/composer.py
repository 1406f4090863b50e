"""The composer: a multi-line editor where Enter sends and Ctrl+J (or Alt/Shift+Enter) starts a new line."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = ("ctrl+j", "alt+enter", "shift+enter")

# Textual parses ESC+digit (what terminals send for alt+1…9) as the character macOS types for Option+digit
# (textual._ansi_sequences), so alt+N arrives as a key named after that character. The app binds these
# names too, and the composer must not swallow them as text.
ALT_DIGIT_KEY_NAMES = (
    "inverted_exclamation_mark", "trade_mark_sign", "pound_sign", "cent_sign", "infinity",
    "section_sign", "pilcrow_sign", "bullet", "ª",
)


class Composer(TextArea):
    DEFAULT_CSS = """
    Composer { height: 5; }
    """
    BINDINGS = [
        Binding("enter", "send", "Send", id="send"),
        Binding(",".join(NEWLINE_KEYS), "newline", "Newline", id="newline"),
    ]

    @dataclass
    class SendRequested(Message):
        composer: "Composer"
        text: str

    def __init__(self, **kwargs):
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key not in ALT_DIGIT_KEY_NAMES and super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        # TextArea inserts a newline for Enter before bindings are consulted, so route these keys here.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_send()
        elif event.key in ALT_DIGIT_KEY_NAMES:
            return  # an app binding (jump to chat) handles it
        elif event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.action_newline()
        else:
            await super()._on_key(event)

    def action_send(self) -> None:
        if self.text.strip():
            self.post_message(self.SendRequested(self, self.text))

    def action_newline(self) -> None:
        self.insert("\n")
