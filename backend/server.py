"""Runs the reference backend: `agent-console serve` and `python -m backend`."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import secrets
import socket
import sys
import threading
from pathlib import Path

import uvicorn

from backend.api import create_app
from backend.change_feed import ChangeNotifier
from backend.simulator import DEFAULT_SCENARIOS, CustomerSimulator, ScenarioError, load_scenarios
from backend.store import BackendStore

TOKEN_ENV = "AGENT_CONSOLE_SERVER_TOKEN"
CHANNEL_TOKEN_ENV = "AGENT_CONSOLE_CHANNEL_TOKEN"
READY_PREFIX = "listening on "


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port; 0 picks a free one (default: 8765)")
    parser.add_argument(
        "--db", type=Path, default=Path("agent-console-backend.sqlite3"),
        help="the server's SQLite database file (default: ./agent-console-backend.sqlite3)",
    )
    parser.add_argument(
        "--token", default=None,
        help=f"bearer token agents must present (default: ${TOKEN_ENV}, else a random one shown on stderr)",
    )
    parser.add_argument("--agent", default="Demo Agent", help="display name of the agent the token belongs to")
    parser.add_argument(
        "--channel-token", default=None,
        help=f"token for the customer-side channel API (default: ${CHANNEL_TOKEN_ENV}; unset disables that API)",
    )
    parser.add_argument("--simulate", type=int, default=0, metavar="N", help="run N simulated customer chats")
    parser.add_argument(
        "--scenarios", type=Path, default=DEFAULT_SCENARIOS, help="scenario file for the simulator (TOML)"
    )
    parser.add_argument(
        "--sim-pace", type=float, default=1.0,
        help="multiply every simulated delay by this factor (0.1 = ten times faster; default 1.0)",
    )
    parser.add_argument("--sim-seed", type=int, default=None, help="random seed for reproducible simulations")
    parser.add_argument(
        "--exit-with-parent", action="store_true",
        help="stop when standard input closes (used by the console's embedded default)",
    )


def run_server(args: argparse.Namespace) -> int:
    if not is_loopback(args.host):
        print(f"warning: serving on {args.host} over plain HTTP: bearer tokens and customers' personal data cross "
              "the network unencrypted; bind 127.0.0.1 or put a TLS-terminating proxy in front",
              file=sys.stderr, flush=True)
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        token = secrets.token_urlsafe(18)
        print(f"generated agent token: {token}", file=sys.stderr, flush=True)
    channel_token = args.channel_token or os.environ.get(CHANNEL_TOKEN_ENV)
    scenarios = None
    if args.simulate > 0:
        try:
            scenarios = load_scenarios(args.scenarios)
        except ScenarioError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    try:
        make_folders_private(args.db.parent)
        store = BackendStore(args.db)
    except Exception as error:  # sqlite3 errors and OSError both mean: this file cannot serve
        print(f"error: cannot open backend database {args.db}: {error}", file=sys.stderr)
        return 2
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every keep-alive response stalls ~40 ms on Nagle + delayed ACK.
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    asyncio.run(_serve(args, store, sock, token, channel_token, scenarios))
    return 0


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def make_folders_private(folder: Path) -> None:
    """Folders this server creates for its database are its owner's alone (0700, whatever the umask); an
    existing folder is left as it is: it may be the user's working directory."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for path in missing:
        os.chmod(path, 0o700)


async def _serve(args, store, sock, token, channel_token, scenarios) -> None:
    notifier = ChangeNotifier()
    app = create_app(store, agent_token=token, agent_name=args.agent, channel_token=channel_token, notifier=notifier)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    background = []
    if scenarios:
        simulator = CustomerSimulator(
            store, notifier, scenarios, chats=args.simulate, pace=args.sim_pace, seed=args.sim_seed
        )
        background.append(asyncio.create_task(simulator.run()))
    if args.exit_with_parent:
        loop = asyncio.get_running_loop()
        threading.Thread(target=_exit_when_stdin_closes, args=(loop, server), daemon=True).start()
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    # Listening before the readiness line: the kernel queues connections until uvicorn accepts them, so a
    # client that connects the moment it reads the line is never refused.
    sock.listen(2048)
    print(f"{READY_PREFIX}http://{shown_host}:{port}", flush=True)
    try:
        await server.serve(sockets=[sock])
    finally:
        for task in background:
            task.cancel()
        store.close()


def _exit_when_stdin_closes(loop: asyncio.AbstractEventLoop, server: uvicorn.Server) -> None:
    # The launcher holds our stdin; EOF means it is gone (even after kill -9), so we stop with it.
    while sys.stdin.buffer.read(1024):
        pass
    loop.call_soon_threadsafe(setattr, server, "should_exit", True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend", description="Run the reference helpdesk backend.")
    add_serve_arguments(parser)
    return run_server(parser.parse_args(argv))
