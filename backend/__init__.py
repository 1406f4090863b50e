"""The reference helpdesk API server and its customer simulator (see docs/api.md)."""
