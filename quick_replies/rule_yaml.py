"""Reading rule files: PyYAML's C parser, without its Python-level node building where a file doesn't need it.

PyYAML with libyaml still builds every node in Python: 10,000 one-phrase rules take ~2.3 s, while the C parser's
event stream alone takes ~0.3 s. Rule files are plain mappings, lists and scalars, so this reads the events
straight into dicts and lists. Scalars are resolved and constructed by PyYAML's own resolver and constructors
(`no` is False, `~` is None, 2020-01-01 a date, exactly as yaml.safe_load), and anything else beyond the plain
shape (tags, several documents, unhashable keys) is handed to PyYAML whole, so the result is always what
yaml.safe_load would give (tests/test_rule_yaml.py compares them).

Rule files come from a shared folder anyone on the team can write to, so a file is refused (UnsafeYaml, naming
the line) if it uses anchors or aliases (nine nested aliases of nine items expand to 9**9 values: 2.6 GB) or
nests deeper than MAX_DEPTH. Errors never quote the file's text: only a line, a column and PyYAML's own words.
"""

from __future__ import annotations

import yaml
from yaml import events
from yaml.nodes import ScalarNode

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STRING_TAG = "tag:yaml.org,2002:str"
NO_KEY = object()  # in `keys`: the mapping at this depth waits for a key
MAX_DEPTH = 32  # a rule file needs 4 (rules, a rule, examples, flag); PyYAML recurses per level
MAX_PROBLEM = 120  # characters of PyYAML's description kept in an error


class _NotPlain(Exception):
    """The file uses YAML beyond plain mappings, lists and scalars."""


class UnsafeYaml(yaml.YAMLError):
    """The file uses YAML that rule files may not: anchors or aliases, or nesting beyond MAX_DEPTH."""


def load_yaml(text: str):
    try:
        return _load_plain(text)
    except _NotPlain:
        _refuse_unsafe_events(text)  # before PyYAML builds anything
        return yaml.load(text, Loader=Loader)


def entry_lines(text: str) -> list[int]:
    """The line (from 1) where each item of the top-level `rules:` list begins: for errors about one rule."""
    lines: list[int] = []
    depth = 0
    in_rules = False
    for event in yaml.parse(text, Loader=Loader):
        if depth == 1 and isinstance(event, events.ScalarEvent):
            in_rules = event.value == "rules"
        if depth == 2 and in_rules and isinstance(event, (events.NodeEvent)):
            lines.append(event.start_mark.line + 1)
        if isinstance(event, events.CollectionStartEvent):
            depth += 1
        elif isinstance(event, events.CollectionEndEvent):
            depth -= 1
            if depth == 1:
                in_rules = False
    return lines


def describe_yaml_error(error: yaml.YAMLError) -> str:
    """One line: where and what, in PyYAML's words, never the file's own text."""
    if isinstance(error, UnsafeYaml):
        return str(error)
    if isinstance(error, yaml.reader.ReaderError):  # a control character or bad encoding: no line is known
        return f"character {error.position + 1}: {error.reason}"[:MAX_PROBLEM]
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(error, "problem", None) or "not valid YAML"
    problem = "".join(c if c.isprintable() else "?" for c in str(problem))[:MAX_PROBLEM]
    return f"{where}{problem}"


def _unsafe(event, what: str) -> UnsafeYaml:
    return UnsafeYaml(f"line {event.start_mark.line + 1}: {what}")


def _check_event(event, depth: int) -> None:
    if type(event) is events.AliasEvent or getattr(event, "anchor", None):
        raise _unsafe(event, "anchors and aliases (&name, *name) are not allowed in rule files")
    if depth > MAX_DEPTH:
        raise _unsafe(event, f"nested deeper than {MAX_DEPTH} levels")


def _refuse_unsafe_events(text: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, events.CollectionStartEvent):
            depth += 1
        elif isinstance(event, events.CollectionEndEvent):
            depth -= 1
        _check_event(event, depth)


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
            if kind is events.AliasEvent or getattr(event, "anchor", None):
                _check_event(event, 0)  # refused before anything is expanded
            if kind is events.ScalarEvent:
                if event.tag not in (None, "!"):
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
                if len(containers) >= MAX_DEPTH:
                    _check_event(event, len(containers) + 1)
                if event.tag not in (None, "!"):
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
            elif kind is events.StreamEndEvent:
                return root
    except TypeError:
        raise _NotPlain from None  # an unhashable key: PyYAML says what is wrong
    finally:
        loader.dispose()
