"""The HTTP side of Chatwoot's Application API: the account's paths, the agent's token, and what each status
means (as Chatwoot gives them).

401 "Invalid Access Token" is a bad token (AuthenticationRejected: sync pauses for a new one); any other 401
refuses one request (RequestRejected); 429 (per IP and clock minute, usually without Retry-After), 408 and 5xx
are transient; 400, 403, 404 and 422 refuse the request.
"""

from __future__ import annotations

import asyncio
import json

import httpx

from local_cache.backend_client import (
    AuthenticationRejected,
    BackendUnavailable,
    BadPayload,
    RequestRejected,
    UnexpectedStatus,
)
from local_cache.chatwoot_address import ChatwootAccount
from local_cache.chatwoot_mapping import Misfit, remote_message
from local_cache.models import RemoteMessage

REQUEST_DEADLINE = 15.0
CONNECT_TIMEOUT = 5.0
INVALID_TOKEN = "Invalid Access Token"


class ChatwootHttp:
    def __init__(self, account: ChatwootAccount, token: str, *, deadline: float = REQUEST_DEADLINE, transport=None):
        self.account = account
        self._deadline = deadline
        self._http = httpx.AsyncClient(
            base_url=account.base_url + "/api/v1",
            headers={"api_access_token": token},
            timeout=httpx.Timeout(deadline, connect=CONNECT_TIMEOUT),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def replace_token(self, token: str) -> None:
        self._http.headers["api_access_token"] = token

    def account_path(self, path: str) -> str:
        return f"/accounts/{self.account.account_id}{path}"

    async def messages(self, chat_id: str, params: dict) -> list[dict]:
        path = self.account_path(f"/conversations/{chat_id}/messages")
        body = await self.request("GET", path, params=params)
        payload = body.get("payload") if isinstance(body, dict) else None
        if not isinstance(payload, list) or not all(isinstance(m, dict) and isinstance(m.get("id"), int)
                                                    for m in payload):
            raise BadPayload(f"GET {path}: answer does not fit Chatwoot's API: no payload list of messages")
        return sorted(payload, key=lambda message: message["id"])

    def message(self, raw: dict, chat_id: str) -> RemoteMessage | None:
        try:
            return remote_message(raw, chat_id)
        except Misfit as misfit:
            raise BadPayload(f"messages of {chat_id}: answer does not fit Chatwoot's API: {misfit}") from None

    async def request(self, method: str, path: str, **kwargs):
        endpoint = f"{method} {path}"
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._http.request(method, path, **kwargs)
        except TimeoutError:
            raise BackendUnavailable(f"{endpoint}: no complete answer within the deadline") from None
        except httpx.HTTPError as error:
            raise BackendUnavailable(f"{endpoint}: {type(error).__name__}: {error}") from None
        status = response.status_code
        reason = error_text(response)
        if 200 <= status < 300:
            if not response.content.strip():
                return None  # toggle_priority answers `head :ok`
            try:
                return response.json()
            except ValueError:
                raise BadPayload(f"{endpoint}: answer is not JSON") from None
        detail = f"{endpoint}: HTTP {status} {reason}"
        if status == 401 and INVALID_TOKEN.casefold() in reason.casefold():
            raise AuthenticationRejected(detail)
        if status == 429 or status >= 500 or status == 408:
            raise BackendUnavailable(detail, retry_after=retry_after(response, status))
        if status in (401, 403, 404, 422, 400):  # about this request: a permission, a conversation gone, ...
            raise RequestRejected(detail, status)
        raise UnexpectedStatus(detail, status)


def error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        for name in ("error", "message", "errors"):
            if body.get(name):
                value = body[name]
                return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)[:200]
    return response.reason_phrase


def retry_after(response: httpx.Response, status: int) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    return 5.0 if status == 429 else None  # Chatwoot's limit is per minute, and it rarely says when
