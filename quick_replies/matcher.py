"""How one search term matches one piece of text, with a score and the matched character positions.

Ways to match, best first:
- substring, case-insensitive (Chinese or English): 退款, refund;
- pinyin over a run of consecutive characters, each Chinese character taking any non-empty prefix of any of
  its readings, so full pinyin, initials and mixes all work (tuikuan, tk, tuik, 退k; 还款 as huankuan or hk);
- fuzzy subsequence with fzf-like scoring (bonus at word starts and for consecutive letters, gap penalties);
- one typo (two for long words) against a whole word: refnd, adress, recieve.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class PreparedText:
    """A field's text with what every keystroke would otherwise recompute: done once when the library loads."""

    text: str
    lowered: str
    has_cjk: bool
    letters: frozenset[str]  # every character a Latin term could match here, Chinese readings' letters included
    starts: dict[str, tuple[int, ...]]  # letter -> positions where a spelling of a term beginning with it may start


def prepare(text: str) -> PreparedText:
    lowered = text.lower()
    starts: dict[str, list[int]] = {}
    letters: set[str] = set(lowered)
    has_cjk = False
    for position, character in enumerate(lowered):
        if is_cjk(character):
            has_cjk = True
            for reading in readings(character):
                letters.update(reading)
                starts.setdefault(reading[0], []).append(position)
        starts.setdefault(character, []).append(position)
    # Only pinyin matching reads `starts`, and only in text with Chinese: don't keep it for the rest.
    kept = {letter: tuple(sorted(set(p))) for letter, p in starts.items()} if has_cjk else {}
    return PreparedText(text, lowered, has_cjk, frozenset(letters), kept)


def match_term(term: str, field: PreparedText) -> TermMatch | None:
    """`term` is lower-case."""
    if not term or len(term) > MAX_TERM:
        return None
    if not set(term) <= field.letters:
        return typo_match(term, field.lowered) if term.isascii() and len(term) >= 4 else None
    text, lowered = field.text, field.lowered
    candidates = [substring_match(term, text, lowered)]
    latin_in_term = any(ch.isascii() and ch.isalpha() for ch in term)
    if latin_in_term and field.has_cjk:
        candidates.append(pinyin_match(term, field))
    if term.isascii():
        candidates.append(subsequence_match(term, lowered))
        if all(c is None for c in candidates) and len(term) >= 4:
            candidates.append(typo_match(term, lowered))
    found = [c for c in candidates if c is not None]
    return max(found, key=lambda match: match[0]) if found else None


def at_boundary(lowered: str, position: int) -> bool:
    return position == 0 or not lowered[position - 1].isalnum() or is_cjk(lowered[position])


def substring_match(term: str, text: str, lowered: str) -> TermMatch | None:
    position = lowered.find(term)
    if position < 0:
        return None
    score = len(term) * (SCORE_MATCH + BONUS_CONSECUTIVE) + SUBSTRING_BONUS
    if at_boundary(lowered, position):
        score += BONUS_BOUNDARY * 2
    if position == 0:
        score += BONUS_BOUNDARY  # Chinese has no spaces: the start of the text is the one sure word start
    return score, tuple(range(position, position + len(term)))


def pinyin_match(term: str, field: PreparedText) -> TermMatch | None:
    """The best run of consecutive characters that spells `term` (Chinese characters by their readings)."""
    best: TermMatch | None = None
    lowered = field.lowered
    for start in field.starts.get(term[0], ()):
        found = _spell(term, lowered, start)
        if found is None:
            continue
        positions, full_syllables = found
        score = len(positions) * (SCORE_MATCH + BONUS_CONSECUTIVE) + full_syllables * FULL_SYLLABLE_BONUS
        if at_boundary(lowered, start):
            score += BONUS_BOUNDARY
        if start == 0:
            score += BONUS_BOUNDARY
        if best is None or score > best[0]:
            best = (score, positions)
    return best


def _spell(term: str, lowered: str, start: int) -> tuple[tuple[int, ...], int] | None:
    """Match all of term from character `start` on; prefer full syllables. Returns positions and how many
    characters were spelled with a full reading."""
    memo: dict[tuple[int, int], tuple[tuple[int, ...], int] | None] = {}

    def spell(j: int, i: int):
        if j == len(term):
            return (), 0
        if i == len(lowered):
            return None
        key = (j, i)
        if key in memo:
            return memo[key]
        character, wanted = lowered[i], term[j]
        result = None
        if is_cjk(wanted) or not is_cjk(character):
            if character == wanted:
                rest = spell(j + 1, i + 1)
                if rest is not None:
                    result = ((i, *rest[0]), rest[1])
        else:
            for reading in readings(character):
                common = 0
                while common < len(reading) and j + common < len(term) and term[j + common] == reading[common]:
                    common += 1
                for length in range(common, 0, -1):  # the whole syllable first, then shorter prefixes
                    rest = spell(j + length, i + 1)
                    if rest is not None:
                        result = ((i, *rest[0]), rest[1] + (length == len(reading)))
                        break
                if result is not None:
                    break
        memo[key] = result
        return result

    return spell(0, start)


def subsequence_match(term: str, lowered: str) -> TermMatch | None:
    """fzf v1: find the first place the subsequence completes, then the shortest window ending there."""
    j = 0
    end = -1
    for i, character in enumerate(lowered):
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
        if lowered[i] == term[j]:
            j -= 1
            if j < 0:
                start = i
                break
    positions = []
    j = 0
    for i in range(start, end + 1):
        if j < len(term) and lowered[i] == term[j]:
            positions.append(i)
            j += 1
    compact = end - start + 1 <= max(2 * len(term), len(term) + 3)
    word_starts = all(
        at_boundary(lowered, p) or (k and positions[k - 1] == p - 1) for k, p in enumerate(positions)
    )
    if not (compact or word_starts):
        return None  # letters strewn across a sentence are not what anyone typed
    return score_positions(lowered, positions), tuple(positions)


def score_positions(lowered: str, positions: list[int]) -> float:
    score = 0.0
    previous = None
    for index, position in enumerate(positions):
        bonus = BONUS_BOUNDARY if at_boundary(lowered, position) else 0
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


def typo_match(term: str, lowered: str) -> TermMatch | None:
    """One edit (two from 8 letters on), transpositions included, against a whole word."""
    allowed = 2 if len(term) >= 8 else 1
    best: TermMatch | None = None
    position = 0
    for word in _words(lowered):
        start = lowered.find(word, position)
        position = start + len(word)
        if abs(len(word) - len(term)) > allowed:
            continue
        distance = OSA.distance(term, word, score_cutoff=allowed)
        if distance <= allowed:
            score = len(term) * SCORE_MATCH - TYPO_PENALTY * distance
            if best is None or score > best[0]:
                best = (score, tuple(range(start, start + len(word))))
    return best


def _words(lowered: str) -> list[str]:
    words, current = [], []
    for character in lowered:
        if character.isascii() and character.isalnum():
            current.append(character)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words
