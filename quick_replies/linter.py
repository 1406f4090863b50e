"""Checking a message against the rules: every phrase of every rule in one Aho-Corasick pass, then patterns and
the personal-data detectors.

Chinese has no spaces, so `\\b` means nothing around 退款; a phrase match is checked for word edges only where
the phrase begins or ends with an ASCII letter (so `must` does not fire inside `mustard`). A match inside one of
its rule's exception phrases does not count. Positions are character offsets, and terminal cells for the
composer (a Chinese character takes two).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from itertools import accumulate

import ahocorasick

from quick_replies.lint_rules import Rule, RuleSet
from quick_replies.pii import find_pii

LEVEL_ORDER = {"error": 0, "warning": 1, "suggestion": 2}
PII_NAMES = {"id_card": "resident ID number", "bank_card": "bank card number", "mobile": "mobile number",
             "email": "e-mail address"}


@dataclass(frozen=True)
class Finding:
    level: str
    rule: str
    category: str
    message: str
    start: int  # characters
    end: int
    suggestions: tuple[str, ...]  # approved wordings for text[start:end]
    start_cell: int
    end_cell: int
    masked: str = ""  # personal data: what to put in its place

    def as_json(self) -> dict:
        return {"level": self.level, "rule": self.rule, "category": self.category, "message": self.message,
                "start": self.start, "end": self.end, "start_cell": self.start_cell, "end_cell": self.end_cell,
                "suggestions": list(self.suggestions), "masked": self.masked}


class Linter:
    def __init__(self, rules: RuleSet | list[Rule]):
        self.rules = list(rules.rules.values()) if isinstance(rules, RuleSet) else list(rules)
        self._phrases = {scope: _automaton(self.rules, scope, "phrases") for scope in ("outgoing", "incoming")}
        self._exceptions = {scope: _automaton(self.rules, scope, "exceptions") for scope in ("outgoing", "incoming")}
        self._patterns = {scope: [(rule, pattern) for rule in self.rules if rule.scope == scope
                                  for pattern in rule.patterns] for scope in ("outgoing", "incoming")}
        self._detectors = {scope: {rule.detector: rule for rule in self.rules if rule.detector and rule.scope == scope}
                           for scope in ("outgoing", "incoming")}

    def lint(self, text: str, scope: str = "outgoing") -> list[Finding]:
        lowered = text.lower() if len(text.lower()) == len(text) else text
        excepted = self._exception_spans(lowered, scope)
        found: list[Finding] = []
        seen: set[tuple[str, int, int]] = set()
        offsets: list[int] = []  # terminal cell where each character starts, worked out at the first finding

        def add(rule: Rule, start: int, end: int, suggestions=(), masked="", level=None, message=None):
            if (rule.id, start, end) in seen or any(s <= start and end <= e for s, e in excepted.get(rule.id, ())):
                return
            seen.add((rule.id, start, end))
            if not offsets:
                offsets.extend(cell_offsets(text))
            found.append(Finding(level or rule.level, rule.id, rule.category, message or rule.message, start, end,
                                 tuple(suggestions), offsets[start], offsets[end], masked))

        automaton = self._phrases[scope]
        if automaton is not None:
            for last, entries in automaton.iter(lowered):
                for rule, phrase in entries:
                    start = last - len(phrase) + 1
                    if _word_edges_hold(lowered, start, last + 1, phrase):
                        add(rule, start, last + 1, _swaps(rule, phrase))
        for rule, pattern in self._patterns[scope]:
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    add(rule, match.start(), match.end(), _swaps(rule, match.group().lower()))
        detectors = self._detectors[scope]
        if detectors:
            for pii in find_pii(text):
                rule = detectors.get(pii.kind)
                if rule is None:
                    continue
                doubtful = not pii.confident and rule.level == "error"
                message = rule.message if pii.confident else f"{rule.message} (fails the card checksum: a typo?)"
                add(rule, pii.start, pii.end, (pii.masked,), pii.masked, "warning" if doubtful else None, message)
        found.sort(key=lambda f: (f.start, LEVEL_ORDER[f.level], f.rule))
        return found

    def _exception_spans(self, lowered: str, scope: str) -> dict[str, list[tuple[int, int]]]:
        spans: dict[str, list[tuple[int, int]]] = {}
        automaton = self._exceptions[scope]
        if automaton is not None:
            for last, entries in automaton.iter(lowered):
                for rule, phrase in entries:
                    spans.setdefault(rule.id, []).append((last - len(phrase) + 1, last + 1))
        return spans


def has_errors(findings: list[Finding]) -> bool:
    return any(finding.level == "error" for finding in findings)


class _CellWidths(dict):
    """Character -> terminal cells: wide and full-width characters take two, combining marks none. Filled as
    characters are met, so that mapping a message over it runs at C speed."""

    def __missing__(self, character: str) -> int:
        if unicodedata.combining(character):
            width = 0
        else:
            width = 2 if unicodedata.east_asian_width(character) in "WF" else 1
        self[character] = width
        return width


CELL_WIDTHS = _CellWidths()


def cell_offsets(text: str) -> list[int]:
    """The cell each character of `text` starts at, and one more entry: the cells of the whole text."""
    return [0, *accumulate(map(CELL_WIDTHS.__getitem__, text))]


def _automaton(rules: list[Rule], scope: str, kind: str):
    entries: dict[str, list[tuple[Rule, str]]] = {}
    for rule in rules:
        if rule.scope == scope:
            for phrase in getattr(rule, kind):
                key = phrase.lower()
                entries.setdefault(key, []).append((rule, key))
    if not entries:
        return None
    automaton = ahocorasick.Automaton()
    for key, value in entries.items():
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton


def _word_edges_hold(lowered: str, start: int, end: int, phrase: str) -> bool:
    if _ascii_letter(phrase[0]) and start > 0 and _ascii_letter(lowered[start - 1]):
        return False
    return not (_ascii_letter(phrase[-1]) and end < len(lowered) and _ascii_letter(lowered[end]))


def _ascii_letter(character: str) -> bool:
    return character.isascii() and character.isalpha()


def _swaps(rule: Rule, wording: str) -> tuple[str, ...]:
    return rule.lowered_swap.get(wording, ())
