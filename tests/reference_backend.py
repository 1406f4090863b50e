"""A real reference backend process on 127.0.0.1 for tests, plus the customer side of its channel API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from backend.server import READY_PREFIX
from tests.package_under_test import OUTSIDE_TREE, package_env
from tests.ready_process import start_until_ready

AGENT_TOKEN = "test-agent-token"
CHANNEL_TOKEN = "test-channel-token"


class ReferenceBackend:
    def __init__(self, db_path: Path, *extra_args: str):
        self.db_path = db_path
        self.extra_args = extra_args
        self.token = AGENT_TOKEN
        self.url = ""
        self.process: subprocess.Popen | None = None
        self._customer_http: httpx.Client | None = None

    def start(self) -> "ReferenceBackend":
        self.process, self.url = start_until_ready(
            [
                sys.executable, "-m", "backend", "--host", "127.0.0.1", "--port", "0", "--db", str(self.db_path),
                "--token", AGENT_TOKEN, "--channel-token", CHANNEL_TOKEN, *self.extra_args,
            ],
            READY_PREFIX, "backend", cwd=OUTSIDE_TREE, env=package_env(),
        )
        return self

    def stop(self) -> None:
        if self._customer_http is not None:
            self._customer_http.close()
            self._customer_http = None
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    # --- the customer side (channel API) ----------------------------------------------------------------

    def _channel(self, path: str, body: dict) -> dict:
        if self._customer_http is None:  # one kept-alive client: building one costs more than a request
            self._customer_http = httpx.Client(headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"}, timeout=10)
        response = self._customer_http.post(f"{self.url}/api/v1/channel{path}", json=body)
        response.raise_for_status()
        return response.json()

    def open_chat(self, name: str, channel: str = "web", **customer) -> str:
        return self._channel("/chats", {"customer": {"name": name, **customer}, "channel": channel})["chat"]["id"]

    def customer_says(self, chat_id: str, text: str, attachments: list[dict] | None = None) -> dict:
        body = {"text": text} | ({"attachments": attachments} if attachments is not None else {})
        return self._channel(f"/chats/{chat_id}/messages", body)["message"]

    def add_order(self, chat_id: str, order_no: str, **order) -> dict:
        """An order for the chat's customer (one item of ¥599 unless `order` says otherwise), as the API answers."""
        body = {"order_no": order_no, "items": [{"name": "羽绒服 M", "quantity": 1, "price": "599.00"}],
                "amount": "599.00", **order}
        return self._channel(f"/chats/{chat_id}/orders", body)["order"]

    # --- what the server holds (read through the agent API) ------------------------------------------------

    def chat(self, chat_id: str) -> dict:
        response = httpx.get(f"{self.url}/api/v1/chats", headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
                             timeout=10)
        response.raise_for_status()
        return next(chat for chat in response.json()["chats"] if chat["id"] == chat_id)

    def messages(self, chat_id: str) -> list[dict]:
        response = httpx.get(
            f"{self.url}/api/v1/chats/{chat_id}/messages", params={"limit": 1000},
            headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, timeout=10,
        )
        response.raise_for_status()
        return response.json()["messages"]
