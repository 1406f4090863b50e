"""Every toneless pinyin reading of a Chinese character (还 → hai, huan, fu), from pypinyin's dictionary.

pypinyin picks one reading from context for a phrase (and picks 还款 as "hai kuan"); search must accept
every reading, so characters are looked up one at a time.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from pypinyin import Style, pinyin
from pypinyin.constants import PINYIN_DICT


def is_cjk(character: str) -> bool:
    code = ord(character)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


@lru_cache(maxsize=65536)
def readings(character: str) -> tuple[str, ...]:
    """Toneless readings, most common first; empty for anything that is not a CJK ideograph."""
    if not is_cjk(character):
        return ()
    found = pinyin(character, heteronym=True, style=Style.NORMAL, errors="ignore")
    seen: list[str] = []
    for reading in (found[0] if found else ()):
        reading = reading.replace("ü", "v")
        if reading.isascii() and reading.isalpha() and reading not in seen:
            seen.append(reading)
    return tuple(seen)


@lru_cache(maxsize=1)
def syllable_prefixes() -> frozenset[str]:
    """Every prefix of every toneless pinyin syllable in pypinyin's dictionary (ü written v, as typed)."""
    syllables = set()
    for marked in {reading for readings_ in PINYIN_DICT.values() for reading in readings_.split(",")}:
        plain = "".join("v" if "\u0308" in unicodedata.normalize("NFD", ch) else ch for ch in marked)
        plain = "".join(ch for ch in unicodedata.normalize("NFD", plain) if not unicodedata.combining(ch))
        if plain.isascii() and plain.isalpha():
            syllables.add(plain)
    return frozenset(syllable[:n] for syllable in syllables for n in range(1, len(syllable) + 1))


@lru_cache(maxsize=1024)
def spells_as_pinyin(term: str) -> bool:
    """Whether `term` splits into pieces that each start a pinyin syllable (huanku: huan-ku; tk: t-k), as
    an input method would read it; tuikaun does not (no syllable starts with u), so it is taken as a typo."""
    prefixes = syllable_prefixes()
    reachable = [True] + [False] * len(term)
    for start in range(len(term)):
        if reachable[start]:
            for end in range(start + 1, min(len(term), start + 6) + 1):
                if term[start:end] in prefixes:
                    reachable[end] = True
    return reachable[-1]
