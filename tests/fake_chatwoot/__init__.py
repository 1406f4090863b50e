"""A fake Chatwoot (Application API) for the tests: a real process on 127.0.0.1 that behaves as Chatwoot's source does.

It stands in for Chatwoot, so it imports nothing of the product. `control.FakeChatwoot` starts it and drives the
customer/administrator side; the agent side is the real HTTP API an adapter calls.
"""
