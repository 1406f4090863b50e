"""Routes real Chatwoot does not have (/__fake__/...): the tests play the customer and the administrator here
and read back everything stored. No token: only the test that started the process knows the port."""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fake_chatwoot.cable import drop_all
from tests.fake_chatwoot.state import ACTIVITY, INCOMING, ChatwootState, CreateFailed


def _state(request: Request) -> ChatwootState:
    return request.app.state.chatwoot


async def add_contact(request: Request):
    body = await request.json()
    contact = _state(request).add_contact(body["name"], body.get("email"), body.get("phone_number"),
                                          body.get("identifier"))
    return JSONResponse(asdict(contact))


async def add_conversation(request: Request):
    state, body = _state(request), await request.json()
    assignee = state.agent["id"] if body.get("mine") else body.get("assignee_id")
    conversation = state.add_conversation(
        body["contact_id"], assignee_id=assignee, team_id=body.get("team_id"), status=body.get("status", "open"),
        priority=body.get("priority"), labels=body.get("labels", ()), ago=body.get("ago", 0))
    return JSONResponse(asdict(conversation))


async def add_message(request: Request):
    """The customer writes (0), the system notes an activity (2), or someone adds a private note (private)."""
    state, body = _state(request), await request.json()
    conversation = state.conversations[request.path_params["conversation_id"]]
    kind = body.get("message_type", INCOMING)
    sender = ({"sender_type": "Contact", "sender_id": conversation.contact_id} if kind == INCOMING else
              {} if kind == ACTIVITY else {"sender_type": "User", "sender_id": body.get("sender_id", 2)})
    try:
        message = state.create_message(conversation, content=body.get("content"), message_type=kind,
                                       private=body.get("private", False),
                                       content_attributes=body.get("content_attributes"), ago=body.get("ago", 0),
                                       attachments=body.get("attachments"), **sender)
    except CreateFailed as failure:
        return JSONResponse({"error": str(failure)}, 422)
    return JSONResponse(asdict(message))


async def settings(request: Request):
    """Any of: flood_limit, rate_limit_per_minute (null: off), message_touches_conversation, advance_clock
    (seconds), skip_message_ids (a count)."""
    state, body = _state(request), await request.json()
    state.clock_offset += body.get("advance_clock", 0)
    for name in ("flood_limit", "rate_limit_per_minute", "message_touches_conversation"):
        if name in body:
            setattr(state, name, body[name])
    if "rate_limit_per_minute" in body:
        state.rate_window = (0, 0)
    if "skip_message_ids" in body:
        state.message_ids.skip(body["skip_message_ids"])
    return JSONResponse({})


async def refusals(request: Request):
    state = _state(request)
    if request.method == "DELETE":
        state.refusals.clear()
    else:
        body = await request.json()
        state.refusals.append({"conversation_id": body.get("conversation_id"), "action": body.get("action")})
    return JSONResponse(state.refusals)


async def failing_sends(request: Request):
    body = await request.json()
    _state(request).failing_sends.extend([bool(body.get("stored", False))] * body.get("count", 1))
    return JSONResponse({})


async def add_directory_entry(request: Request):
    """Teams, agents and canned responses the account has."""
    state, body = _state(request), await request.json()
    table = {"teams": state.teams, "agents": state.agents,
             "canned_responses": state.canned_responses}.get(request.path_params["kind"])
    if table is None:
        return JSONResponse({"error": "no such table"}, 404)
    entry = {"id": max((e["id"] for e in table), default=0) + 1, **body}
    if request.path_params["kind"] == "agents":
        entry.setdefault("role", "agent")
        entry.setdefault("email", f"agent{entry['id']}@example.test")
    table.append(entry)
    return JSONResponse(entry)


async def dump(request: Request):
    state = _state(request)
    return JSONResponse({
        "account_id": state.account_id, "agent": state.agent, "agents": state.agents, "teams": state.teams,
        "canned_responses": state.canned_responses,
        "contacts": [asdict(c) for c in state.contacts.values()],
        "conversations": [asdict(c) for c in state.conversations.values()],
        "messages": [asdict(m) for m in state.messages],
        "requests": state.requests, "contract_violations": state.contract_violations, "now": state.now(),
    })


async def drop_sockets(request: Request):
    return JSONResponse({"dropped": await drop_all(_state(request))})


def control_routes() -> list[Route]:
    return [
        Route("/cable/drop", drop_sockets, methods=["POST"]),
        Route("/contacts", add_contact, methods=["POST"]),
        Route("/conversations", add_conversation, methods=["POST"]),
        Route("/conversations/{conversation_id:int}/messages", add_message, methods=["POST"]),
        Route("/settings", settings, methods=["POST"]),
        Route("/refusals", refusals, methods=["POST", "DELETE"]),
        Route("/failing_sends", failing_sends, methods=["POST"]),
        Route("/{kind:str}", add_directory_entry, methods=["POST"]),
        Route("/state", dump, methods=["GET"]),
    ]
