"""Building the search index's postings with numpy, a whole field of every entry at a time.

A Python loop over 100,000 entries' characters takes 4-5 s; the same work as array operations (code points of
all texts in one array, one sort per token kind) takes well under the 3 s a cold start may cost.

Tokens, each prefixed by a field code (s shortcut, t title, k tags/keywords, b body):
  c<ch>   the character occurs (not whitespace)
  g<ab>   two Chinese characters occur as adjacent units (next to each other, or with only separators such as
          spaces and punctuation between them, as a chain reads them)
  w<word> the word (a run of ASCII letters and digits) occurs
  p<xy>   two adjacent units occur, spelled starting with x and then y: a lower-case symbol is a word's
          first letter or digit, an upper-case one a Chinese character's reading's first letter
  h<ch>   the field starts with the character
  j<x>    the field's first unit is spelled starting with x (after any leading spaces and punctuation, so
          the match there may not start the field: a bound, as every head set is)
  f<word> the field starts with the word
A unit spelled starting with x occurs where j<x> or some p<?x> does: that needs no token of its own.
Units and spellings are those of quick_replies.matcher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from quick_replies.pinyin_readings import readings

# A word's first letter or digit, then (upper case) a Chinese reading's first letter: the two score
# differently, so the index keeps them apart.
SYMBOLS = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SYMBOL_INDEX = {symbol: index for index, symbol in enumerate(SYMBOLS)}
WORD = re.compile(r"[a-z0-9]+")
CODE_BITS = 21  # a Unicode code point
PRESENCE_LIMIT = 16_000_000  # cells of a token x entry table worth filling instead of sorting


@dataclass
class Postings:
    tokens: list[str]  # token id -> token
    offsets: np.ndarray  # int64, token id -> start in `ids`; one more entry than tokens
    ids: np.ndarray  # int32 entry ids, ascending within each token
    spellings: dict[str, tuple[str, ...]]  # every Chinese character in the texts -> its readings


class _Collector:
    def __init__(self, count: int):
        self.count = count
        self.doc_bits = max(1, count.bit_length())
        self.tokens: list[str] = []
        self.offset_chunks: list[np.ndarray] = []
        self.id_chunks: list[np.ndarray] = []
        self.total = 0

    def add(self, codes: np.ndarray, docs: np.ndarray, name_of) -> None:
        """One posting per distinct (token code, entry id); `name_of(code)` names a token code."""
        if codes.size == 0:
            return
        codes = codes.astype(np.uint64)
        distinct = None
        if int(codes.max()) <= 0x10FFFF:  # make codes dense so that keys fit 32 bits: sorting them is 2x faster
            distinct = np.flatnonzero(np.bincount(codes.astype(np.int64)))
            dense = np.zeros(int(distinct[-1]) + 1, dtype=np.uint64)
            dense[distinct] = np.arange(distinct.size, dtype=np.uint64)
            codes = dense[codes.astype(np.int64)]
        if distinct is not None and distinct.size * self.count <= PRESENCE_LIMIT:
            self._add_by_presence(codes.astype(np.int64), docs, distinct, name_of)
            return
        key_type = np.uint32 if distinct is not None and distinct.size < 1 << (32 - self.doc_bits) else np.uint64
        shift = key_type(self.doc_bits)
        keys = np.sort((codes.astype(key_type) << shift) | docs.astype(key_type))
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
        key_codes = keys >> shift
        starts = np.flatnonzero(np.r_[True, key_codes[1:] != key_codes[:-1]])
        token_codes = key_codes[starts] if distinct is None else distinct[key_codes[starts].astype(np.int64)]
        self.tokens.extend(name_of(int(code)) for code in token_codes)
        self.offset_chunks.append(starts.astype(np.int64) + self.total)
        self.id_chunks.append((keys & key_type((1 << self.doc_bits) - 1)).astype(np.int32))
        self.total += keys.size

    def _add_by_presence(self, codes, docs, distinct, name_of) -> None:
        """A small alphabet (letters, symbols) needs no sort: mark a token x entry table and read it out."""
        present = np.zeros((distinct.size, self.count), dtype=bool)
        present[codes, docs] = True
        rows, ids = np.nonzero(present)
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if rows.size else rows
        self.tokens.extend(name_of(int(code)) for code in distinct[rows[starts]])
        self.offset_chunks.append(starts.astype(np.int64) + self.total)
        self.id_chunks.append(ids.astype(np.int32))
        self.total += ids.size

    def postings(self, spellings) -> Postings:
        offsets = np.concatenate([*self.offset_chunks, np.array([self.total], dtype=np.int64)])
        ids = np.concatenate(self.id_chunks) if self.id_chunks else np.zeros(0, dtype=np.int32)
        return Postings(self.tokens, offsets, ids, spellings)


def build_postings(field_texts: dict[str, list[str]], count: int) -> Postings:
    """`field_texts`: field code -> one text per entry ("" where the entry has none); matching is on
    lower case, so the texts are lowered here."""
    collector = _Collector(count)
    if collector.doc_bits + 2 * CODE_BITS > 64:
        raise ValueError(f"too many entries to index: {count}")
    spellings: dict[str, tuple[str, ...]] = {}
    for field, texts in field_texts.items():
        if count:
            _index_field(field, texts, collector, spellings)
    return collector.postings(spellings)


def _index_field(field: str, texts: list[str], out: _Collector, spellings: dict) -> None:
    joined = "\x00".join(texts) + "\x00"
    if joined.count("\x00") != len(texts):  # a text holding the separator itself
        joined = "\x00".join(text.replace("\x00", " ") for text in texts) + "\x00"
    lowered = joined.lower()
    if len(lowered) == len(joined):  # one call instead of 100,000; a few characters (İ) lower to two
        joined = lowered
    else:
        joined = "\x00".join(text.lower() for text in texts) + "\x00"
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    if int(lengths.sum()) != len(joined):
        lengths = np.fromiter((len(text.lower()) + 1 for text in texts), dtype=np.int64, count=len(texts))
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    doc_of = np.repeat(np.arange(len(texts), dtype=np.uint32), lengths)

    cjk = (((points >= 0x4E00) & (points <= 0x9FFF)) | ((points >= 0x3400) & (points <= 0x4DBF))
           | ((points >= 0xF900) & (points <= 0xFAFF)))
    alnum = ((points >= 97) & (points <= 122)) | ((points >= 48) & (points <= 57))
    visible = (points > 32) & (points != 0x3000) & (points != 0xA0) & (points != 0x85)

    ascii_visible = visible & (points < 128)
    out.add(points[ascii_visible], doc_of[ascii_visible], lambda code: f"{field}c{chr(code)}")
    other_visible = visible & (points >= 128)
    out.add(points[other_visible], doc_of[other_visible], lambda code: f"{field}c{chr(code)}")
    after_alnum = np.r_[False, alnum[:-1]]
    unit_positions = np.flatnonzero(cjk | (alnum & ~after_alnum))
    # Chinese has no spaces: a pair of characters is what narrows 物流延迟 down, and 还款 for huanku. Pairs of
    # units, not of characters, so that a chain across "退 款" or "退，款" is found too. English goes by words.
    first, second = unit_positions[:-1], unit_positions[1:]
    paired = np.flatnonzero(cjk[first] & cjk[second] & (doc_of[first] == doc_of[second]))
    codes = (points[first[paired]].astype(np.uint64) << np.uint64(CODE_BITS)) | points[second[paired]]
    out.add(codes, doc_of[first[paired]],
            lambda code: f"{field}g{chr(code >> CODE_BITS)}{chr(code & ((1 << CODE_BITS) - 1))}")

    word_starts = np.flatnonzero(alnum & ~after_alnum)
    found = WORD.findall(joined)
    words = list(dict.fromkeys(found))
    number = dict(zip(words, range(len(words))))
    word_ids = np.fromiter(map(number.__getitem__, found), dtype=np.uint64, count=word_starts.size)
    out.add(word_ids, doc_of[word_starts], lambda code: f"{field}w{words[code]}")

    slots = _unit_symbols(points, unit_positions, cjk, spellings)
    unit_docs = doc_of[unit_positions]
    pair_codes, pair_owners = _adjacent_pairs(slots, unit_docs)
    out.add(pair_codes, pair_owners, lambda code: f"{field}p{SYMBOLS[code // 64]}{SYMBOLS[code % 64]}")

    heads = np.r_[0, np.cumsum(lengths)[:-1]][lengths > 1]
    out.add(points[heads], doc_of[heads], lambda code: f"{field}h{chr(code)}")
    first_unit = np.minimum(np.searchsorted(unit_positions, heads), max(0, unit_positions.size - 1))
    if unit_positions.size:
        # the first unit even after leading spaces or punctuation (a body that opens with 【 or ，): the matcher
        # reads the chain from there, and j is how a one-unit chain's unit is known to exist at all
        head_units = first_unit[doc_of[unit_positions[first_unit]] == doc_of[heads]]
        symbols, owners = _symbol_columns(slots[head_units], unit_docs[head_units])
        out.add(symbols, owners, lambda code: f"{field}j{SYMBOLS[code]}")
    word_heads = heads[alnum[heads]]
    first_words = np.searchsorted(word_starts, word_heads)
    out.add(word_ids[first_words], doc_of[word_heads], lambda code: f"{field}f{words[code]}")


def _unit_symbols(points, unit_positions, cjk, spellings) -> np.ndarray:
    """For each unit, the symbols its spellings start with: one column per alternative, -1 where none.
    Column-major, as the columns are read one at a time."""
    unit_points = points[unit_positions]
    is_cjk = cjk[unit_positions]
    chinese_points = unit_points[is_cjk]
    distinct = np.flatnonzero(np.bincount(chinese_points)) if chinese_points.size else np.zeros(0, np.int64)
    initials = []
    for point in distinct.tolist():
        character = chr(point)
        spellings[character] = readings(character)
        initials.append(sorted({SYMBOL_INDEX[r[0].upper()] for r in spellings[character]
                                if r[0].upper() in SYMBOL_INDEX}))
    width = max([1, *map(len, initials)])
    table = np.full((max(1, len(initials)), width), -1, dtype=np.int16)
    for row, symbols in enumerate(initials):
        table[row, : len(symbols)] = symbols
    slots = np.full((unit_points.size, width), -1, dtype=np.int16, order="F")
    latin = unit_points[~is_cjk].astype(np.int16)
    slots[~is_cjk, 0] = np.where(latin >= 97, latin - 97, latin - 48 + 26)
    if distinct.size:
        row_of = np.zeros(int(distinct[-1]) + 1, dtype=np.int32)
        row_of[distinct] = np.arange(distinct.size, dtype=np.int32)
        slots[is_cjk] = table[row_of[chinese_points]]
    return slots


def _adjacent_pairs(slots: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first symbol * 64 + second symbol, entry) for every two adjacent units of an entry, every
    alternative of each. Column 0 is filled for nearly every unit, the others only for polyphonic
    characters whose readings start differently, so those are handled as a short list."""
    linked = np.r_[docs[1:] == docs[:-1], False]  # unit i and unit i + 1 belong to one entry
    primary = slots[:, 0]
    both = linked[:-1] & (primary[:-1] >= 0) & (primary[1:] >= 0)
    codes = [(primary[:-1] * 64 + primary[1:])[both]]
    owners = [docs[:-1][both]]
    extra_units, extra_columns = np.nonzero(slots[:, 1:] >= 0)
    extra_symbols = slots[extra_units, extra_columns + 1]
    # an alternative of the first unit with every symbol of the next one
    rows, symbols = extra_units[linked[extra_units]], extra_symbols[linked[extra_units]]
    for column in range(slots.shape[1]):
        following = slots[rows + 1, column]
        keep = following >= 0
        codes.append(symbols[keep] * 64 + following[keep])
        owners.append(docs[rows[keep]])
    # the first unit's primary symbol with an alternative of the second
    ok = extra_units > 0
    ok[ok] = linked[extra_units[ok] - 1]
    rows, symbols = extra_units[ok] - 1, extra_symbols[ok]
    keep = primary[rows] >= 0
    codes.append(primary[rows[keep]] * 64 + symbols[keep])
    owners.append(docs[rows[keep]])
    return np.concatenate(codes), np.concatenate(owners)


def _symbol_columns(slots: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (symbol, entry) of a unit table, all alternatives included."""
    valid = slots >= 0
    return slots[valid], np.broadcast_to(docs[:, None], slots.shape)[valid]
