"""Candidate sets for search terms, from the postings (search_index_build.py).

For each term and field: every entry the matcher could match is in the set, a few it cannot are too. Sets are
Python ints used as bit sets (an AND of two over 100,000 entries takes about a microsecond), split by kind of
match so that each carries the most any of its entries can score:
- an English word term: index words that start with it, hold it inside, hold it as a compact subsequence
  (each word's own score), or are one typo away;
- a Chinese (or mixed) term: every character and every adjacent pair of Chinese characters present;
- a chain (pinyin, initials, word-start acronyms): dynamic programming over the term's segments with the
  adjacent-unit pair tokens, one set per bound.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from quick_replies.matcher import (
    BONUS_BOUNDARY,
    BONUS_CONSECUTIVE,
    FULL_SYLLABLE_BONUS,
    SCORE_MATCH,
    SUBSTRING_BONUS,
    TYPO_PENALTY,
    subsequence_in_word,
    typo_allowance,
)
from quick_replies.pinyin_readings import is_cjk
from quick_replies.search_index_build import SYMBOLS, Postings

FIELDS = "stkb"  # shortcut, title, tags/keywords, body: best first
TERMS_CACHE = 64
BITS_CACHE_BYTES = 48 * 2**20  # candidate sets kept between keystrokes (12.5 KB each at 100,000 entries)
MAX_PREFIX_WORDS = 200  # more words than this starting with a chain segment: don't narrow by them


class Part(NamedTuple):
    """Entries where a term may match in one field in one way, and the most such a match can score."""

    field: str
    bound_at_start: float  # where the match may begin the field
    bound_elsewhere: float
    bits: int



class Candidates:
    """Per term, the entries that may match it, by field and by the most the match can score."""

    def __init__(self, postings: Postings, count: int):
        self.count = count
        self.token_ids = dict(zip(postings.tokens, range(len(postings.tokens))))
        self.offsets = postings.offsets
        self.ids = postings.ids
        self.spelling_prefixes = {reading[:n] for spellings in postings.spellings.values()  # Chinese readings'
                                  for reading in spellings for n in range(1, len(reading) + 1)}
        self.words = sorted({token[2:] for token in postings.tokens if token[1] == "w"})
        self.whole_spellings = set(self.words) | {r for spellings in postings.spellings.values() for r in spellings}
        self.word_lines = "".join(f"\n{word}" for word in self.words)
        self.words_by_length: dict[int, list[str]] = {}
        for word in self.words:
            self.words_by_length.setdefault(len(word), []).append(word)
        self.characters_by_spelling: dict[str, list[str]] = {}
        for character, spellings in postings.spellings.items():
            for prefix in {reading[:n] for reading in spellings for n in range(2, len(reading) + 1)}:
                self.characters_by_spelling.setdefault(prefix, []).append(character)
        self._bits: OrderedDict[str, int] = OrderedDict()
        self._terms: OrderedDict[str, list[Part]] = OrderedDict()
        self._subsequence_words: OrderedDict[str, list[str]] = OrderedDict()
        self._near_length: dict[tuple[int, int], list[str]] = {}

    def term_parts(self, term: str) -> list[Part]:
        """Where `term` may match: per field and kind of match, the entries and the most they can score."""
        cached = self._terms.get(term)
        if cached is not None:
            self._terms.move_to_end(term)
            return cached
        length = len(term)
        substring = length * (SCORE_MATCH + BONUS_CONSECUTIVE) + SUBSTRING_BONUS
        latin_word = term.isascii() and term.isalnum()
        if latin_word and length > 1:
            word_groups = self._matching_words(term)
        chained = any(ch.isascii() and ch.isalnum() for ch in term) and not (latin_word and length == 1)
        parts = []
        for field in FIELDS:
            if latin_word and length > 1:
                for bounds, words in word_groups.items():
                    bits = self._bits_of_all([f"{field}w{word}" for word in words])
                    parts.append(Part(field, *bounds, bits))
            elif latin_word:  # one letter: a word's start, a Chinese reading's initial, or inside a word
                words = self._unit_start(field, term)
                parts.append(Part(field, substring + 3 * BONUS_BOUNDARY, substring + 2 * BONUS_BOUNDARY, words))
                if term.isalpha():
                    initial = SCORE_MATCH + BONUS_CONSECUTIVE
                    initial += FULL_SYLLABLE_BONUS if term in self.whole_spellings else 0
                    parts.append(Part(field, initial + 2 * BONUS_BOUNDARY, initial + BONUS_BOUNDARY,
                                      self._unit_start(field, term.upper())))
                parts.append(Part(field, substring, substring, self._token(f"{field}c{term}")))
            else:
                bits = self._substring_bits(field, term)
                parts.append(Part(field, substring + 3 * BONUS_BOUNDARY, substring + 2 * BONUS_BOUNDARY, bits))
            if chained:
                for bound, bits in self._chain_levels(field, term).items():
                    parts.append(Part(field, bound + 2 * BONUS_BOUNDARY, bound + BONUS_BOUNDARY, bits))
        parts = [part for part in parts if part.bits]
        self._terms[term] = parts
        if len(self._terms) > TERMS_CACHE:
            self._terms.popitem(last=False)
        return parts

    def _matching_words(self, term: str) -> dict[tuple[float, float], list[str]]:
        """Words of the index that contain `term`, hold it as a compact subsequence, or are a typo away from
        it, grouped by the most a match through them scores (at the start of a field, elsewhere)."""
        length = len(term)
        substring = length * (SCORE_MATCH + BONUS_CONSECUTIVE) + SUBSTRING_BONUS
        groups: dict[tuple[float, float], list[str]] = {}
        for word in self._words_holding(term):
            if word.startswith(term):
                bounds = (substring + 3 * BONUS_BOUNDARY, substring + 2 * BONUS_BOUNDARY)
            elif term in word:
                bounds = (substring, substring)
            else:
                found = subsequence_in_word(term, word)
                if found is None:
                    continue
                bounds = (found[0], found[0])
            groups.setdefault(bounds, []).append(word)
        if length >= 4:
            allowed = typo_allowance(term)
            close = process.extract(term, self._words_near_length(length, allowed), scorer=OSA.distance,
                                    score_cutoff=allowed, limit=None)
            for word, distance, _ in close:
                if distance > 0:
                    score = length * SCORE_MATCH - TYPO_PENALTY * distance
                    groups.setdefault((score, score), []).append(word)
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
            bits &= self._token(f"{field}c{character}")
            if not bits:
                return 0
        for first, second in zip(term, term[1:]):
            if is_cjk(first) and is_cjk(second):
                bits &= self._token(f"{field}g{first}{second}")
        return bits

    def _chain_levels(self, field: str, term: str) -> dict[float, int]:
        """Entries with adjacent units that could spell `term`, by the most such a chain can score.

        Each segment of the term must start some unit's spelling, each two segments' first letters must be
        an adjacent pair of the entry, and a segment of two letters or more must start the spelling of a
        unit the entry has. A segment spelling a word scores per letter, one spelling a Chinese character
        scores once however many letters it takes, so that `tuikuan` over 退款 is bounded by two units."""
        end = len(term)
        levels: dict[int, dict[float, int]] = {end: {0.0: -1}}
        for j in range(end - 1, -1, -1):
            found: dict[float, int] = {}
            character = term[j]
            if is_cjk(character):
                here = self._token(f"{field}c{character}")
                for bound, bits in levels[j + 1].items():
                    _merge(found, bound + SCORE_MATCH + BONUS_CONSECUTIVE + FULL_SYLLABLE_BONUS, here & bits)
            elif character.isascii() and character.isalnum():
                for k in range(j + 1, end + 1):
                    segment = term[j:k]
                    ways = self._segment_ways(segment)
                    if not ways:
                        break
                    if not levels[k]:
                        continue
                    following = term[k] if k < end else ""
                    whole = FULL_SYLLABLE_BONUS if segment in self.whole_spellings else 0
                    for symbol, spelled_by, letters in ways:
                        if following.isascii() and following.isalnum() and following:
                            link = _union(self._token(f"{field}p{symbol}{after}") for after in _symbols(following))
                        else:
                            link = self._unit_start(field, symbol)
                        if link and k - j >= 2:
                            link &= spelled_by(field, segment)
                        if not link:
                            continue
                        score = letters * (SCORE_MATCH + BONUS_CONSECUTIVE) + whole
                        for bound, bits in levels[k].items():
                            _merge(found, bound + score, link & bits)
            levels[j] = found
        return levels[0]

    def _segment_ways(self, segment: str) -> list:
        """How a chain segment may spell a unit: (symbol, entries with such a unit, letters scored)."""
        ways = []
        if self._word_prefix(segment):
            ways.append((segment[0], self._words_starting, len(segment)))
        if segment in self.spelling_prefixes:
            ways.append((segment[0].upper(), self._characters_read, 1))
        return ways

    def _words_starting(self, field: str, segment: str) -> int:
        """Entries with a word starting with `segment`; all entries if a great many words do."""
        name = f"{field}u{segment}"
        if name not in self._bits:
            start = bisect_left(self.words, segment)
            end = bisect_left(self.words, segment + "\U0010ffff")
            if end - start > MAX_PREFIX_WORDS:
                bits = -1
            else:
                bits = self._bits_of_all([f"{field}w{word}" for word in self.words[start:end]])
            self._remember(name, bits)
        return self._bits[name]

    def _characters_read(self, field: str, segment: str) -> int:
        """Entries with a Chinese character that has a reading starting with `segment`."""
        name = f"{field}U{segment}"
        if name not in self._bits:
            names = [f"{field}c{ch}" for ch in self.characters_by_spelling.get(segment, ())]
            self._remember(name, self._bits_of_all(names))
        return self._bits[name]

    def _word_prefix(self, segment: str) -> bool:
        at = bisect_left(self.words, segment)
        return at < len(self.words) and self.words[at].startswith(segment)

    def _unit_start(self, field: str, symbol: str) -> int:
        """Entries with a unit spelled starting with `symbol`: it is the first unit or follows another."""
        name = f"{field}i{symbol}"
        if name not in self._bits:
            names = [f"{field}j{symbol}", *(f"{field}p{before}{symbol}" for before in SYMBOLS)]
            self._remember(name, self._bits_of_all(names))
        return self._bits[name]

    def field_starts(self, field: str, character: str) -> int:
        starts = self._token(f"{field}h{character}")
        return starts | _union(self._token(f"{field}j{symbol}") for symbol in _symbols(character))

    def _token(self, name: str) -> int:
        bits = self._bits.get(name)
        if bits is None:
            number = self.token_ids.get(name)
            bits = 0 if number is None else self._to_bits(self.ids[self.offsets[number]:self.offsets[number + 1]])
            self._remember(name, bits)
        else:
            self._bits.move_to_end(name)
        return bits

    def _bits_of_all(self, names: list[str]) -> int:
        numbers = [self.token_ids[name] for name in names if name in self.token_ids]
        if not numbers:
            return 0
        return self._to_bits(np.concatenate([self.ids[self.offsets[n]:self.offsets[n + 1]] for n in numbers]))

    def _remember(self, name: str, bits: int) -> None:
        self._bits[name] = bits
        while len(self._bits) > max(64, BITS_CACHE_BYTES // max(1, (self.count + 7) // 8)):
            self._bits.popitem(last=False)

    def _to_bits(self, ids: np.ndarray) -> int:
        if ids.size == 0:
            return 0
        if ids.size <= 8:
            return sum(1 << int(i) for i in set(ids.tolist()))
        present = np.zeros(self.count, dtype=bool)
        present[ids] = True
        return int.from_bytes(np.packbits(present, bitorder="little").tobytes(), "little")


def _symbols(character: str) -> str:
    """The index's symbols for a unit spelled starting with `character`: a word's, a reading's."""
    return character + character.upper() if character.isalpha() else character


def _merge(levels: dict[float, int], bound: float, bits: int) -> None:
    if bits:
        levels[bound] = levels.get(bound, 0) | bits


def _union(values) -> int:
    bits = 0
    for value in values:
        bits |= value
    return bits
