"""Search that scores a few hundred entries per keystroke instead of all of them.

Entries are numbered in tie-break order (shorter first), so the lowest set bits of a candidate set
(search_candidates.py) are the entries a tie would favour.

Ranking: each term's candidates are split into tiers by field, kind of match and whether the match can start
the field; a tier's bound is the most any of its entries can score. Tier combinations are visited best bound
first, and their entries are scored exactly with the same code as the plain scan (search.score_doc) until no
unvisited tier can beat the results in hand. Entries with a usage history, and an exact shortcut, are scored
up front, as their bonus is in no bound.
Two approximations keep a keystroke within a few milliseconds on a large library: a tier with more entries
than `per_tier` has only its first (shortest) ones scored, so among many entries with the same bound, longer
ones with a slightly better match may be passed over; and no more than `budget` entries are scored in all.
With both unbounded the results are exactly the plain scan's (tests/test_search_index.py checks this).
"""

from __future__ import annotations

import heapq
from itertools import compress, islice
from operator import itemgetter

import numpy as np

from quick_replies.search import (
    FIELD_WEIGHTS,
    SearchDoc,
    SearchHit,
    Usage,
    parse_query,
    score_doc,
    usage_boost,
)
from quick_replies.search_candidates import Candidates
from quick_replies.search_index_build import Postings, build_postings

WEIGHTS = {"s": FIELD_WEIGHTS["shortcut"], "t": FIELD_WEIGHTS["title"], "k": FIELD_WEIGHTS["tags"],
           "b": FIELD_WEIGHTS["body"]}
SCORE_BUDGET = 400  # entries scored per keystroke at most
MAX_USED = 200  # entries with a usage history scored up front


def rank_order(docs: list[SearchDoc]) -> list[SearchDoc]:
    """The plain scan's tie-break: shorter text first, then key."""
    return sorted(docs, key=lambda doc: (len(doc.title) + len(doc.body), doc.key))


def field_texts(docs: list[SearchDoc]) -> dict[str, list[str]]:
    """Field code -> each entry's text, the same texts score_doc matches (SearchDoc.fields)."""
    columns = {"s": "shortcut", "t": "title", "k": "labels", "b": "body"}
    return {code: [getattr(doc, name) for doc in docs] for code, name in columns.items()}


class SearchIndex:
    def __init__(self, docs: list[SearchDoc], postings: Postings):
        """`docs` in rank order, as numbered in `postings`."""
        self.docs = docs
        self.count = len(docs)
        self.postings = postings
        self.candidates = Candidates(postings, len(docs))
        # Built with C-level iteration: a start with 100,000 entries should not wait on Python loops.
        self.rank_of = dict(zip(map(itemgetter(1), docs), range(len(docs))))
        shortcuts = [doc.shortcut for doc in docs]
        self.shortcut_rank = dict(zip(map(str.lower, compress(shortcuts, shortcuts)),
                                      compress(range(len(docs)), shortcuts)))

    @classmethod
    def build(cls, docs: list[SearchDoc]) -> SearchIndex:
        ordered = rank_order(docs)
        return cls(ordered, build_postings(field_texts(ordered), len(ordered)))

    # -- answering a query

    def search(self, query: str, *, limit: int = 20, usage: dict[str, Usage] | None = None,
               now: float = 0.0, per_tier: int | None = None, budget: int | None = None) -> list[SearchHit]:
        terms = parse_query(query)
        if not terms or limit <= 0:
            return []
        per_term = [self.candidates.term_parts(term) for term in terms]
        candidates = -1
        for parts in per_term:
            candidates &= _union(part.bits for part in parts)
        if not candidates:
            return []
        usage = usage or {}
        found: dict[int, SearchHit | None] = {}  # None: a candidate that did not match
        best: list[float] = []  # min-heap of the `limit` best scores so far
        scored = 0

        def consider(rank: int) -> None:
            nonlocal scored
            if rank in found:
                return
            scored += 1
            doc = self.docs[rank]
            hit = score_doc(doc, terms)
            if hit is None:
                found[rank] = None
                return
            score = hit.score + usage_boost(usage.get(doc.key), now)
            found[rank] = SearchHit(doc, score, hit.highlights)
            (heapq.heappush if len(best) < limit else heapq.heappushpop)(best, score)

        for rank in self._ranks_up_front(terms, usage, now):
            if (candidates >> rank) & 1:
                consider(rank)
        per_tier = per_tier or max(2 * limit, 20)
        for bound, tier in self._tiers_best_first(terms, per_term, candidates):
            if len(best) >= limit and best[0] > bound:
                break  # no entry in this tier or any after it can make the results, even on a tie
            if scored >= (budget or max(SCORE_BUDGET, 4 * limit)):
                break
            for rank in self._lowest_ranks(tier, per_tier):
                consider(rank)
        hits = [hit for hit in found.values() if hit is not None]
        hits.sort(key=lambda hit: (-hit.score, len(hit.doc.title) + len(hit.doc.body), hit.doc.key))
        return hits[:limit]

    def _ranks_up_front(self, terms, usage: dict[str, Usage], now: float) -> list[int]:
        ranks = [self.shortcut_rank[term] for term in terms if term in self.shortcut_rank]
        used = sorted(usage, key=lambda key: -usage_boost(usage[key], now))
        ranks += [self.rank_of[key] for key in islice((k for k in used if k in self.rank_of), MAX_USED)]
        return ranks

    def _tiers_best_first(self, terms, per_term, candidates):
        """(bound, entries) for combinations of one tier per term, the highest bound first."""
        tier_lists = []
        for term, parts in zip(terms, per_term):
            tiers = []
            for part in parts:
                here = part.bits & candidates
                if here:
                    head = here & self.candidates.field_starts(part.field, term[0])
                    weight = WEIGHTS[part.field]
                    tiers += [(weight * part.bound_at_start, head), (weight * part.bound_elsewhere, here & ~head)]
            merged: dict[float, int] = {}
            for bound, bits in tiers:
                merged[bound] = merged.get(bound, 0) | bits
            disjoint, above = [], 0
            for bound in sorted(merged, reverse=True):
                if merged[bound] & ~above:
                    disjoint.append((bound, merged[bound] & ~above))
                above |= merged[bound]
            tier_lists.append(disjoint)
        if any(not tiers for tiers in tier_lists):
            return
        start = (0,) * len(tier_lists)
        queue = [(-sum(tiers[0][0] for tiers in tier_lists), start)]
        seen = {start}
        while queue:
            negative_bound, picks = heapq.heappop(queue)
            entries = candidates
            for tiers, pick in zip(tier_lists, picks):
                entries &= tiers[pick][1]
                if not entries:
                    break
            if entries:
                yield -negative_bound, entries
            for position in range(len(picks)):
                if picks[position] + 1 < len(tier_lists[position]):
                    following = picks[:position] + (picks[position] + 1,) + picks[position + 1:]
                    if following not in seen:
                        seen.add(following)
                        bound = sum(tiers[pick][0] for tiers, pick in zip(tier_lists, following))
                        heapq.heappush(queue, (-bound, following))

    def _lowest_ranks(self, bits: int, count: int) -> list[int]:
        if bits.bit_count() <= count:
            ranks = []
            while bits:
                lowest = bits & -bits
                ranks.append(lowest.bit_length() - 1)
                bits ^= lowest
            return ranks
        raw = np.frombuffer(bits.to_bytes((self.count + 7) // 8, "little"), dtype=np.uint8)
        return np.flatnonzero(np.unpackbits(raw, bitorder="little"))[:count].tolist()

    # -- candidate sets

def _union(values) -> int:
    bits = 0
    for value in values:
        bits |= value
    return bits
