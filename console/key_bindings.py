"""Every key of the chat desk, in one table: the footer, the key line, the help screen, the palette and the
agent's keymap ([keys] in the config) all read it, so a key is declared once and shown the same everywhere.

The desk screen (console/chat_desk.py) declares DESK_BINDINGS, so its keys rest while a dialog is open (a dialog
belongs to the chat it was opened for: f7 under the send question of the right-hand pane must not close the
left-hand chat). Actions named `app.…` are the App's (help, signing in, quit). Quit is also bound on the App
itself, so it works over dialogs too.

Order matters: the footer shows the `show=True` ones in this order and cuts what does not fit at the right
(f1 first, since it lists every other key). Each binding's `id` is what the agent remaps it by. The composer's
own keys (send, new line, use suggestion, mask) are the Composer's (widgets/composer.py); the help screen and
the keymap read those too.
"""

from __future__ import annotations

from textual.binding import Binding

from widgets.composer import ALT_DIGIT_KEY_NAMES

JUMP_BINDINGS = [
    Binding(
        f"alt+{n},{ALT_DIGIT_KEY_NAMES[n - 1]}", f"jump_to_chat({n})", "Chat 1–9" if n == 1 else f"Chat {n}",
        show=n == 1, key_display="alt+1…9" if n == 1 else None, id=f"jump_to_chat_{n}", priority=True,
    )
    for n in range(1, 10)
]

REJECTED_ITEM_BINDINGS = [  # shown only while the chat has an item the backend refused
    Binding("f5", "resend_rejected", "Resend", id="resend_rejected"),
    Binding("f4", "edit_rejected", "Edit & resend", id="edit_rejected"),
    Binding("f8", "discard_rejected", "Discard", id="discard_rejected"),
]

# On the key line above the footer (the footer itself is full).
KEY_LINE_BINDINGS = [
    Binding("f3", "transfer_chat", "Transfer", id="transfer_chat", show=False),
    Binding("f6", "tag_chat", "Tag", id="tag_chat", show=False, priority=True),  # over TextArea's select line
    Binding("f7", "close_chat", "Close", id="close_chat", show=False, priority=True),  # over select all
    Binding("f10", "choose_priority", "Priority", id="choose_priority", show=False),
    Binding("f12", "escalate_chat", "Escalate", id="escalate_chat", show=False),
    Binding("f9", "reveal_personal_data", "Reveal", id="reveal_personal_data", show=False),
    Binding("ctrl+b", "toggle_customer_panel", "Customer", id="toggle_customer_panel", show=False),
    Binding("ctrl+backslash", "toggle_split", "Split", id="toggle_split", show=False),
    Binding("ctrl+n", "show_metrics", "Metrics", id="show_metrics", show=False),
]

QUIT = Binding("ctrl+q", "app.quit", "Quit", id="quit", priority=True)

DESK_BINDINGS = [
    QUIT,  # shown first in the footer, where every agent looks for it; the App's own copy works over dialogs
    Binding("f1", "app.help", "Help", id="help"),
    Binding("alt+down,ctrl+pagedown", "next_chat", "Next chat", key_display="alt+↓", id="next_chat", priority=True,
            show=False),
    Binding("alt+up,ctrl+pageup", "previous_chat", "Prev chat", key_display="alt+↑", id="previous_chat",
            priority=True, show=False),
    *JUMP_BINDINGS,
    Binding("ctrl+r", "focus_composer", "Reply", id="focus_composer", priority=True),
    Binding("ctrl+l", "focus_chat_list", "Chat list", id="focus_chat_list", priority=True, show=False),
    Binding("alt+c", "toggle_closed_chats", "Closed chats", id="toggle_closed_chats", priority=True, show=False),
    Binding("f2,ctrl+o", "quick_replies", "Replies", id="quick_replies", priority=True),
    Binding("ctrl+s", "save_as_reply", "Save as reply", id="save_as_reply", show=False),
    Binding("alt+o", "choose_order", "Orders", id="choose_order", priority=True, show=False),
    # Chatwoot's own key for a private note (its web app: Alt+P); here it toggles, in the composer with the focus.
    Binding("alt+p", "toggle_note_mode", "Note mode", id="toggle_note_mode", priority=True, show=False),
    Binding("alt+h", "search_history", "History search", id="search_history", priority=True, show=False),
    # Not alt+b: terminals send ESC b for it, which Textual reads as ctrl+left (iTerm's word left).
    Binding("alt+v", "choose_previous_chat", "Previous chats", id="choose_previous_chat", priority=True,
            show=False),
    Binding("alt+a", "show_attachments", "Attachments", id="show_attachments", priority=True, show=False),
    *REJECTED_ITEM_BINDINGS,
    *KEY_LINE_BINDINGS,
    # The sign-in prompt also opens by itself when the backend refuses the token; the key brings it back.
    Binding("ctrl+f", "app.sign_in", "Sign in again", id="sign_in", show=False),
]
APP_BINDINGS = [QUIT]  # the same binding (one id, one remap), on the App, so it works over every screen
ALL_BINDINGS = DESK_BINDINGS  # every key, once, in the footer's order

# On the palette only, with no key: one priority each (the key, f10, asks which), and the alert log.
PALETTE_ACTIONS = [  # (name, action, what it does)
    ("Priority: urgent", "set_priority('urgent')", "applies to the open chat"),
    ("Priority: important", "set_priority('important')", "applies to the open chat"),
    ("Priority: normal", "set_priority('normal')", "applies to the open chat"),
    ("Recent alerts", "app.recent_alerts", "every alert of this session, in full"),
]

REJECTED_ITEM_ACTIONS = frozenset(binding.action for binding in REJECTED_ITEM_BINDINGS)
