"""Data that must survive: the agent's SQLite store (chat cache + outbox), backend clients and the sync engine."""
