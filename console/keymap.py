"""The agent's key remaps ([keys] in the config file): which keys each action ends up on, and what clashes.

Textual applies a keymap silently, dropping whichever binding loses a clash; an agent would only find out
when a key stops working. So clashes are found here, before the app starts, and reported in words.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Iterable

from textual.binding import Binding

EDITING_KEYS_OWNER = "composer editing"  # TextArea's own keys (ctrl+a, ctrl+w, …) answer first while typing


def normalized(keys: str) -> list[str]:
    """The keys as Textual matches them ("?" is question_mark): spelled by the public Binding.make_bindings,
    which expands "ctrl+o,f6" the way the app's own bindings are expanded. Empty names bind nothing."""
    named = [key.strip() for key in keys.split(",") if key.strip()]
    return [binding.key for binding in Binding.make_bindings([Binding(",".join(named), "")])] if named else []


def effective_keys(binding: Binding, keymap: dict[str, str]) -> list[str]:
    return normalized(keymap.get(binding.id, binding.key) if binding.id else binding.key)


def keymap_problems(
    bindings: Iterable[Binding], editing_keys: Iterable[str], keymap: dict[str, str]
) -> list[str]:
    """Unknown action ids and keys claimed by two actions, as sentences naming the config's [keys] entries."""
    bindings = [binding for binding in bindings if binding.id]
    known = {binding.id for binding in bindings}
    problems = []
    for action in keymap:
        if action not in known:
            close = get_close_matches(action, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"[keys] {action}: no such action{hint}")
    owners: dict[str, list[str]] = {}
    for binding in bindings:
        for key in effective_keys(binding, keymap):
            if binding.id not in owners.setdefault(key, []):
                owners[key].append(binding.id)
    for key in editing_keys:
        remapped_here = [owner for owner in owners.get(key, []) if owner in keymap]
        if remapped_here:
            owners[key].append(EDITING_KEYS_OWNER)
    for key, actions in owners.items():
        if len(actions) > 1 and any(action in keymap for action in actions):
            problems.append(f"[keys] {key} is claimed by {' and '.join(actions)}; only one of them will work")
    return problems
