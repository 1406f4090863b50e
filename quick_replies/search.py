"""Searching replies and FAQ entries: every term must match some field; the best matches come first.

Terms are separated by spaces or '+' (无法登录+安卓). Ranking, as a person reads a list:
1. the shortcut typed exactly (/tk), then a title equal to the whole query (`Refund status`);
2. then, term by term, the field and the kind of its best match: a whole word of the title, a prefix (or
   initials, or a partial pinyin) in the title, a fuzzy match in the title (a typo, a fuzzy sound, inside a
   word); then the same three in tags and keywords; then in the body; then letters strewn inside a body word
   (only for terms of 4 letters or more);
3. within one such category, the quality of the match, plus a boost for entries the agent uses often and
   lately;
4. ties go to the shorter title, then the shorter text, then the higher layer (personal over team over
   starter).
Each category is worth more than any match quality (CATEGORY_STEP), so categories decide before scores.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from quick_replies.library import FaqEntry, Library, QuickReply
from quick_replies.matcher import FUZZY, PREFIX, SCATTERED, WORD, match_term, prepare

# Category of a term's match by field and kind; a scattered match sits below every other kind.
TITLE_LIKE = {WORD: 12, PREFIX: 11, FUZZY: 10, SCATTERED: 10}
LABEL_LIKE = {WORD: 9, PREFIX: 8, FUZZY: 7, SCATTERED: 7}
CATEGORIES = {"shortcut": TITLE_LIKE, "title": TITLE_LIKE, "tags": LABEL_LIKE, "keywords": LABEL_LIKE,
              "body": {WORD: 6, PREFIX: 5, FUZZY: 4, SCATTERED: 1}}
BEST_CATEGORY = {name: max(categories.values()) for name, categories in CATEGORIES.items()}
SCATTERED_FROM = {"body": 4}  # letters a term needs before letters strewn in a word count (3 elsewhere)
CATEGORY_STEP = 100_000.0  # above any match quality (a term scores under 1,000) plus the usage boost
TITLE_EQUALS_QUERY = 1e9
EXACT_SHORTCUT_BONUS = 1e10
USAGE_WEIGHT = 12.0
RECENCY_HALF_LIFE_DAYS = 7.0


class SearchDoc(NamedTuple):
    """A NamedTuple, not a dataclass: a library of 100,000 entries makes as many, and a frozen dataclass
    takes three times as long to construct."""

    kind: str  # reply | faq
    key: str  # reply id, or the FAQ entry's key (its id, or one derived from its question)
    title: str
    body: str
    shortcut: str
    labels: str  # a reply's tags or an FAQ entry's keywords, space-separated
    fields: tuple[tuple[str, str], ...]  # (field name, text) for every non-empty field
    entry: QuickReply | FaqEntry
    layer: int = 0  # 0 the bundled starter, 1 the team's, 2 the agent's own: the higher wins a tie


@dataclass(frozen=True)
class Usage:
    count: int
    last_used: float


@dataclass(frozen=True)
class SearchHit:
    doc: SearchDoc
    score: float
    highlights: dict[str, tuple[int, ...]]  # field name -> matched character positions


def documents(library: Library) -> list[SearchDoc]:
    layers = getattr(library, "layers", {})
    docs = []
    for reply in library.replies.values():
        tags = " ".join(reply.tags)
        fields = [("shortcut", reply.shortcut), ("title", reply.title), ("tags", tags), ("body", reply.body)]
        docs.append(make_doc("reply", reply.id, reply.title, reply.body, reply.shortcut, tags, fields, reply,
                             layers.get(reply.id, 0)))
    for faq in library.faqs:
        keywords = " ".join(faq.keywords)
        fields = [("title", faq.question), ("keywords", keywords), ("body", faq.answer)]
        docs.append(make_doc("faq", faq.key, faq.question, faq.answer, "", keywords, fields, faq,
                             layers.get(faq.key, 0)))
    return docs


def inserted_text(doc: SearchDoc) -> str:
    """What choosing an entry puts in the composer: a reply's body, an FAQ entry's answer (placeholders unfilled)."""
    return doc.entry.answer if doc.kind == "faq" else doc.entry.body


def make_doc(kind, key, title, body, shortcut, labels, fields, entry, layer: int = 0) -> SearchDoc:
    return SearchDoc(kind, key, title, body, shortcut, labels, tuple(filter(_has_text, fields)), entry, layer)


_has_text = itemgetter(1)


def parse_query(query: str) -> list[str]:
    return [term for term in re.split(r"[\s+＋]+", query.strip().lower().lstrip("/")) if term]


TRAILING_PUNCTUATION = "?？!！.。…:："


def phrase_key(text: str) -> str:
    """A title or a query as compared for "the title equals the query": case, spacing and a closing
    question mark do not count (`退款多久到账` equals the FAQ `退款多久到账？`)."""
    # parse_query's split, without its regex: the index computes this for every title at build time
    unslashed = text.strip().rstrip(TRAILING_PUNCTUATION).strip().lower().lstrip("/")
    return " ".join(unslashed.replace("+", " ").replace("＋", " ").split())


def score_doc(doc: SearchDoc, terms: list[str], query_key: str | None = None) -> SearchHit | None:
    """`query_key`: phrase_key of the query's terms joined by spaces, if the caller has it already."""
    total = 0.0
    highlights: dict[str, set[int]] = {}
    for term in terms:
        best: tuple[float, str, tuple[int, ...]] | None = None
        for name, text in doc.fields:
            if best is not None and best[0] >= BEST_CATEGORY[name] * CATEGORY_STEP:
                continue  # this field (fields come best first) cannot beat the match in hand
            found = match_term(term, prepare(text), SCATTERED_FROM.get(name, 3))
            if found is None:
                continue
            score = CATEGORIES[name][found[2]] * CATEGORY_STEP + found[0]
            if best is None or score > best[0]:
                best = (score, name, found[1])
        if best is None:
            return None  # every term must match
        total += best[0]
        highlights.setdefault(best[1], set()).update(best[2])
    if len(terms) == 1 and doc.shortcut and doc.shortcut.lower() == terms[0]:
        total += EXACT_SHORTCUT_BONUS
    if phrase_key(doc.title) == (phrase_key(" ".join(terms)) if query_key is None else query_key):
        total += TITLE_EQUALS_QUERY
    return SearchHit(doc, total, {name: tuple(sorted(p)) for name, p in highlights.items()})


def tie_break(doc: SearchDoc) -> tuple:
    """Among equal scores: the shorter title (the query covers more of what the agent reads in the list), then
    the shorter text, then the higher layer, then the key (for a stable order)."""
    return len(doc.title), len(doc.body), -doc.layer, doc.key


def usage_boost(usage: Usage | None, now: float) -> float:
    if usage is None or usage.count <= 0:
        return 0.0
    age_days = max(0.0, now - usage.last_used) / 86400
    return USAGE_WEIGHT * math.log1p(usage.count) * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)


def search(
    docs: list[SearchDoc], query: str, *, limit: int = 20, usage: dict[str, Usage] | None = None, now: float = 0.0
) -> list[SearchHit]:
    terms = parse_query(query)
    if not terms:
        return []
    usage = usage or {}
    hits = []
    for doc in docs:
        hit = score_doc(doc, terms)
        if hit is not None:
            boost = usage_boost(usage.get(doc.key), now)
            hits.append(SearchHit(hit.doc, hit.score + boost, hit.highlights))
    hits.sort(key=lambda hit: (-hit.score, *tie_break(hit.doc)))
    return hits[:limit]
