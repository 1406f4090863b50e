"""Textual widgets: they show state and turn keys into intents (Messages). No SQL, no HTTP."""
