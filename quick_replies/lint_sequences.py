"""Word sequences in phrase rules: one line that describes many spellings.

    "(that is|it is) not (our|my) (problem|fault|department)"
    "这 (个|件事)? 不归 (我们|我|咱们)? 管"
    "(send|tell|give) (me|us) ~12 (password|verification code)"

Steps are separated by spaces. A step is a word or phrase, or alternatives in parentheses; a trailing `?` makes
it optional; `~N` lets up to N characters of anything come between two steps, within the sentence (besides
the spaces next to the steps). Between
steps, up to three spaces may stand (Chinese steps usually touch). English words match every inflection and
contraction (they are normalized as the text is: quick_replies/lint_normalize.py), and ASCII words only match
whole words.

A sequence compiles to a regular expression plus anchors: the alternatives of its most selective required step
(the longest words, never `the` or `is`). The anchors go into the linter's one Aho-Corasick pass; the expression
runs only in a window around each anchor hit, so a message is read once whatever the number of sequences.

The expression is Python's `re` where that is safe and RE2 where it is not. Built here from literals,
alternatives, optional steps and bounded gaps, it can only backtrack through the choices its optional steps and
gaps offer: at most BACKTRACK_BOUND paths from each start is cheap in `re` (RE2's per-call cost from Python,
~15 µs, would be most of the linter's time), while a team's sequence of 18 optional words took 5 s in `re`
and so runs in RE2, in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import re2

from quick_replies.lint_clauses import SENTENCE_MARKS
from quick_replies.lint_normalize import normalize_wording

TOKEN = re.compile(r"\(([^()]*)\)(\?)?|~(\d{1,2})(?!\S)|([^\s()~]+?)(\?)?(?=\s|$)")
BACKTRACK_BOUND = 1024  # paths an expression may try from one start before it is given to RE2
MAX_QUOTED = 40  # characters of a sequence quoted in an error
MAX_GAP = 40  # characters a ~N gap may span: a sequence describes one clause, not a paragraph
# Words too common to look for first: a sequence anchored on `the` would be checked in every English message.
COMMON_WORDS = frozenset(normalize_wording(word) for word in (
    "a an the is are was were be been it its this that these those i me my we us our you your he she they them "
    "their to of on in at for with and or not no do does did have has had will would can could should so just "
    "very too").split())
SEPARATOR = r"\s{0,3}"
NOT_A_SENTENCE_END = re.escape("".join(sorted(SENTENCE_MARKS)))  # what a ~N gap may hold: anything but these
SEPARATOR_REACH = 3


@dataclass(frozen=True)
class Sequence:
    source: str
    pattern: object  # over normalized text: a compiled `re` or RE2 expression (both have finditer(text, pos, end))
    anchors: tuple[str, ...]  # normalized wordings, any of which a match contains
    reach_before: int  # characters a match may start before an anchor's start
    reach_after: int  # and end after an anchor's end


@dataclass(frozen=True)
class _Step:
    alternatives: tuple[str, ...] = ()
    optional: bool = False
    gap: int = 0  # a ~N step


def compile_sequence(source: str) -> Sequence:
    try:
        return _compile(source)
    except ValueError as error:  # name the sequence, but never quote a file's text at length
        shown = repr(source) if len(source) <= MAX_QUOTED and source.isprintable() else \
            f"({len(source)} characters)"
        raise ValueError(f"sequence {shown}: {error}") from None


def _compile(source: str) -> Sequence:
    steps = _parse(source)
    pieces: list[str] = []
    for index, step in enumerate(steps):
        if step.gap:
            pieces.append(f"{SEPARATOR}[^{NOT_A_SENTENCE_END}]{{0,{step.gap}}}{SEPARATOR}")
            continue
        piece = "(?:" + "|".join(_literal(alternative) for alternative in step.alternatives) + ")"
        joined = index > 0 and not steps[index - 1].gap
        if step.optional:
            pieces.append(f"(?:{SEPARATOR}{piece})?" if joined else f"(?:{piece}{SEPARATOR})?")
        else:
            pieces.append(SEPARATOR + piece if joined else piece)
    required = [(index, step) for index, step in enumerate(steps) if step.alternatives and not step.optional]
    if not required:
        raise ValueError("needs at least one word that is not optional")
    anchor_index, anchor = max(required, key=lambda item: (_selectivity(item[1]), -item[0]))
    paths = 1
    for step in steps:
        paths *= step.gap + 1 if step.gap else 2 if step.optional else 1
    try:
        if paths <= BACKTRACK_BOUND:
            pattern = re.compile("".join(pieces), re.ASCII)  # ASCII: \b sees no word edge inside Chinese text
        else:
            options = re2.Options()
            options.log_errors = False  # RE2 would write to stderr, under the console's screen
            pattern = re2.compile("".join(pieces), options)  # RE2's \b is ASCII-only too
    except (re.error, re2.error):
        raise ValueError("cannot be compiled") from None
    slack = max(map(_longest, anchor.alternatives)) - min(map(len, anchor.alternatives))  # spaces inside anchors
    return Sequence(source, pattern, anchor.alternatives, _reach(steps[:anchor_index]) + slack,
                    _reach(steps[anchor_index + 1:]) + slack)


def _parse(source: str) -> list[_Step]:
    steps: list[_Step] = []
    position = 0
    text = source.strip()
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read it from character {position + 1}")
        group, group_optional, gap, word, word_optional = match.groups()
        if gap is not None:
            if not steps or not 1 <= int(gap) <= MAX_GAP:
                raise ValueError(f"~N stands between two steps, with N from 1 to {MAX_GAP}")
            steps.append(_Step(gap=int(gap)))
        else:
            wordings = group.split("|") if group is not None else [word]
            alternatives = tuple(dict.fromkeys(normalize_wording(w.strip()) for w in wordings))
            if not all(alternatives):
                raise ValueError("an empty alternative")
            steps.append(_Step(alternatives, bool(group_optional or word_optional)))
        position = match.end()
    if not steps:
        raise ValueError("is empty")
    if steps[-1].gap:
        raise ValueError("~N stands between two steps")
    return steps


def _selectivity(step: _Step) -> int:
    """How rarely the step's least selective alternative is likely to turn up: its length, or 0 for a common word."""
    return min(0 if alternative in COMMON_WORDS else len(alternative) for alternative in step.alternatives)


def _literal(wording: str) -> str:
    body = r"\s{1,3}".join(re.escape(part) for part in wording.split())
    head = r"\b" if wording[0].isascii() and wording[0].isalnum() else ""
    tail = r"\b" if wording[-1].isascii() and wording[-1].isalnum() else ""
    return head + body + tail


def _reach(steps: list[_Step]) -> int:
    return sum(step.gap + 2 * SEPARATOR_REACH if step.gap else max(map(_longest, step.alternatives)) + SEPARATOR_REACH
               for step in steps)


def _longest(wording: str) -> int:
    return len(wording) + (SEPARATOR_REACH - 1) * wording.count(" ")
