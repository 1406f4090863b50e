"""Customer text is data: make it safe to hand to Rich and to the terminal.

Rich markup is never parsed because we build `Text` objects directly (never `Text.from_markup` or markup
strings). What remains dangerous are characters the terminal itself acts on: ESC starts colour, cursor,
OSC 8 hyperlink and OSC 52 clipboard sequences; other C0/C1 controls move the cursor or ring the bell;
bidirectional overrides reorder what the agent reads. Each is replaced by a visible stand-in.

Every place that shows a string from a customer, a backend or a file goes through here: `inert` for text that
is only read, `inert_in_place` (and the two editor hooks below it) for text being edited, where a stand-in must
take exactly one character so the cursor, selections and the linter's offsets still point at the same text.
"""

from __future__ import annotations

from rich.highlighter import Highlighter
from rich.text import Text

BIDI_CONTROLS = {0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}
CONTROLS = (*range(0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS)
UNREADABLE = "\ufffd"  # the one-character stand-in for a C1 control or a bidi override in text being edited


def _stand_in(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "control pictures": ␛ for ESC, ␇ for BEL, ...
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"


_TABLE = {code: _stand_in(code) for code in CONTROLS}
_TABLE.pop(0x0A)  # newlines are the message's own line breaks
_TABLE[0x09] = "    "  # a tab's width depends on the terminal; four spaces keep columns predictable

# Editors lay out tabs and newlines themselves; everything else becomes one visible character.
_IN_PLACE_TABLE = {code: (stand_in if len(stand_in) == 1 else UNREADABLE) for code, stand_in in
                   ((code, _stand_in(code)) for code in CONTROLS if code not in (0x09, 0x0A))}


def inert(text: str) -> str:
    return str(text).translate(_TABLE)


def inert_text(text: str, style: str = "") -> Text:
    """A Rich Text whose content is exactly the (inert) characters given, never markup."""
    return Text(inert(text), style=style)


def inert_in_place(text: str) -> str:
    """Like `inert`, but each character stays one character (for editors: offsets into the text still hold)."""
    return text.translate(_IN_PLACE_TABLE)


def inert_line(line: Text) -> Text:
    """The same line, styles kept, with its controls made visible in place."""
    plain = line.plain
    safe = inert_in_place(plain)
    if safe == plain:
        return line
    return Text(safe, style=line.style, justify=line.justify, overflow=line.overflow, no_wrap=line.no_wrap,
                end=line.end, tab_size=line.tab_size, spans=list(line.spans))


class InertHighlighter(Highlighter):
    """For a Textual Input (its `highlighter`): the value stays exactly as typed or loaded, what is drawn is
    inert."""

    def __call__(self, text: str | Text) -> Text:
        return inert_line(text if isinstance(text, Text) else Text(text))

    def highlight(self, text: Text) -> None:  # required by Highlighter; __call__ does the work
        pass


class InertLines:
    """For a Textual TextArea (a mixin before it): lines are drawn inert, the document keeps the real text."""

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        # From the document, not line.plain: Rich drops BEL, backspace and CR when it builds a Text, which would
        # shift every offset after them.
        safe = inert_in_place(self.document.get_line(line_index))
        if safe == line.plain:
            return line
        return Text(safe, style=line.style, end=line.end, no_wrap=line.no_wrap, spans=list(line.spans))
