"""Candidate sets for a chain term (pinyin, initials, word starts), one segmentation of the term at a time.

A chain spells a term with adjacent units, one segment of the term per unit (matcher.chain_match). The
dynamic programme in search_candidates.py (`chain_levels_by_pairs`) checks each two neighbouring segments only
by their first letters, and each segment only by "the entry has such a unit somewhere", so `huanku` also
admits every entry with any h-k neighbours and any 库 anywhere: thousands of entries that are then read for
nothing. Here each segmentation is checked on its own, and two neighbouring segments that spell Chinese
characters are checked by the characters themselves (the index's pairs of adjacent Chinese units): `huan` then
`ku` must be one of 还款, 换块, ... next to each other. Terms that need more than MAX_STEPS steps fall back to
the dynamic programme: still a superset, only looser.
"""

from __future__ import annotations

from quick_replies.matcher import BONUS_CONSECUTIVE, FULL_SYLLABLE_BONUS, SCORE_MATCH, UNIT_PENALTY, WORD
from quick_replies.pinyin_readings import is_cjk, readings

MAX_STEPS = 400  # segments tried in all; a term that needs more goes to the dynamic programme
MAX_START_CHARACTERS = 300  # characters looked up for "the field starts with one of them"; more: by initial
MAX_PAIRS = 4_000  # character pairs looked up for two neighbouring segments; more: their first letters only


def chain_levels(candidates, field: str, term: str) -> dict[tuple[int, float], tuple[int, int]]:
    """Entries whose adjacent units could spell `term`, by (kind, the most such a chain can score), each with
    those where the chain may start the field: as Candidates.chain_levels_by_pairs, tighter. Segmentations
    are walked depth first, each carrying the entries that still fit it, so that one no entry fits is dropped
    with everything that would extend it."""
    levels: dict[tuple[int, float], tuple[int, int]] = {}
    visits = 0
    heads: dict[tuple, int] = {}  # first segment and its way -> entries whose field starts with such a unit

    def extend(start: int, previous: tuple[str, tuple] | None, bits: int, kind: int, score: float) -> bool:
        nonlocal visits
        if start == len(term):
            segment, way = path_start[0]
            name = (segment, _way_name(way[1]), way[2])
            if name not in heads:
                heads[name] = start_bits(candidates, field, segment, way)
            held, head = levels.get((kind, score), (0, 0))
            levels[(kind, score)] = (held | bits, head | (bits & heads[name]))
            return True
        for segment, way in segments_at(candidates, term, start):
            visits += 1
            if visits > MAX_STEPS:
                return False
            here = bits & unit_bits(candidates, field, segment, way)
            if here and previous is not None:
                here &= link_bits(candidates, field, previous, (segment, way))
            elif here and start + len(segment) == len(term) and way[0]:  # a chain of one unit
                here &= _union(candidates.unit_start(field, symbol) for symbol in way[0])
            if here:
                step = len(segment) * (SCORE_MATCH + BONUS_CONSECUTIVE) - UNIT_PENALTY
                step += FULL_SYLLABLE_BONUS if way[2] else 0
                if start == 0:
                    path_start[0] = (segment, way)
                if not extend(start + len(segment), (segment, way), here, min(kind, way[3]), score + step):
                    return False
        return True

    path_start: list = [None]
    if not extend(0, None, -1, WORD, 0.0):
        # loose: any of them may start the field
        return {level: (bits, bits) for level, bits in candidates.chain_levels_by_pairs(field, term).items()}
    return levels


def start_bits(candidates, field: str, segment: str, way: tuple) -> int:
    """Entries whose field starts with a unit that `segment` may spell this way."""
    symbols, spelled_by, whole, _, characters = way
    if characters is not None and len(characters) <= MAX_START_CHARACTERS:
        return _union(candidates.token(f"{field}h{character}") for character in characters)
    if spelled_by is not None and spelled_by.__name__ == "_words_equal":
        return candidates.token(f"{field}f{segment}")
    return _union(candidates.token(f"{field}j{symbol}") for symbol in symbols)


def segments_at(candidates, term: str, start: int) -> list[tuple[str, tuple]]:
    """The segments a unit may spell from `start` on, each with its way. A Chinese character spells itself."""
    if is_cjk(term[start]):
        return [(term[start], self_way(term[start]))]
    if not (term[start].isascii() and term[start].isalnum()):
        return []
    found = []
    for end in range(start + 1, len(term) + 1):
        ways = candidates.segment_ways(term[start:end])
        if not ways and not candidates.starts_some_spelling(term[start:end]):
            break  # no unit's spelling starts with this segment, so none starts with a longer one
        found += [(term[start:end], way) for way in ways]
    return found


def unit_bits(candidates, field: str, segment: str, way: tuple) -> int:
    symbols, spelled_by, whole, _, characters = way
    if spelled_by is None:  # a character typed as itself
        return candidates.token(f"{field}c{segment}")
    if whole or len(segment) >= 2:
        return spelled_by(field, segment)
    return -1  # one letter starting a unit: the link to its neighbour says as much


def self_way(character: str) -> tuple:
    """A Chinese character typed in the term: it spells itself, in full, and its unit's symbols are its
    readings' initials."""
    symbols = "".join(sorted({reading[0].upper() for reading in readings(character)}))
    return symbols, None, True, WORD, (character,)


def link_bits(candidates, field: str, first: tuple[str, tuple], second: tuple[str, tuple]) -> int:
    """Entries where a unit spelled as `first` says is followed by one spelled as `second` says."""
    (segment, (symbols, spelled_by, _, _, characters)) = first
    (next_segment, (next_symbols, next_spelled_by, _, _, next_characters)) = second
    if characters and next_characters and len(characters) * len(next_characters) <= MAX_PAIRS:
        name = f"{field}L{segment}:{_way_name(spelled_by)}:{next_segment}:{_way_name(next_spelled_by)}"
        if name not in candidates.bits_cache:
            candidates.remember(name, candidates.bits_of_all(
                [f"{field}g{a}{b}" for a in characters for b in next_characters]))
        return candidates.bits_cache[name]
    if not symbols or not next_symbols:
        return -1  # a character with no reading has no symbol in the index: nothing to narrow by
    return _union(candidates.token(f"{field}p{a}{b}") for a in symbols for b in next_symbols)


def _way_name(spelled_by) -> str:
    """Which of a segment's ways, for naming a cached set: the characters a way may be follow from it."""
    return spelled_by.__name__ if spelled_by is not None else "itself"


def _union(values) -> int:
    bits = 0
    for value in values:
        bits |= value
    return bits
