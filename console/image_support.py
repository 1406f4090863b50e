"""Whether this terminal can show an image inline (kitty's graphics protocol, or sixel: iTerm2, WezTerm, foot,
mlterm, Konsole), decided once before Textual starts.

textual-image finds out by asking the terminal (an escape sequence, then a read of stdin), which it cannot do once
Textual reads stdin itself, and which costs a keystroke typed meanwhile. So it is asked only where the environment
names a terminal known to have one of the protocols, and never inside tmux or screen (they pass neither on
reliably). Everywhere else an attachment's preview is its details and its link.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

IMAGE_TERMINALS = {"iTerm.app", "WezTerm", "ghostty", "mlterm", "konsole", "vscode"}  # $TERM_PROGRAM
IMAGE_TERMS = ("xterm-kitty", "xterm-ghostty", "foot", "mlterm", "wezterm")  # $TERM prefixes
SETTING = "AGENT_CONSOLE_IMAGES"  # "off": never ask the terminal


def terminal_may_show_images(environ: Mapping[str, str]) -> bool:
    if environ.get(SETTING, "").lower() == "off" or environ.get("TMUX") or environ.get("STY"):
        return False
    term = environ.get("TERM", "")
    if term.startswith(("screen", "tmux")):
        return False
    return (environ.get("TERM_PROGRAM", "") in IMAGE_TERMINALS or term.startswith(IMAGE_TERMS)
            or "KITTY_WINDOW_ID" in environ or "KONSOLE_VERSION" in environ)


def detect_image_protocol(environ: Mapping[str, str] = os.environ) -> str:
    """"sixel", "kitty" or "" (no inline images: the preview shows the link)."""
    stdout = sys.__stdout__
    if not terminal_may_show_images(environ) or stdout is None or not stdout.isatty():
        return ""
    try:
        # Importing asks the terminal once, and measures its cell size: now, while it still can.
        import textual_image.widget  # noqa: F401
        from textual_image import renderable
    except Exception:  # noqa: BLE001 - an odd terminal answer only means: no inline images
        return ""
    return {"SixelImage": "sixel", "TGPImage": "kitty"}.get(renderable.Image.__name__, "")
