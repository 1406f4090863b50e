"""An attachment up close: its name, type, size and full link, and the picture itself where the terminal can show
one (textual-image; `renderer` is what console/image_support.py found). Enter opens it in the browser."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from widgets.i18n import tr, translate_bindings
from widgets.inert_text import inert
from widgets.screens.prompts import DIALOG_CSS
from widgets.transcript_attachments import AttachmentItem, human_size

SHOWN_CHARS = 255  # of a name or type: the API's cap; a longer one (a hostile backend's) would push the link away


def cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def image_widget(image, renderer: str):
    """textual-image's widget for the protocol found (imported only then: importing it queries the terminal)."""
    from textual_image import widget

    kind = {"sixel": widget.SixelImage, "kitty": widget.TGPImage, "halfcell": widget.HalfcellImage}[renderer]
    return kind(image, id="attachment-image")


class AttachmentDialog(ModalScreen[bool]):
    """Dismisses True when the agent asks to open the attachment (Enter or o), False on Esc."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AttachmentDialog") + """
    AttachmentDialog > Vertical { width: 90; }
    AttachmentDialog #attachment-image { width: auto; height: 20; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("enter,o", "dismiss(True)", "Open in browser"),
        Binding("escape,q", "dismiss(False)", "Back"),
    ]

    def __init__(self, attachment: AttachmentItem, *, image=None, renderer: str = "", note: str = ""):
        super().__init__()
        translate_bindings(self)
        self._attachment, self._image, self._renderer, self._note = attachment, image, renderer, note

    def compose(self) -> ComposeResult:
        attachment = self._attachment
        with Vertical():
            yield Label(inert(cut(attachment.name)), markup=False, id="attachment-name")
            yield Label(f"{inert(cut(attachment.type)) or '?'} · {human_size(attachment.size)}", markup=False)
            if self._image is not None and self._renderer:
                yield image_widget(self._image, self._renderer)
            yield Label(inert(attachment.url), markup=False, id="attachment-url")
            if self._note:
                yield Label(inert(self._note), markup=False, id="attachment-note")
            yield Label(tr("Enter opens it in the browser · Esc closes"), markup=False)
