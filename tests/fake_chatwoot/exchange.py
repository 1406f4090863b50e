"""The one place every agent-API exchange passes through: Rack::Attack's throttle, the request log, and an
optional contract validator (e.g. tests/chatwoot_contract.py checking Chatwoot's OpenAPI spec)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.fake_chatwoot.state import ChatwootState


@dataclass
class Exchange:
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""


class ExchangeRecorder:
    """ASGI middleware. `validator` has validate_request(exchange) and validate_response(exchange); whatever
    they raise is kept in state.contract_violations (read through /__fake__/state), not sent to the client."""

    def __init__(self, app, state: ChatwootState, validator=None):
        self.app, self.state, self.validator = app, state, validator

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        exchange = Exchange(scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"),
                            {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}, bytes(body))
        self._check("request", exchange)

        replayed = False

        async def replay():
            # The body once; after it, the real channel: Starlette listens for the disconnect while it answers,
            # and a replay that kept answering at once spun it (44 ms a request).
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        async def capture(message):
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = {k.decode("latin-1"): v.decode("latin-1")
                                             for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                exchange.response_body += message.get("body", b"")
            await send(message)

        if self.state.over_rate_limit():  # Rack::Attack runs before Rails: even a bad token counts
            from tests.fake_chatwoot.app import too_many_requests
            await too_many_requests()(scope, replay, capture)
        else:
            await self.app(scope, replay, capture)
        self.state.requests.append({"method": exchange.method, "path": exchange.path, "query": exchange.query,
                                    "status": exchange.status})
        self._check("response", exchange)

    def _check(self, side: str, exchange: Exchange) -> None:
        if self.validator is None:
            return
        try:
            getattr(self.validator, f"validate_{side}")(exchange)
        except Exception as problem:  # noqa: BLE001  (any complaint is a finding the test reads)
            self.state.contract_violations.append(f"{side} {exchange.method} {exchange.path}: {problem}")
