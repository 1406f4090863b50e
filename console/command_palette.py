"""Command palette entries: every chat by name, every key binding's action by its description, then Textual's own.

The palette is searched with the quick-reply panel's matcher (quick_replies.search), so 陈静 is found by `chen`,
`cj` or `陈`, "Save as reply" by `sar` and 转接 by `zj`. This is the app's only provider (App.COMMANDS):
Textual's commands (Theme, Keys, Maximize, Screenshot) are listed here after the console's, which always come
first — Textual runs providers in no fixed order and sorts their hits by score alone.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.key_bindings import ALL_BINDINGS, PALETTE_ACTIONS
from quick_replies.search import make_doc, parse_query, score_doc
from widgets.i18n import tr
from widgets.inert_text import inert
from widgets.screens.reply_panel import highlighted

CONSOLE_FIRST = 1_000_000.0  # added to a console entry's score: more than any match can score
CHATS_FIRST = 2 * CONSOLE_FIRST  # a chat above an action: a name typed is a chat looked for (陈静 by cj, not 最近提醒)


def palette_match(query: str, name: str) -> tuple[float, tuple[int, ...]] | None:
    """How well a palette entry's name matches what was typed, and where: the quick-reply search, with the name
    as an entry's title (every term must match)."""
    terms = parse_query(query)
    hit = score_doc(make_doc("command", name, name, "", "", "", [("title", name)], None), terms) if terms else None
    return (hit.score, hit.highlights.get("title", ())) if hit else None


class PaletteCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        desk = self.app.desk
        if self.screen is not desk:
            # Opened over a dialog: that dialog belongs to a chat, and the desk's keys rest while it is open (a
            # chat closed under its own tag prompt, a reply inserted into a pane the palette had just closed).
            # Only what is the App's is offered.
            return [(tr(binding.description), partial(self.app.run_action, binding.action),
                     tr("key: {key}", key=self.app.key_display(binding)))
                    for binding in ALL_BINDINGS if binding.action.startswith("app.") and binding.description]
        commands = []
        for position, chat_id in enumerate(desk.chat_list.chat_ids, 1):
            chat = desk.chats.get(chat_id)
            if chat is not None:
                commands.append(
                    (tr("Open chat {position}: {name} ({channel})", position=position, name=chat.customer_name,
                        channel=chat.channel),
                     partial(desk.show_chat, chat_id), tr("Switch the transcript and composer to this chat"))
                )
        for binding in ALL_BINDINGS:
            if binding.description and not binding.action.startswith("jump_to_chat"):
                if desk.check_action(binding.action, ()):
                    commands.append(
                        (tr(binding.description), partial(desk.run_action, binding.action),
                         tr("key: {key}", key=self.app.key_display(binding)))
                    )
        composer = desk.active_pane.composer
        for binding in composer.BINDINGS:  # send, new line, use suggestion, mask: on the composer with the focus
            if binding.description:
                commands.append((tr(binding.description), partial(composer.run_action, binding.action),
                                 tr("key: {key}", key=self.app.key_display(binding))))
        for description, action, help_text in PALETTE_ACTIONS:
            commands.append((tr(description), partial(desk.run_action, action), tr(help_text)))
        return commands

    def _textual_commands(self) -> list[tuple[str, object, str]]:
        """Textual's system commands, but not those the console has under the same name (Quit)."""
        own = {binding.description for binding in ALL_BINDINGS}
        return [(name, callback, help_text)
                for name, help_text, callback, discover in self.app.get_system_commands(self.screen)
                if discover and name not in own]

    async def discover(self) -> Hits:
        for name, callback, help_text in [*self._commands(), *self._textual_commands()]:
            # A Text, never markup: a customer's name is data (the palette parses strings as markup).
            yield DiscoveryHit(Text(inert(name)), callback, text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        console = self._commands()
        chats = len(self.app.desk.chat_list.chat_ids) if self.screen is self.app.desk else 0  # the first entries
        tiers = ((CHATS_FIRST, console[:chats]), (CONSOLE_FIRST, console[chats:]), (0.0, self._textual_commands()))
        for rank, commands in tiers:
            for name, callback, help_text in commands:
                match = palette_match(query, name)
                if match is not None:
                    score, positions = match
                    yield Hit(rank + score, highlighted(name, positions), callback, text=name, help=help_text)
