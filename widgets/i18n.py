"""The interface language: English texts are the keys; Simplified Chinese from the catalogue in i18n_zh.py.

`tr("Close")` returns the text in the language chosen at start-up (config `language`, else the locale).
Values go in with named fields, `tr("Escalated to {queue}.", queue=...)`, so a translation may reorder them.
A test checks that every text passed to tr() in the code has a Chinese entry.
"""

from __future__ import annotations

import dataclasses

from quick_replies.library import LANGUAGES
from widgets.i18n_zh import ZH

_language = "en"


def set_language(language: str) -> None:
    global _language
    if language not in LANGUAGES:
        raise ValueError(f"unknown interface language {language!r}; known: {', '.join(LANGUAGES)}")
    _language = language


def language() -> str:
    return _language


def tr(text: str, **values) -> str:
    template = ZH.get(text, text) if _language == "zh" else text
    return template.format(**values) if values else template


def translate_bindings(node) -> None:
    """Give a widget's (or the app's) key bindings their descriptions in the interface language, as the footer,
    the help screen and the command palette show them. Call once, after the node is created. It edits the
    private DOMNode._bindings: Textual has no public way to change a binding's description after BINDINGS is read
    (set_keymap changes keys only)."""
    if _language == "en":
        return
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            dataclasses.replace(binding, description=tr(binding.description)) if binding.description else binding
            for binding in bindings
        ]
