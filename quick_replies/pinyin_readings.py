"""Every toneless pinyin reading of a Chinese character (还 → hai, huan, fu), from pypinyin's dictionary.

pypinyin picks one reading from context for a phrase (and picks 还款 as "hai kuan"); search must accept
every reading, so characters are looked up one at a time.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, pinyin


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
