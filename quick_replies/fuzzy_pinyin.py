"""Fuzzy pinyin, as Chinese input methods offer it: sounds that many speakers do not tell apart.

Each pair can be switched off (config `[fuzzy_pinyin]`, e.g. `"n/l" = false`); all are on by default. A match
that needed a fuzzy sound ranks below one that spelled the reading exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

# (name, one spelling part, the other); initials are matched at the start of a reading, finals at its end.
INITIAL_PAIRS = (("z/zh", "z", "zh"), ("c/ch", "c", "ch"), ("s/sh", "s", "sh"), ("n/l", "n", "l"),
                 ("f/h", "f", "h"), ("r/l", "r", "l"))
FINAL_PAIRS = (("an/ang", "an", "ang"), ("en/eng", "en", "eng"), ("in/ing", "in", "ing"),
               ("ian/iang", "ian", "iang"), ("uan/uang", "uan", "uang"))
PAIRS = tuple(name for name, _, _ in INITIAL_PAIRS + FINAL_PAIRS)

_enabled: frozenset[str] = frozenset(PAIRS)
_listeners: list = []


class FuzzyPinyinError(ValueError):
    pass


def configure(enabled: Iterable[str]) -> None:
    """Which pairs are on, for the whole process (the search caches derived spellings, so they are dropped)."""
    global _enabled
    chosen = frozenset(enabled)
    unknown = chosen - set(PAIRS)
    if unknown:
        raise FuzzyPinyinError(f"unknown fuzzy pinyin pair(s) {', '.join(sorted(unknown))}; "
                               f"known: {', '.join(PAIRS)}")
    if chosen != _enabled:
        _enabled = chosen
        for listener in _listeners:
            listener()


def enabled() -> frozenset[str]:
    return _enabled


def on_change(listener) -> None:
    _listeners.append(listener)


def sounds(reading: str) -> tuple[str, ...]:
    """The fuzzy sounds of a toneless reading under the enabled pairs, the reading itself excluded
    (zhang → zang, zhan, zan with z/zh and an/ang on)."""
    return _sounds(reading, _enabled)


def partner_initials(letter: str) -> str:
    """Letters a reading may start with when `letter` is typed in its place (n/l: l → n), under the
    enabled pairs; z/zh and the like keep the first letter, so they add none."""
    return "".join(other for name, one, two in INITIAL_PAIRS if name in _enabled and len(one) == len(two)
                   for other in ((two,) if letter == one else (one,) if letter == two else ()))


def _sounds(reading: str, pairs: frozenset[str]) -> tuple[str, ...]:
    starts = [("", reading)]
    for name, short, long in INITIAL_PAIRS:
        if name not in pairs:
            continue
        if len(short) < len(long):  # z/zh: zh is not z followed by h
            if reading.startswith(long):
                starts.append((short, reading[len(long):]))
            elif reading.startswith(short):
                starts.append((long, reading[len(short):]))
        elif reading.startswith(short):
            starts.append((long, reading[len(short):]))
        elif reading.startswith(long):
            starts.append((short, reading[len(long):]))
    found = []
    for initial, rest in starts:
        whole = initial + rest
        endings = [whole]
        for name, short, long in FINAL_PAIRS:
            if name not in pairs:
                continue
            if whole.endswith(long) and _final_is(whole, long):
                endings.append(whole[: -len(long)] + short)
            elif whole.endswith(short) and _final_is(whole, short):
                endings.append(whole[: -len(short)] + long)
        found += endings
    return tuple(sound for sound in dict.fromkeys(found) if sound != reading)


def _final_is(reading: str, final: str) -> bool:
    """an/ang must not take the a-n of ian or uan, which are finals of their own (with their own pairs)."""
    before = reading[-len(final) - 1: -len(final)]
    return not (final in ("an", "ang") and before in ("i", "u", "v"))
