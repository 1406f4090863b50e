"""python -m tests.fake_chatwoot [--token T] [--account-id N] [--seed S] [--validator MODULE]: serve until stdin
closes."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import socket
import sys
import threading

import uvicorn

from tests.fake_chatwoot.app import create_app
from tests.fake_chatwoot.state import ChatwootState

READY_PREFIX = "fake chatwoot listening on "


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_chatwoot")
    parser.add_argument("--token", default="fake-agent-token")
    parser.add_argument("--account-id", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0, help="decides where message ids skip")
    parser.add_argument("--validator", metavar="MODULE",
                        help="a module with validate_request(exchange) and validate_response(exchange), e.g. "
                             "tests.chatwoot_contract, to check every agent exchange")
    args = parser.parse_args()
    validator = importlib.import_module(args.validator) if args.validator else None
    state = ChatwootState(token=args.token, account_id=args.account_id, seed=args.seed)
    asyncio.run(_serve(create_app(state, validator)))
    return 0


async def _serve(app) -> None:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1))
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without it every answer
    # waited 40 ms for a delayed ACK (Nagle), and the benchmark measured that.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # before the ready line, so a client that connects at once is never refused
    loop = asyncio.get_running_loop()
    threading.Thread(target=_exit_when_stdin_closes, args=(loop, server), daemon=True).start()
    print(f"{READY_PREFIX}http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])


def _exit_when_stdin_closes(loop: asyncio.AbstractEventLoop, server: uvicorn.Server) -> None:
    # The test holds our stdin; EOF means it is gone (even after kill -9), so we stop with it.
    while sys.stdin.buffer.read(1024):
        pass
    loop.call_soon_threadsafe(setattr, server, "should_exit", True)


if __name__ == "__main__":
    sys.exit(main())
