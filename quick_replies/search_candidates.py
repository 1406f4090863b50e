"""Candidate sets for search terms, from the postings (search_index_build.py).

For each term and field: every entry the matcher could match is in the set, a few it cannot are too. Sets are
Python ints used as bit sets (an AND of two over 100,000 entries takes about a microsecond), split by kind of
match so that each carries the most any of its entries can score:
- an English word term: index words that start with it, hold it inside, hold it as a compact subsequence
  (each word's own score), or are one typo away;
- a Chinese (or mixed) term: every character and every adjacent pair of Chinese characters present;
- a chain (pinyin, initials, word-start acronyms, fuzzy-pinyin sounds, and for a term that is no valid pinyin
  the term with two neighbouring letters swapped): its segmentations one by one (search_chain_paths.py), or
  for a term with too many, dynamic programming over its segments with the adjacent-unit pair tokens.
Each set carries the kind of match (matcher.WORD, PREFIX, FUZZY, SCATTERED), the most its entries can score, and
the entries where the match may start the field (worth matcher.START_BONUS more), so that search_index.py can
rank sets before reading a single entry.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from quick_replies import fuzzy_pinyin
from quick_replies.matcher import (
    BONUS_BOUNDARY,
    BONUS_CONSECUTIVE,
    FULL_SYLLABLE_BONUS,
    FUZZY,
    PREFIX,
    SCATTERED,
    SCORE_MATCH,
    SUBSTRING_BONUS,
    TYPO_PENALTY,
    UNIT_PENALTY,
    WORD,
    learn_characters,
    subsequence_in_word,
    typo_allowance,
)
from quick_replies.pinyin_readings import is_cjk, spells_as_pinyin
from quick_replies.search_chain_paths import chain_levels
from quick_replies.search_index_build import SYMBOLS, Postings

FIELDS = "stkb"  # shortcut, title, tags/keywords, body: best first
TERMS_CACHE = 64
BITS_CACHE_BYTES = 48 * 2**20  # candidate sets kept between keystrokes (12.5 KB each at 100,000 entries)
MAX_PREFIX_WORDS = 200  # more words than this starting with a chain segment: don't narrow by them


class Part(NamedTuple):
    """Entries where a term may match in one field in one way: the best kind such a match can be, and the
    most it can score (matcher's score, before the field's category) where the match does not start the
    field; `head`, those of them where it may, can score matcher.START_BONUS more."""

    field: str
    kind: int
    score: float
    bits: int
    head: int = 0


class Candidates:
    """Per term, the entries that may match it, by field and by the most the match can score."""

    def __init__(self, postings: Postings, count: int):
        self.count = count
        self.token_ids = dict(zip(postings.tokens, range(len(postings.tokens))))
        self.offsets = postings.offsets
        self.ids = postings.ids
        self.spellings = postings.spellings
        learn_characters(postings.spellings)
        self.spelling_prefixes = {reading[:n] for spellings in postings.spellings.values()  # Chinese readings'
                                  for reading in spellings for n in range(1, len(reading) + 1)}
        self.words = sorted({token[2:] for token in postings.tokens if token[1] == "w"})
        self.word_set = set(self.words)
        self._fuzzy_for: frozenset[str] | None = None  # the fuzzy pairs the structures below were built for
        self.fuzzy_prefixes: set[str] = set()
        self.fuzzy_whole: set[str] = set()
        self.characters_by_fuzzy: dict[str, list[str]] = {}
        self.characters_by_sound: dict[str, list[str]] = {}
        self.word_lines = "".join(f"\n{word}" for word in self.words)
        self.words_by_length: dict[int, list[str]] = {}
        for word in self.words:
            self.words_by_length.setdefault(len(word), []).append(word)
        self.characters_by_spelling: dict[str, list[str]] = {}
        self.characters_by_reading: dict[str, list[str]] = {}
        for character, spellings in postings.spellings.items():
            for prefix in {reading[:n] for reading in spellings for n in range(2, len(reading) + 1)}:
                self.characters_by_spelling.setdefault(prefix, []).append(character)
            for reading in set(spellings):
                self.characters_by_reading.setdefault(reading, []).append(character)
        self.bits_cache: OrderedDict[str, int] = OrderedDict()
        self._terms: OrderedDict[str, list[Part]] = OrderedDict()
        self._subsequence_words: OrderedDict[str, list[str]] = OrderedDict()
        self._near_length: dict[tuple[int, int], list[str]] = {}

    def term_parts(self, term: str) -> list[Part]:
        """Where `term` may match: per field and kind of match, the entries and the most they can score."""
        self._follow_fuzzy_settings()
        cached = self._terms.get(term)
        if cached is not None:
            self._terms.move_to_end(term)
            return cached
        length = len(term)
        inside = length * (SCORE_MATCH + BONUS_CONSECUTIVE) + SUBSTRING_BONUS
        at_word = inside + 2 * BONUS_BOUNDARY
        latin_word = term.isascii() and term.isalnum()
        chained = any(ch.isascii() and ch.isalnum() for ch in term) and not (latin_word and length == 1)
        parts = []
        word_groups = {}  # the same for every field but the body, which takes strewn letters from 4 on
        for field in FIELDS:
            if latin_word and length > 1:
                scattered = length >= (4 if field == "b" else 3)
                if scattered not in word_groups:
                    word_groups[scattered] = self._matching_words(term, scattered)
                for (kind, score), words in word_groups[scattered].items():
                    # only an occurrence that starts a word can start the field
                    head = self.bits_of_all([f"{field}f{word}" for word in words]) if kind in (WORD, PREFIX) else 0
                    parts.append(Part(field, kind, score, self.bits_of_all([f"{field}w{word}" for word in words]),
                                      head))
            elif latin_word:  # one letter: a whole word, a word's start, a Chinese reading's initial, inside a word
                parts.append(Part(field, WORD, at_word, self.token(f"{field}w{term}"), self.token(f"{field}f{term}")))
                parts.append(Part(field, PREFIX, at_word, self.unit_start(field, term), self.token(f"{field}j{term}")))
                if term.isalpha():
                    initial = SCORE_MATCH + BONUS_CONSECUTIVE - UNIT_PENALTY + BONUS_BOUNDARY
                    readers, first = self.unit_start(field, term.upper()), self.token(f"{field}j{term.upper()}")
                    parts.append(Part(field, WORD, initial + FULL_SYLLABLE_BONUS,
                                      readers & self._characters_reading(field, term), first))  # 啊 for a
                    parts.append(Part(field, PREFIX, initial, readers, first))
                parts.append(Part(field, FUZZY, inside, self.token(f"{field}c{term}")))
            else:
                parts.append(Part(field, WORD, at_word, self._substring_bits(field, term),
                                  self.token(f"{field}h{term[0]}")))
            if chained:
                for (kind, score), (bits, head) in chain_levels(self, field, term).items():
                    parts.append(Part(field, kind, score + BONUS_BOUNDARY, bits, head))
                if length >= 4 and not spells_as_pinyin(term):
                    for variant in _transpositions(term):
                        for (_, score), (bits, head) in chain_levels(self, field, variant).items():
                            parts.append(Part(field, FUZZY, score + BONUS_BOUNDARY - TYPO_PENALTY, bits, head))
        parts = [part for part in parts if part.bits]
        self._terms[term] = parts
        if len(self._terms) > TERMS_CACHE:
            self._terms.popitem(last=False)
        return parts

    def _follow_fuzzy_settings(self) -> None:
        """Fuzzy sounds of the readings in the index, for the pairs switched on now (the config may change)."""
        enabled = fuzzy_pinyin.enabled()
        if enabled == self._fuzzy_for:
            return
        self._fuzzy_for = enabled
        self._terms.clear()
        for name in [name for name in self.bits_cache if name[1] in "FSL"]:
            del self.bits_cache[name]
        self.fuzzy_prefixes, self.fuzzy_whole, self.characters_by_fuzzy, self.characters_by_sound = set(), set(), {}, {}
        for character, readings in self.spellings.items():
            for sound in {sound for reading in readings for sound in fuzzy_pinyin.sounds(reading)}:
                self.fuzzy_whole.add(sound)
                self.characters_by_sound.setdefault(sound, []).append(character)
                for n in range(1, len(sound) + 1):
                    self.fuzzy_prefixes.add(sound[:n])
                    self.characters_by_fuzzy.setdefault(sound[:n], []).append(character)

    def _matching_words(self, term: str, scattered: bool) -> dict[tuple[int, float], list[str]]:
        """Words of the index that are `term`, start with it, contain it, hold it as a compact subsequence
        (if `scattered`), or are a typo away from it, grouped by (kind, the most a match through them scores)."""
        length = len(term)
        inside = length * (SCORE_MATCH + BONUS_CONSECUTIVE) + SUBSTRING_BONUS
        groups: dict[tuple[int, float], list[str]] = {}
        for word in self._words_holding(term):
            if word == term:
                key = (WORD, inside + 2 * BONUS_BOUNDARY)
            elif word.startswith(term):
                key = (PREFIX, inside + 2 * BONUS_BOUNDARY)
            elif term in word:
                key = (FUZZY, inside)
            elif scattered:
                found = subsequence_in_word(term, word)
                if found is None:
                    continue
                key = (SCATTERED, found[0])
            else:
                continue
            groups.setdefault(key, []).append(word)
        if length >= 4:
            allowed = typo_allowance(term)
            close = process.extract(term, self._words_near_length(length, allowed), scorer=OSA.distance,
                                    score_cutoff=allowed, limit=None)
            for word, distance, _ in close:
                if distance > 0:
                    groups.setdefault((FUZZY, length * SCORE_MATCH - TYPO_PENALTY * distance), []).append(word)
        return groups

    def _words_near_length(self, length: int, allowed: int) -> list[str]:
        key = (length, allowed)
        if key not in self._near_length:
            self._near_length[key] = [word for near in range(length - allowed, length + allowed + 1)
                                      for word in self.words_by_length.get(near, ())]
        return self._near_length[key]

    def _words_holding(self, term: str) -> list[str]:
        """Words holding `term` as a subsequence. Typing narrows: the words for the term less its last
        letter are the only ones worth testing."""
        found = self._subsequence_words.get(term)
        if found is not None:
            return found
        letters = [re.escape(ch) for ch in term]
        shorter = self._subsequence_words.get(term[:-1])
        if shorter is not None:
            pattern = re.compile("".join(f"[^{ch}]*{ch}" for ch in letters))
            found = [word for word in shorter if pattern.match(word)]
        else:
            pattern = re.compile("\n(" + "".join(f"[^\\n{ch}]*{ch}" for ch in letters) + "[^\\n]*)")
            found = pattern.findall(self.word_lines)
        self._subsequence_words[term] = found
        if len(self._subsequence_words) > TERMS_CACHE:
            self._subsequence_words.popitem(last=False)
        return found

    def _substring_bits(self, field: str, term: str) -> int:
        bits = -1
        for character in set(term):
            bits &= self.token(f"{field}c{character}")
            if not bits:
                return 0
        for first, second in zip(term, term[1:]):
            if is_cjk(first) and is_cjk(second):
                bits &= self.token(f"{field}g{first}{second}")
        return bits

    def chain_levels_by_pairs(self, field: str, term: str) -> dict[tuple[int, float], int]:
        """Entries with adjacent units that could spell `term`, by (kind, the most such a chain can score).

        Each segment of the term must start some unit's spelling, each two segments' first letters must be
        an adjacent pair of the entry, and a segment of two letters or more must start the spelling of a
        unit the entry has. A segment spelling a word scores per letter, one spelling a Chinese character
        scores once however many letters it takes, so that `tuikuan` over 退款 is bounded by two units. The
        kind is the worst of the segments': WORD where each may be a whole spelling, FUZZY where one needs a
        fuzzy sound, else PREFIX."""
        end = len(term)
        levels: dict[int, dict[tuple[int, float], int]] = {end: {(WORD, 0.0): -1}}
        for j in range(end - 1, -1, -1):
            found: dict[tuple[int, float], int] = {}
            character = term[j]
            if is_cjk(character):
                here = self.token(f"{field}c{character}")
                unit = SCORE_MATCH + BONUS_CONSECUTIVE + FULL_SYLLABLE_BONUS - UNIT_PENALTY
                for (kind, bound), bits in levels[j + 1].items():
                    _merge(found, (kind, bound + unit), here & bits)
            elif character.isascii() and character.isalnum():
                for k in range(j + 1, end + 1):
                    segment = term[j:k]
                    ways = self.segment_ways(segment)
                    if not ways:
                        if self.starts_some_spelling(segment):
                            continue  # a lone letter of a fuzzy sound: no way yet, a longer segment has one
                        break
                    if not levels[k]:
                        continue
                    following = term[k] if k < end else ""
                    for symbols, spelled_by, whole, way_kind, _ in ways:
                        if following.isascii() and following.isalnum() and following:
                            link = _union(self.token(f"{field}p{symbol}{after}") for symbol in symbols
                                          for after in _symbols(following))
                        else:
                            link = _union(self.unit_start(field, symbol) for symbol in symbols)
                        if link and (whole or k - j >= 2):  # one letter starting a unit needs no more check
                            link &= spelled_by(field, segment)
                        if not link:
                            continue
                        score = (k - j) * (SCORE_MATCH + BONUS_CONSECUTIVE) - UNIT_PENALTY
                        score += FULL_SYLLABLE_BONUS if whole else 0
                        for (kind, bound), bits in levels[k].items():
                            _merge(found, (min(kind, way_kind), bound + score), link & bits)
            levels[j] = found
        return levels[0]

    def segment_ways(self, segment: str) -> list:
        """How a chain segment may spell a unit: (the unit's symbols, entries with such a unit, whether it is
        the whole spelling, the best kind it allows, the Chinese characters it may be or None). A whole
        spelling is a way of its own, held only by the entries that have that very word or reading, so that
        its bonus bounds no entry that lacks it."""
        ways = []
        if self._word_prefix(segment):
            if segment in self.word_set:
                ways.append((segment[0], self._words_equal, True, WORD, None))
            ways.append((segment[0], self._words_starting, False, PREFIX, None))
        upper = segment[0].upper()
        if segment in self.characters_by_reading:
            ways.append((upper, self._characters_reading, True, WORD, self.characters_by_reading[segment]))
        if segment in self.spelling_prefixes:
            ways.append((upper, self._characters_read, False, PREFIX, self.characters_by_spelling.get(segment)))
        if len(segment) >= 2 and segment in self.fuzzy_prefixes:  # matcher: no fuzzy sound for a lone letter
            symbols = upper + fuzzy_pinyin.partner_initials(segment[0]).upper()
            if segment in self.characters_by_sound:
                ways.append((symbols, self._characters_sounding_whole, True, FUZZY, self.characters_by_sound[segment]))
            ways.append((symbols, self._characters_sounding, False, FUZZY, self.characters_by_fuzzy[segment]))
        return ways

    def starts_some_spelling(self, segment: str) -> bool:
        """Whether a unit's spelling (a word, a reading, or a fuzzy sound of one) starts with `segment`; if
        not, no longer segment has a way either. Not the same as having ways: `n` starts the fuzzy sound
        `niu` of 流 (n/l) but has no way of its own, as the matcher reads no fuzzy sound from a lone letter."""
        return segment in self.spelling_prefixes or segment in self.fuzzy_prefixes or self._word_prefix(segment)

    def _words_equal(self, field: str, segment: str) -> int:
        return self.token(f"{field}w{segment}")

    def _characters_reading(self, field: str, segment: str) -> int:
        """Entries with a Chinese character that has `segment` as a reading."""
        return self._characters_in(f"{field}R{segment}", field, self.characters_by_reading.get(segment, ()))

    def _characters_sounding_whole(self, field: str, segment: str) -> int:
        """Entries with a Chinese character that has `segment` as a fuzzy sound."""
        return self._characters_in(f"{field}S{segment}", field, self.characters_by_sound.get(segment, ()))

    def _characters_in(self, name: str, field: str, characters) -> int:
        if name not in self.bits_cache:
            self.remember(name, self.bits_of_all([f"{field}c{ch}" for ch in characters]))
        return self.bits_cache[name]

    def _words_starting(self, field: str, segment: str) -> int:
        """Entries with a word starting with `segment`; all entries if a great many words do."""
        name = f"{field}u{segment}"
        if name not in self.bits_cache:
            start = bisect_left(self.words, segment)
            end = bisect_left(self.words, segment + "\U0010ffff")
            if end - start > MAX_PREFIX_WORDS:
                bits = -1
            else:
                bits = self.bits_of_all([f"{field}w{word}" for word in self.words[start:end]])
            self.remember(name, bits)
        return self.bits_cache[name]

    def _characters_read(self, field: str, segment: str) -> int:
        """Entries with a Chinese character that has a reading starting with `segment`."""
        return self._characters_in(f"{field}U{segment}", field, self.characters_by_spelling.get(segment, ()))

    def _characters_sounding(self, field: str, segment: str) -> int:
        """Entries with a Chinese character that has a fuzzy sound starting with `segment`."""
        return self._characters_in(f"{field}F{segment}", field, self.characters_by_fuzzy.get(segment, ()))

    def _word_prefix(self, segment: str) -> bool:
        at = bisect_left(self.words, segment)
        return at < len(self.words) and self.words[at].startswith(segment)

    def unit_start(self, field: str, symbol: str) -> int:
        """Entries with a unit spelled starting with `symbol`: it is the first unit or follows another."""
        name = f"{field}i{symbol}"
        if name not in self.bits_cache:
            names = [f"{field}j{symbol}", *(f"{field}p{before}{symbol}" for before in SYMBOLS)]
            self.remember(name, self.bits_of_all(names))
        return self.bits_cache[name]

    def token(self, name: str) -> int:
        bits = self.bits_cache.get(name)
        if bits is None:
            number = self.token_ids.get(name)
            bits = 0 if number is None else self.to_bits(self.ids[self.offsets[number]:self.offsets[number + 1]])
            self.remember(name, bits)
        else:
            self.bits_cache.move_to_end(name)
        return bits

    def bits_of_all(self, names: list[str]) -> int:
        numbers = [self.token_ids[name] for name in names if name in self.token_ids]
        if not numbers:
            return 0
        return self.to_bits(np.concatenate([self.ids[self.offsets[n]:self.offsets[n + 1]] for n in numbers]))

    def remember(self, name: str, bits: int) -> None:
        self.bits_cache[name] = bits
        while len(self.bits_cache) > max(64, BITS_CACHE_BYTES // max(1, (self.count + 7) // 8)):
            self.bits_cache.popitem(last=False)

    def to_bits(self, ids: np.ndarray) -> int:
        if ids.size == 0:
            return 0
        if ids.size <= 8:
            return sum(1 << int(i) for i in set(ids.tolist()))
        present = np.zeros(self.count, dtype=bool)
        present[ids] = True
        return int.from_bytes(np.packbits(present, bitorder="little").tobytes(), "little")


def _symbols(character: str) -> str:
    """The index's symbols for a unit spelled starting with `character`: a word's, a reading's, and the
    readings' a fuzzy initial stands for (n/l: typing l may mean a reading starting with n)."""
    if not character.isalpha():
        return character
    return character + character.upper() + fuzzy_pinyin.partner_initials(character).upper()


def _transpositions(term: str) -> list[str]:
    """The term with two neighbouring letters swapped, where that makes valid pinyin (as matcher tries)."""
    swapped = [term[:i] + term[i + 1] + term[i] + term[i + 2:] for i in range(len(term) - 1) if term[i] != term[i + 1]]
    return [variant for variant in swapped if spells_as_pinyin(variant)]


def _merge(levels: dict[float, int], bound: float, bits: int) -> None:
    if bits:
        levels[bound] = levels.get(bound, 0) | bits


def _union(values) -> int:
    bits = 0
    for value in values:
        bits |= value
    return bits
