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

Each match also has a kind, which ranks above its score (search.py): WORD (the term is a whole word, a Chinese
run, or every unit spelled in full), PREFIX (it starts a word, or spells units by initials and prefixes), FUZZY
(inside a word, a typo, a fuzzy-pinyin sound, a transposed pinyin) and SCATTERED (letters strewn inside a word).
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from rapidfuzz.distance import OSA

from quick_replies import fuzzy_pinyin
from quick_replies.pinyin_readings import is_cjk, readings, spells_as_pinyin

SCORE_MATCH = 16
BONUS_BOUNDARY = 8
BONUS_CONSECUTIVE = 4
PENALTY_GAP_START = 3
PENALTY_GAP_EXTENSION = 1
SUBSTRING_BONUS = 10
FULL_SYLLABLE_BONUS = 6
START_BONUS = 8  # a match that starts the text: 还款提醒 before 银行卡 for hk
UNIT_PENALTY = 10  # per unit of a chain: huanku is 还款 (two units) before 湖安库 (three), as an IME reads it
TYPO_PENALTY = 20
MAX_TERM = 40
KNOWN_MATCHES = 8  # answers kept per text

SCATTERED, FUZZY, PREFIX, WORD = 0, 1, 2, 3
TermMatch = tuple[float, tuple[int, ...], int]  # score, matched positions, kind
WORD_PATTERN = re.compile(r"[a-z0-9]+")
UNIT = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
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
    def units(self) -> dict[int, tuple[str, int]]:
        """Unit start -> (the unit, where the next unit starts or -1), for the chain's dynamic programming."""
        found = [(m.start(), m.group()) for m in UNIT.finditer(self.lowered)]
        starts = [start for start, _ in found[1:]] + [-1]
        return {start: (unit, after) for (start, unit), after in zip(found, starts)}

    @cached_property
    def has_chinese(self) -> bool:
        return CHINESE.search(self.lowered) is not None

    @cached_property
    def matches(self) -> dict:
        """(term, scattered_from) -> match_term's answer: a query of several terms scores its earlier terms
        again on every keystroke of the last one."""
        return {}

    @cached_property
    def words(self) -> tuple[tuple[int, str], ...]:
        # A tuple of tuples of atoms: the collector stops tracking it, which keeps its pauses short.
        return tuple((m.start(), m.group()) for m in WORD_PATTERN.finditer(self.lowered))


@lru_cache(maxsize=16384)
def prepare(text: str) -> PreparedText:
    """Cached: the same entries are scored keystroke after keystroke."""
    return PreparedText(text)


def match_term(term: str, field: PreparedText, scattered_from: int = 3) -> TermMatch | None:
    """`term` is lower-case. The best match by kind, then score; letters strewn inside a word count only for
    terms of `scattered_from` letters or more (at two letters nearly every word holds them)."""
    if not term or len(term) > MAX_TERM:
        return None
    known = field.matches
    key = (term, scattered_from)
    if key not in known:
        if len(known) >= KNOWN_MATCHES:
            known.clear()
        known[key] = _match_term(term, field, scattered_from)
    return known[key]


def _match_term(term: str, field: PreparedText, scattered_from: int) -> TermMatch | None:
    spellable, latin_word = _term_kind(term)
    found = [match for match in (substring_match(term, field.lowered),
                                 chain_match(term, field) if spellable else None) if match is not None]
    if not found and latin_word and len(term) >= scattered_from:
        found = [match for match in (word_subsequence_match(term, field),) if match is not None]
    if not found and len(term) >= 4:
        if latin_word:
            found = [match for match in (typo_match(term, field),) if match is not None]
        if spellable and field.has_chinese and not spells_as_pinyin(term):  # a pinyin typo: swapped letters
            found += [match for match in (transposed_chain_match(term, field),) if match is not None]
    return max(found, key=_rank) if found else None


def _rank(match: TermMatch) -> tuple[int, float]:
    return match[2], match[0]


@lru_cache(maxsize=1024)
def _term_kind(term: str) -> tuple[bool, bool]:
    """(has a letter or digit a chain could spell, is one ASCII word)"""
    return any(ch.isascii() and ch.isalnum() for ch in term), term.isascii() and term.isalnum()


def at_boundary(lowered: str, position: int) -> bool:
    return position == 0 or not lowered[position - 1].isalnum() or is_cjk(lowered[position])


def ends_at_boundary(lowered: str, end: int) -> bool:
    return end == len(lowered) or not lowered[end].isalnum() or is_cjk(lowered[end]) or is_cjk(lowered[end - 1])


def substring_match(term: str, lowered: str) -> TermMatch | None:
    """The best occurrence: a whole word, else one starting a word, else the first; at the start of the text
    before elsewhere."""
    position = lowered.find(term)
    if position < 0:
        return None
    best_position, best_kind = position, FUZZY
    while position >= 0:
        if at_boundary(lowered, position):
            kind = WORD if ends_at_boundary(lowered, position + len(term)) else PREFIX
            if kind > best_kind:
                best_position, best_kind = position, kind
            if kind == WORD:
                break  # the best kind, and an occurrence at the start would have been the first found
        position = lowered.find(term, position + 1)
    score = len(term) * (SCORE_MATCH + BONUS_CONSECUTIVE) + SUBSTRING_BONUS
    if best_kind != FUZZY:
        score += BONUS_BOUNDARY * 2
    if best_position == 0:
        score += START_BONUS  # Chinese has no spaces: the start of the text is the one sure word start
    return score, tuple(range(best_position, best_position + len(term))), best_kind


@lru_cache(maxsize=65536)
def unit_spellings(unit: str) -> tuple[tuple[str, bool], ...]:
    """What a unit may be spelled by, exact spellings first: a word by itself; a Chinese character by itself,
    any reading, then (fuzzy: True) the readings' fuzzy-pinyin sounds."""
    if len(unit) == 1 and is_cjk(unit):
        exact = (unit, *readings(unit))
        fuzzy = [sound for reading in exact[1:] for sound in fuzzy_pinyin.sounds(reading) if sound not in exact]
        return (*((spelling, False) for spelling in exact), *((sound, True) for sound in dict.fromkeys(fuzzy)))
    return ((unit, False),)


@lru_cache(maxsize=65536)
def spellings_starting(unit: str, letter: str) -> tuple[tuple[str, bool], ...]:
    return tuple(spelling for spelling in unit_spellings(unit) if spelling[0][0] == letter)


fuzzy_pinyin.on_change(unit_spellings.cache_clear)
fuzzy_pinyin.on_change(prepare.cache_clear)  # its texts keep the answers they gave under the old pairs
fuzzy_pinyin.on_change(spellings_starting.cache_clear)


class _InitialMarks(dict):
    """A str.translate table that turns every Chinese character with a reading starting with `letter` into
    MARK and leaves every other character as it is, filled in as characters are met (translate looks them
    up in C, so a field is marked at C speed once its characters are known)."""

    def __init__(self, letter: str):
        super().__init__()
        self.letter = letter

    def __missing__(self, code: int) -> int:
        character = chr(code)
        marked = is_cjk(character) and any(spelling[0] == self.letter for spelling, _ in unit_spellings(character))
        self[code] = MARK_CODE if marked else code
        return self[code]


@lru_cache(maxsize=64)
def initial_marks(letter: str) -> _InitialMarks:
    return _InitialMarks(letter)


fuzzy_pinyin.on_change(initial_marks.cache_clear)


def learn_characters(characters) -> None:
    """Works out, ahead of the first keystroke, what matching needs to know of each Chinese character of a
    library (its spellings, which letters start them): learnt lazily, the first searches after a start would
    pay for it, character by character."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    for character in characters:
        for spelling, _ in unit_spellings(character):
            spellings_starting(character, spelling[0])
        code = ord(character)
        for letter in letters:
            initial_marks(letter)[code]  # noqa: B018 (fills the table's entry)


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


def chain_match(term: str, field: PreparedText, starts: list[int] | None = None) -> TermMatch | None:
    """The best run of adjacent units whose spelling prefixes, in order, make up `term`."""
    unit_map = field.units
    best: TermMatch | None = None
    memo: dict = {}
    for start in chain_starts(term[0], field) if starts is None else starts:
        found = _spell(term, unit_map, 0, start, memo)
        if found is None:
            continue
        positions, full_units, units, fuzzy = found
        score = len(term) * (SCORE_MATCH + BONUS_CONSECUTIVE) + full_units * FULL_SYLLABLE_BONUS
        score += BONUS_BOUNDARY - units * UNIT_PENALTY + (START_BONUS if start == 0 else 0)
        kind = FUZZY if fuzzy else WORD if full_units == units else PREFIX
        if best is None or (kind, score) > (best[2], best[0]):
            best = (score, positions, kind)
    return best


def transposed_chain_match(term: str, field: PreparedText) -> TermMatch | None:
    """A chain for the term with two neighbouring letters swapped into valid pinyin (tuikaun for tuikuan):
    one typo."""
    best: TermMatch | None = None
    starts = None
    for i in range(len(term) - 1):
        variant = term[:i] + term[i + 1] + term[i] + term[i + 2:]
        if term[i] == term[i + 1] or not spells_as_pinyin(variant):
            continue
        if i > 0 and starts is None:
            starts = chain_starts(term[0], field)  # every variant but the first begins as the term does
        found = chain_match(variant, field, None if i == 0 else starts)
        if found is not None and (best is None or found[0] - TYPO_PENALTY > best[0]):
            best = (found[0] - TYPO_PENALTY, found[1], FUZZY)
    return best


def _spell(term: str, units: dict[int, tuple[str, int]], j: int, position: int, memo: dict):
    """Spell term[j:] from the unit at `position` on, one spelling prefix per unit, exact spellings before
    fuzzy ones and the whole spelling before its prefixes. Returns the matched positions, how many units were
    spelled in full, how many units in all, and whether a fuzzy sound was used; or None."""
    if j == len(term):
        return (), 0, 0, False
    if position < 0:
        return None
    key = (j, position)
    if key in memo:
        return memo[key]
    if position not in units:
        return None
    unit, after = units[position]
    result = None
    for spelling, fuzzy in spellings_starting(unit, term[j]):
        common = 1
        while common < len(spelling) and j + common < len(term) and term[j + common] == spelling[common]:
            common += 1
        for length in range(common, 1 if fuzzy else 0, -1):  # a lone initial read fuzzily is mostly noise
            rest = _spell(term, units, j + length, after, memo)
            if rest is not None:
                covered = range(position, position + (1 if is_cjk(unit[0]) else length))
                result = ((*covered, *rest[0]), rest[1] + (length == len(spelling)), rest[2] + 1,
                          rest[3] or fuzzy)
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
            best = (found[0], tuple(start + p for p in found[1]), SCATTERED)
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
    return score_positions(positions), tuple(positions), SCATTERED


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
                best = (score, tuple(range(start, start + len(word))), FUZZY)
    return best
