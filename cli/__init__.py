"""The `agent-console` command: its argument parser, the headless subcommands (chats, history, sync, send,
outbox, lint, search, library) and how they print. Starts the TUI (console/) only when no subcommand is given.
Nothing but the tests imports this package."""
