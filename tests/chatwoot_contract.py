"""Checks HTTP exchanges with (a fake) Chatwoot against the parts of Chatwoot's published OpenAPI spec the adapter uses.

The fake Chatwoot server calls `validate_request` and `validate_response` for every exchange, so a fake that drifts
from what Chatwoot documents (and from what its views really send: see tests/fixtures/chatwoot/SOURCE.md) fails the
test that exercised it, naming the path and the mismatch. Framework-free: plain strings, dicts and bytes in,
openapi-core's request/response protocols inside.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from openapi_core import OpenAPI
from openapi_core.casting.schemas import oas30_casters_dict
from openapi_core.casting.schemas.casters import PrimitiveCaster, TypesCaster
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.response.validators import V30ResponseValidator
from openapi_core.validation.schemas import (
    oas30_read_schema_validators_factory,
    oas30_write_schema_validators_factory,
)
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).parent / "fixtures" / "chatwoot" / "openapi.json"


class ChatwootContractError(AssertionError):
    """An exchange that Chatwoot's spec does not allow; the message names the method, the path and the mismatch."""


def _casters_that_keep_json_types(schema_validators_factory) -> SchemaCastersFactory:
    """openapi-core casts every value to its schema type, bodies included, so {"id": "7001"} would pass for an integer
    id and {"message_type": "outgoing"} would fail as "cannot cast" without naming the field. Query and path values
    arrive as strings and still need casting; JSON bodies (objects here) already carry their types, so objects are
    left alone and the schema check that follows reports the field that is wrong."""
    casters = dict(oas30_casters_dict, object=PrimitiveCaster)
    return SchemaCastersFactory(schema_validators_factory, TypesCaster(casters, PrimitiveCaster))


@lru_cache(maxsize=1)
def _validators() -> tuple[V30RequestValidator, V30ResponseValidator]:
    spec = OpenAPI.from_file_path(str(SPEC_PATH)).spec
    return (
        V30RequestValidator(
            spec, schema_casters_factory=_casters_that_keep_json_types(oas30_write_schema_validators_factory)
        ),
        V30ResponseValidator(
            spec, schema_casters_factory=_casters_that_keep_json_types(oas30_read_schema_validators_factory)
        ),
    )


class _Request:
    """openapi-core's `Request` protocol over plain values."""

    def __init__(self, method: str, url: str, headers: dict, body: bytes):
        parts = urlsplit(url)
        self.host_url = f"{parts.scheme or 'http'}://{parts.netloc or 'localhost'}"
        self.path = parts.path or "/"
        self.method = method.lower()
        self.body = body or None
        header = Headers(list(headers.items()))
        self.content_type = (header.get("content-type") or "").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(parts.query, keep_blank_values=True)),
            header=header,
            cookie=ImmutableMultiDict(),
            path={},
        )


class _Response:
    """openapi-core's `Response` protocol over plain values."""

    def __init__(self, status: int, headers: dict, body: bytes):
        self.status_code = status
        self.headers = Headers(list(headers.items()))
        self.content_type = (self.headers.get("content-type") or "").lower()
        self.data = body or None


def validate_request(method: str, url: str, headers: dict, body: bytes) -> None:
    """Raise ChatwootContractError unless Chatwoot's spec allows this request (path, parameters, auth header, body)."""
    request = _Request(method, url, headers, body)
    try:
        _validators()[0].validate(request)
    except Exception as error:  # openapi-core raises one of several classes; all mean "not allowed"
        raise ChatwootContractError(f"request {method.upper()} {request.path}: {_describe(error)}") from error


def validate_response(
    method: str,
    url: str,
    request_headers: dict,
    request_body: bytes,
    status: int,
    response_headers: dict,
    response_body: bytes,
) -> None:
    """Raise ChatwootContractError unless Chatwoot's spec allows this response to this request."""
    request = _Request(method, url, request_headers, request_body)
    response = _Response(status, response_headers, response_body)
    try:
        _validators()[1].validate(request, response)
    except Exception as error:
        raise ChatwootContractError(
            f"response {status} to {method.upper()} {request.path}: {_describe(error)}"
        ) from error


def _describe(error: BaseException) -> str:
    """The schema errors openapi-core wraps (which field, what was wrong), else its own message.

    openapi-core's message for a bad body repeats the whole body; the field paths are what a reader needs."""
    fields: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for schema_error in getattr(current, "schema_errors", ()) or ():
            where = "/".join(str(step) for step in schema_error.absolute_path) or "(body)"
            fields.append(f"at {where}: {schema_error.message}")
        current = current.__cause__ or current.__context__
    return f"{type(error).__name__}: " + ("; ".join(fields) if fields else str(error))
