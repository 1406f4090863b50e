"""Searching replies and FAQ entries: every term must match some field; the best matches come first.

Terms are separated by spaces or '+' (无法登录+安卓). A term's score is its best match over the entry's fields,
weighted by field (an exact shortcut counts most, then title, tags and keywords, then the body). Ties go to
entries the agent uses often and recently, then to the shorter text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from quick_replies.library import FaqEntry, Library, QuickReply
from quick_replies.matcher import match_term, prepare

FIELD_WEIGHTS = {"shortcut": 3.0, "title": 2.0, "tags": 1.5, "keywords": 1.5, "body": 1.0}
EXACT_SHORTCUT_BONUS = 1000.0
USAGE_WEIGHT = 12.0
RECENCY_HALF_LIFE_DAYS = 7.0


class SearchDoc(NamedTuple):
    """A NamedTuple, not a dataclass: a library of 100,000 entries makes as many, and a frozen dataclass
    takes three times as long to construct."""

    kind: str  # reply | faq
    key: str  # reply id, or the FAQ's question
    title: str
    body: str
    shortcut: str
    labels: str  # a reply's tags or an FAQ entry's keywords, space-separated
    fields: tuple[tuple[str, str], ...]  # (field name, text) for every non-empty field
    entry: QuickReply | FaqEntry


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
    docs = []
    for reply in library.replies.values():
        tags = " ".join(reply.tags)
        fields = [("shortcut", reply.shortcut), ("title", reply.title), ("tags", tags), ("body", reply.body)]
        docs.append(make_doc("reply", reply.id, reply.title, reply.body, reply.shortcut, tags, fields, reply))
    for faq in library.faqs:
        keywords = " ".join(faq.keywords)
        fields = [("title", faq.question), ("keywords", keywords), ("body", faq.answer)]
        docs.append(make_doc("faq", faq.question, faq.question, faq.answer, "", keywords, fields, faq))
    return docs


def inserted_text(doc: SearchDoc) -> str:
    """What choosing an entry puts in the composer: a reply's body, an FAQ entry's answer (placeholders unfilled)."""
    return doc.entry.answer if doc.kind == "faq" else doc.entry.body


def make_doc(kind, key, title, body, shortcut, labels, fields, entry) -> SearchDoc:
    return SearchDoc(kind, key, title, body, shortcut, labels, tuple(filter(_has_text, fields)), entry)


_has_text = itemgetter(1)


def parse_query(query: str) -> list[str]:
    return [term for term in re.split(r"[\s+＋]+", query.strip().lower().lstrip("/")) if term]


def score_doc(doc: SearchDoc, terms: list[str]) -> SearchHit | None:
    total = 0.0
    highlights: dict[str, set[int]] = {}
    for term in terms:
        best: tuple[float, str, tuple[int, ...]] | None = None
        for name, text in doc.fields:
            prepared = prepare(text)
            found = match_term(term, prepared)
            if found is None:
                continue
            score = found[0] * FIELD_WEIGHTS[name]
            if name == "shortcut" and prepared.lowered == term:
                score += EXACT_SHORTCUT_BONUS
            if best is None or score > best[0]:
                best = (score, name, found[1])
        if best is None:
            return None  # every term must match
        total += best[0]
        highlights.setdefault(best[1], set()).update(best[2])
    return SearchHit(doc, total, {name: tuple(sorted(p)) for name, p in highlights.items()})


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
    hits.sort(key=lambda hit: (-hit.score, len(hit.doc.title) + len(hit.doc.body), hit.doc.key))
    return hits[:limit]
