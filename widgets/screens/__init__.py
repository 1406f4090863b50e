"""The main screen's dialogs and panels: every widget here is a Screen the app pushes over the chats."""
