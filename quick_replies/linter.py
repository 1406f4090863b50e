"""Checking a message against the rules: one Aho-Corasick pass over the normalized text finds every phrase,
every anchor of a sequence or `near` rule, every exception and every negation; then only the hits are checked
(a sequence's pattern in a window around its anchor, a `near` pair by distance), so a message is read once
whatever the number of rules. Regular-expression patterns and the personal-data detectors run on the text as
typed.

Chinese has no spaces, so `\\b` means nothing around 退款; a phrase match is checked for word edges only where
the phrase begins or ends with an ASCII letter or digit (so `must` does not fire inside `mustard`, nor `12345`
inside an order number). A match inside one of
its rule's exception phrases does not count, nor, for rules with `unless_negated`, a negated one. Positions are
character offsets into the text as typed, and terminal cells for the composer (a Chinese character takes two).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import NamedTuple

import ahocorasick

from quick_replies.lint_clauses import (
    NEGATIONS,
    NOT_NEGATIONS,
    ClauseMarks,
    ends_clause,
    fitted,
    negated,
    question_after,
)
from quick_replies.lint_normalize import NormalText, normalize, normalize_wording
from quick_replies.lint_rules import Rule, RuleSet, load_rules
from quick_replies.pii import find_pii

PUNCTUATION = "，,。.！!？?；;：:"
CHINESE = re.compile("[\u3400-\u9fff]")
LEVEL_ORDER = {"error": 0, "warning": 1, "suggestion": 2}
PII_NAMES = {"id_card": "resident ID number", "bank_card": "bank card number", "mobile": "mobile number",
             "email": "e-mail address"}
# What an automaton entry is: (kind, rule, detail, normalized wording).
PHRASE, EXCEPTION, SEQUENCE, NEAR_FIRST, NEAR_SECOND, NEAR_OBJECT, NEGATION, NOT_NEGATION = range(8)
OBJECT_REACH = 6  # characters after a near pair's later word in which another object takes the verb
ENGLISH_OBJECT_REACH = 12  # send me your order number
CONJUNCTIONS = frozenset(normalize_wording(word) for word in ("when", "if", "whether", "once", "which", "是否", "能否"))
MAX_MATCHES_PER_RULE = 100  # one rule's matches kept per message: a team phrase like 的 would match thousands


@dataclass(slots=True)  # not frozen: a frozen dataclass is built ~3x slower, and a message may have dozens
class Finding:
    level: str
    rule: str
    category: str
    message: str
    start: int  # characters
    end: int
    suggestions: tuple[str, ...]  # approved wordings, the first fitted in as `fix_text`
    masked: str = ""  # personal data: what to put in its place
    fix_start: int = 0  # ctrl+t puts `fix_text` in place of text[fix_start:fix_end]: the words, or their clause
    fix_end: int = 0
    fix_text: str = ""
    text: str = field(default="", repr=False, compare=False)  # the linted text, for the positions in cells

    @property
    def has_fix(self) -> bool:
        """Whether ctrl+t can do something: put wording in, or drop a clause that repeats the one next to it."""
        return bool(self.fix_text) or self.fix_end > self.fix_start

    @property
    def start_cell(self) -> int:
        """The terminal cell the finding starts at (a Chinese character takes two): worked out only when asked,
        as the composer marks by character and only `lint --json` reports cells."""
        return cell_offsets(self.text[:self.start])[-1]

    @property
    def end_cell(self) -> int:
        return cell_offsets(self.text[:self.end])[-1]

    def as_json(self) -> dict:
        return {"level": self.level, "rule": self.rule, "category": self.category, "message": self.message,
                "start": self.start, "end": self.end, "start_cell": self.start_cell, "end_cell": self.end_cell,
                "suggestions": list(self.suggestions), "masked": self.masked,
                "fix": {"start": self.fix_start, "end": self.fix_end, "text": self.fix_text} if self.has_fix else None}


def apply_fix(text: str, finding: Finding) -> str:
    """The text once the finding's suggestion (or masked form) is put in."""
    if not finding.has_fix:
        return text
    return text[:finding.fix_start] + finding.fix_text + text[finding.fix_end:]


class Linter:
    def __init__(self, rules: RuleSet | list[Rule]):
        self.rules = list(rules.rules.values()) if isinstance(rules, RuleSet) else list(rules)
        self._automata = {scope: _automaton([rule for rule in self.rules if rule.scope == scope])
                          for scope in ("outgoing", "incoming")}
        self._patterns = {scope: [(rule, pattern) for rule in self.rules if rule.scope == scope
                                  for pattern in rule.patterns] for scope in ("outgoing", "incoming")}
        self._detectors = {scope: {rule.detector: rule for rule in self.rules if rule.detector and rule.scope == scope}
                           for scope in ("outgoing", "incoming")}

    def lint(self, text: str, scope: str = "outgoing") -> list[Finding]:
        normal = normalize(text)
        hits = _Hits()
        automaton = self._automata[scope]
        if automaton is not None:
            hits.collect(automaton, normal)
        matches: dict[str, list[_Match]] = {}  # rule id -> its matches, in original positions
        marks: list[ClauseMarks] = []  # worked out once, if a match needs them

        def clause_marks() -> ClauseMarks:
            if not marks:
                marks.append(ClauseMarks(text))
            return marks[0]

        def add(rule: Rule, start: int, end: int, suggestions=(), masked="", level=None, message=None):
            found = matches.get(rule.id)
            if found is not None and len(found) >= MAX_MATCHES_PER_RULE:
                return
            if rule.id in hits.excepted and hits.excepted[rule.id].covers(start, end):
                return
            if rule.unless_negated and hits.negations and negated(clause_marks(), start, end, hits.negation_ends,
                                                                  hits.negations):
                return
            matches.setdefault(rule.id, []).append(_Match(rule, start, end, suggestions, masked, level, message))

        for rule, start, end, wording in hits.phrases:
            add(rule, *normal.original(start, end), rule.normal_swap.get(wording, ()))
        for found_by in (hits.sequence_matches(normal.text), hits.near_matches(normal.text)):
            for rule, start, end in found_by:
                add(rule, *normal.original(start, end), rule.normal_swap.get(normal.text[start:end], ()))
        for rule, pattern in self._patterns[scope]:
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    swap = rule.normal_swap.get(normalize_wording(match.group()), ()) if rule.swap else ()
                    add(rule, match.start(), match.end(), swap)
        detectors = self._detectors[scope]
        if detectors:
            for pii in find_pii(text):
                rule = detectors.get(pii.kind)
                if rule is None:
                    continue
                doubtful = not pii.confident and rule.level == "error"
                message = rule.message if pii.confident else f"{rule.message} (fails the card checksum: a typo?)"
                add(rule, pii.start, pii.end, (pii.masked,), pii.masked, "warning" if doubtful else None, message)
        if not matches:
            return []
        found = [_finding(text, match, clause_marks) for rule_matches in matches.values()
                 for match in _merged(rule_matches)]
        found.sort(key=lambda f: (f.start, LEVEL_ORDER[f.level], f.rule))
        return found


class _Match(NamedTuple):
    rule: Rule
    start: int
    end: int
    suggestions: tuple[str, ...]
    masked: str
    level: str | None
    message: str | None


class _Spans:
    """Spans that cover others: `covers` answers in O(log n) however many there are."""

    def __init__(self):
        self._spans: list[tuple[int, int]] = []
        self._reach: list[int] | None = None  # per span in start order: the furthest end so far

    def add(self, start: int, end: int) -> None:
        self._spans.append((start, end))
        self._reach = None

    def covers(self, start: int, end: int) -> bool:
        if self._reach is None:
            self._spans.sort()
            self._reach = list(accumulate((span_end for _, span_end in self._spans), max))
        index = bisect_right(self._spans, (start, float("inf"))) - 1  # the last span starting at or before start
        return index >= 0 and self._reach[index] >= end


def _object_follows(lowered: str, first_end: int, later_start: int, later_end: int,
                    objects: list[tuple[int, int]]) -> bool:
    """A near pair's later word followed by another object of its own (验证码已发送，请提供订单号) is about that
    object, but only when the pair spans clauses: in one clause (支付密码提供一下，姓名也要) the request stands. A
    conjunction (let me know when, 告诉我是否) always takes the verb. English words are longer: they reach further."""
    index = bisect_left(objects, (later_end, -1))
    while index < len(objects):
        object_start, object_end = objects[index]
        english = lowered[object_start].isascii()
        if object_start > later_end + (ENGLISH_OBJECT_REACH if english else OBJECT_REACH):
            return False
        if lowered[object_start:object_end] in CONJUNCTIONS or \
                any(ends_clause(lowered, position) for position in range(first_end, later_start)):
            return True
        index += 1
    return False


def _merged(matches: list[_Match]) -> list[_Match]:
    """One rule's matches with overlapping or touching ones joined (绝对 + 不可能 is one finding, 绝对不可能); the
    first specific approved wording (a swap's) is kept. Personal data is never joined: each number is masked on its
    own."""
    if len(matches) == 1:
        return matches
    matches.sort(key=lambda match: (match.start, -match.end))
    joined: list[_Match] = []
    for match in matches:
        last = joined[-1] if joined else None
        if last is not None and not match.masked and not last.masked and match.start <= last.end:
            joined[-1] = last._replace(end=max(last.end, match.end), suggestions=last.suggestions or match.suggestions)
        elif last is None or (match.start, match.end) != (last.start, last.end):
            joined.append(match)
    return joined


def _finding(text: str, match: _Match, clause_marks) -> Finding:
    rule, start, end = match.rule, match.start, match.end
    suggestions = match.suggestions
    if match.masked:
        fix_start, fix_end, fix_text = start, end, match.masked
    elif not (suggestions or rule.suggest):
        fix_start, fix_end, fix_text = start, start, ""  # nothing to put in
    else:
        fix_start, fix_end = clause_marks().span(start, end) if rule.rewrite == "clause" else (start, end)
        suggestions = _in_language(suggestions or rule.suggest, text[fix_start:fix_end])
        fix_text = fitted(text, fix_start, fix_end, suggestions[0]) if suggestions else ""
        mark = question_after(text, fix_end) if fix_text and rule.rewrite == "clause" else 0
        if mark and fix_text[-1] not in "?？":  # the question is replaced by a statement
            fix_text += "。" if _has_chinese(fix_text) else "."
            fix_end = mark + 1
        if fix_text and rule.rewrite == "clause":
            fix_start, fix_end, fix_text = _said_already(text, fix_start, fix_end, fix_text)
    return Finding(match.level or rule.level, rule.id, rule.category, match.message or rule.message, start, end,
                   suggestions, match.masked, fix_start, fix_end, fix_text, text)


def _said_already(text: str, start: int, end: int, wording: str) -> tuple[int, int, str]:
    """When the clause next to this one already says `wording` (a second finding of the same rule, after the
    first was rewritten: 您太敏感了吧，别人都没问题), the fix drops this clause instead of saying it twice."""
    core = wording.rstrip(PUNCTUATION + " ").lower()
    before = start
    while before > 0 and text[before - 1] in PUNCTUATION + " ":
        before -= 1
    if before < start and text[max(0, before - len(core)):before].lower() == core:
        return before, end, ""
    after = end
    while after < len(text) and text[after] in PUNCTUATION + " ":
        after += 1
    if after > end and text[after:after + len(core)].lower() == core:
        return start, after, ""
    return start, end, wording


class _Hits:
    """What the automaton found in one message, in normalized positions until `negations` and `excepted`."""

    def __init__(self):
        self.phrases: list[tuple[Rule, int, int, str]] = []
        self.sequences: list[tuple[Rule, int, int, int]] = []  # rule, sequence number, anchor start, end
        self.near: dict[tuple[int, int], list[tuple[int, int, int]]] = {}  # (rule, near number) -> hits
        self.near_rules: dict[tuple[int, int], Rule] = {}
        self.excepted: dict[str, _Spans] = {}  # rule id -> its exceptions' spans, in original positions
        self.excepted_normal: dict[str, _Spans] = {}  # the same in normalized positions, for near words
        self.negations: list[tuple[int, int]] = []  # sorted by end
        self.negation_ends: list[int] = []

    def collect(self, automaton, normal: NormalText) -> None:
        lowered = normal.text
        negations, not_negations = [], []
        size = len(lowered)
        for last, (length, head_edge, tail_edge, entries) in automaton.iter(lowered):
            start, end = last - length + 1, last + 1
            # An ASCII word or number only counts whole (edges worked out once per wording, when built).
            if head_edge and start > 0 and _ascii_word(lowered[start - 1]) or \
                    tail_edge and end < size and _ascii_word(lowered[end]):
                continue
            for kind, rule, detail, wording in entries:
                if kind == PHRASE:
                    self.phrases.append((rule, start, end, wording))
                elif kind == EXCEPTION:
                    self.excepted.setdefault(rule.id, _Spans()).add(*normal.original(start, end))
                    self.excepted_normal.setdefault(rule.id, _Spans()).add(start, end)
                elif kind == SEQUENCE:
                    self.sequences.append((rule, detail, start, end))
                elif kind == NEGATION:
                    negations.append((start, end))
                elif kind == NOT_NEGATION:
                    not_negations.append((start, end))
                else:
                    key = (id(rule), detail)
                    self.near_rules[key] = rule
                    self.near.setdefault(key, []).append((start, end, kind))
        guards = _Spans()
        for start, end in not_negations:
            guards.add(start, end)
        self.negations = sorted((normal.original(start, end) for start, end in negations
                                 if not guards.covers(start, end)), key=lambda span: span[1])
        self.negation_ends = [end for _, end in self.negations]

    def sequence_matches(self, lowered: str):
        """Each sequence's pattern, run once per stretch of text its anchor hits reach (hits close together share
        one window)."""
        windows: dict[tuple[int, int], list[int]] = {}  # (rule, sequence number) -> [start, end, start, end, ...]
        rules: dict[tuple[int, int], Rule] = {}
        for rule, number, start, end in self.sequences:
            key = (id(rule), number)
            sequence = rule.sequences[number]
            window_start, window_end = max(0, start - sequence.reach_before), end + sequence.reach_after
            spans = windows.get(key)
            if spans is None:
                windows[key] = [window_start, window_end]
                rules[key] = rule
            elif window_start <= spans[-1]:
                spans[-1] = max(spans[-1], window_end)
            else:
                spans += (window_start, window_end)
        size = len(lowered)
        for key, spans in windows.items():
            rule = rules[key]
            pattern = rule.sequences[key[1]].pattern
            for index in range(0, len(spans), 2):
                for match in pattern.finditer(lowered, spans[index], min(size, spans[index + 1])):
                    start, end = match.span()
                    if end > start and _word_edges_hold(lowered, start, end, match.group()):
                        yield rule, start, end

    def near_matches(self, lowered: str):
        """For each hit, the closest earlier hit of the other list: a pair within reach is a match. Linear in the
        hits, since a pair further apart than the closest one cannot be nearer."""
        for key, found in self.near.items():
            rule = self.near_rules[key]
            within = rule.near[key[1]].within
            objects = sorted((start, end) for start, end, kind in found if kind == NEAR_OBJECT)
            excepted = self.excepted_normal.get(rule.id)
            latest: dict[int, tuple[int, int]] = {}  # list -> (start, end) of its hit ending last so far
            for start, end, kind in sorted(found):
                if kind == NEAR_OBJECT or excepted is not None and excepted.covers(start, end):
                    continue  # an object, or a word inside an exception (密码 in 密码锁)
                other = latest.get(NEAR_SECOND if kind == NEAR_FIRST else NEAR_FIRST)
                if other is not None and other[1] <= start:
                    gap = start - other[1]
                    if gap <= within and not (objects and _object_follows(lowered, other[1], start, end, objects)):
                        yield rule, other[0], end
                mine = latest.get(kind)
                if mine is None or end >= mine[1]:
                    latest[kind] = (start, end)


def load_linter(rule_dirs: list, cache_dir=None) -> tuple[Linter, list]:
    """The bundled rules, extended and overridden by the team's (`<shared library>/rules/*.yaml`), and the
    problems found in the team's files (the caller says where to show them). Raises RulesUnavailable if the
    bundled rules cannot be loaded."""
    rules = load_rules(rule_dirs, cache_dir)
    return Linter(rules), rules.problems


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


def _automaton(rules: list[Rule]):
    entries: dict[str, list[tuple[int, Rule | None, object, str]]] = {}

    def add(wording: str, kind: int, rule: Rule | None = None, detail=None, normalized: bool = False) -> None:
        key = wording if normalized else normalize_wording(wording)  # a stem stemmed again can change
        if key:
            entries.setdefault(key, []).append((kind, rule, detail, key))

    for rule in rules:
        for phrase in rule.phrases:
            add(phrase, PHRASE, rule)
        for phrase in rule.exceptions:
            add(phrase, EXCEPTION, rule)
        for number, sequence in enumerate(rule.sequences):
            for anchor in sequence.anchors:
                add(anchor, SEQUENCE, rule, number, normalized=True)
        for number, near in enumerate(rule.near):
            for wording in near.first:
                add(wording, NEAR_FIRST, rule, number, normalized=True)
            for wording in near.second:
                add(wording, NEAR_SECOND, rule, number, normalized=True)
            for wording in near.unless_followed_by:
                add(wording, NEAR_OBJECT, rule, number, normalized=True)
    if not entries:
        return None
    if any(rule.unless_negated for rule in rules):
        for wording in NEGATIONS:
            add(wording, NEGATION)
        for wording in NOT_NEGATIONS:
            add(wording, NOT_NEGATION)
    automaton = ahocorasick.Automaton()
    for key, value in entries.items():
        automaton.add_word(key, (len(key), _ascii_word(key[0]), _ascii_word(key[-1]), value))
    automaton.make_automaton()
    return automaton


def _word_edges_hold(lowered: str, start: int, end: int, phrase: str) -> bool:
    """ASCII words and numbers match whole: `must` not in `mustard`, `12345` not in an order number 20231234567."""
    if _ascii_word(phrase[0]) and start > 0 and _ascii_word(lowered[start - 1]):
        return False
    return not (_ascii_word(phrase[-1]) and end < len(lowered) and _ascii_word(lowered[end]))


def _ascii_word(character: str) -> bool:
    return character.isascii() and character.isalnum()


def _in_language(suggestions: tuple[str, ...], clause: str) -> tuple[str, ...]:
    """Suggestions in the clause's language first: an English clause gets the English wording."""
    if len(suggestions) < 2:
        return suggestions
    chinese = _has_chinese(clause)
    return tuple(sorted(suggestions, key=lambda suggestion: _has_chinese(suggestion) != chinese))


def _has_chinese(text: str) -> bool:
    return CHINESE.search(text) is not None
