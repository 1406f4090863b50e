"""The fake's validator (python -m tests.fake_chatwoot --validator tests.fake_chatwoot.contract_check): every
exchange checked against the parts of Chatwoot's published OpenAPI spec the adapter uses
(tests/chatwoot_contract.py). A violation is kept by the fake and read back by the test, never sent on."""

from __future__ import annotations

from tests.chatwoot_contract import validate_request as check_request
from tests.chatwoot_contract import validate_response as check_response
from tests.fake_chatwoot.exchange import Exchange

SERVER = "http://chatwoot.invalid"  # the spec's paths are matched, not its host


def _url(exchange: Exchange) -> str:
    return f"{SERVER}{exchange.path}" + (f"?{exchange.query}" if exchange.query else "")


def validate_request(exchange: Exchange) -> None:
    check_request(exchange.method, _url(exchange), exchange.request_headers, exchange.request_body)


def validate_response(exchange: Exchange) -> None:
    check_response(exchange.method, _url(exchange), exchange.request_headers, exchange.request_body,
                   exchange.status, exchange.response_headers, exchange.response_body)
