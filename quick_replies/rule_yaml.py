"""Reading rule files: PyYAML's C parser, without its Python-level node building where a file doesn't need it.

PyYAML with libyaml still builds every node in Python: 10,000 one-phrase rules take ~2.3 s, while the C parser's
event stream alone takes ~0.3 s. Rule files are plain mappings, lists and scalars, so this reads the events
straight into dicts and lists. Scalars are resolved and constructed by PyYAML's own resolver and constructors
(`no` is False, `~` is None, 2020-01-01 a date, exactly as yaml.safe_load), and anything beyond the plain shape
(anchors, aliases, tags, merge keys, several documents, unhashable keys) is handed to PyYAML whole, so the
result is always what yaml.safe_load would give (tests/test_rule_yaml.py compares them).
"""

from __future__ import annotations

import yaml
from yaml import events
from yaml.nodes import ScalarNode

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STRING_TAG = "tag:yaml.org,2002:str"
NO_KEY = object()  # in `keys`: the mapping at this depth waits for a key


class _NotPlain(Exception):
    """The file uses YAML beyond plain mappings, lists and scalars."""


def load_yaml(text: str):
    try:
        return _load_plain(text)
    except _NotPlain:
        return yaml.load(text, Loader=Loader)


def _load_plain(text: str):
    loader = Loader(text)
    try:
        resolvers = loader.yaml_implicit_resolvers
        containers: list = []
        keys: list = []  # per open container: NO_KEY, the pending key of a mapping, or None for a list
        documents = 0
        root = None

        def place(value) -> None:
            nonlocal root
            if not containers:
                root = value
            elif keys[-1] is None:
                containers[-1].append(value)
            elif keys[-1] is NO_KEY:
                if isinstance(value, (dict, list)):
                    raise _NotPlain
                keys[-1] = value
            else:
                containers[-1][keys[-1]] = value
                keys[-1] = NO_KEY

        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is events.ScalarEvent:
                if event.anchor or event.tag not in (None, "!"):
                    raise _NotPlain
                value = event.value
                plain = event.implicit[0]
                if plain and value == "<<" and keys and keys[-1] is NO_KEY:
                    raise _NotPlain  # a merge key
                if plain and (not value or value[0] in resolvers):
                    tag = loader.resolve(ScalarNode, value, event.implicit)
                    if tag != STRING_TAG:
                        node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
                        value = loader.construct_object(node)
                place(value)
            elif kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                if event.anchor or event.tag not in (None, "!"):
                    raise _NotPlain
                opened = {} if kind is events.MappingStartEvent else []
                place(opened)
                containers.append(opened)
                keys.append(NO_KEY if kind is events.MappingStartEvent else None)
            elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
                containers.pop()
                keys.pop()
            elif kind is events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _NotPlain  # let PyYAML report it
            elif kind is events.AliasEvent:
                raise _NotPlain
            elif kind is events.StreamEndEvent:
                return root
    except TypeError:
        raise _NotPlain from None  # an unhashable key: PyYAML says what is wrong
    finally:
        loader.dispose()
