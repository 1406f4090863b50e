"""Command palette entries: every chat by name, and every key binding's action by its description."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from console.outbox_actions import PALETTE_ACTIONS
from widgets.i18n import tr
from widgets.inert_text import inert


class ChatCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        commands = []
        for position, chat_id in enumerate(app.query_one("#chat-list").chat_ids, 1):
            chat = app.chats.get(chat_id)
            if chat is not None:
                # The palette parses command names as markup: a customer's name must stay plain text.
                commands.append(
                    (escape(inert(tr("Open chat {position}: {name} ({channel})", position=position,
                                     name=chat.customer_name, channel=chat.channel))),
                     partial(app.show_chat, chat_id), tr("Switch the transcript and composer to this chat"))
                )
        for binding in app.BINDINGS:
            if binding.description and not binding.action.startswith("jump_to_chat"):
                if app.check_action(binding.action, ()):
                    commands.append(
                        (tr(binding.description), partial(app.run_action, binding.action),
                         tr("key: {key}", key=binding.key))
                    )
        composer = app.active_composer()
        for binding in composer.BINDINGS:  # send, new line, use suggestion, mask: on the composer with the focus
            if binding.description:
                commands.append((tr(binding.description), partial(composer.run_action, binding.action),
                                 tr("key: {key}", key=binding.key)))
        for description, action in PALETTE_ACTIONS:
            commands.append((tr(description), partial(app.run_action, action), tr("applies to the open chat")))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
