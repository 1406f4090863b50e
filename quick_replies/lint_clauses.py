"""Clauses: what a suggestion replaces, and how far a negation reaches.

A suggestion that replaces only the flagged words leaves a broken sentence (`这个不归我们管` with 不归我们管
swapped for 我来帮您联系负责的同事 reads `这个我来帮您联系负责的同事`), so a rule with `rewrite: clause` replaces
the whole clause the finding lies in: the text between clause marks (，。！？；… and their ASCII forms), without
the spaces around it. The suggestion is fitted in: capitalised where an English sentence starts, lower-cased
after a comma, its own final punctuation dropped where the text already has some.

A negation in front of a request turns it into a warning: `请勿把验证码告诉任何人`, `never share your password`;
so does a fraud warning that quotes the request (`如果有人冒充客服让您提供验证码`).
Rules with `unless_negated` skip a match with a negation in the same clause ending at most NEGATION_REACH
characters before it (不会要求您转账或提供银行卡密码), or inside it. `别担心` and `don't worry` negate nothing and
do not count.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

CLAUSE_MARKS = frozenset("，,。.！!？?；;\n…～~：:")
SENTENCE_MARKS = frozenset("。！!？?\n")
CLAUSE_MARK = re.compile("[" + re.escape("".join(sorted(CLAUSE_MARKS))) + "]")
NEGATION_REACH = 6  # characters before a match in which a negation governs it (请勿将您的验证码 ...)
# Normalized wordings (quick_replies/lint_normalize.py): `don't` is `do not`, `never` stays `never`.
NEGATIONS = ("不要", "请勿", "切勿", "勿", "别", "不用", "无需", "不需要", "不必", "不会", "绝不", "决不", "从不",
             "从来不", "不得", "禁止", "严禁", "谨防", "千万别", "不可以", "不能", "没有必要",
             "不会要求", "不会向您", "不会让您", "不会索要", "不会主动", "not", "never", "no need", "never ask",
             "will not ask", "would never ask", "no one", "nobody",
             # where to type it, not whom to tell: 只在官方页面输入, only type your PIN on the official page
             "只在", "仅在", "only type", "only enter", "only input",
             # a warning about fraud quotes the request it warns against: 如果有人冒充客服让您提供验证码
             "冒充", "骗子", "诈骗", "假冒", "scam", "impersonate", "pretend to be", "pretending to be")
NOT_NEGATIONS = ("别担心", "不要担心", "不用担心", "别着急", "不要着急", "不用着急", "别急", "不要急", "不用急",
                 "不用客气", "不客气", "别客气", "不会吧", "do not worri", "not sure", "not a problem")


class ClauseMarks:
    """Where one text's clauses end, found once: a 32 KiB message without punctuation and a thousand findings
    took 54 s when each finding walked to its clause's edges."""

    def __init__(self, text: str):
        self.text = text
        self.marks = [match.start() for match in CLAUSE_MARK.finditer(text) if ends_clause(text, match.start())]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The clause or clauses that [start, end) lies in, without surrounding spaces."""
        text = self.text
        before = bisect_right(self.marks, start - 1) - 1  # the last mark before `start`
        left = self.marks[before] + 1 if before >= 0 else 0
        after = bisect_left(self.marks, end)  # the first mark at or after `end`
        right = self.marks[after] if after < len(self.marks) else len(text)
        while left < start and text[left].isspace():
            left += 1
        while right > end and text[right - 1].isspace():
            right -= 1
        return left, right

    def crossed(self, start: int, end: int) -> bool:
        """Whether a clause mark stands in [start, end)."""
        index = bisect_left(self.marks, start)
        return index < len(self.marks) and self.marks[index] < end


def question_after(text: str, end: int) -> int:
    """Where the question mark ending the clause at `end` stands (after any spaces), or 0 if it is not a question:
    a statement put in its place takes a full stop."""
    while end < len(text) and text[end] == " ":
        end += 1
    return end if end < len(text) and text[end] in "?？" else 0


def fitted(text: str, start: int, end: int, suggestion: str) -> str:
    """`suggestion` as it should stand in place of text[start:end]."""
    if not suggestion:
        return suggestion
    first = suggestion[0]
    if first.isascii() and first.isalpha():
        before = start
        while before > 0 and text[before - 1].isspace():
            before -= 1
        sentence_start = before == 0 or text[before - 1] in SENTENCE_MARKS or text[before - 1] == "."
        if sentence_start:
            suggestion = first.upper() + suggestion[1:]
        elif not _keeps_capital(suggestion):
            suggestion = first.lower() + suggestion[1:]
    if end < len(text) and text[end] in CLAUSE_MARKS and suggestion[-1] in CLAUSE_MARKS:
        suggestion = suggestion.rstrip("".join(CLAUSE_MARKS))
    return suggestion


def negated(marks: ClauseMarks, start: int, end: int, negation_ends: list[int], negations: list[tuple[int, int]]) \
        -> bool:
    """Whether a negation ends in the same clause at most NEGATION_REACH characters before [start, end), or
    stands inside it. `negations` are (start, end) spans sorted by their end, `negation_ends` those ends."""
    index = bisect_left(negation_ends, start - NEGATION_REACH)
    while index < len(negations) and negations[index][1] <= end:
        negation_end = negations[index][1]
        if negation_end > start:  # inside the match: it governs what follows it in its clause (验证码千万不要告诉别人),
            if not marks.crossed(negation_end, end):  # not the next clause (验证码不会过期，发我一下)
                return True
        elif not marks.crossed(negation_end, start):  # just before it, in its clause
            return True
        index += 1
    return False


def ends_clause(text: str, index: int) -> bool:
    """Whether text[index] is a clause mark. A `.`, `,` or `:` between letters or digits (¥13.50, 1,000,
    www.example.com, 10:30) is not."""
    character = text[index]
    if character not in CLAUSE_MARKS:
        return False
    if character in ".,:" and 0 < index < len(text) - 1:
        before, after = text[index - 1], text[index + 1]
        return not (before.isascii() and before.isalnum() and after.isascii() and after.isalnum())
    return True


def _keeps_capital(suggestion: str) -> bool:
    word = suggestion.split(" ", 1)[0]
    return word == "I" or word.startswith("I'") or word.startswith("I’") or word[1:2].isupper()
