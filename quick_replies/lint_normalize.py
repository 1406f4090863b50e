"""The text the linter matches against: one spelling per meaning, with a way back to the agent's own characters.

Agents write `that's` and `that is`, `problem` and `problems`, `ＶＩＰ` and `VIP`; a rule should name the meaning
once. So before matching, text and rule wordings both go through `normalize`:
- full-width letters and digits (ＶＩＰ, １２３１５) become ASCII, and the text is lower-cased;
- invisible characters (zero-width spaces, soft hyphens) and spaces between Chinese characters are dropped, so
  `验\\u200b证码` and `验 证 码` are 验证码, and other runs of spaces and tabs become one space;
- every English word is expanded if it is a contraction (can't -> can not, you're -> you are, it's -> it is) and
  reduced to its Snowball stem (problems -> problem, blamed -> blame, policies -> polici).
Chinese text is left as it is: it has no inflections, and its variants are the rules' business.

A match in the normalized text is mapped back to the original characters (`NormalText.original`), so findings,
highlights and suggestions always point at what the agent typed.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right

import snowballstemmer

# Full-width letters and digits only: full-width punctuation (，。) is in nearly every Chinese message, and clause
# marks are recognised in both widths anyway.
FULL_WIDTH_ASCII = {code: code - 0xFEE0 for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                                      *range(0xFF41, 0xFF5B)]}
FULL_WIDTH = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
NEEDS_WORK = re.compile(r"[A-Za-z\u00ad\u200b-\u200f\u2060-\u2064\ufeff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\t\u00a0]"
                        r"|  |[\u3400-\u9fff][ \u3000]+[\u3400-\u9fff]")
# An English word with its contraction, a run of invisible characters, or spacing other than one plain space.
WORD = re.compile(r"(?P<between_chinese>(?<=[\u3400-\u9fff])[ \t\u00a0\u3000]+(?=[\u3400-\u9fff]))"
                  r"|[a-z]+(?:['’][a-z]+)*|[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]+|[ \t\u00a0]{2,}|[\t\u00a0]")
WHOLE_WORDS = {"can't": "can not", "cannot": "can not", "won't": "will not", "shan't": "shall not",
               "ain't": "is not", "let's": "let us"}
ENDINGS = (("n't", " not"), ("'re", " are"), ("'m", " am"), ("'ve", " have"), ("'ll", " will"), ("'d", " would"))
# `'s` means "is" after these; after a noun it is a possessive (the team's fault), which the stemmer drops.
IS_AFTER = frozenset("it that this there here what who where how he she everything nothing something someone "
                     "everyone nobody".split())
MAX_KNOWN_WORDS = 50_000  # the cache of word forms is cleared beyond this: hostile text must not grow it forever

_known: dict[str, str] = {}  # word -> form; a dict's get and set are atomic, so threads may share it
_per_thread = threading.local()  # a Snowball stemmer keeps state while it works: one per thread (the composer
# lints on the interface thread while customers' messages are checked in a worker)


class NormalText:
    """`text` normalized, and the changed words: (normal start, normal end, original start, original end)."""

    __slots__ = ("text", "changes", "_starts")

    def __init__(self, text: str, changes: tuple[tuple[int, int, int, int], ...] = ()):
        self.text = text
        self.changes = changes
        self._starts = [change[0] for change in changes]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalized span [start, end): a span that starts or ends inside a changed
        word covers that whole word."""
        if not self.changes:
            return start, end
        original_start = self._start(start)
        return original_start, max(original_start, self._end(end))  # empty spans on a dropped character stay empty

    def _start(self, position: int) -> int:
        index = bisect_right(self._starts, position) - 1
        if index < 0:
            return position
        normal_start, normal_end, original_start, original_end = self.changes[index]
        return original_start if position < normal_end else position - normal_end + original_end

    def _end(self, position: int) -> int:
        index = bisect_right(self._starts, position - 1) - 1  # a change starting at `position` is after the span
        if index < 0:
            return position
        normal_start, normal_end, original_start, original_end = self.changes[index]
        return original_end if position <= normal_end else position - normal_end + original_end


def normalize(text: str) -> NormalText:
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters change length when lowered (İ): keep positions true
        lowered = "".join(character.lower() if len(character.lower()) == 1 else character for character in text)
    if not NEEDS_WORK.search(text):
        return NormalText(lowered)
    if FULL_WIDTH.search(lowered):
        lowered = lowered.translate(FULL_WIDTH_ASCII)
    pieces: list[str] = []
    changes: list[tuple[int, int, int, int]] = []
    last = written = 0
    for match in WORD.finditer(lowered):
        word = match.group()
        if match.lastgroup == "between_chinese":
            form = ""  # Chinese is written without spaces: 验 证 码 is 验证码
        else:
            form = _known.get(word)
            if form is None:
                form = word_form(word)
        if form == word:
            continue
        start = match.start()
        pieces.append(lowered[last:start])
        written += start - last
        changes.append((written, written + len(form), start, match.end()))
        pieces.append(form)
        written += len(form)
        last = match.end()
    if not changes:
        return NormalText(lowered)
    pieces.append(lowered[last:])
    return NormalText("".join(pieces), tuple(changes))


def normalize_wording(wording: str) -> str:
    """A rule's phrase as the linter looks for it."""
    return normalize(wording).text


def word_form(word: str) -> str:
    """One English word (lower case, perhaps with an apostrophe) as matched: expanded and stemmed."""
    if word[0] in "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff":
        return ""
    if word[0] in " \t\u00a0":
        return " "
    plain = word.replace("’", "'")
    expanded = WHOLE_WORDS.get(plain)
    if expanded is None:
        expanded = plain
        for ending, replacement in ENDINGS:
            if plain.endswith(ending) and len(plain) > len(ending):
                expanded = plain[:-len(ending)] + replacement
                break
        else:
            if plain.endswith("'s") and plain[:-2] in IS_AFTER:
                expanded = plain[:-2] + " is"
    stemmer = getattr(_per_thread, "stemmer", None)
    if stemmer is None:
        stemmer = _per_thread.stemmer = snowballstemmer.stemmer("english")
    form = " ".join(stemmer.stemWord(part) for part in expanded.split())
    if len(_known) >= MAX_KNOWN_WORDS:
        _known.clear()
    _known[word] = form
    return form
