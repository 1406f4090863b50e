"""Customer text is data: make it safe to hand to Rich and to the terminal.

Rich markup is never parsed because we build `Text` objects directly (never `Text.from_markup` or markup
strings). What remains dangerous are characters the terminal itself acts on: ESC starts colour, cursor,
OSC 8 hyperlink and OSC 52 clipboard sequences; other C0/C1 controls move the cursor or ring the bell;
bidirectional overrides reorder what the agent reads. Each is replaced by a visible stand-in.
"""

from __future__ import annotations

from rich.text import Text

BIDI_CONTROLS = {0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}


def _stand_in(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "control pictures": ␛ for ESC, ␇ for BEL, ...
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"


_TABLE = {code: _stand_in(code) for code in (*range(0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS)}
_TABLE.pop(0x0A)  # newlines are the message's own line breaks
_TABLE[0x09] = "    "  # a tab's width depends on the terminal; four spaces keep columns predictable


def inert(text: str) -> str:
    return text.translate(_TABLE)


def inert_text(text: str, style: str = "") -> Text:
    """A Rich Text whose content is exactly the (inert) characters given, never markup."""
    return Text(inert(text), style=style)
