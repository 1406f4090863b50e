"""The agent-facing routes of the fake Chatwoot, as app/controllers/api/v1/... answer them (chatwoot/chatwoot)."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from tests.fake_chatwoot import views
from tests.fake_chatwoot.cable import cable
from tests.fake_chatwoot.control_routes import control_routes
from tests.fake_chatwoot.exchange import ExchangeRecorder
from tests.fake_chatwoot.state import MESSAGE_TYPES, OUTGOING, ChatwootState, CreateFailed

PER_PAGE = 25  # ENV CONVERSATION_RESULTS_PER_PAGE, app/finders/conversation_finder.rb


class Refused(Exception):
    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body


def not_found() -> Refused:  # request_exception_handler.rb: ActiveRecord::RecordNotFound
    return Refused(404, {"error": "Resource could not be found"})


def _guard(request: Request, state: ChatwootState) -> None:
    # access_token_auth_helper.rb reads the `api_access_token` header
    if request.headers.get("api_access_token") != state.token:
        raise Refused(401, {"error": "Invalid Access Token"})
    account = request.path_params.get("account_id")
    if account is not None and account != state.account_id:
        raise Refused(401, {"error": "You are not authorized to access this account"})


def _conversation(request: Request, state: ChatwootState, action: str):
    conversation = state.conversations.get(request.path_params["conversation_id"])
    if conversation is None:
        raise not_found()
    if state.refused(conversation.display_id, action):  # Pundit::NotAuthorizedError
        raise Refused(401, {"error": "You are not authorized to do this action"})
    return conversation


async def _params(request: Request) -> dict:
    """Rails merges the query string and a JSON body into `params`."""
    params = dict(request.query_params)
    body = await request.body()
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            params.update(parsed)
    return params


def endpoint(action: str):
    def wrap(handler):
        async def run(request: Request) -> Response:
            state: ChatwootState = request.app.state.chatwoot
            try:
                _guard(request, state)
                conversation = (_conversation(request, state, action)
                                if "conversation_id" in request.path_params else None)
                return await handler(request, state, conversation, await _params(request))
            except Refused as refusal:
                return JSONResponse(refusal.body, refusal.status)
        return run
    return wrap


@endpoint("profile")
async def profile(request, state, _, params):
    return JSONResponse(views.profile(state))


@endpoint("conversations.index")
async def conversation_list(request, state, _, params):
    """ConversationFinder#perform: counts after the status filter, then the assignee filter, then a page."""
    me = state.agent["id"]
    found = list(state.conversations.values())
    if params.get("status") != "all":
        found = [c for c in found if c.status == (params.get("status") or "open")]
    meta = {"mine_count": sum(c.assignee_id == me for c in found),
            "assigned_count": sum(c.assignee_id is not None for c in found),
            "unassigned_count": sum(c.assignee_id is None for c in found), "all_count": len(found)}
    found = {"me": [c for c in found if c.assignee_id == me],
             "unassigned": [c for c in found if c.assignee_id is None],
             "assigned": [c for c in found if c.assignee_id is not None]}.get(params.get("assignee_type"), found)
    found.sort(key=lambda c: (c.last_activity_at, c.display_id), reverse=True)  # last_activity_at_desc
    if params.get("updated_within"):  # no paging at all
        since = state.now() - _int(params["updated_within"])
        found = [c for c in found if c.updated_at > since]
    else:
        page = max(_int(params.get("page") or 1), 1)
        found = found[(page - 1) * PER_PAGE: page * PER_PAGE]
    return JSONResponse({"data": {"meta": meta, "payload": [views.conversation(state, c) for c in found]}})


@endpoint("conversations.show")
async def conversation_show(request, state, conversation, params):
    return JSONResponse(views.conversation(state, conversation))


@endpoint("messages.index")
async def message_list(request, state, conversation, params):
    """MessageFinder#current_messages"""
    # Filtered by id, ordered by created_at (a message stored with an older time sorts before newer ids)
    own = sorted((m for m in state.messages if m.conversation_id == conversation.display_id),
                 key=lambda m: (m.created_at, m.id))
    after, before = params.get("after"), params.get("before")
    if after and before:
        chosen = [m for m in own if _int(after) <= m.id < _int(before)][:1000]
    elif before:
        chosen = [m for m in own if m.id < _int(before)][-20:]
    elif after:
        chosen = [m for m in own if m.id > _int(after)][:100]
    else:
        chosen = own[-20:]
    return JSONResponse(views.message_list(state, conversation, chosen))


KEPT_CONTENT_ATTRIBUTES = ("items", "in_reply_to", "automation_rule_id")


@endpoint("messages.create")
async def message_create(request, state, conversation, params):
    """Messages::MessageBuilder; the controller turns any StandardError into 422 {"error": message}."""
    try:
        kind = params.get("message_type") or "outgoing"
        if kind not in MESSAGE_TYPES:
            raise CreateFailed(f"'{kind}' is not a valid message_type")
        attributes = params.get("content_attributes") or {}
        if isinstance(attributes, str):  # the builder parses a JSON string, and drops what it cannot parse
            try:
                attributes = json.loads(attributes)
            except ValueError:
                attributes = {}
        if not isinstance(attributes, dict):  # neither a hash nor a JSON string: the builder uses {}
            attributes = {}
        # MessageBuilder#message_params keeps only these of content_attributes (items, in_reply_to and
        # automation_rule_id): any other key a client sends is dropped, and so is source_id.
        attributes = {key: value for key, value in attributes.items() if key in KEPT_CONTENT_ATTRIBUTES}
        outgoing = MESSAGE_TYPES[kind] == OUTGOING
        message = state.create_message(
            conversation, content=params.get("content"), message_type=MESSAGE_TYPES[kind],
            private=_bool(params.get("private")), content_attributes=attributes, source_id=None,
            sender_type="User" if outgoing else "Contact",
            sender_id=state.agent["id"] if outgoing else conversation.contact_id, echo_id=params.get("echo_id"))
    except CreateFailed as failure:
        return JSONResponse({"error": str(failure)}, 422)
    return JSONResponse(views.message(state, message, echo_id=params.get("echo_id")))


@endpoint("toggle_status")
async def toggle_status(request, state, conversation, params):
    status = params.get("status")
    if not status:  # Conversation#toggle_status
        status = "resolved" if conversation.status == "open" else "open"
    try:
        state.set_status(conversation, status)
    except ValueError as error:
        return JSONResponse({"error": str(error)}, 422)
    if (conversation.status == "open" and state.agent["role"] == "agent"
            and conversation.assignee_id != state.agent["id"]):
        state.assign_agent(conversation, state.agent["id"])  # assign_conversation: reopening takes it
    return JSONResponse({"meta": {}, "payload": {"success": True, "conversation_id": conversation.display_id,
                                                 "current_status": conversation.status, "snoozed_until": None}})


@endpoint("toggle_priority")
async def toggle_priority(request, state, conversation, params):
    try:  # Conversation#toggle_priority: `priority.presence` into an enum without "none"
        state.set_priority(conversation, params.get("priority") or None)
    except ValueError:  # ArgumentError is not rescued by handle_with_exception: a 500
        return JSONResponse({"status": 500, "error": "Internal Server Error"}, 500)
    return Response(status_code=200)  # head :ok


@endpoint("assignments")
async def assignments(request, state, conversation, params):
    """Conversations::AssignmentsController#create"""
    if "assignee_id" in params:
        agent = state.assign_agent(conversation, _int(params["assignee_id"]) if params["assignee_id"] else None)
        return JSONResponse(views.agent(state, agent) if agent else None)
    if "team_id" in params:
        team = state.assign_team(conversation, _int(params["team_id"]) if params["team_id"] else None)
        return JSONResponse({**team, "allow_auto_assign": True, "account_id": state.account_id} if team else None)
    return JSONResponse(None)


@endpoint("labels")
async def labels(request, state, conversation, params):
    """LabelConcern: POST replaces the whole set; both answer {payload: [titles]}."""
    if request.method == "POST":
        posted = params.get("labels") or []
        state.set_labels(conversation, posted if isinstance(posted, list) else [posted])
    return JSONResponse({"payload": list(conversation.labels)})


@endpoint("contacts.show")
async def contact_show(request, state, _, params):
    contact = state.contacts.get(request.path_params["contact_id"])
    if contact is None:
        raise not_found()
    return JSONResponse({"payload": {**views.contact(state, contact), "contact_inboxes": []}})


@endpoint("canned_responses")
async def canned_responses(request, state, _, params):
    search = (params.get("search") or "").lower()
    return JSONResponse([{**r, "account_id": state.account_id} for r in state.canned_responses
                         if search in r["short_code"].lower() or search in r["content"].lower()])


@endpoint("teams")
async def teams(request, state, _, params):
    return JSONResponse([views.team(state, t) for t in state.teams])


@endpoint("agents")
async def agents(request, state, _, params):
    return JSONResponse([views.agent(state, a) for a in state.agents])


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0  # Ruby's to_i


def _bool(value) -> bool:
    return value in (True, "true", "1", 1)


def create_app(state: ChatwootState, validator=None) -> Starlette:
    account = "/api/v1/accounts/{account_id:int}"
    conversation = account + "/conversations/{conversation_id:int}"
    app = Starlette(routes=[
        Route("/api/v1/profile", profile),
        Route(account + "/conversations", conversation_list),
        Route(conversation, conversation_show),
        Route(conversation + "/messages", message_list, methods=["GET"]),
        Route(conversation + "/messages", message_create, methods=["POST"]),
        Route(conversation + "/toggle_status", toggle_status, methods=["POST"]),
        Route(conversation + "/toggle_priority", toggle_priority, methods=["POST"]),
        Route(conversation + "/assignments", assignments, methods=["POST"]),
        Route(conversation + "/labels", labels, methods=["GET", "POST"]),
        Route(account + "/contacts/{contact_id:int}", contact_show),
        Route(account + "/canned_responses", canned_responses),
        Route(account + "/teams", teams),
        Route(account + "/agents", agents),
        WebSocketRoute("/cable", cable),
        Mount("/__fake__", routes=control_routes()),
    ])
    app.state.chatwoot = state
    app.add_middleware(ExchangeRecorder, state=state, validator=validator)
    return app


def too_many_requests() -> Response:
    """Rack::Attack's default throttled responder: no Retry-After header."""
    return PlainTextResponse("Retry later\n", 429)
