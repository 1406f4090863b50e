"""The customer panel beside the conversation: who the customer is, their orders, and a logged reveal.

Personal numbers are cached masked (as the server sends them). A reveal (f9, with the transcript's) asks the
backend for the clear profile once and shows it until another chat opens; it is never written to disk, and it
needs the backend: offline, the panel says so and stays masked. A mixin of the App.
"""

from __future__ import annotations

from local_cache.backend_client import BackendError
from widgets.customer_panel import CustomerPanel
from widgets.i18n import tr


class CustomerActions:
    _clear_profile: tuple[str, dict] | None = None  # (chat id, profile in clear) while a reveal lasts
    _profile_note = ""

    def show_customer(self, chat_id: str | None) -> None:
        panel = self.query_one(CustomerPanel)
        chat = self.chats.get(chat_id) if chat_id else None
        if chat is None or not panel.display:
            return
        if self._clear_profile and self._clear_profile[0] == chat_id:
            panel.show(chat, self._clear_profile[1], revealed=True, note=self._profile_note)
        else:
            panel.show(chat, self.store.chats.customer_profile(chat_id), note=self._profile_note)

    def conceal_customer(self) -> None:
        """A reveal lasts while its chat stays open."""
        self._clear_profile, self._profile_note = None, ""

    def action_toggle_customer_panel(self) -> None:
        panel = self.query_one(CustomerPanel)
        panel.display = not panel.display
        self.show_customer(self.current_chat_id)

    def reveal_customer(self, chat_id: str) -> None:
        self.run_worker(self._fetch_clear_profile(chat_id), group="reveal", exclusive=True)

    async def _fetch_clear_profile(self, chat_id: str) -> None:
        client = self._open_client()
        try:
            profile = await client.customer_profile(chat_id)
        except BackendError as error:
            self._profile_note = tr("Clear numbers need the backend ({error}); still masked.", error=error)
            profile = None
        finally:
            await client.aclose()
        if chat_id == self.current_chat_id and self.main_pane.transcript.revealed:
            if profile is not None:
                self._clear_profile, self._profile_note = (chat_id, profile), tr("Shown in clear (logged)")
            self.show_customer(chat_id)
