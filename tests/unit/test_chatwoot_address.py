"""Which helpdesk a backend URL names (local_cache/chatwoot_address.py), and what config makes of it."""

from __future__ import annotations

import pytest

from console.config import ConfigError, check_backend_url
from local_cache.backend_choice import open_backend_client
from local_cache.chatwoot_address import ChatwootAccount, NotAChatwootUrl, chatwoot_account
from local_cache.chatwoot_client import ChatwootClient
from local_cache.reference_client import ReferenceApiClient


@pytest.mark.parametrize("url, account", [
    ("chatwoot+https://desk.example.com/3", ChatwootAccount("https://desk.example.com", 3)),
    ("chatwoot+http://127.0.0.1:3000/12/", ChatwootAccount("http://127.0.0.1:3000", 12)),
    ("CHATWOOT+https://desk.example.com/support/4", ChatwootAccount("https://desk.example.com/support", 4)),
    ("https://app.chatwoot.com/app/accounts/7/conversations/55", ChatwootAccount("https://app.chatwoot.com", 7)),
    ("https://x.org/support/app/accounts/9", ChatwootAccount("https://x.org/support", 9)),
    ("chatwoot+https://app.chatwoot.com/app/accounts/7/inbox/2", ChatwootAccount("https://app.chatwoot.com", 7)),
    ("http://127.0.0.1:8000", None),
    ("https://helpdesk.example.com/api", None),
])
def test_a_url_names_a_chatwoot_account_or_the_reference_api(url, account):
    assert chatwoot_account(url) == account


@pytest.mark.parametrize("url", ["chatwoot+https://desk.example.com", "chatwoot+https://desk.example.com/x",
                                 "chatwoot+ftp://desk.example.com/3", "chatwoot+desk.example.com/3"])
def test_a_chatwoot_url_without_an_account_is_refused_at_once(url):
    with pytest.raises(NotAChatwootUrl):
        chatwoot_account(url)
    with pytest.raises(ConfigError, match="chatwoot"):
        check_backend_url(url, "--backend")


def test_one_account_is_one_server_whatever_the_spelling():
    ids = {chatwoot_account(url).server_id for url in ("chatwoot+https://Desk.Example.com/3",
                                                        "https://desk.example.com/app/accounts/3/dashboard")}
    assert ids == {"chatwoot:desk.example.com/3"}
    assert chatwoot_account("chatwoot+https://desk.example.com/4").server_id not in ids


async def test_the_url_picks_the_client():
    chatwoot = open_backend_client("chatwoot+http://127.0.0.1:3000/1", "t")
    reference = open_backend_client("http://127.0.0.1:8000", "t")
    try:
        assert isinstance(chatwoot, ChatwootClient) and chatwoot.sparse_seqs
        assert isinstance(reference, ReferenceApiClient) and not reference.sparse_seqs
    finally:
        await chatwoot.aclose()
        await reference.aclose()
    check_backend_url("chatwoot+https://desk.example.com/3", "--backend")  # accepted as it is
