"""Which helpdesk a backend URL names: the reference API, or a Chatwoot account.

    http(s)://HOST[:PORT]                      the reference API (docs/api.md)
    chatwoot+https://HOST[:PORT]/ACCOUNT_ID    a Chatwoot account (chatwoot+http:// for local installs and tests)
    https://HOST/app/accounts/ACCOUNT_ID/...   a Chatwoot dashboard URL, pasted from the browser

A Chatwoot URL may carry a path prefix before the account (Chatwoot served under /support): it is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

DASHBOARD_PATH = re.compile(r"^(?P<prefix>.*?)/app/accounts/(?P<account>[0-9]+)(?:/.*)?$")
SCHEME_PREFIX = "chatwoot+"


class NotAChatwootUrl(ValueError):
    pass


@dataclass(frozen=True)
class ChatwootAccount:
    base_url: str  # scheme://host[:port][/prefix], without a trailing slash
    account_id: int

    @property
    def server_id(self) -> str:
        """Chatwoot has no server id: the host and account stand for one (a cache belongs to one account)."""
        return f"chatwoot:{urlsplit(self.base_url).netloc.lower()}{urlsplit(self.base_url).path}/{self.account_id}"


def chatwoot_account(url: str) -> ChatwootAccount | None:
    """The Chatwoot account a URL names, or None for a URL of the reference API. Raises NotAChatwootUrl for a
    `chatwoot+` URL without an account id (said at start, not as a 404 later)."""
    url = url.strip()
    if url.lower().startswith(SCHEME_PREFIX):
        try:
            parts = urlsplit(url[len(SCHEME_PREFIX):])
        except ValueError:  # an unclosed [IPv6 bracket, ...
            raise NotAChatwootUrl(f"{url}: malformed; use chatwoot+https://HOST[:PORT]/ACCOUNT_ID") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise NotAChatwootUrl(f"{url}: use chatwoot+https://HOST[:PORT]/ACCOUNT_ID")
        dashboard = DASHBOARD_PATH.match(parts.path)
        if dashboard:
            prefix, account = dashboard["prefix"], dashboard["account"]
        else:
            prefix, _, account = parts.path.rstrip("/").rpartition("/")
        if not account.isdigit():
            raise NotAChatwootUrl(f"{url}: the account id (a number) is missing: "
                                  "chatwoot+https://HOST[:PORT]/ACCOUNT_ID")
        return ChatwootAccount(f"{parts.scheme}://{parts.netloc}{prefix}", int(account))
    try:
        parts = urlsplit(url)
    except ValueError:
        return None  # not Chatwoot's; the caller says what is wrong with it
    dashboard = DASHBOARD_PATH.match(parts.path)
    if parts.scheme in ("http", "https") and parts.netloc and dashboard:
        return ChatwootAccount(f"{parts.scheme}://{parts.netloc}{dashboard['prefix']}", int(dashboard["account"]))
    return None
