"""How one search term matches one piece of text, with a score and the matched character positions.

Text is read as a sequence of units: a Chinese character, or a word (a run of ASCII letters and digits).
Ways to match, best first:
- substring, case-insensitive (Chinese or English): 退款, refund;
- a chain over consecutive units, each spelled by a non-empty prefix of one of its readings (a word reads
  as itself; a Chinese character by any of its pinyin readings, or as itself), separators skipped: full
  pinyin, initials and mixes (tuikuan, tk, tuik, 退k; 还款 as huankuan or hk) and word-start chains in
  English (rp or refpol for "refund policy");
- fuzzy subsequence inside one word with fzf-like scoring (bonus at the word start and for consecutive
  letters, gap penalties): rfnd for refund;
- one typo (two for long words) against a whole word: refnd, adress, recieve.

Every way is confined to one unit or to a chain of adjacent units, which is what lets the search index
(search_index.py) find every candidate without reading each entry.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from rapidfuzz.distance import OSA

from quick_replies.pinyin_readings import is_cjk, readings

SCORE_MATCH = 16
BONUS_BOUNDARY = 8
BONUS_CONSECUTIVE = 4
PENALTY_GAP_START = 3
PENALTY_GAP_EXTENSION = 1
SUBSTRING_BONUS = 10
FULL_SYLLABLE_BONUS = 6
TYPO_PENALTY = 20
MAX_TERM = 40

TermMatch = tuple[float, tuple[int, ...]]
WORD = re.compile(r"[a-z0-9]+")
UNIT = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
NEXT_UNIT = re.compile(r"[a-z0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MARK = "\ue000"  # a private-use character; one already in the text is told apart by is_cjk
MARK_CODE = ord(MARK)
MARKED = re.compile(MARK)


class PreparedText:
    """A field's text; what matching derives from it is worked out on first use and kept."""

    __slots__ = ("text", "lowered", "__dict__")

    def __init__(self, text: str):
        self.text = text
        self.lowered = text.lower()

    @cached_property
    def words(self) -> tuple[tuple[int, str], ...]:
        # A tuple of tuples of atoms: the collector stops tracking it, which keeps its pauses short.
        return tuple((m.start(), m.group()) for m in WORD.finditer(self.lowered))


@lru_cache(maxsize=16384)
def prepare(text: str) -> PreparedText:
    """Cached: the same entries are scored keystroke after keystroke."""
    return PreparedText(text)


def subsequence_bound(term: str) -> float:
    """The most subsequence_in_word can score: the first letter on the word start, the rest consecutive."""
    return SCORE_MATCH + 2 * BONUS_BOUNDARY + (len(term) - 1) * (SCORE_MATCH + BONUS_CONSECUTIVE)


def match_term(term: str, field: PreparedText) -> TermMatch | None:
    """`term` is lower-case."""
    if not term or len(term) > MAX_TERM:
        return None
    spellable, latin_word = _term_kind(term)
    substring = substring_match(term, field.lowered)
    candidates = [substring]
    if spellable:
        candidates.append(chain_match(term, field))
    if latin_word and (substring is None or substring[0] < subsequence_bound(term)):
        candidates.append(word_subsequence_match(term, field))
        if all(c is None for c in candidates) and len(term) >= 4:
            candidates.append(typo_match(term, field))
    found = [c for c in candidates if c is not None]
    return max(found, key=lambda match: match[0]) if found else None


@lru_cache(maxsize=1024)
def _term_kind(term: str) -> tuple[bool, bool]:
    """(has a letter or digit a chain could spell, is one ASCII word)"""
    return any(ch.isascii() and ch.isalnum() for ch in term), term.isascii() and term.isalnum()


def at_boundary(lowered: str, position: int) -> bool:
    return position == 0 or not lowered[position - 1].isalnum() or is_cjk(lowered[position])


def substring_match(term: str, lowered: str) -> TermMatch | None:
    position = lowered.find(term)
    if position < 0:
        return None
    score = len(term) * (SCORE_MATCH + BONUS_CONSECUTIVE) + SUBSTRING_BONUS
    if at_boundary(lowered, position):
        score += BONUS_BOUNDARY * 2
    if position == 0:
        score += BONUS_BOUNDARY  # Chinese has no spaces: the start of the text is the one sure word start
    return score, tuple(range(position, position + len(term)))


@lru_cache(maxsize=65536)
def unit_spellings(unit: str) -> tuple[str, ...]:
    """What a unit may be spelled by: a word by itself, a Chinese character by itself or any reading."""
    if len(unit) == 1 and is_cjk(unit):
        return (unit, *readings(unit))
    return (unit,)


class _InitialMarks(dict):
    """A str.translate table that turns every Chinese character with a reading starting with `letter` into
    MARK and leaves every other character as it is, filled in as characters are met (translate looks them
    up in C, so a field is marked at C speed once its characters are known)."""

    def __init__(self, letter: str):
        super().__init__()
        self.letter = letter

    def __missing__(self, code: int) -> int:
        character = chr(code)
        marked = is_cjk(character) and any(reading[0] == self.letter for reading in readings(character))
        self[code] = MARK_CODE if marked else code
        return self[code]


@lru_cache(maxsize=64)
def initial_marks(letter: str) -> _InitialMarks:
    return _InitialMarks(letter)


@lru_cache(maxsize=64)
def word_starts(first: str) -> re.Pattern:
    return re.compile(f"(?<![a-z0-9]){re.escape(first)}")


def chain_starts(first: str, field: PreparedText) -> list[int]:
    """Where a chain spelling a term that begins with `first` may begin: a word starting with it, or a
    Chinese character that is it or has a reading starting with it."""
    lowered = field.lowered
    if is_cjk(first):
        return [found.start() for found in re.finditer(re.escape(first), lowered)]
    starts = [found.start() for found in word_starts(first).finditer(lowered)]
    marked = lowered.translate(initial_marks(first))
    if MARK in marked:
        starts += [found.start() for found in MARKED.finditer(marked) if is_cjk(lowered[found.start()])]
        starts.sort()
    return starts


def chain_match(term: str, field: PreparedText) -> TermMatch | None:
    """The best run of adjacent units whose spelling prefixes, in order, make up `term`."""
    lowered = field.lowered
    best: TermMatch | None = None
    memo: dict = {}
    for start in chain_starts(term[0], field):
        found = _spell(term, lowered, 0, start, memo)
        if found is None:
            continue
        positions, full_units = found
        score = len(positions) * (SCORE_MATCH + BONUS_CONSECUTIVE) + full_units * FULL_SYLLABLE_BONUS
        score += BONUS_BOUNDARY + (BONUS_BOUNDARY if start == 0 else 0)
        if best is None or score > best[0]:
            best = (score, positions)
    return best


def _spell(term: str, lowered: str, j: int, position: int, memo: dict):
    """Spell term[j:] from the unit at `position` on, one spelling prefix per unit, the whole spelling
    tried first. Returns the matched positions and how many units were spelled in full, or None."""
    if j == len(term):
        return (), 0
    if position < 0:
        return None
    key = (j, position)
    if key in memo:
        return memo[key]
    unit = UNIT.match(lowered, position)
    if unit is None:
        return None
    unit = unit.group()
    following = NEXT_UNIT.search(lowered, position + len(unit))
    after = following.start() if following else -1
    result = None
    for spelling in unit_spellings(unit):
        common = 0
        while common < len(spelling) and j + common < len(term) and term[j + common] == spelling[common]:
            common += 1
        for length in range(common, 0, -1):
            rest = _spell(term, lowered, j + length, after, memo)
            if rest is not None:
                covered = range(position, position + (length if spelling is unit and len(unit) > 1 else 1))
                result = ((*covered, *rest[0]), rest[1] + (length == len(spelling)))
                break
        if result is not None:
            break
    memo[key] = result
    return result


def word_subsequence_match(term: str, field: PreparedText) -> TermMatch | None:
    best: TermMatch | None = None
    for start, word in field.words:
        if len(word) < len(term) or term[0] not in word:
            continue
        found = subsequence_in_word(term, word)
        if found is not None and (best is None or found[0] > best[0]):
            best = (found[0], tuple(start + p for p in found[1]))
    return best


def subsequence_in_word(term: str, word: str) -> TermMatch | None:
    """fzf v1 inside one word: the first place the subsequence completes, then the shortest window ending
    there; a window much longer than the term is letters strewn about, not what anyone typed."""
    j = 0
    end = -1
    for i, character in enumerate(word):
        if character == term[j]:
            j += 1
            if j == len(term):
                end = i
                break
    if end < 0:
        return None
    j = len(term) - 1
    start = end
    for i in range(end, -1, -1):
        if word[i] == term[j]:
            j -= 1
            if j < 0:
                start = i
                break
    if end - start + 1 > max(2 * len(term), len(term) + 3):
        return None
    positions = []
    j = 0
    for i in range(start, end + 1):
        if j < len(term) and word[i] == term[j]:
            positions.append(i)
            j += 1
    return score_positions(positions), tuple(positions)


def score_positions(positions: list[int]) -> float:
    """Positions inside one word: its first letter is the word start."""
    score = 0.0
    previous = None
    for index, position in enumerate(positions):
        bonus = BONUS_BOUNDARY if position == 0 else 0
        if previous is not None:
            gap = position - previous - 1
            if gap == 0:
                bonus = max(bonus, BONUS_CONSECUTIVE)
            else:
                score -= PENALTY_GAP_START + PENALTY_GAP_EXTENSION * (gap - 1)
        if index == 0:
            bonus *= 2
        score += SCORE_MATCH + bonus
        previous = position
    return score


def typo_allowance(term: str) -> int:
    return 2 if len(term) >= 8 else 1


def typo_match(term: str, field: PreparedText) -> TermMatch | None:
    """One edit (two from 8 letters on), transpositions included, against a whole word."""
    allowed = typo_allowance(term)
    best: TermMatch | None = None
    for start, word in field.words:
        if abs(len(word) - len(term)) > allowed:
            continue
        distance = OSA.distance(term, word, score_cutoff=allowed)
        if distance <= allowed:
            score = len(term) * SCORE_MATCH - TYPO_PENALTY * distance
            if best is None or score > best[0]:
                best = (score, tuple(range(start, start + len(word))))
    return best
