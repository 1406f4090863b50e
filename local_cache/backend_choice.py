"""The backend client a URL asks for: the reference API, or a Chatwoot account (local_cache/chatwoot_address.py
says which URLs name which)."""

from __future__ import annotations

from local_cache.backend_client import BackendClient
from local_cache.chatwoot_address import chatwoot_account
from local_cache.chatwoot_client import ChatwootClient
from local_cache.reference_client import ReferenceApiClient


def open_backend_client(url: str, token: str) -> BackendClient:
    account = chatwoot_account(url)
    if account is not None:
        return ChatwootClient(account, token)
    return ReferenceApiClient(url, token)
