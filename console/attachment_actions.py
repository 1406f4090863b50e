"""A message's attachments, at the agent's request: alt+a puts the cursor on the chat's newest one; Enter opens it
in the browser (the system's opener: $BROWSER, else the desktop's), p or space previews it.

Nothing is opened or fetched unless the agent asks, and only http/https links (local_cache/attachment_fetch.py
says why any other is refused). The browser is started off the interface thread (a slow opener must not freeze
the desk). A preview fetches the image only where the terminal can show it (console/image_support.py); elsewhere
it is the attachment's details and link, with Enter to open it.
"""

from __future__ import annotations

import os
import webbrowser
from typing import TYPE_CHECKING

from local_cache.attachment_fetch import NotFetched, fetch_image, refusal
from widgets.i18n import tr
from widgets.screens.attachment_dialog import AttachmentDialog
from widgets.transcript_attachments import AttachmentItem

if TYPE_CHECKING:
    from console.chat_desk import ChatDesk


def open_in_browser(url: str) -> bool:
    """webbrowser's choice, except a text-mode browser it found on its own (lynx, w3m, www-browser on a machine
    without a desktop): started in this terminal it would fight the console for the screen. One named in
    $BROWSER is the agent's choice and is used."""
    browser = webbrowser.get()
    if type(browser) is webbrowser.GenericBrowser and not os.environ.get("BROWSER"):
        raise webbrowser.Error("only a text-mode browser was found")
    return browser.open(url)


class AttachmentActions:
    def __init__(self, desk: ChatDesk, image_protocol: str) -> None:
        self._desk = desk
        self.image_protocol = image_protocol  # "sixel", "kitty" (or "halfcell" in tests); "": no inline images

    def show_newest(self) -> None:
        pane = self._desk.active_pane
        if pane.chat_id is None:
            self._desk.notify(tr("Pick a chat first."), severity="warning")
        elif not pane.transcript.focus_newest_attachment():
            self._desk.notify(tr("No attachments in this chat."))
        else:
            pane.transcript.focus()

    def open(self, attachment: AttachmentItem) -> None:
        reason = refusal(attachment.url)
        if reason:
            self._desk.notify(tr("Not opened: {reason}", reason=reason), severity="warning", markup=False)
            return
        self._desk.run_worker(lambda: self._open_in_browser(attachment), thread=True, group="attachment-open")

    def _open_in_browser(self, attachment: AttachmentItem) -> None:
        try:
            opened, detail = open_in_browser(attachment.url), ""
        except webbrowser.Error as error:
            opened, detail = False, str(error)
        except Exception as error:  # noqa: BLE001 - a broken opener is reported, not raised into the desk
            opened, detail = False, f"{type(error).__name__}"
        if opened:
            message, severity = tr("Opened {name} in the browser.", name=attachment.name), "information"
        else:
            message, severity = tr("No browser could open it{detail}: set $BROWSER.",
                                   detail=f" ({detail})" if detail else ""), "warning"
        self._desk.app.call_from_thread(self._desk.notify, message, severity=severity, markup=False)

    def preview(self, attachment: AttachmentItem) -> None:
        self._desk.run_worker(self._preview(attachment), group="attachment-preview", exclusive=True)

    async def _preview(self, attachment: AttachmentItem) -> None:
        image, note = None, ""
        if not self.image_protocol:
            note = tr("This terminal shows no images inline: Enter opens the link.")
        elif not attachment.type.lower().startswith("image/"):
            note = tr("Not an image: Enter opens the link.")
        else:
            try:
                image = await fetch_image(attachment.url)
            except NotFetched as why:
                note = tr("No preview: {reason}", reason=str(why))
        dialog = AttachmentDialog(attachment, image=image, renderer=self.image_protocol, note=note)
        if await self._desk.app.push_screen_wait(dialog):
            self.open(attachment)
