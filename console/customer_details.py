"""The customer panel beside the conversation: who the customer is, their orders, and a logged reveal.

Personal numbers are cached masked (as the server sends them). A reveal (f9, with the transcript's) asks the
backend for the clear profile once and shows it until another chat opens; it is never written to disk, and it
needs the backend: offline, the panel says so and stays masked.
"""

from __future__ import annotations

from typing import Callable

from local_cache.backend_client import BackendClient, BackendError
from local_cache.models import ChatSummary
from local_cache.store import LocalStore
from widgets.customer_panel import CustomerPanel
from widgets.i18n import tr


class CustomerDetails:
    def __init__(self, panel: CustomerPanel, store: LocalStore, open_client: Callable[[], BackendClient]) -> None:
        self.panel = panel
        self._store = store
        self._open_client = open_client
        self.clear_profile: tuple[str, dict] | None = None  # (chat id, profile in clear) while a reveal lasts
        self._note = ""

    def show(self, chat: ChatSummary | None) -> None:
        if chat is None or not self.panel.display:
            return
        if self.clear_profile and self.clear_profile[0] == chat.id:
            self.panel.show(chat, self.clear_profile[1], revealed=True, note=self._note)
        else:
            self.panel.show(chat, self._store.chats.customer_profile(chat.id), note=self._note)

    def conceal(self) -> None:
        """A reveal lasts while its chat stays open."""
        self.clear_profile, self._note = None, ""

    async def fetch_clear_profile(self, chat_id: str, still_wanted: Callable[[], ChatSummary | None]) -> None:
        """Run as a worker. `still_wanted` is asked once the backend answers (the agent may have moved on or
        masked it again): the chat as it is now, or None."""
        client = self._open_client()
        try:
            profile = await client.customer_profile(chat_id)
        except BackendError as error:
            self._note = tr("Clear numbers need the backend ({error}); still masked.", error=error)
            profile = None
        finally:
            await client.aclose()
        chat = still_wanted()
        if chat is not None:
            if profile is not None:
                self.clear_profile, self._note = (chat_id, profile), tr("Shown in clear (logged)")
            self.show(chat)
